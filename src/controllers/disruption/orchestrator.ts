/**
 * Executes disruption commands: launch the replacements, mark the candidates for deletion and
 * taint them karpenter.sh/disrupted:NoSchedule, record the decision; then, once every replacement
 * has initialised, delete the candidates' NodeClaims (termination drains them). A replacement that
 * disappears, or does not initialise within the timeout, rolls the command back: the candidates are
 * untainted and unmarked and the replacements deleted. Commands wait here, not in the disruption
 * loop, which goes on with its next pass (their nodes count against budgets meanwhile).
 */
import { formatDuration } from '../../utils/duration.js';
import type { ControllerContext } from '../context.js';
import { Controller } from '../runtime/controller.js';
import type { Quiescent, ReconcileResult } from '../runtime/reconciler.js';
import { blockedDecision, commandDecision } from './decisions.js';
import { DisruptionError } from './errors.js';
import { nameList } from './format.js';
import { taintDisrupted, untaintDisrupted } from './node-taints.js';
import { createReplacements, deleteClaims } from './replacement-claim.js';
import type { Command, PoolInfo } from './types.js';

/** How long replacements get to initialise before the command is rolled back (Karpenter: 10 minutes). */
export const DEFAULT_REPLACEMENT_TIMEOUT_MS = 10 * 60_000;

interface Tracked {
  readonly id: string;
  readonly command: Command;
  readonly replacements: readonly string[];
  readonly deadline: number;
}

/** How a command ended. */
export type CommandOutcome = { readonly id: string; readonly result: 'deleted' | 'rolled-back'; readonly reason?: string };

export interface OrchestratorOptions {
  replacementTimeoutMs?: number;
  /** Told when a command finishes (tests, metrics). */
  onOutcome?: (outcome: CommandOutcome) => void;
}

export class Orchestrator implements Quiescent {
  readonly #ctx: ControllerContext;
  readonly #timeoutMs: number;
  readonly #onOutcome: ((o: CommandOutcome) => void) | undefined;
  readonly #controller: Controller;
  readonly #tracked = new Map<string, Tracked>();
  /** Replacement claim name → command id. */
  readonly #byReplacement = new Map<string, string>();
  #unsubscribe: (() => void) | undefined;
  #seq = 0;

  constructor(ctx: ControllerContext, options: OrchestratorOptions = {}) {
    this.#ctx = ctx;
    this.#timeoutMs = options.replacementTimeoutMs ?? DEFAULT_REPLACEMENT_TIMEOUT_MS;
    this.#onOutcome = options.onOutcome;
    this.#controller = new Controller({ name: 'disruption.orchestration', reconcile: (id) => this.#reconcile(id) }, {
      clock: ctx.clock,
      onError: (e) => ctx.log.warn({ error: e.message }, 'disruption: command step failed; retrying'),
    });
  }

  /** Commands launched and not yet finished. */
  get inFlight(): number {
    return this.#tracked.size;
  }

  start(): void {
    this.#unsubscribe ??= this.#ctx.state.subscribe((change) => {
      if (change.type !== 'Node') return;
      const id = change.stateNode.nodeClaimName === undefined ? undefined : this.#byReplacement.get(change.stateNode.nodeClaimName);
      if (id !== undefined) this.#controller.enqueue(id);
    });
    this.#controller.start();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#controller.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#controller.isIdle(horizonMs);
  }

  /**
   * Starts a command: replacements created (and nominated), candidates marked and tainted, the
   * decision recorded. The rest happens asynchronously.
   * @returns the names of the replacement NodeClaims.
   * @throws DisruptionError when launching or tainting fails (everything done so far is undone).
   */
  async execute(command: Command, pools: ReadonlyMap<string, PoolInfo>): Promise<string[]> {
    const ctx = this.#ctx;
    const now = ctx.clock.now();
    const deadline = now + this.#timeoutMs;
    const nominateUntil = deadline + Math.max(2 * ctx.options.batchMaxMs, 10_000);
    const replacements = await createReplacements(ctx, command.replacements, pools, nominateUntil);
    const names = command.candidates.flatMap((c) => [c.nodeName, c.claimName]);
    ctx.state.markForDeletion(...names);
    const tainted: string[] = [];
    try {
      for (const c of command.candidates) {
        await taintDisrupted(ctx.kube, c.nodeName);
        tainted.push(c.nodeName);
      }
    } catch (e) {
      await this.#undo(tainted, names, replacements);
      throw new DisruptionError(`starting ${command.method} of ${nameList(command.candidates.map((c) => c.nodeName))}: ${(e as Error).message}`, { cause: e });
    }
    ctx.decisions.record(commandDecision(command, replacements, now));
    ctx.log.info({ nodes: command.candidates.map((c) => c.nodeName), replacements }, `disruption: ${command.method} started`);
    const id = `cmd-${++this.#seq}`;
    this.#tracked.set(id, { id, command, replacements, deadline });
    for (const r of replacements) this.#byReplacement.set(r, id);
    this.#controller.enqueue(id);
    return replacements;
  }

  async #reconcile(id: string): Promise<ReconcileResult | void> {
    const t = this.#tracked.get(id);
    if (!t) return;
    const ctx = this.#ctx;
    let waiting = false;
    for (const name of t.replacements) {
      const node = ctx.state.node(name);
      if (!node || node.deleting) return this.#rollBack(t, `replacement nodeclaim ${name} ${node ? 'is being deleted' : 'disappeared'} before initialising`);
      if (!node.initialized) waiting = true;
    }
    const now = ctx.clock.now();
    if (waiting) {
      if (now >= t.deadline) return this.#rollBack(t, `replacements did not initialise within ${formatDuration(this.#timeoutMs)}`);
      return { requeueAfterMs: t.deadline - now };
    }
    await deleteClaims(ctx, t.command.candidates.map((c) => c.claimName));
    this.#finish(t, { id, result: 'deleted' });
  }

  async #rollBack(t: Tracked, reason: string): Promise<void> {
    const ctx = this.#ctx;
    const nodes = t.command.candidates.map((c) => c.nodeName);
    await this.#undo(nodes, t.command.candidates.flatMap((c) => [c.nodeName, c.claimName]), t.replacements);
    ctx.decisions.record(blockedDecision(ctx.clock.now(), { nodes: [...nodes, ...t.replacements] },
      `rolled back ${t.command.method} of ${nameList(nodes)}`, `${reason}; the nodes were untainted and the replacements deleted`));
    ctx.log.warn({ nodes, replacements: t.replacements, reason }, 'disruption: command rolled back');
    this.#finish(t, { id: t.id, result: 'rolled-back', reason });
  }

  /** Best effort: a failing step is logged and the rest still done. */
  async #undo(tainted: readonly string[], marked: readonly string[], replacements: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    for (const n of tainted) await untaintDisrupted(ctx.kube, n).catch((e: unknown) => ctx.log.warn({ node: n, error: String(e) }, 'disruption: untainting failed'));
    ctx.state.unmarkForDeletion(...marked);
    await deleteClaims(ctx, replacements).catch((e: unknown) => ctx.log.warn({ error: String(e) }, 'disruption: deleting replacements failed'));
  }

  #finish(t: Tracked, outcome: CommandOutcome): void {
    this.#tracked.delete(t.id);
    for (const r of t.replacements) this.#byReplacement.delete(r);
    this.#onOutcome?.(outcome);
  }
}
