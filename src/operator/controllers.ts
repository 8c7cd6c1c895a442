/**
 * The controllers the operator runs while it leads, as a list of registrations: each builds its
 * runnables from the shared ControllerContext at the start of a term of leadership (after the
 * cluster state has synced), and they are stopped in reverse order when it ends.
 */
import type { ControllerContext } from '../controllers/context.js';
import type { InterruptionSource } from '../controllers/interruption/source.js';
import type { Metrics } from '../controllers/metrics.js';
import { NodewrightControllers } from '../controllers/nodewright.js';

/** What a controller's build returns: the shape every controller under src/controllers has. */
export interface Startable {
  start(): void;
  stop(): Promise<void>;
}

/** What the cloud provider setup offers the controllers beyond the context. */
export interface CloudExtras {
  /** Interruption notices (aws with --interruption-queue); absent: no interruption controller. */
  readonly interruptions?: InterruptionSource;
}

export interface ControllerRegistration {
  /** Dotted, as the controller's own name ("nodeclaim.lifecycle"). */
  readonly name: string;
  /** Built afresh for each term of leadership. May throw: the term then fails to start and the operator exits. */
  build(ctx: ControllerContext, metrics: Metrics, cloud?: CloudExtras): Startable;
}

/**
 * The controllers of `nodewright controller`: the whole set (nodepool status, provisioning, direct
 * binding, nodeclaim lifecycle, termination, disruption, garbage collection, and interruption when
 * the cloud offers notices), composed in
 * controllers/nodewright.ts exactly as the simulator runs them.
 */
export const CONTROLLERS: readonly ControllerRegistration[] = [
  { name: 'nodewright', build: (ctx, _metrics, cloud) => new NodewrightControllers(ctx, cloud?.interruptions ? { interruptions: cloud.interruptions } : {}) },
];
