/**
 * Keeps each EC2NodeClass's status (resolved subnets, security groups, AMIs, instance profile and
 * Ready conditions) current while this replica leads, so `kubectl get ec2nodeclass` says what is
 * missing. A condition keeps its lastTransitionTime while its status stays the same, and an
 * unchanged status is not written.
 *
 * With a finalizer, node classes that need cleaning up (those naming a role: nodewright made their
 * instance profile) carry it; once such a node class is being deleted and no NodeClaim refers to
 * it any more, the cleanup runs and the finalizer is removed, so the object goes.
 */
import type { Condition } from '../apis/core.js';
import type { EC2NodeClass, EC2NodeClassStatus } from '../apis/ec2nodeclass/types.js';
import { GROUP as AWS_API_GROUP, KIND as EC2_NODE_CLASS } from '../apis/ec2nodeclass/types.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeClient } from '../kube/types.js';
import type { Clock } from '../utils/clock.js';

export const DEFAULT_NODE_CLASS_STATUS_INTERVAL_MS = 60_000;

export interface NodeClassStatusLoopOptions {
  readonly kube: KubeClient;
  readonly clock: Clock;
  /** The status the node class should show (AwsCloudProvider.nodeClassStatus). */
  readonly status: (nodeClass: EC2NodeClass) => Promise<EC2NodeClassStatus>;
  readonly intervalMs?: number;
  /** A node class that could not be resolved or written, in words. */
  readonly onProblem?: (problem: string, error: unknown) => void;
  /** Cleanup on deletion; absent: no finalizer is added or handled. */
  readonly finalizer?: NodeClassFinalizer;
}

export interface NodeClassFinalizer {
  /** "karpenter.k8s.aws/termination". */
  readonly name: string;
  /** Whether this node class needs the finalizer (it is added only then, never removed while live). */
  needs(nodeClass: EC2NodeClass): boolean;
  /** Releases the node class's cloud resources; idempotent. May throw (retried next sync). */
  finalize(nodeClass: EC2NodeClass): Promise<void>;
}

/** The finalizer Karpenter's AWS provider puts on EC2NodeClasses. */
export const NODE_CLASS_FINALIZER = 'karpenter.k8s.aws/termination';

/** `next`, with the transition time of each condition whose status did not change taken from `previous`. */
export function carryTransitionTimes(previous: EC2NodeClassStatus | undefined, next: EC2NodeClassStatus): EC2NodeClassStatus {
  const before = new Map<string, Condition>((previous?.conditions ?? []).map((c) => [c.type, c]));
  const conditions = next.conditions?.map((c) => {
    const old = before.get(c.type);
    return old !== undefined && old.status === c.status && old.lastTransitionTime !== undefined ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  });
  return conditions === undefined ? next : { ...next, conditions };
}

export class NodeClassStatusLoop {
  readonly #o: NodeClassStatusLoopOptions;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: NodeClassStatusLoopOptions) {
    this.#o = options;
  }

  /**
   * Resolves every EC2NodeClass and writes the statuses that changed; adds the finalizer where
   * needed and finalizes node classes being deleted. A node class that fails is reported and
   * skipped (tried again next sync).
   * @returns how many statuses were written. @throws KubeError when listing fails.
   */
  async syncOnce(): Promise<number> {
    const { kube, onProblem } = this.#o;
    let written = 0;
    for (const listed of (await kube.list('EC2NodeClass')).items) {
      const name = listed.metadata.name ?? '';
      try {
        if (listed.metadata.deletionTimestamp !== undefined) {
          await this.#finalize(listed);
          continue;
        }
        const nodeClass = await this.#addFinalizer(listed);
        const status = carryTransitionTimes(nodeClass.status, await this.#o.status(nodeClass));
        if (JSON.stringify(status) === JSON.stringify(nodeClass.status ?? {})) continue;
        await kube.patchStatus('EC2NodeClass', name, { status });
        written++;
      } catch (e) {
        if (isNotFound(e)) continue;
        onProblem?.(`updating the status of EC2NodeClass ${name}: ${(e as Error).message}`, e);
      }
    }
    return written;
  }

  async #addFinalizer(nodeClass: EC2NodeClass): Promise<EC2NodeClass> {
    const f = this.#o.finalizer;
    const finalizers = nodeClass.metadata.finalizers ?? [];
    if (f === undefined || finalizers.includes(f.name) || !f.needs(nodeClass)) return nodeClass;
    // update, not a merge patch: the resourceVersion guards the finalizers list against a concurrent writer.
    return this.#o.kube.update('EC2NodeClass', { ...nodeClass, metadata: { ...nodeClass.metadata, finalizers: [...finalizers, f.name] } });
  }

  /** Cleans up and lets a deleted node class go, once no NodeClaim uses it. */
  async #finalize(nodeClass: EC2NodeClass): Promise<void> {
    const f = this.#o.finalizer;
    const name = nodeClass.metadata.name ?? '';
    if (f === undefined || !(nodeClass.metadata.finalizers ?? []).includes(f.name)) return;
    const claims = (await this.#o.kube.list('NodeClaim')).items.filter((c) => {
      const ref = c.spec.nodeClassRef;
      return ref.name === name && ref.kind === EC2_NODE_CLASS && ref.group === AWS_API_GROUP;
    });
    if (claims.length > 0) return;
    await f.finalize(nodeClass);
    await this.#o.kube.update('EC2NodeClass', {
      ...nodeClass, metadata: { ...nodeClass.metadata, finalizers: (nodeClass.metadata.finalizers ?? []).filter((x) => x !== f.name) },
    });
  }

  /** Syncs now and then every interval until stop(). */
  start(): void {
    if (this.#loop !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.syncOnce();
        } catch (e) {
          this.#o.onProblem?.(`listing EC2NodeClasses: ${(e as Error).message}`, e);
        }
        await this.#o.clock.sleep(this.#o.intervalMs ?? DEFAULT_NODE_CLASS_STATUS_INTERVAL_MS, abort.signal).catch(() => undefined);
      }
    })();
  }

  /** Stops the loop and waits for the current sync to end. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
  }
}
