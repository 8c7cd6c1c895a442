/**
 * The DaemonSet controller of the embedded cluster: one pod of every DaemonSet on every node it
 * should run on, bound directly to that node (Ready or not), recreated if it goes while the node
 * stays, and deleted with the node.
 *
 * "Should run", as the real controller decides it: the node is not being deleted, the pod's
 * nodeSelector and required node affinity match the node, and the pod tolerates the node's
 * NoSchedule and NoExecute taints (with the tolerations the controller adds to every daemon pod:
 * not-ready, unreachable, pressure and unschedulable). A pod that should no longer run (an
 * untolerated NoExecute taint, a label that no longer matches) and finished pods are deleted.
 * Resources are not checked: daemon pods go to their node regardless, as they do in clusters.
 */
import type { DaemonSet, Node, Pod, Toleration } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { isNotFound } from '../../kube/errors.js';
import { solve } from '../../scheduling/solver.js';
import { firstUntoleratedTaint } from '../../scheduling/taints.js';
import type { ClusterView } from './cluster-view.js';
import { ErrorLog } from './errors.js';
import type { StandInError } from './errors.js';
import { controllerOf, podStage } from './pod-facts.js';

/** What the DaemonSet controller adds to every daemon pod (pkg/controller/daemon/util). */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/**
 * Whether a DaemonSet's pod belongs on the node (see the module comment).
 * @param forNewPod true: NoSchedule taints count too; false: only NoExecute ones (a running pod stays).
 */
export function daemonPodFits(ds: DaemonSet, node: Node, forNewPod = true): boolean {
  if (node.metadata.deletionTimestamp) return false;
  const spec = ds.spec.template.spec;
  const tolerations = [...(spec.tolerations ?? []), ...DAEMON_POD_TOLERATIONS];
  const taints = (node.spec?.taints ?? []).filter((t) => forNewPod || t.effect === 'NoExecute');
  if (firstUntoleratedTaint(tolerations, taints) !== undefined) return false;
  const nodeAffinity = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!spec.nodeSelector && !nodeAffinity) return true;
  // The solver matches selectors and affinity exactly as the scheduler does; only they are left in.
  const probe: Pod = {
    metadata: { name: 'daemon-probe', namespace: ds.metadata.namespace ?? 'default' },
    spec: {
      containers: [],
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(nodeAffinity ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: nodeAffinity } } } : {}),
      tolerations: [{ operator: 'Exists' }],
    },
  };
  const name = node.metadata.name ?? '';
  const result = solve({
    pods: [probe],
    nodePools: [],
    nodes: [{ name, labels: node.metadata.labels ?? {}, taints: [], allocatable: { pods: 1 }, pods: [] }],
  });
  return result.existingNodes.length === 1;
}

export interface DaemonSetControllerOptions {
  readonly view: ClusterView;
  readonly onError?: (e: StandInError) => void;
}

export class DaemonSetStandIn {
  readonly errors: ErrorLog;
  readonly stats = { created: 0, deleted: 0 };
  readonly #view: ClusterView;
  /** "dsUid/node": a pod create in flight or not yet seen by the informer. */
  readonly #expected = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];
  #inFlight = 0;
  #stopped = false;

  constructor(o: DaemonSetControllerOptions) {
    this.#view = o.view;
    this.errors = new ErrorLog('daemonset-controller', o.onError);
    const v = o.view;
    this.#unsubscribe.push(
      v.daemonSets.addHandler({
        onAdd: (ds) => this.#syncDaemonSet(ds),
        onUpdate: (_, ds) => this.#syncDaemonSet(ds),
        onDelete: (ds) => this.#removeDaemonSet(ds),
      }),
      v.nodes.addHandler({
        onAdd: (n) => this.#syncNode(n),
        onUpdate: (_, n) => this.#syncNode(n),
        onDelete: (n) => this.#nodeGone(n.metadata.name ?? ''),
      }),
      v.pods.addHandler({
        onAdd: (p) => this.#podSeen(p),
        onUpdate: (_, p) => this.#podChanged(p),
        onDelete: (p) => this.#podChanged(p),
      }),
    );
  }

  stop(): void {
    this.#stopped = true;
    for (const u of this.#unsubscribe) u();
  }

  /** No write in flight. */
  isIdle(): boolean {
    return this.#inFlight === 0;
  }

  #syncDaemonSet(ds: DaemonSet): void {
    for (const node of this.#view.nodes.list()) this.#sync(ds, node);
  }

  #syncNode(node: Node): void {
    for (const ds of this.#view.daemonSets.list()) this.#sync(ds, node);
  }

  #podSeen(pod: Pod): void {
    const owner = controllerOf(pod);
    if (owner?.kind !== 'DaemonSet' || !pod.spec.nodeName) return;
    this.#expected.delete(`${owner.uid}/${pod.spec.nodeName}`);
    this.#podChanged(pod);
  }

  #podChanged(pod: Pod): void {
    const owner = controllerOf(pod);
    if (owner?.kind !== 'DaemonSet' || !pod.spec.nodeName) return;
    const ds = this.#view.daemonSets.getByName(owner.name, pod.metadata.namespace);
    const node = this.#view.node(pod.spec.nodeName);
    if (ds && ds.metadata.uid === owner.uid && node) this.#sync(ds, node);
  }

  #sync(ds: DaemonSet, node: Node): void {
    if (this.#stopped) return;
    const uid = ds.metadata.uid ?? '';
    const nodeName = node.metadata.name ?? '';
    const mine = this.#view.podsOn(nodeName).filter((p) => controllerOf(p)?.uid === uid);
    for (const p of mine) if (podStage(p) === 'finished') this.#delete(p);
    const live = mine.filter((p) => podStage(p) !== 'finished' && podStage(p) !== 'terminating');
    if (live.length > 0) {
      if (!daemonPodFits(ds, node, false)) for (const p of live) this.#delete(p);
      return;
    }
    const key = `${uid}/${nodeName}`;
    if (this.#expected.has(key) || !daemonPodFits(ds, node, true)) return;
    this.#expected.add(key);
    void this.#track(`creating the pod of daemonset ${keyOf(ds)} on node ${nodeName}`, async () => {
      await this.#view.kube.create('Pod', daemonPod(ds, nodeName));
      this.stats.created++;
    }, () => this.#expected.delete(key));
  }

  #nodeGone(nodeName: string): void {
    for (const p of this.#view.podsOn(nodeName)) {
      if (controllerOf(p)?.kind === 'DaemonSet') this.#delete(p, 0);
    }
  }

  #removeDaemonSet(ds: DaemonSet): void {
    for (const p of this.#view.podsOwnedBy(ds.metadata.uid ?? '')) this.#delete(p);
  }

  #delete(pod: Pod, gracePeriodSeconds?: number): void {
    void this.#track(`deleting daemon pod ${keyOf(pod)}`, async () => {
      await this.#view.kube.delete('Pod', pod.metadata.name ?? '', pod.metadata.namespace, {
        preconditions: { uid: pod.metadata.uid ?? '' },
        ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      });
      this.stats.deleted++;
    });
  }

  async #track(doing: string, fn: () => Promise<void>, onFailure?: () => void): Promise<void> {
    this.#inFlight++;
    try {
      await fn();
    } catch (e) {
      onFailure?.();
      if (!isNotFound(e)) this.errors.report(doing, e);
    } finally {
      this.#inFlight--;
    }
  }
}

/** The pod a DaemonSet runs on a node: its template, owned by it, bound to the node. */
export function daemonPod(ds: DaemonSet, nodeName: string): Pod {
  const template = ds.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name ?? 'daemonset'}-`,
      namespace: ds.metadata.namespace ?? 'default',
      labels: { ...(template.metadata?.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [{
        apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name ?? '', uid: ds.metadata.uid ?? '',
        controller: true, blockOwnerDeletion: true,
      }],
    },
    spec: {
      ...structuredClone(template.spec),
      nodeName,
      tolerations: [...(template.spec.tolerations ?? []), ...DAEMON_POD_TOLERATIONS.map((t) => ({ ...t }))],
    },
  };
}
