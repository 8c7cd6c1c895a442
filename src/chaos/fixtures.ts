/**
 * The embedded cluster of the chaos tests: the memory API server and the simulated cloud on a
 * VirtualClock, the cluster's stand-ins (kube-scheduler, kubelets, ReplicaSet controllers) replaying
 * deployments, an invariant monitor, and the nodewright controller process, which the test kills
 * and restarts at will (see generation.ts). Also the seed every chaos test prints and takes from
 * NODEWRIGHT_CHAOS_SEED.
 */
import { randomInt } from 'node:crypto';
import type { Pod, PodDisruptionBudget } from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { CloudProviderError, InsufficientCapacityError } from '../cloudprovider/cloud-provider.js';
import type { SimCloudProviderOptions } from '../cloudprovider/sim/options.js';
import { SimCloudProvider } from '../cloudprovider/sim/sim-cloud-provider.js';
import type { InstanceType } from '../cloudprovider/types.js';
import type { ControllerOptions, Decision } from '../controllers/context.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../controllers/context.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { EmbeddedCluster } from '../sim/cluster/embedded-cluster.js';
import { parseScenario } from '../sim/scenario/parse.js';
import { nodePool } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import { Random } from '../utils/random.js';
import { observers, ProcessKilledError } from './fence.js';
import type { CallObserver } from './fence.js';
import { ControllerGeneration } from './generation.js';
import { InvariantMonitor } from './invariants.js';

/**
 * The seed of a chaos test: NODEWRIGHT_CHAOS_SEED when set ("random" draws one), else `fallback`.
 * Printed, so a failing run can be replayed.
 */
export function chaosSeed(test: string, fallback: number): number {
  const env = process.env['NODEWRIGHT_CHAOS_SEED'];
  const seed = env === 'random' ? randomInt(1, 2 ** 31) : env ? Number(env) : fallback;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`NODEWRIGHT_CHAOS_SEED must be an integer or "random", got ${env}`);
  console.log(`# chaos ${test}: seed ${seed} (replay with NODEWRIGHT_CHAOS_SEED=${seed})`);
  return seed;
}

/** A test's fault injector, called at each step; returns the next instant (epoch ms) it wants to be called at, if any. */
export type Chaos = () => number | undefined | void;

export interface ChaosDeployment {
  name: string;
  replicas: number;
  cpu: string;
  memory: string;
  /** A PodDisruptionBudget over the deployment's pods with this minAvailable. */
  minAvailable?: number | string;
  nodeSelector?: Record<string, string>;
}

export interface ChaosClusterOptions {
  seed: number;
  deployments: readonly ChaosDeployment[];
  instanceTypes?: readonly InstanceType[];
  sim?: Partial<Omit<SimCloudProviderOptions, 'clock' | 'kube' | 'instanceTypes' | 'seed'>>;
  /** Edits the NodePool "default" (default: WhenEmptyOrUnderutilized after 30 s). */
  pool?: (np: NodePool) => void;
  options?: Partial<ControllerOptions>;
  gcIntervalMs?: number;
  /** Run the controller process (default true; false: the test brings its own, e.g. leader-elected replicas). */
  controllers?: boolean;
}

function scenarioText(o: ChaosClusterOptions): string {
  const deployments = o.deployments.map((d) => ({
    name: d.name, replicas: [{ at: '0s', count: d.replicas }],
    pod: { requests: { cpu: d.cpu, memory: d.memory }, ...(d.nodeSelector ? { nodeSelector: d.nodeSelector } : {}) },
  }));
  const pdbs = o.deployments.filter((d) => d.minAvailable !== undefined)
    .map((d) => ({ name: d.name, selector: { matchLabels: { app: d.name } }, minAvailable: d.minAvailable }));
  return JSON.stringify({
    name: 'chaos', seed: o.seed, horizon: '700h',
    cluster: {
      catalog: { name: 'kwok' },
      nodePools: [{ metadata: { name: 'default' }, spec: { template: { spec: { nodeClassRef: { group: 'sim.nodewright.dev', kind: 'SimNodeClass', name: 'default' }, requirements: [] } } } }],
    },
    workload: { deployments, podDisruptionBudgets: pdbs },
  });
}

/** A cloud fault's kind, from the error a controller got. */
export function faultKind(e: unknown): string | undefined {
  if (e instanceof InsufficientCapacityError) return 'insufficient-capacity';
  if (!(e instanceof CloudProviderError) || !e.retryable) return undefined;
  if (/RequestLimitExceeded/.test(e.message)) return 'throttle';
  if (/InternalError/.test(e.message)) return '5xx';
  if (/timeout/.test(e.message)) return 'timeout';
  return 'other';
}

export class ChaosCluster {
  readonly clock = new VirtualClock();
  readonly random: Random;
  readonly kube: MemoryKubeClient;
  readonly sim: SimCloudProvider;
  readonly cluster: EmbeddedCluster;
  readonly monitor: InvariantMonitor;
  readonly decisions: Decision[] = [];
  /** Cloud faults the controllers met, by kind. */
  readonly cloudFaults: Record<string, number> = {};
  /** Cloud calls the controllers made. */
  cloudCalls = 0;
  restarts = 0;
  #gen: ControllerGeneration | undefined;
  readonly #dying: Promise<void>[] = [];
  readonly #o: ChaosClusterOptions;

  private constructor(o: ChaosClusterOptions) {
    this.#o = o;
    this.random = new Random(o.seed).fork('chaos');
    this.kube = new MemoryKubeClient({ clock: this.clock, seed: o.seed });
    this.sim = new SimCloudProvider({ clock: this.clock, instanceTypes: o.instanceTypes ?? kwokCatalog(), kube: this.kube, seed: o.seed, ...o.sim });
    const parsed = parseScenario(scenarioText(o), 'chaos');
    if (!parsed.scenario) throw new Error(`building the chaos scenario: ${JSON.stringify(parsed.problems)}`);
    this.cluster = new EmbeddedCluster({ clock: this.clock, kube: this.kube, scenario: parsed.scenario, initialNodes: false, metrics: false });
    this.monitor = new InvariantMonitor({ kube: this.kube, sim: this.sim, expectedPods: (pdb) => this.#wanted(pdb) });
    this.#gen = o.controllers === false ? undefined : this.#newGeneration();
  }

  /** Builds the cluster, creates the NodePool and the workload, and starts the controller process. */
  static async start(o: ChaosClusterOptions): Promise<ChaosCluster> {
    const c = new ChaosCluster(o);
    const np = nodePool();
    np.spec.disruption = { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s', budgets: [{ nodes: '10%' }] };
    o.pool?.(np);
    await c.kube.create('NodePool', np);
    await c.cluster.start();
    await c.step(0);
    return c;
  }

  /** The running controller process. @throws Error when the cluster runs without one. */
  get generation(): ControllerGeneration {
    if (!this.#gen) throw new Error('this chaos cluster runs no controller process of its own');
    return this.#gen;
  }

  /** Scales a deployment (its ReplicaSet stand-in deletes or creates pods). */
  async scale(name: string, replicas: number): Promise<void> {
    const d = this.cluster.driver.deployment(name);
    if (!d) throw new Error(`scaling deployment ${name}: no such deployment`);
    await d.scale(replicas);
  }

  /** Runs until `pods` pods are running, then records every pod that is not as 'pod-not-running'. */
  async untilAllRunning(pods: number, limitMs: number, chaos?: Chaos): Promise<Pod[]> {
    await this.runUntil(`${pods} pods running`, () => this.cluster.view.stageCounts().running === pods, limitMs, chaos);
    const items = (await this.kube.list('Pod')).items;
    for (const p of items) this.monitor.record('pod-not-running', p.status?.phase === 'Running', () => `pod ${p.metadata.name ?? ''} is ${p.status?.phase ?? 'without status'}`);
    return items;
  }

  /** Runs until no Node and no NodeClaim is left. */
  async untilNoNodeLeft(limitMs: number, chaos?: Chaos): Promise<void> {
    await this.runUntil('no node left', () => this.kube.count('Node') === 0 && this.kube.count('NodeClaim') === 0, limitMs, chaos);
  }

  /** Kills the controller process and starts a fresh one over the same API server and cloud. */
  restart(): void {
    this.#dying.push(this.generation.kill());
    this.restarts++;
    this.#gen = this.#newGeneration();
  }

  /**
   * Kills the controller process as it makes its `calls`-th next call to the API server or the cloud
   * (in the middle of whatever it is doing); the next step starts a fresh one.
   */
  killAfterCalls(calls: number): void {
    this.generation.fence.killAfter(calls);
  }

  /** Steps virtual time by `ms`, starting the process's controllers once it has synced and replacing a process that died. */
  async step(ms: number): Promise<void> {
    this.#poll();
    await this.clock.step(ms);
    this.#poll();
  }

  #poll(): void {
    if (this.#gen?.fence.killed) this.restart();
    this.#gen?.poll();
  }

  /**
   * Steps from timer to timer until `done()` holds, calling `chaos()` at each step (where a test
   * injects its faults; it may return the next instant it wants to be called at, which then counts
   * as a timer). @throws Error naming `what` after `limitMs` of virtual time.
   */
  async runUntil(what: string, done: () => boolean, limitMs: number, chaos: Chaos = () => undefined): Promise<number> {
    const start = this.clock.now();
    for (;;) {
      await this.step(0);
      if (done()) return this.clock.now() - start;
      const wanted = chaos();
      const next = Math.min(this.clock.nextTimerAt() ?? this.clock.now() + 1_000, wanted ?? Infinity);
      if (next - start > limitMs) throw new Error(`chaos: ${what} not reached after ${limitMs / 1000} s of virtual time\n${this.describe()}`);
      await this.clock.advanceTo(Math.max(next, this.clock.now()));
    }
  }

  /** Steps `ms` of virtual time, timer to timer, calling `chaos()` at each step (see runUntil). */
  async runFor(ms: number, chaos: Chaos = () => undefined): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await this.step(0);
      if (this.clock.now() >= end) return;
      const wanted = chaos();
      await this.clock.advanceTo(Math.max(Math.min(this.clock.nextTimerAt() ?? end, wanted ?? Infinity, end), this.clock.now()));
    }
  }

  /** One line of the cluster's state, for failure messages. */
  describe(): string {
    const counts = this.cluster.view.stageCounts();
    const alive = this.sim.instances().filter((i) => i.state === 'running' || i.state === 'pending').length;
    return `pods ${JSON.stringify(counts)}; nodes ${this.kube.count('Node')}; nodeclaims ${this.kube.count('NodeClaim')}; `
      + `machines alive ${alive} of ${this.sim.instances().length}; restarts ${this.restarts}; violations ${JSON.stringify(this.monitor.violations)} `
      + `${this.monitor.details.slice(0, 5).join(' | ')}`;
  }

  /** Stops the process and the cluster (waiting, with time moving, for killed processes and `also` to wind down). */
  async stop(also: readonly Promise<void>[] = []): Promise<void> {
    if (this.#gen) this.#dying.push(this.#gen.kill());
    this.#dying.push(...also);
    let done = false;
    const all = Promise.all(this.#dying).finally(() => {
      done = true;
    });
    for (let i = 0; i < 10_000 && !done; i++) await this.clock.step(1_000);
    await all;
    await this.cluster.stop();
    this.kube.close();
  }

  #newGeneration(): ControllerGeneration {
    const o = this.#o;
    const countFaults: CallObserver = {
      before: () => void this.cloudCalls++,
      failed: (_m, _a, e) => {
        const kind = e instanceof ProcessKilledError ? undefined : faultKind(e);
        if (kind) this.cloudFaults[kind] = (this.cloudFaults[kind] ?? 0) + 1;
      },
    };
    return new ControllerGeneration(`nodewright-${this.restarts}`, {
      clock: this.clock, kube: this.kube, cloud: this.sim, unavailableOfferings: this.sim.unavailableOfferings,
      options: { ...DEFAULT_CONTROLLER_OPTIONS, ...o.options }, gcIntervalMs: o.gcIntervalMs ?? 30_000, decisions: this.decisions,
      kubeObserver: (p) => this.monitor.kubeObserver(p),
      cloudObserver: (p) => observers(this.monitor.cloudObserver(p), countFaults),
    });
  }

  #wanted(pdb: PodDisruptionBudget): number | undefined {
    const d = this.cluster.driver.deployment(pdb.metadata.name ?? '', pdb.metadata.namespace ?? 'default');
    return d?.wanted;
  }
}
