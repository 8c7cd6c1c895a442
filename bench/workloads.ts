/**
 * Benchmark workloads. The Karpenter ones follow /work/shared/bench/karpenter-workload.md (the
 * scheduling benchmark of kubernetes-sigs/karpenter) so the figures compare side by side; the cost
 * workload is nodewright's own. All are seeded: the same arguments give the same pods.
 */
import type { Pod, PodAffinityTerm } from '../src/apis/core.js';
import type { NodePool } from '../src/apis/v1/types.js';
import { Random } from '../src/utils/random.js';

/** Karpenter's request choices (uniform). */
export const KARPENTER_CPU = ['100m', '250m', '500m', '1000m', '1500m'] as const;
export const KARPENTER_MEMORY = ['100Mi', '256Mi', '512Mi', '1024Mi', '2048Mi', '4096Mi'] as const;
const LABEL_VALUES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'] as const;

const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';

/** Karpenter's seed for its benchmark pods. */
export const KARPENTER_SEED = 42;

interface PodShape {
  readonly labels: Record<string, string>;
  readonly cpu: string;
  readonly memory: string;
  readonly spec?: Partial<Pod['spec']>;
}

function makePod(prefix: string, index: number, shape: PodShape): Pod {
  const name = `${prefix}-${index}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `bench-${name}`, labels: shape.labels },
    spec: {
      ...shape.spec,
      containers: [{ name: 'app', resources: { requests: { cpu: shape.cpu, memory: shape.memory } } }],
    },
    status: { phase: 'Pending' },
  };
}

function karpenterRequests(r: Random): { cpu: string; memory: string } {
  return { cpu: r.pick(KARPENTER_CPU), memory: r.pick(KARPENTER_MEMORY) };
}

/** The five kinds of the diverse mix, in Karpenter's order. */
export const DIVERSE_KINDS = ['generic', 'zone-spread', 'hostname-spread', 'zone-affinity', 'hostname-anti-affinity'] as const;
export type DiverseKind = (typeof DIVERSE_KINDS)[number];

function diversePod(kind: DiverseKind, index: number, r: Random): Pod {
  const requests = karpenterRequests(r);
  switch (kind) {
    case 'generic':
      return makePod(kind, index, { labels: { 'my-label': r.pick(LABEL_VALUES) }, ...requests });
    case 'zone-spread':
    case 'hostname-spread': {
      const labels = { 'my-label': r.pick(LABEL_VALUES) };
      const topologyKey = kind === 'zone-spread' ? ZONE : HOSTNAME;
      const selector = { matchLabels: { 'my-label': r.pick(LABEL_VALUES) } };
      return makePod(kind, index, {
        labels,
        ...requests,
        spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: selector }] },
      });
    }
    case 'zone-affinity': {
      // The affinity selects the pod's own label value: pods of one value gather in one zone.
      const value = r.pick(LABEL_VALUES);
      const term: PodAffinityTerm = { labelSelector: { matchLabels: { 'my-affininity': value } }, topologyKey: ZONE };
      return makePod(kind, index, {
        labels: { 'my-affininity': value },
        ...requests,
        spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } },
      });
    }
    case 'hostname-anti-affinity': {
      const term: PodAffinityTerm = { labelSelector: { matchLabels: { app: 'nginx' } }, topologyKey: HOSTNAME };
      return makePod(kind, index, {
        labels: { app: 'nginx' },
        ...requests,
        spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } },
      });
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown diverse pod kind ${String(never)}`);
    }
  }
}

/**
 * Karpenter's "diverse" mix of `count` pods: ⌊count/5⌋ of each kind in DIVERSE_KINDS order, then
 * the remainder as generic pods. Requests uniform over KARPENTER_CPU × KARPENTER_MEMORY.
 */
export function diversePods(count: number, seed: number = KARPENTER_SEED): Pod[] {
  const r = new Random(seed);
  const per = Math.floor(count / DIVERSE_KINDS.length);
  const pods: Pod[] = [];
  for (const kind of DIVERSE_KINDS) for (let i = 0; i < per; i++) pods.push(diversePod(kind, i, r));
  for (let i = 0; pods.length < count; i++) pods.push(diversePod('generic', per + i, r));
  return pods;
}

/**
 * Karpenter's preference pods: label app=nginx; preferred node affinity zone In [test-zone-1];
 * a weight-10 preferred anti-affinity to app=nginx on zone (unsatisfiable past three pods) and a
 * weight-1 one on hostname; requests as the diverse mix.
 */
export function preferencePods(count: number, seed: number = KARPENTER_SEED): Pod[] {
  const r = new Random(seed);
  const selector = { matchLabels: { app: 'nginx' } };
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) {
    pods.push(makePod('preference', i, {
      labels: { app: 'nginx' },
      ...karpenterRequests(r),
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 1, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['test-zone-1'] }] } },
            ],
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, podAffinityTerm: { labelSelector: selector, topologyKey: ZONE } },
              { weight: 1, podAffinityTerm: { labelSelector: selector, topologyKey: HOSTNAME } },
            ],
          },
        },
      },
    }));
  }
  return pods;
}

/**
 * Mixed generic pods for the cost row (no constraints): half with Karpenter's request choices, a
 * quarter memory-heavy (0.25–2 cpu, 4–16 GiB), a quarter cpu-heavy (2–8 cpu, 0.5–4 GiB).
 */
export function mixedGenericPods(count: number, seed = 7): Pod[] {
  const r = new Random(seed);
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.next();
    let requests: { cpu: string; memory: string };
    if (kind < 0.5) requests = karpenterRequests(r);
    else if (kind < 0.75) requests = { cpu: r.pick(['250m', '500m', '1', '2']), memory: r.pick(['4Gi', '6Gi', '8Gi', '12Gi', '16Gi']) };
    else requests = { cpu: r.pick(['2', '3', '4', '6', '8']), memory: r.pick(['512Mi', '1Gi', '2Gi', '4Gi']) };
    pods.push(makePod('mixed', i, { labels: { app: `svc-${r.int(0, 19)}` }, ...requests }));
  }
  return pods;
}

/**
 * The benchmark's NodePool, as Karpenter's: no requirements beyond `requirements`, limits cpu
 * 10,000,000 and memory 10,000,000Gi (past 2^53 bytes, which the solver reads as unlimited),
 * defaults already applied.
 */
export function benchNodePool(requirements: NodePool['spec']['template']['spec']['requirements'] = []): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'default', uid: 'bench-nodepool-default' },
    spec: {
      template: {
        spec: {
          requirements,
          nodeClassRef: { group: 'karpenter.test.sh', kind: 'TestNodeClass', name: 'default' },
          expireAfter: '720h',
        },
      },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s', budgets: [{ nodes: '10%' }] },
      limits: { cpu: '10000000', memory: '10000000Gi' },
    },
  };
}
