/**
 * The controllers the operator runs while it leads, as a list of registrations: each builds its
 * runnables from the shared ControllerContext at the start of a term of leadership (after the
 * cluster state has synced), and they are stopped in reverse order when it ends.
 */
import type { ControllerContext } from '../controllers/context.js';
import type { Metrics } from '../controllers/metrics.js';

/** What a controller's build returns: the shape every controller under src/controllers has. */
export interface Startable {
  start(): void;
  stop(): Promise<void>;
}

export interface ControllerRegistration {
  /** Dotted, as the controller's own name ("nodeclaim.lifecycle"). */
  readonly name: string;
  /** Built afresh for each term of leadership. May throw: the term then fails to start and the operator exits. */
  build(ctx: ControllerContext, metrics: Metrics): Startable;
}

/**
 * The controllers of `nodewright controller`. Provisioning, nodeclaim lifecycle, termination,
 * disruption, interruption, garbage collection and nodepool status are added here as their
 * constructors settle (src/controllers/*); until then the operator runs none of them.
 */
export const CONTROLLERS: readonly ControllerRegistration[] = [];
