/**
 * The NodePool controller: keeps each NodePool's status and annotations true. An invalid NodePool
 * gets ValidationSucceeded=False with its problems in the message and a Warning Event (once per
 * distinct set of problems); provisioning skips it meanwhile. A valid one gets
 * ValidationSucceeded=True and the drift hash annotations. Every NodePool's status.resources and
 * status.nodes follow the machines the cluster state counts for it.
 */
import type { MergePatch } from '../../kube/types.js';
import type { NodePool } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import type { StateChange } from '../../state/changes.js';
import type { ControllerContext } from '../context.js';
import { Controller } from '../runtime/controller.js';
import type { Quiescent, ReconcileResult } from '../runtime/reconciler.js';
import {
  VALIDATION_FAILED_REASON, hashAnnotationsPatch, putCondition, resourcesPatch, sameCondition, usageStatus, validationCondition,
} from './status.js';

export class NodePoolController implements Quiescent {
  readonly name = 'nodepool.status';
  readonly #ctx: ControllerContext;
  readonly #controller: Controller;
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#controller = new Controller({ name: this.name, reconcile: (key) => this.reconcile(key) }, {
      clock: ctx.clock,
      onError: (e) => ctx.log.warn({ nodepool: e.key, error: e.message }, 'updating nodepool status failed; retrying'),
    });
  }

  /** Watches the cluster state and reconciles every NodePool it knows. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#ctx.state.subscribe((c) => this.#onChange(c));
    this.#controller.start();
    for (const np of this.#ctx.state.nodePools()) this.#controller.enqueue(np.metadata.name ?? '');
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#controller.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#controller.isIdle(horizonMs);
  }

  #onChange(c: StateChange): void {
    switch (c.type) {
      case 'NodePool':
        if (!c.deleted) this.#controller.enqueue(c.nodePool.metadata.name ?? '');
        return;
      case 'Node':
        if (c.stateNode.nodePool !== undefined) this.#controller.enqueue(c.stateNode.nodePool);
        return;
      case 'Synced':
        for (const np of this.#ctx.state.nodePools()) this.#controller.enqueue(np.metadata.name ?? '');
        return;
      case 'PodProvisionable':
      case 'PodUnbound':
      case 'Pod':
      case 'NodeDisrupting':
      case 'Object':
        return;
    }
  }

  /**
   * Brings one NodePool's status and annotations in line.
   * @throws KubeError from the writes (Conflict when the cached NodePool is stale): retried.
   */
  async reconcile(name: string): Promise<ReconcileResult | void> {
    const pool = this.#ctx.state.nodePool(name);
    if (!pool || pool.metadata.deletionTimestamp) return;
    const condition = validationCondition(pool, this.#ctx.clock.now());
    const previous = pool.status?.conditions?.find((c) => c.type === ConditionTypes.ValidationSucceeded);
    const conditionChanged = !sameCondition(previous, condition);
    const usage = usageStatus(this.#ctx.state.nodePoolUsage(name));
    const resources = resourcesPatch(pool.status?.resources, usage.resources);
    const nodesChanged = pool.status?.nodes !== usage.nodes;
    if (conditionChanged || resources || nodesChanged) {
      const patch: MergePatch<NodePool> = {
        metadata: { resourceVersion: pool.metadata.resourceVersion },
        status: {
          ...(conditionChanged ? { conditions: putCondition(pool.status?.conditions, condition) } : {}),
          ...(resources ? { resources } : {}),
          ...(nodesChanged ? { nodes: usage.nodes } : {}),
        },
      };
      await this.#ctx.kube.patchStatus('NodePool', name, patch);
    }
    const newProblems = condition.status === 'False' && (previous?.status !== 'False' || previous.message !== condition.message);
    if (newProblems) await this.#warnInvalid(name, condition.message ?? '');
    const annotations = hashAnnotationsPatch(pool);
    if (annotations) await this.#ctx.kube.patch('NodePool', name, { metadata: { annotations } });
  }

  async #warnInvalid(name: string, problems: string): Promise<void> {
    this.#ctx.log.warn({ nodepool: name, problems }, 'nodepool is invalid; nothing is launched from it');
    await this.#ctx.kube.recordEvent({
      regarding: { kind: 'NodePool', name, apiVersion: 'karpenter.sh/v1' },
      type: 'Warning',
      reason: VALIDATION_FAILED_REASON,
      note: `NodePool ${name} is invalid, so no nodes are launched from it: ${problems}`,
      action: 'Validating',
    }).catch((e: unknown) => {
      this.#ctx.log.warn({ nodepool: name, error: String(e) }, 'recording the validation event failed');
    });
  }
}
