/**
 * Synthetic simulation results for the report's tests and previews: a burst of pods on a small
 * cluster, replayed by a toy model of each strategy (nodewright reacts in under a minute with large,
 * partly spot nodes and consolidates quickly; the Cluster Autoscaler reacts after its scan and cache
 * delays with one fixed type and scales down one node at a time after 10 minutes). The numbers are
 * plausible, not simulated: never present them as results.
 */
import { Random } from '../../utils/random.js';
import type {
  Decision, DecisionKind, SimulationResult, StrategyName, StrategyResult, TimeSample,
} from '../result.js';
import { averageUtilisation, emptyDisruptions, summariseWaits } from '../result.js';

export interface SyntheticOptions {
  readonly scenario?: string;
  readonly seed?: number;
  /** Default 7,200 s (2 h). */
  readonly horizonSeconds?: number;
  /** Default 30 s. */
  readonly stepSeconds?: number;
  /** Default both. */
  readonly strategies?: readonly StrategyName[];
}

interface NodeType {
  readonly name: string;
  readonly cpu: number;
  readonly memoryGiB: number;
  readonly pricePerHour: number;
  readonly spot: boolean;
}

interface Model {
  readonly name: StrategyName;
  /** Node types used in turn, node i gets types[i % length]. */
  readonly types: readonly NodeType[];
  readonly podsPerNode: number;
  /** Seconds from pods appearing to their nodes being ready. */
  readonly reactSeconds: number;
  /** Seconds the surplus must last before nodes are removed. */
  readonly removeAfterSeconds: number;
  /** Nodes removed per step once allowed (Infinity: all surplus at once). */
  readonly removePerStep: number;
  readonly upKind: DecisionKind;
  readonly downKind: DecisionKind;
  /** Median pod wait, seconds. */
  readonly medianWait: number;
}

const POD_CPU = 0.5;
const POD_MEMORY_GIB = 1;

const MODELS: Readonly<Record<StrategyName, Model>> = {
  nodewright: {
    name: 'nodewright',
    types: [
      { name: 'm6a.2xlarge', cpu: 7.91, memoryGiB: 29.1, pricePerHour: 0.1372, spot: true },
      { name: 'm6a.2xlarge', cpu: 7.91, memoryGiB: 29.1, pricePerHour: 0.1372, spot: true },
      { name: 'c6a.2xlarge', cpu: 7.91, memoryGiB: 13.8, pricePerHour: 0.306, spot: false },
    ],
    podsPerNode: 14,
    reactSeconds: 45,
    removeAfterSeconds: 60,
    removePerStep: Infinity,
    upKind: 'provision',
    downKind: 'consolidate-delete',
    medianWait: 48,
  },
  'cluster-autoscaler': {
    name: 'cluster-autoscaler',
    types: [{ name: 'm5.xlarge', cpu: 3.92, memoryGiB: 14.2, pricePerHour: 0.192, spot: false }],
    podsPerNode: 6,
    reactSeconds: 130,
    removeAfterSeconds: 600,
    removePerStep: 1,
    upKind: 'scale-up',
    downKind: 'scale-down',
    medianWait: 135,
  },
};

/** Pods that exist at time t: a baseline, a large burst and a smaller second wave. */
function demand(t: number): number {
  let pods = 24;
  if (t >= 600 && t < 3600) pods += 180;
  if (t >= 5400 && t < 6300) pods += 60;
  return pods;
}

/**
 * A realistic-looking {@link SimulationResult}, deterministic for given options.
 * @throws RangeError if the step does not divide the horizon or either is not positive.
 */
export function syntheticResult(options: SyntheticOptions = {}): SimulationResult {
  const horizon = options.horizonSeconds ?? 7200;
  const step = options.stepSeconds ?? 30;
  if (!(step > 0) || !(horizon > 0) || horizon % step !== 0) {
    throw new RangeError(`synthetic result needs a positive step dividing the horizon, got ${step} s and ${horizon} s`);
  }
  const seed = options.seed ?? 7;
  const strategies: { [S in StrategyName]?: StrategyResult } = {};
  for (const name of options.strategies ?? ['nodewright', 'cluster-autoscaler']) {
    strategies[name] = replay(MODELS[name], horizon, step, new Random(seed).fork(name));
  }
  return {
    scenario: options.scenario ?? 'burst',
    seed,
    horizonSeconds: horizon,
    notes: ['Spot prices are synthetic (a stable hash of the type and zone); on-demand prices are real us-east-1 prices.'],
    strategies,
  };
}

function replay(model: Model, horizon: number, step: number, random: Random): StrategyResult {
  const samples: TimeSample[] = [];
  const decisions: Decision[] = [];
  const disruptions = emptyDisruptions();
  const usage = new Map<string, { nodeHours: number; spotNodeHours: number; cost: number }>();
  let nodes = 0;
  let surplusSince: number | undefined;
  let evictions = 0;
  let interrupted = false;
  const typeOf = (i: number): NodeType => model.types[i % model.types.length] as NodeType;
  const costOf = (n: number): number => Array.from({ length: n }, (_, i) => typeOf(i).pricePerHour).reduce((a, b) => a + b, 0);

  for (let t = 0; t <= horizon; t += step) {
    const wanted = Math.ceil(demand(Math.max(0, t - model.reactSeconds)) / model.podsPerNode);
    const before = costOf(nodes);
    if (wanted > nodes) {
      const type = typeOf(nodes);
      decisions.push(decision(model, t, model.upKind, `launched ${launchedTypes(model, nodes, wanted)} for ${demand(t) - nodes * model.podsPerNode} pods`, {
        why: `${demand(t - model.reactSeconds) - nodes * model.podsPerNode} pods could not be scheduled on the existing nodes`,
        alternativesRejected: model.name === 'nodewright'
          ? [`m5.2xlarge: $0.384/h on-demand, ${Math.round((0.384 / type.pricePerHour - 1) * 100)}% dearer`, 'c6a.4xlarge: would leave 9 cpu unused']
          : ['node group ng-m5-2xlarge: more waste under the least-waste expander'],
        costPerHourBefore: before,
        costPerHourAfter: costOf(wanted),
      }));
      nodes = wanted;
      surplusSince = undefined;
    } else if (wanted < nodes) {
      surplusSince ??= t;
      if (t - surplusSince >= model.removeAfterSeconds) {
        const removed = Math.min(nodes - wanted, model.removePerStep);
        const empty = model.name === 'nodewright';
        disruptions[empty ? 'empty' : 'underutilized'] += removed;
        if (!empty) evictions += random.int(1, model.podsPerNode - 1);
        decisions.push(decision(model, t, model.downKind, `removed ${removed} node${removed === 1 ? '' : 's'} (${empty ? 'empty' : 'under 50% utilised'})`, {
          why: empty ? 'the nodes have had no pods for 60 s and consolidation was allowed by the budget' : 'node unneeded for 10 minutes; its pods fit on other nodes',
          alternativesRejected: empty ? ['replace with a smaller type: no pods left to move'] : ['keep: utilisation under the 50% threshold'],
          costPerHourBefore: before,
          costPerHourAfter: costOf(nodes - removed),
        }));
        nodes -= removed;
      }
    } else {
      surplusSince = undefined;
    }
    let pending = Math.max(0, demand(t) - nodes * model.podsPerNode);
    if (model.name === 'nodewright' && !interrupted && t >= 2400) {
      interrupted = true;
      disruptions.interrupted += 1;
      evictions += model.podsPerNode;
      pending += model.podsPerNode;
      decisions.push(decision(model, t, 'interruption', `spot interruption of ${typeOf(0).name}: replacement launched before the node is reclaimed`, {
        why: 'EC2 sent a two-minute spot interruption warning',
        alternativesRejected: ['wait for the reclaim: pods would be killed without a drain'],
        costPerHourBefore: before,
        costPerHourAfter: before,
        nodes: ['default-x7k2p'],
      }));
    }
    const running = demand(t) - pending;
    let cpuAllocatable = 0;
    let memoryAllocatableGiB = 0;
    for (let i = 0; i < nodes; i++) {
      const type = typeOf(i);
      cpuAllocatable += type.cpu;
      memoryAllocatableGiB += type.memoryGiB;
      if (t < horizon) {
        const u = usage.get(type.name) ?? { nodeHours: 0, spotNodeHours: 0, cost: 0 };
        u.nodeHours += step / 3600;
        if (type.spot) u.spotNodeHours += step / 3600;
        u.cost += (type.pricePerHour * step) / 3600;
        usage.set(type.name, u);
      }
    }
    samples.push({
      t, nodes, costPerHour: costOf(nodes), pendingPods: pending, runningPods: running,
      cpuRequested: running * POD_CPU, cpuAllocatable,
      memoryRequestedGiB: running * POD_MEMORY_GIB, memoryAllocatableGiB,
      lowerBoundCostPerHour: (demand(t) * POD_CPU * 0.1372) / 7.91,
    });
  }

  const waits = Array.from({ length: 24 + 180 + 60 }, () => random.lognormal(Math.log(model.medianWait), 0.35));
  const integral = (f: (s: TimeSample) => number): number => samples.slice(0, -1).reduce((sum, s) => sum + (f(s) * step) / 3600, 0);
  return {
    podWaitSeconds: summariseWaits(waits.map((w) => Math.round(w * 10) / 10)),
    totalCost: integral((s) => s.costPerHour),
    peakNodes: Math.max(...samples.map((s) => s.nodes)),
    pendingAtEnd: samples[samples.length - 1]?.pendingPods ?? 0,
    evictions,
    disruptions,
    lowerBoundCost: integral((s) => s.lowerBoundCostPerHour),
    replayWallSeconds: model.name === 'nodewright' ? 1.84 : 0.97,
    utilisation: averageUtilisation(samples),
    series: { stepSeconds: step, samples },
    instanceTypes: Object.fromEntries(usage),
    decisions,
  };
}

/** "9 × m6a.2xlarge (spot), 4 × c6a.2xlarge" for nodes from..to−1. */
function launchedTypes(model: Model, from: number, to: number): string {
  const counts = new Map<string, number>();
  for (let i = from; i < to; i++) {
    const type = model.types[i % model.types.length] as NodeType;
    const label = `${type.name}${type.spot ? ' (spot)' : ''}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => `${n} × ${label}`).join(', ');
}

function decision(model: Model, t: number, kind: DecisionKind, summary: string, details: Decision['details']): Decision {
  return { t, strategy: model.name, kind, summary, details };
}
