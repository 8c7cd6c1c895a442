/**
 * Test fixtures of the Cluster Autoscaler model: a virtual clock, the memory cluster, the simulated
 * cloud and the model over them, with pods created, marked Unschedulable and bound by hand (or by
 * a minimal scheduler stand-in built on the solver). Not part of the build.
 */
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { SimCloudProviderOptions } from '../../cloudprovider/sim/options.js';
import { SimCloudProvider } from '../../cloudprovider/sim/sim-cloud-provider.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { solve } from '../../scheduling/solver.js';
import type { SolverNode } from '../../scheduling/types.js';
import { failedToSchedule, isActive, isOwnedByDaemonSet } from '../../state/pod-predicates.js';
import { formatKubeTime, VirtualClock } from '../../utils/clock.js';
import { resourcesFromQuantities } from '../../utils/resources.js';
import type { Decision } from '../result.js';
import type { NodeGroupSpec } from '../scenario/types.js';
import { isNodeReady } from './view-node.js';
import { ClusterAutoscalerModel } from './model.js';
import type { ClusterAutoscalerOptions } from './options.js';

export const ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** A catalogue type sold on demand (and spot when `spotPrice` is given) in every zone, no overhead. */
export function type(name: string, cpu: number, memoryGiB: number, price: number, spotPrice?: number): InstanceType {
  return {
    name,
    requirements: { 'node.kubernetes.io/instance-type': [name], 'kubernetes.io/arch': ['amd64'], 'kubernetes.io/os': ['linux'] },
    capacity: resourcesFromQuantities({ cpu: String(cpu), memory: `${memoryGiB}Gi`, pods: '110' }),
    overhead: {},
    offerings: ZONES.flatMap((zone) => [
      { zone, capacityType: 'on-demand' as const, price, available: true },
      ...(spotPrice !== undefined ? [{ zone, capacityType: 'spot' as const, price: spotPrice, available: true }] : []),
    ]),
  };
}

export function group(name: string, instanceType: string, o: Partial<NodeGroupSpec> = {}): NodeGroupSpec {
  return { name, instanceTypes: [instanceType], minSize: 0, maxSize: 10, zones: ZONES, capacityType: 'on-demand', labels: {}, taints: [], ...o };
}

export interface Harness {
  readonly clock: VirtualClock;
  readonly kube: MemoryKubeClient;
  readonly cloud: SimCloudProvider;
  readonly model: ClusterAutoscalerModel;
  readonly decisions: Decision[];
  /** Called synchronously with each decision (after it is added to `decisions`). */
  onDecision: ((d: Decision) => void) | undefined;
  /** The clock's time at the start (t = 0 of the decision log). */
  readonly epochMs: number;
  /** Seconds since the start. */
  t(): number;
  /** Steps the clock by `ms` in slices of at most `sliceMs`, calling `each` after every slice until it returns true. */
  stepUntil(ms: number, each?: () => boolean | Promise<boolean>, sliceMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly types: readonly InstanceType[];
  readonly groups: readonly NodeGroupSpec[];
  readonly options?: Partial<ClusterAutoscalerOptions>;
  readonly sim?: Partial<SimCloudProviderOptions>;
  readonly seed?: number;
  readonly start?: boolean;
}

export async function harness(o: HarnessOptions): Promise<Harness> {
  const clock = new VirtualClock();
  const start = clock.now();
  const kube = new MemoryKubeClient({ clock, podShutdownMs: 1_000 });
  const cloud = new SimCloudProvider({ clock, instanceTypes: o.types, kube, seed: 1, ...o.sim });
  const decisions: Decision[] = [];
  const hooks: { onDecision: ((d: Decision) => void) | undefined } = { onDecision: undefined };
  const model = new ClusterAutoscalerModel({
    clock, kube, cloud, instanceTypes: o.types, nodeGroups: o.groups, options: o.options, seed: o.seed ?? 1, epochMs: start, onDecision: (d) => {
      decisions.push(d);
      hooks.onDecision?.(d);
    },
  });
  if (o.start ?? true) model.start();
  await clock.step(0);
  const h: Harness = {
    get onDecision() {
      return hooks.onDecision;
    },
    set onDecision(f) {
      hooks.onDecision = f;
    },
    clock, kube, cloud, model, decisions, epochMs: start,
    t: () => (clock.now() - start) / 1000,
    async stepUntil(ms, each, sliceMs = 1_000) {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        await clock.step(Math.min(sliceMs, end - clock.now()));
        if (each && await each()) return true;
      }
      return false;
    },
    async stop() {
      await model.stop();
      kube.close();
    },
  };
  return h;
}

/** Pod numbers per cluster, so runs of one test name their pods alike. */
const podSeq = new WeakMap<MemoryKubeClient, number>();

/** Creates `count` pods of a ReplicaSet "owner" with the given requests (and extra pod fields). */
export async function createPods(kube: MemoryKubeClient, count: number, o: { cpu: string; memory?: string; app?: string; namespace?: string; spec?: Partial<Pod['spec']>; annotations?: Record<string, string>; noController?: boolean }): Promise<Pod[]> {
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) {
    const seq = (podSeq.get(kube) ?? 0) + 1;
    podSeq.set(kube, seq);
    const name = `${o.app ?? 'web'}-${seq}`;
    pods.push(await kube.create('Pod', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name, namespace: o.namespace ?? 'default', labels: { app: o.app ?? 'web' }, annotations: o.annotations,
        ownerReferences: o.noController ? undefined : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.app ?? 'web', uid: `rs-${o.app ?? 'web'}`, controller: true }],
      },
      spec: { containers: [{ name: 'app', resources: { requests: { cpu: o.cpu, memory: o.memory ?? '256Mi' } } }], terminationGracePeriodSeconds: 5, ...o.spec },
    }));
  }
  return pods;
}

/** What kube-scheduler does for a pod that fits nowhere. */
export async function markUnschedulable(kube: MemoryKubeClient, pods: readonly Pod[], now: number): Promise<void> {
  for (const p of pods) {
    await kube.patchStatus('Pod', p.metadata.name!, {
      status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/0 nodes are available', lastTransitionTime: formatKubeTime(now) }] },
    }, p.metadata.namespace);
  }
}

/** Binds the pod and marks it Running and Ready (the kubelet's part). */
export async function bindRunning(kube: MemoryKubeClient, pod: Pod, node: string): Promise<void> {
  await kube.bind(pod, node);
  await kube.patchStatus('Pod', pod.metadata.name!, {
    status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] },
  }, pod.metadata.namespace);
}

/**
 * A minimal kube-scheduler stand-in: binds each pending pod where the solver places it on the ready
 * nodes (no new nodes), and marks the others Unschedulable. @returns the pods bound.
 */
export async function schedulePending(kube: MemoryKubeClient, now: number): Promise<number> {
  const pods = (await kube.list('Pod')).items;
  const pending = pods.filter((p) => !p.spec.nodeName && isActive(p) && !isOwnedByDaemonSet(p));
  if (pending.length === 0) return 0;
  const nodes: SolverNode[] = (await kube.list('Node')).items.filter(isNodeReady).map((n) => ({
    name: n.metadata.name!, labels: n.metadata.labels ?? {}, taints: n.spec?.taints ?? [], allocatable: resourcesFromQuantities(n.status?.allocatable),
    pods: pods.filter((p) => p.spec.nodeName === n.metadata.name && isActive(p)),
  }));
  const result = solve({ pods: pending, nodePools: [], nodes, options: { ignorePreferences: true, optimizeCost: false } });
  let bound = 0;
  for (const placement of result.existingNodes) {
    for (const pod of placement.pods) {
      await bindRunning(kube, pod, placement.node);
      bound++;
    }
  }
  await markUnschedulable(kube, result.unschedulable.map((u) => u.pod).filter((p) => !failedToSchedule(p)), now);
  return bound;
}

/** A PodDisruptionBudget over `app`. */
export function pdb(app: string, bound: { minAvailable?: number; maxUnavailable?: number }, namespace = 'default'): PodDisruptionBudget {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: app, namespace }, spec: { selector: { matchLabels: { app } }, ...bound } };
}

export function names(pods: readonly Pod[]): string[] {
  return pods.map((p) => keyOf(p));
}
