/**
 * KwokNodeAgent: stands in for the kubelets of kwok nodes (as the KWOK controller would). For
 * every kwok Node of the cluster it reports Ready, renews a Lease in kube-node-lease as a kubelet
 * heartbeat, marks pods bound to it Running, completes their deletion (there is no container to
 * stop), and when the Node goes, removes its pods and its Lease.
 * It is the fallback for where the real KWOK controller (sigs.k8s.io/kwok) does not run: the
 * embedded and simulated clusters, or a cluster without it. On a real cluster the recommended path
 * is KWOK itself with `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake` (the
 * annotation kwokNode puts on every Node) and this agent off (`--kwok-node-agent=false`); both at
 * once would fight over the same Nodes' status.
 */
import type { Condition, Lease, Node, Pod } from '../../apis/core.js';
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import { Informer, POD_NODE_NAME_INDEX, podNodeNameIndex } from '../../kube/informer.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import { formatKubeTime, formatMicroTime } from '../../utils/clock.js';
import { isKwokNodeOf, KWOK_CLUSTER_LABEL } from './node.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface KwokNodeAgentOptions {
  kube: KubeClient;
  clock: Clock;
  clusterName: string;
  /** Node Lease renewal period (default 10 s, as the kubelet). */
  heartbeatIntervalMs?: number;
  /** leaseDurationSeconds of node Leases (default 40, as the kubelet). */
  nodeLeaseDurationSeconds?: number;
  /** Delay before a failed write is tried again (default 1 s). */
  retryMs?: number;
  /** Told about failed writes (they are retried) and informer failures. */
  onProblem?: (error: Error) => void;
}

/**
 * Taints the API server (TaintNodesByCondition admission) and the node lifecycle controller put on
 * nodes that are not Ready; the lifecycle controller lifts them once the kubelet reports Ready. The
 * agent does the same for its nodes, so they schedule where no kube-controller-manager runs.
 */
const CONDITION_TAINTS: ReadonlySet<string> = new Set(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);

const SYSTEM_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const;

function readyConditions(now: string): Condition[] {
  return [
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: now },
    ...SYSTEM_CONDITIONS.map((type): Condition => ({ type, status: 'False', reason: `KubeletHas${type === 'NetworkUnavailable' ? 'Network' : `No${type}`}`, lastTransitionTime: now })),
  ];
}

function isRunning(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
}

export class KwokNodeAgent {
  readonly #kube: KubeClient;
  readonly #clock: Clock;
  readonly #cluster: string;
  readonly #heartbeatMs: number;
  readonly #leaseSeconds: number;
  readonly #retryMs: number;
  readonly #onProblem: (error: Error) => void;
  readonly #nodes: Informer<'Node'>;
  readonly #pods: Informer<'Pod'>;
  readonly #queue = new Set<string>();
  readonly #retries = new Map<string, () => void>();
  #working = false;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #cancelHeartbeat: (() => void) | undefined;
  #idle: Promise<void> = Promise.resolve();

  constructor(o: KwokNodeAgentOptions) {
    this.#kube = o.kube;
    this.#clock = o.clock;
    this.#cluster = o.clusterName;
    this.#heartbeatMs = o.heartbeatIntervalMs ?? 10_000;
    this.#leaseSeconds = o.nodeLeaseDurationSeconds ?? 40;
    this.#retryMs = o.retryMs ?? 1_000;
    this.#onProblem = o.onProblem ?? (() => undefined);
    const onError = (e: Error): void => this.#onProblem(e);
    this.#nodes = new Informer(o.kube, 'Node', {
      clock: o.clock, onError, listOptions: { labelSelector: { matchLabels: { [KWOK_CLUSTER_LABEL]: o.clusterName } } },
    });
    this.#pods = new Informer(o.kube, 'Pod', { clock: o.clock, onError, indexers: { [POD_NODE_NAME_INDEX]: podNodeNameIndex } });
    this.#nodes.addHandler({
      onAdd: (n) => this.#enqueue(`node/${n.metadata.name!}`),
      onUpdate: (_, n) => this.#enqueue(`node/${n.metadata.name!}`),
      onDelete: (n) => this.#enqueue(`gone/${n.metadata.name!}`),
    });
    this.#pods.addHandler({
      onAdd: (p) => this.#enqueuePod(p),
      onUpdate: (_, p) => this.#enqueuePod(p),
    });
  }

  /** Starts watching and heartbeating. @throws Error when already started or stopped. */
  start(): void {
    if (this.#state !== 'new') throw new Error(`starting the kwok node agent: it was already ${this.#state === 'running' ? 'started' : 'stopped'}`);
    this.#state = 'running';
    this.#nodes.start();
    this.#pods.start();
    this.#armHeartbeat();
  }

  /** Stops; resolves once the informers and any write in progress have ended. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#cancelHeartbeat?.();
    for (const cancel of this.#retries.values()) cancel();
    this.#retries.clear();
    this.#queue.clear();
    await Promise.all([this.#nodes.stop(), this.#pods.stop()]);
    await this.#idle;
  }

  /** Resolves once both informers have listed. */
  async waitForSync(): Promise<void> {
    await Promise.all([this.#nodes.waitForSync(), this.#pods.waitForSync()]);
  }

  /** Nothing queued, running or waiting to be retried (heartbeats aside). */
  isIdle(): boolean {
    return this.#queue.size === 0 && !this.#working && this.#retries.size === 0;
  }

  #managed(nodeName: string): Node | undefined {
    const node = this.#nodes.getByName(nodeName);
    return node && isKwokNodeOf(node, this.#cluster) ? node : undefined;
  }

  #enqueuePod(pod: Pod): void {
    const nodeName = pod.spec.nodeName;
    if (nodeName && this.#managed(nodeName)) this.#enqueue(`pod/${pod.metadata.namespace ?? 'default'}/${pod.metadata.name!}`);
  }

  #enqueue(key: string): void {
    if (this.#state !== 'running') return;
    this.#retries.get(key)?.();
    this.#retries.delete(key);
    this.#queue.add(key);
    if (!this.#working) this.#idle = this.#work();
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#state === 'running') {
        const key = this.#queue.values().next().value;
        if (key === undefined) break;
        this.#queue.delete(key);
        try {
          await this.#reconcile(key);
        } catch (e) {
          this.#onProblem(new Error(`kwok node agent: ${key}: ${(e as Error).message}`, { cause: e }));
          if (this.#state === 'running') {
            this.#retries.set(key, this.#clock.setTimer(this.#retryMs, () => {
              this.#retries.delete(key);
              this.#enqueue(key);
            }));
          }
        }
      }
    } finally {
      this.#working = false;
    }
  }

  async #reconcile(key: string): Promise<void> {
    const [kind, ...rest] = key.split('/');
    const name = rest.at(-1)!;
    if (kind === 'node') return this.#reconcileNode(name);
    if (kind === 'gone') return this.#nodeGone(name);
    return this.#reconcilePod(rest.join('/'));
  }

  async #reconcileNode(name: string): Promise<void> {
    const node = this.#managed(name);
    if (!node) return;
    const ignoreGone = (e: unknown): void => { if (!isNotFound(e)) throw e; };
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (!ready) {
      await this.#kube.patchStatus('Node', name, { status: { conditions: readyConditions(formatKubeTime(this.#clock.now())) } }).catch(ignoreGone);
      await this.#heartbeat(node);
      return; // the informer brings the Ready node back here for its taints and pods
    }
    const taints = node.spec?.taints ?? [];
    const kept = taints.filter((t) => !CONDITION_TAINTS.has(t.key));
    if (kept.length !== taints.length) {
      // The resourceVersion makes this a Conflict (retried) if another writer changed the taints meanwhile.
      await this.#kube.patch('Node', name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: kept } }).catch(ignoreGone);
    }
    for (const pod of this.#pods.byIndex(POD_NODE_NAME_INDEX, name)) this.#enqueuePod(pod);
  }

  async #reconcilePod(key: string): Promise<void> {
    const pod = this.#pods.get(key);
    if (!pod?.spec.nodeName || !this.#managed(pod.spec.nodeName)) return;
    const { name, namespace, uid } = pod.metadata;
    const ignoreGone = (e: unknown): void => { if (!isNotFound(e)) throw e; };
    if (pod.metadata.deletionTimestamp) {
      // No containers to stop: the deletion completes at once, as a kubelet's would once they had.
      await this.#kube.delete('Pod', name!, namespace, { gracePeriodSeconds: 0, preconditions: { uid } }).catch(ignoreGone);
      return;
    }
    if (isRunning(pod)) return;
    const now = formatKubeTime(this.#clock.now());
    const condition = (type: string): Condition => ({ type, status: 'True', lastTransitionTime: now });
    await this.#kube.patchStatus('Pod', name!, {
      status: { phase: 'Running', startTime: now, conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition) },
    }, namespace).catch(ignoreGone);
  }

  /** The machine is gone: so are its pods and its heartbeat. */
  async #nodeGone(name: string): Promise<void> {
    if (this.#nodes.getByName(name)) return;
    for (const pod of this.#pods.byIndex(POD_NODE_NAME_INDEX, name)) {
      await this.#kube.delete('Pod', pod.metadata.name!, pod.metadata.namespace, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } })
        .catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    }
    await this.#kube.delete('Lease', name, NODE_LEASE_NAMESPACE).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
  }

  /** Renews the node's Lease, creating it (owned by the Node) when missing. */
  async #heartbeat(node: Node): Promise<void> {
    const name = node.metadata.name!;
    const renewTime = formatMicroTime(this.#clock.now());
    try {
      await this.#kube.patch('Lease', name, { spec: { renewTime } }, NODE_LEASE_NAMESPACE);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: {
          name, namespace: NODE_LEASE_NAMESPACE,
          ownerReferences: node.metadata.uid ? [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }] : undefined,
        },
        spec: { holderIdentity: name, leaseDurationSeconds: this.#leaseSeconds, renewTime },
      };
      await this.#kube.create('Lease', lease).catch((err: unknown) => { if (!isAlreadyExists(err)) throw err; });
    }
  }

  #armHeartbeat(): void {
    this.#cancelHeartbeat = this.#clock.setTimer(this.#heartbeatMs, () => {
      if (this.#state !== 'running') return;
      const nodes = this.#nodes.list().filter((n) => isKwokNodeOf(n, this.#cluster));
      void Promise.all(nodes.map((n) => this.#heartbeat(n).catch((e: unknown) => {
        this.#onProblem(new Error(`kwok node agent: renewing the Lease of node ${n.metadata.name}: ${(e as Error).message}`, { cause: e }));
      }))).finally(() => {
        if (this.#state === 'running') this.#armHeartbeat();
      });
    });
  }
}
