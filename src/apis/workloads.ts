/**
 * Expands workload controllers into the pods (and StatefulSet claims) their controllers would
 * create, the way the Kubernetes controllers name and label them, and gathers Nodes with the pods
 * bound to them. Deterministic: the same objects always give the same names and uids. Pure.
 */
import type {
  Deployment,
  Job,
  KubeObject,
  Labels,
  Node,
  OwnerReference,
  PersistentVolumeClaim,
  Pod,
  PodTemplateSpec,
  ReplicaSet,
  StatefulSet,
  Taint,
  Volume,
} from './core.js';
import type { ManifestSet } from './manifests.js';
import { resourceAmount } from '../utils/quantity.js';
import { Random, stableHash32 } from '../utils/random.js';
import type { ResourceList } from '../utils/resources.js';

export const DEFAULT_NAMESPACE = 'default';
const LABEL_HOSTNAME = 'kubernetes.io/hostname';
const LABEL_NODEPOOL = 'karpenter.sh/nodepool';

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no confusable digits). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A deterministic RFC 4122-shaped uid for an object key such as "Pod/default/web-0". */
export function deterministicUid(key: string): string {
  const r = new Random(key);
  const hex = [r.uint32(), r.uint32(), r.uint32(), r.uint32()].map((w) => w.toString(16).padStart(8, '0')).join('');
  // Version 4 and the RFC variant bits, so tools that check uid shape accept it.
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The hash of a pod template, as the `pod-template-hash` label ("6f7d8c9b5x"-like, safe alphabet). */
export function templateHash(template: PodTemplateSpec): string {
  const digits = String(stableHash32(JSON.stringify(template)));
  let out = '';
  for (const d of digits) out += SAFE_ALPHABET[d.charCodeAt(0) % SAFE_ALPHABET.length] ?? 'b';
  return out;
}

/** Characters a suffix needs so that `count` siblings get distinct ones: 5, or more past 27^5. */
export function suffixWidth(count: number): number {
  let width = 5;
  while (SAFE_ALPHABET.length ** width < count) width++;
  return width;
}

/**
 * Suffixes for `count` sibling pods: distinct, at least 5 characters of the safe alphabet, looking
 * random but fixed by `seed` (a bijection of the index, so they never collide).
 */
export function podSuffixes(seed: string, count: number): string[] {
  const base = SAFE_ALPHABET.length;
  const width = suffixWidth(count);
  const space = base ** width;
  const offset = stableHash32(seed) % space;
  // A multiplier coprime to 27 (so to every power of it) makes i → (i·m + offset) mod 27^w a bijection.
  const multiplier = 7368787;
  const suffixes: string[] = [];
  for (let i = 0; i < count; i++) {
    const product = i * multiplier + offset;
    let x = Number.isSafeInteger(product) ? product % space : Number((BigInt(i) * BigInt(multiplier) + BigInt(offset)) % BigInt(space));
    let s = '';
    for (let k = 0; k < width; k++) {
      s = (SAFE_ALPHABET[x % base] ?? 'b') + s;
      x = Math.floor(x / base);
    }
    suffixes.push(s);
  }
  return suffixes;
}

function namespaceOf(obj: KubeObject): string {
  return obj.metadata.namespace ?? DEFAULT_NAMESPACE;
}

function uidOf(obj: KubeObject, kind: string): string {
  return obj.metadata.uid ?? deterministicUid(`${kind}/${namespaceOf(obj)}/${obj.metadata.name ?? ''}`);
}

function ownerRef(apiVersion: string, kind: string, obj: KubeObject): OwnerReference {
  return { apiVersion, kind, name: obj.metadata.name ?? '', uid: uidOf(obj, kind), controller: true, blockOwnerDeletion: true };
}

function podFromTemplate(template: PodTemplateSpec, name: string, namespace: string, labels: Labels, owner: OwnerReference): Pod {
  const annotations = template.metadata?.annotations;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: deterministicUid(`Pod/${namespace}/${name}`),
      labels: { ...template.metadata?.labels, ...labels },
      ...(annotations === undefined ? {} : { annotations: { ...annotations } }),
      ownerReferences: [owner],
    },
    spec: structuredClone(template.spec),
    status: { phase: 'Pending' },
  };
}

/** A Pod as given, with the namespace, uid and phase a real API server would have filled in. */
export function normalisePod(pod: Pod): Pod {
  const namespace = namespaceOf(pod);
  return {
    ...pod,
    apiVersion: pod.apiVersion ?? 'v1',
    kind: 'Pod',
    metadata: { ...pod.metadata, namespace, uid: uidOf(pod, 'Pod') },
    status: { ...pod.status, phase: pod.status?.phase ?? (pod.spec.nodeName === undefined ? 'Pending' : 'Running') },
  };
}

/**
 * The pods a ReplicaSet's controller creates: `replicas` (default 1) pods named `<rs>-<suffix>`,
 * owned by the ReplicaSet, with the template's labels.
 */
export function expandReplicaSet(rs: ReplicaSet, extraLabels: Labels = {}): Pod[] {
  const name = rs.metadata.name ?? '';
  const namespace = namespaceOf(rs);
  const owner = ownerRef('apps/v1', 'ReplicaSet', { ...rs, metadata: { ...rs.metadata, namespace } });
  return podSuffixes(`${namespace}/${name}`, rs.spec.replicas ?? 1).map((suffix) =>
    podFromTemplate(rs.spec.template, `${name}-${suffix}`, namespace, extraLabels, owner),
  );
}

/**
 * A Deployment's ReplicaSet (`<deployment>-<pod-template-hash>`, owned by the Deployment) and its
 * pods, each labelled `pod-template-hash`.
 */
export function expandDeployment(deployment: Deployment): { replicaSet: ReplicaSet; pods: Pod[] } {
  const namespace = namespaceOf(deployment);
  const hash = templateHash(deployment.spec.template);
  const name = `${deployment.metadata.name ?? ''}-${hash}`;
  const labels = { ...deployment.spec.template.metadata?.labels, 'pod-template-hash': hash };
  const replicaSet: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace,
      uid: deterministicUid(`ReplicaSet/${namespace}/${name}`),
      labels,
      ownerReferences: [ownerRef('apps/v1', 'Deployment', { ...deployment, metadata: { ...deployment.metadata, namespace } })],
    },
    spec: {
      replicas: deployment.spec.replicas ?? 1,
      template: { ...deployment.spec.template, metadata: { ...deployment.spec.template.metadata, labels } },
      ...(deployment.spec.selector === undefined ? {} : { selector: deployment.spec.selector }),
    },
  };
  return { replicaSet, pods: expandReplicaSet(replicaSet, { 'pod-template-hash': hash }) };
}

/**
 * A StatefulSet's pods `<sts>-0 … <sts>-(n-1)` and, for each pod and volumeClaimTemplate, the claim
 * `<template>-<sts>-<i>` the pod mounts (volumes of the same name in the pod template are replaced).
 */
export function expandStatefulSet(sts: StatefulSet): { pods: Pod[]; claims: PersistentVolumeClaim[] } {
  const name = sts.metadata.name ?? '';
  const namespace = namespaceOf(sts);
  const owner = ownerRef('apps/v1', 'StatefulSet', { ...sts, metadata: { ...sts.metadata, namespace } });
  const revision = `${name}-${templateHash(sts.spec.template)}`;
  const templates = sts.spec.volumeClaimTemplates ?? [];
  const pods: Pod[] = [];
  const claims: PersistentVolumeClaim[] = [];
  for (let i = 0; i < (sts.spec.replicas ?? 1); i++) {
    const podName = `${name}-${i}`;
    const pod = podFromTemplate(sts.spec.template, podName, namespace, {
      'controller-revision-hash': revision,
      'statefulset.kubernetes.io/pod-name': podName,
      'apps.kubernetes.io/pod-index': String(i),
    }, owner);
    const claimVolumes: Volume[] = [];
    for (const template of templates) {
      const volumeName = template.metadata.name ?? '';
      const claimName = `${volumeName}-${name}-${i}`;
      claims.push({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: claimName,
          namespace,
          uid: deterministicUid(`PersistentVolumeClaim/${namespace}/${claimName}`),
          labels: { ...sts.spec.selector?.matchLabels, ...template.metadata.labels },
        },
        spec: structuredClone(template.spec),
        status: { phase: 'Pending' },
      });
      claimVolumes.push({ name: volumeName, persistentVolumeClaim: { claimName } });
    }
    if (claimVolumes.length > 0) {
      const replaced = new Set(claimVolumes.map((v) => v.name));
      pod.spec.volumes = [...(pod.spec.volumes ?? []).filter((v) => !replaced.has(v.name)), ...claimVolumes];
    }
    pods.push(pod);
  }
  return { pods, claims };
}

/**
 * The pods a Job runs at once: min(parallelism (default 1), completions) when completions is set,
 * else parallelism; named `<job>-<suffix>`, labelled with the job name and controller uid.
 */
export function expandJob(job: Job): Pod[] {
  const name = job.metadata.name ?? '';
  const namespace = namespaceOf(job);
  const uid = uidOf(job, 'Job');
  const owner = ownerRef('batch/v1', 'Job', { ...job, metadata: { ...job.metadata, namespace, uid } });
  const parallelism = job.spec.parallelism ?? 1;
  const count = job.spec.completions === undefined ? parallelism : Math.min(parallelism, job.spec.completions);
  const labels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  return podSuffixes(`${namespace}/${name}`, count).map((suffix) => podFromTemplate(job.spec.template, `${name}-${suffix}`, namespace, labels, owner));
}

/** A Node with the pods bound to it, in the shape the solver reads as an existing node (SolverNode extends it). */
export interface NodeWithPods {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly allocatable: ResourceList;
  /** Pods bound (or nominated) to this node: they use its resources and count for topology. */
  readonly pods: readonly Pod[];
  /** No new pod may go there (being disrupted or deleted); its pods still count for topology. */
  readonly unschedulable?: boolean;
  readonly nodePool?: string;
}

/**
 * Nodes with their bound pods (pods whose spec.nodeName names them; finished pods do not count).
 * Allocatable comes from status.allocatable, else status.capacity; the hostname label defaults to
 * the node's name. Pods bound to a node that is not given are returned in `orphans`.
 * @throws QuantityError if a node's quantity does not parse (manifests.ts rejects such nodes first).
 */
export function nodesWithPods(nodes: readonly Node[], pods: readonly Pod[]): { nodes: NodeWithPods[]; orphans: Pod[] } {
  const byNode = new Map<string, Pod[]>();
  for (const node of nodes) byNode.set(node.metadata.name ?? '', []);
  const orphans: Pod[] = [];
  for (const pod of pods) {
    const nodeName = pod.spec.nodeName;
    if (nodeName === undefined || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const bucket = byNode.get(nodeName);
    if (bucket === undefined) orphans.push(pod);
    else bucket.push(pod);
  }
  const result = nodes.map((node): NodeWithPods => {
    const name = node.metadata.name ?? '';
    const quantities = node.status?.allocatable ?? node.status?.capacity ?? {};
    const allocatable: Record<string, number> = {};
    for (const [resource, q] of Object.entries(quantities)) allocatable[resource] = resourceAmount(resource, q);
    const labels: Labels = { [LABEL_HOSTNAME]: name, ...node.metadata.labels };
    const nodePool = labels[LABEL_NODEPOOL];
    return {
      name,
      labels,
      taints: node.spec?.taints ?? [],
      allocatable,
      pods: byNode.get(name) ?? [],
      ...(node.spec?.unschedulable === true ? { unschedulable: true } : {}),
      ...(nodePool === undefined ? {} : { nodePool }),
    };
  });
  return { nodes: result, orphans };
}

/** Everything the workload objects of a manifest set amount to. */
export interface ExpandedWorkloads {
  /** Pods waiting for a node: given Pods without spec.nodeName, then each controller's pods, in input order. */
  readonly pending: Pod[];
  /** Given Pods with spec.nodeName that have not finished. */
  readonly bound: Pod[];
  /** The given claims, then each StatefulSet's generated ones that were not given already. */
  readonly claims: PersistentVolumeClaim[];
}

/**
 * Expands the Pods, Deployments, ReplicaSets, StatefulSets and Jobs of `set` (ReplicaSets given
 * directly are expanded too; finished Pods are dropped). A claim given under the same namespace and
 * name as a generated one wins, as the StatefulSet controller keeps existing claims.
 */
export function expandWorkloads(set: Pick<ManifestSet, 'pods' | 'deployments' | 'replicaSets' | 'statefulSets' | 'jobs' | 'persistentVolumeClaims'>): ExpandedWorkloads {
  const pending: Pod[] = [];
  const bound: Pod[] = [];
  for (const { object } of set.pods) {
    const pod = normalisePod(object);
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    (pod.spec.nodeName === undefined ? pending : bound).push(pod);
  }
  for (const { object } of set.deployments) pending.push(...expandDeployment(object).pods);
  for (const { object } of set.replicaSets) pending.push(...expandReplicaSet(object));
  const claims = set.persistentVolumeClaims.map(({ object }): PersistentVolumeClaim => ({ ...object, metadata: { ...object.metadata, namespace: namespaceOf(object) } }));
  const given = new Set(claims.map((c) => `${namespaceOf(c)}/${c.metadata.name ?? ''}`));
  for (const { object } of set.statefulSets) {
    const expanded = expandStatefulSet(object);
    pending.push(...expanded.pods);
    claims.push(...expanded.claims.filter((c) => !given.has(`${namespaceOf(c)}/${c.metadata.name ?? ''}`)));
  }
  for (const { object } of set.jobs) pending.push(...expandJob(object));
  return { pending, bound, claims };
}
