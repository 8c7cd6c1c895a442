/**
 * The simulation engine: for each strategy, a fresh world (virtual clock, embedded API server,
 * simulated cloud) where the strategy prepares its initial nodes during a warm-up, the embedded
 * cluster (kube-scheduler, kubelets, controllers of the workload) replays the scenario from t = 0 to
 * the horizon, and what happened is measured into a SimulationResult.
 */
import { EC2_SYNTHETIC_NOTICE } from '../../cloudprovider/catalog/ec2.js';
import { EmbeddedCluster } from '../cluster/embedded-cluster.js';
import type { SimulationResult, StrategyName, StrategyResult } from '../result.js';
import type { Scenario } from '../scenario/types.js';
import type { StrategyFactory } from '../strategies/strategy.js';
import { collect, LowerBounds, type RecordedSample } from './collect.js';
import { DemandTracker } from './demand.js';
import { makeWorld, type World } from './world.js';

export interface SimulateOptions {
  readonly strategies: readonly StrategyName[];
  readonly factories: Readonly<Record<StrategyName, StrategyFactory>>;
  /** Sample step (virtual ms); default: horizon / 720, at least 10 s. */
  readonly sampleStepMs?: number;
  /** Told how far each run is, 0..1. */
  readonly onProgress?: (strategy: StrategyName, fraction: number) => void;
  /** Wall-clock time source for replayWallSeconds (performance.now by default). */
  readonly wallNow?: () => number;
}

/** Why a run failed, with the strategy named. */
export class SimulationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulationError';
  }
}

async function runOne(scenario: Scenario, name: StrategyName, factory: StrategyFactory, o: SimulateOptions, bounds: LowerBounds): Promise<StrategyResult> {
  const wallNow = o.wallNow ?? (() => performance.now());
  const started = wallNow();
  const world = makeWorld(scenario);
  const step = o.sampleStepMs ?? Math.max(10_000, Math.round(scenario.horizonMs / 720));
  const strategy = factory(world);
  const recorded: RecordedSample[] = [];
  const demandOf: { tracker?: DemandTracker } = {};
  const cluster = new EmbeddedCluster({
    clock: world.clock,
    kube: world.kube,
    scenario,
    initialNodes: false,
    metrics: {
      sampleIntervalMs: step,
      keepSamples: false,
      onSample: (sample) => {
        if (sample.at <= world.end) recorded.push({ sample, costPerHour: world.cloud.hourlyCostAt(sample.at), demand: demandOf.tracker!.demand });
      },
    },
  });
  // The tracker subscribes to the cluster's pod informer, so it exists only once the cluster does.
  const demand = new DemandTracker(cluster.view);
  demandOf.tracker = demand;
  try {
    await strategy.prepare();
    await world.clock.advanceTo(world.t0);
    strategy.begin();
    await cluster.start();
    const chunks = 100;
    for (let i = 1; i <= chunks; i++) {
      await world.clock.advanceTo(world.t0 + Math.round((scenario.horizonMs * i) / chunks));
      o.onProgress?.(name, i / chunks);
    }
    const decisions = strategy.decisions();
    const wallSeconds = (wallNow() - started) / 1000;
    return await collect(world, cluster.metrics!, recorded, decisions, bounds, world.kube.evictions, wallSeconds);
  } catch (err) {
    throw new SimulationError(`simulating ${scenario.name} with ${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    demand.stop();
    await whileStepping(world, strategy.stop(), `stopping ${name}`);
    await whileStepping(world, cluster.stop(), 'stopping the embedded cluster');
    world.kube.close();
  }
}

/** Virtual time a stop may take after the horizon before the run is declared stuck. */
const STOP_LIMIT_MS = 60 * 60_000;

/**
 * Waits for `stopping` while moving virtual time on: a controller may be stopped in the middle of
 * a pass that sleeps on the clock (disruption's validation wait), and nothing else steps the clock
 * once the replay is over, so without this the process would wait forever.
 * @throws SimulationError when it has not finished after STOP_LIMIT_MS of virtual time.
 */
async function whileStepping(world: World, stopping: Promise<void>, what: string): Promise<void> {
  let done = false;
  const settled = stopping.finally(() => {
    done = true;
  });
  await world.clock.step(0);
  for (let waited = 0; !done && waited < STOP_LIMIT_MS; waited += 1_000) await world.clock.step(1_000);
  if (!done) throw new SimulationError(`${what}: still running after ${STOP_LIMIT_MS / 60_000} minutes of virtual time past the horizon`);
  await settled;
}

/** Replays the scenario once per strategy. Same scenario and seed, same result (but wall times). */
export async function simulate(scenario: Scenario, o: SimulateOptions): Promise<SimulationResult> {
  const bounds = new LowerBounds(scenario.cluster.instanceTypes);
  const strategies: { [S in StrategyName]?: StrategyResult } = {};
  for (const name of o.strategies) strategies[name] = await runOne(scenario, name, o.factories[name], o, bounds);
  const notes: string[] = [];
  if (scenario.cluster.catalog.kind === 'aws') notes.push(EC2_SYNTHETIC_NOTICE);
  notes.push('The lower bound is the LP relaxation of covering the demand of the pods that want to run at each sample with the catalogue\'s cheapest offerings: no strategy can pay less.');
  return {
    scenario: scenario.name,
    seed: typeof scenario.seed === 'number' ? scenario.seed : 0,
    horizonSeconds: scenario.horizonMs / 1000,
    notes,
    strategies,
  };
}
