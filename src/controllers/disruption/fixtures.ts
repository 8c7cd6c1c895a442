/**
 * Test support for the disruption and interruption controllers (left out of the build): machines
 * that are already launched, registered and initialised, with pods bound to them, and a stand-in
 * for the NodeClaim lifecycle that launches and initialises the replacements the controllers create.
 */
import type { PodDisruptionBudget } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, HOSTNAME_LABEL, INITIALIZED_LABEL, INSTANCE_TYPE_LABEL, NODEPOOL_LABEL, REGISTERED_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { nodePoolHashAnnotations } from '../../apis/v1/hash.js';
import type { Budget, ConsolidationPolicy, NodeClaim, NodePool } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import type { PodOptions } from '../../test/builders.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import type { TestEnv } from '../../test/env.js';
import { makeTestEnv } from '../../test/env.js';
import { formatKubeTime } from '../../utils/clock.js';
import type { Quiescent } from '../runtime/reconciler.js';
import type { DisruptionControllerOptions } from './controller.js';
import { DisruptionController } from './controller.js';

/** Three on-demand sizes with spot at 70%, in zones a, b, c: prices scale with size. */
export const TEST_TYPES = [
  instanceType('small', { cpu: '2', memory: '8Gi', price: 0.1, spotPrice: 0.07 }),
  instanceType('medium', { cpu: '4', memory: '16Gi', price: 0.2, spotPrice: 0.14 }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.28 }),
];

export interface MachineSpec {
  /** The NodeClaim's and the Node's name. */
  name: string;
  pool?: NodePool;
  type?: string;
  zone?: string;
  capacityType?: 'spot' | 'on-demand';
  /** Pods bound to it, Running and Ready. */
  pods?: PodOptions[];
  nodeAnnotations?: Record<string, string>;
  expireAfter?: string;
}

function conditions(now: number): NonNullable<NodeClaim['status']>['conditions'] {
  const t = formatKubeTime(now);
  return ['Launched', 'Registered', 'Initialized', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: t }));
}

/** Creates the Node for a launched claim and marks the claim registered and initialised. */
async function materialise(env: TestEnv, launched: NodeClaim, nodeAnnotations?: Record<string, string>): Promise<void> {
  const name = launched.metadata.name!;
  const now = env.clock.now();
  await env.kube.create('Node', {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name, annotations: nodeAnnotations,
      labels: { ...(launched.metadata.labels ?? {}), [HOSTNAME_LABEL]: name, [REGISTERED_LABEL]: 'true', [INITIALIZED_LABEL]: 'true' },
    },
    spec: { providerID: launched.status!.providerID, taints: launched.spec.taints },
    status: {
      capacity: launched.status!.capacity, allocatable: launched.status!.allocatable,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: formatKubeTime(now) }],
    },
  });
  await env.kube.patchStatus('NodeClaim', name, { status: { ...launched.status, nodeName: name, conditions: conditions(now) } });
}

/** Binds a pod to a node, Running and Ready (as a kubelet would report it). */
export async function addBoundPod(env: TestEnv, nodeName: string, o: PodOptions): Promise<void> {
  const p = await env.kube.create('Pod', pod({ ...o, nodeName }));
  const now = formatKubeTime(env.clock.now());
  await env.kube.patchStatus('Pod', p.metadata.name!, {
    status: {
      phase: 'Running', startTime: now,
      conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True', lastTransitionTime: now }],
    },
  }, p.metadata.namespace);
}

/**
 * A machine as the lifecycle controller leaves it: launched through env.cloud, NodeClaim with the
 * pool's hash annotations and status, Node registered, initialised and Ready, pods bound.
 * The pool must exist in the API server already.
 */
export async function addMachine(env: TestEnv, spec: MachineSpec): Promise<NodeClaim> {
  const pool = spec.pool ?? (await env.kube.get('NodePool', 'default'));
  const poolName = pool.metadata.name!;
  const claim: NodeClaim = {
    apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim',
    metadata: { name: spec.name, labels: { [NODEPOOL_LABEL]: poolName }, annotations: nodePoolHashAnnotations(pool) },
    spec: {
      requirements: [
        { key: INSTANCE_TYPE_LABEL, operator: 'In', values: [spec.type ?? 'small'] },
        { key: ZONE_LABEL, operator: 'In', values: [spec.zone ?? 'zone-a'] },
        { key: CAPACITY_TYPE_LABEL, operator: 'In', values: [spec.capacityType ?? 'on-demand'] },
      ],
      nodeClassRef: pool.spec.template.spec.nodeClassRef,
      expireAfter: spec.expireAfter ?? pool.spec.template.spec.expireAfter,
    },
  };
  const launched = await env.cloud.create(claim);
  await env.kube.create('NodeClaim', { ...launched, status: undefined });
  await materialise(env, launched, spec.nodeAnnotations);
  for (const p of spec.pods ?? []) await addBoundPod(env, spec.name, p);
  return launched;
}

/** A PodDisruptionBudget over pods labelled app=<app>. */
export function pdb(name: string, app: string, maxUnavailable: number | string): PodDisruptionBudget {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app } }, maxUnavailable } };
}

export interface FakeLifecycleOptions {
  /** Time from the NodeClaim's creation to an initialised Node (default 30 s). */
  initDelayMs?: number;
  /** Claims it deletes instead of launching (a failed launch). */
  fails?: (claim: NodeClaim) => boolean;
  /** Claims it leaves alone forever (a node that never registers). */
  hangs?: (claim: NodeClaim) => boolean;
}

/**
 * Stands in for the NodeClaim lifecycle controller: a new NodeClaim without a providerID is
 * launched through env.cloud and, after `initDelayMs`, gets an initialised Node. Quiescent while no
 * launch is pending, so env.settle waits for the launches it started.
 */
export class FakeLifecycle implements Quiescent {
  readonly launched: string[] = [];
  /** Unexpected failures (tests assert it stays empty). */
  readonly errors: unknown[] = [];
  readonly #env: TestEnv;
  readonly #o: FakeLifecycleOptions;
  readonly #seen = new Set<string>();
  #pending = 0;
  readonly #unsubscribe: () => void;

  constructor(env: TestEnv, options: FakeLifecycleOptions = {}) {
    this.#env = env;
    this.#o = options;
    this.#unsubscribe = env.state.subscribe((change) => {
      if (change.type !== 'Node' || change.deleted) return;
      const claim = change.stateNode.nodeClaim;
      const name = claim?.metadata.name;
      if (!claim || !name || claim.status?.providerID || claim.metadata.deletionTimestamp || this.#seen.has(name)) return;
      this.#seen.add(name);
      if (this.#o.hangs?.(claim)) return;
      this.#pending++;
      env.clock.setTimer(this.#o.initDelayMs ?? 30_000, () => void this.#launch(claim).finally(() => this.#pending--));
    });
  }

  isIdle(): boolean {
    return this.#pending === 0;
  }

  stop(): void {
    this.#unsubscribe();
  }

  async #launch(claim: NodeClaim): Promise<void> {
    const env = this.#env;
    const name = claim.metadata.name!;
    const current = env.state.node(name)?.nodeClaim;
    if (!current || current.status?.providerID || current.metadata.deletionTimestamp) return; // made elsewhere, or gone
    try {
      if (this.#o.fails?.(claim)) {
        await env.kube.delete('NodeClaim', name);
        return;
      }
      const launched = await env.cloud.create(claim);
      await materialise(env, launched);
      this.launched.push(name);
    } catch (e) {
      if (!isNotFound(e)) this.errors.push(e);
    }
  }
}

/**
 * Awaits `work` while moving virtual time from timer to timer (a pass sleeps through the
 * validation delay on the clock). @throws Error when `work` is still pending after `limitMs`.
 */
export async function drive<T>(env: TestEnv, work: Promise<T>, limitMs = 3_600_000): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  const deadline = env.clock.now() + limitMs;
  for (let stalls = 0; !done;) {
    await env.clock.step(0);
    if (done) break;
    const next = env.clock.nextTimerAt();
    if (next === undefined || next > deadline) {
      if (++stalls > 100) throw new Error(`drive: still pending after ${limitMs} ms of virtual time`);
      continue;
    }
    await env.clock.advanceTo(next);
  }
  return result;
}

export interface DisruptionEnvOptions {
  budgets?: Budget[];
  consolidateAfter?: string;
  policy?: ConsolidationPolicy;
  /** Edits the NodePool before it is created. */
  pool?: (np: NodePool) => void;
  lifecycle?: FakeLifecycleOptions;
  controller?: DisruptionControllerOptions;
}

export interface DisruptionEnv {
  env: TestEnv;
  pool: NodePool;
  ctrl: DisruptionController;
  life: FakeLifecycle;
  /** Names of the NodeClaims in the API server, sorted. */
  claims(): Promise<string[]>;
  /** Stops everything. */
  stop(): Promise<void>;
}

/**
 * A test env on the fake cloud with TEST_TYPES, one NodePool "default" (budgets 100% unless
 * given, consolidateAfter 0s), a disruption controller whose orchestrator is running (passes are
 * run by the test) and a FakeLifecycle initialising replacements after 20 s.
 */
export async function disruptionEnv(o: DisruptionEnvOptions = {}): Promise<DisruptionEnv> {
  const env = await makeTestEnv({ cloud: 'fake', instanceTypes: TEST_TYPES });
  const np = nodePool();
  np.spec.disruption = { consolidationPolicy: o.policy ?? 'WhenEmptyOrUnderutilized', consolidateAfter: o.consolidateAfter ?? '0s', budgets: o.budgets ?? [{ nodes: '100%' }] };
  o.pool?.(np);
  const pool = await env.kube.create('NodePool', np);
  await env.settle();
  const ctrl = new DisruptionController(env.ctx, o.controller);
  ctrl.orchestrator.start();
  const life = new FakeLifecycle(env, { initDelayMs: 20_000, ...o.lifecycle });
  return {
    env, pool, ctrl, life,
    claims: async () => (await env.kube.list('NodeClaim')).items.map((c) => c.metadata.name!).sort(),
    async stop() {
      life.stop();
      await ctrl.stop();
      await env.stop();
    },
  };
}
