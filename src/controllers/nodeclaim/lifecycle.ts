/**
 * `nodeclaim.lifecycle`: brings each NodeClaim from created to initialised. Guard clauses, then the
 * phases in order (launch, registration, initialization); a phase that cannot finish yet ends the
 * reconcile with when to look again. Driven by the cluster state: any change to a claim or to the
 * Node joined to it queues the claim.
 */
import { TERMINATION_FINALIZER } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { ControllerContext } from '../context.js';
import type { Reconciler, ReconcileResult } from '../runtime/reconciler.js';
import { InitializationPhase } from './initialization.js';
import { LaunchPhase } from './launch.js';
import { ensureFinalizer, getIfExists } from './object-writes.js';
import { RegistrationPhase } from './registration.js';
import { StateDrivenController } from './state-driven.js';

export const NODECLAIM_LIFECYCLE = 'nodeclaim.lifecycle';

export class NodeClaimLifecycle implements Reconciler {
  readonly name = NODECLAIM_LIFECYCLE;
  readonly #ctx: ControllerContext;
  readonly #launch: LaunchPhase;
  readonly #registration: RegistrationPhase;
  readonly #initialization: InitializationPhase;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#launch = new LaunchPhase(ctx);
    this.#registration = new RegistrationPhase(ctx);
    this.#initialization = new InitializationPhase(ctx);
  }

  /**
   * Reconciles the NodeClaim named `key`.
   * @throws KubeError (conflicts with concurrent writers, API failures) and unexpected cloud errors:
   *   the runtime retries the key with backoff.
   */
  async reconcile(key: string): Promise<ReconcileResult | void> {
    const claim = this.#cached(key) ?? await getIfExists(this.#ctx.kube, 'NodeClaim', key);
    if (!claim) {
      this.#launch.forget(key);
      return;
    }
    if (claim.metadata.deletionTimestamp) return; // termination's job now
    let current = await ensureFinalizer(this.#ctx.kube, 'NodeClaim', claim, TERMINATION_FINALIZER);
    for (const phase of [this.#launch, this.#registration, this.#initialization]) {
      if (!current) return;
      const r = await phase.reconcile(current);
      if ('done' in r) return r.done;
      current = r.next;
    }
  }

  #cached(name: string): NodeClaim | undefined {
    const sn = this.#ctx.state.node(name);
    return sn?.nodeClaimName === name ? sn.nodeClaim : undefined;
  }
}

export interface LifecycleControllerOptions {
  /** Claims reconciled at once (default 100: a launch waits on the cloud for seconds). */
  concurrency?: number;
}

/** The lifecycle reconciler wired to the cluster state (call start()). */
export function nodeClaimLifecycleController(ctx: ControllerContext, options: LifecycleControllerOptions = {}): StateDrivenController {
  return new StateDrivenController(new NodeClaimLifecycle(ctx), ctx, {
    concurrency: options.concurrency ?? 100,
    keysFor: (change) => (change.type === 'Node' && change.stateNode.nodeClaimName !== undefined ? [change.stateNode.nodeClaimName] : []),
    initialKeys: () => ctx.state.nodes().flatMap((n) => (n.nodeClaimName !== undefined ? [n.nodeClaimName] : [])),
  });
}
