/**
 * Every nodewright controller, built from one context and started and stopped together: the
 * composition shared by the operator (a real cluster) and the simulator (the embedded one).
 */
import { DirectBinder } from './binding/direct-binder.js';
import type { ControllerContext } from './context.js';
import { DisruptionController, type DisruptionControllerOptions } from './disruption/controller.js';
import { garbageCollector } from './gc/garbage-collection.js';
import { InterruptionController } from './interruption/controller.js';
import type { InterruptionSource } from './interruption/source.js';
import { nodeClaimLifecycleController } from './nodeclaim/lifecycle.js';
import { NodePoolController } from './nodepool/nodepool-controller.js';
import { Provisioner } from './provisioning/provisioner.js';
import type { Quiescent } from './runtime/reconciler.js';
import { TerminationControllers } from './termination/termination-controllers.js';

export interface NodewrightControllerOptions {
  /** Where interruption notices come from (the sim cloud, an SQS queue); none: no interruption handling. */
  readonly interruptions?: InterruptionSource;
  /**
   * Disruption settings; by default spot-to-spot consolidation and the most replacements come from
   * the context's options. Unlike Karpenter (where it is feature-gated off), spot-to-spot
   * consolidation is on by default: a spot node is replaced by a cheaper spot node when at least 15
   * cheaper types remain, so the replacement keeps the flexibility that protects it from
   * interruptions. And one node may be replaced by up to 3 cheaper ones (Karpenter: one).
   */
  readonly disruption?: DisruptionControllerOptions;
  /** Leave disruption stopped until startDisruption() (the simulator's warm-up). */
  readonly holdDisruption?: boolean;
  /** Garbage collection sweep period (ms). */
  readonly gcIntervalMs?: number;
}

interface Startable extends Quiescent {
  start(): void;
  stop(): Promise<void>;
}

export class NodewrightControllers implements Quiescent {
  readonly provisioner: Provisioner;
  readonly disruption: DisruptionController;
  readonly #all: Startable[];
  readonly #holdDisruption: boolean;

  constructor(ctx: ControllerContext, options: NodewrightControllerOptions = {}) {
    this.provisioner = new Provisioner(ctx);
    this.disruption = new DisruptionController(ctx, {
      spotToSpotConsolidation: ctx.options.spotToSpotConsolidation,
      consolidationMaxReplacements: ctx.options.consolidationMaxReplacements,
      ...options.disruption,
    });
    this.#holdDisruption = options.holdDisruption ?? false;
    const gc = garbageCollector(ctx, options.gcIntervalMs !== undefined ? { intervalMs: options.gcIntervalMs } : {});
    const provisioner = this.provisioner;
    this.#all = [
      new NodePoolController(ctx),
      nodeClaimLifecycleController(ctx),
      new TerminationControllers(ctx),
      provisioner,
      new DirectBinder(ctx, provisioner.plan, { onReleased: () => provisioner.trigger() }),
      this.disruption,
      gc.loop,
      ...(options.interruptions ? [new InterruptionController(ctx, options.interruptions)] : []),
    ];
  }

  start(): void {
    for (const c of this.#all) if (!(this.#holdDisruption && c === this.disruption)) c.start();
  }

  /** Starts disruption when it was held back at start(). */
  startDisruption(): void {
    this.disruption.start();
  }

  /** Stops every controller (in reverse order of start); resolves once running work has ended. */
  async stop(): Promise<void> {
    for (const c of [...this.#all].reverse()) await c.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#all.every((c) => c.isIdle(horizonMs));
  }
}
