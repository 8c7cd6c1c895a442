/**
 * Turns what a pass learnt about nodes it did not disrupt into 'disruption-blocked' decisions, each
 * at most once per node (or pool and reason) until its reason changes: do-not-disrupt, PDBs, a
 * missing pool, budgets at zero, consolidation or drift rejected, validation or launch failures.
 */
import type { ControllerContext } from '../context.js';
import { describeBudget } from './budgets.js';
import type { BlockedLog } from './decisions.js';
import { blockedDecision } from './decisions.js';
import { nameList } from './format.js';
import type { MethodResult } from './method-context.js';
import type { PassState } from './pass-state.js';
import type { Command, MethodName } from './types.js';

const REASON_OF: Record<MethodName, string> = {
  'emptiness': 'Empty',
  'drift': 'Drifted',
  'multi-node-consolidation': 'Underutilized',
  'single-node-consolidation': 'Underutilized',
};

export class PassRecorder {
  readonly #ctx: ControllerContext;
  readonly #log: BlockedLog;

  constructor(ctx: ControllerContext, log: BlockedLog) {
    this.#ctx = ctx;
    this.#log = log;
  }

  /** Records scan blocks, clears those of nodes that are candidates again, forgets nodes gone. */
  scanned(pass: PassState): void {
    const now = this.#ctx.clock.now();
    for (const b of pass.scan.blocked) {
      this.#log.note(`scan:${b.node}`, b.reason, () => blockedDecision(now, { nodes: [b.node], nodePool: b.nodePool, price: b.price }, `not disrupting node ${b.node}`, b.reason));
    }
    for (const c of pass.scan.candidates) this.#log.clear(`scan:${c.nodeName}`);
    const names = new Set(pass.snapshot.stateNodes.map((n) => n.name));
    const pools = new Set(pass.pools.keys());
    this.#log.retain((key) => {
      // "kind:rest", split at the first colon.
      const colon = key.indexOf(':');
      const kind = colon < 0 ? key : key.slice(0, colon);
      const rest = colon < 0 ? '' : key.slice(colon + 1);
      if (kind === 'budget') return pools.has(rest.split(':')[0] ?? '');
      if (kind === 'scan' || kind === 'consolidation' || kind === 'drift') return names.has(rest);
      return true;
    });
  }

  /** Records a method's rejections and the budgets that held it back. */
  methodResult(method: MethodName, result: MethodResult, pass: PassState): void {
    const now = this.#ctx.clock.now();
    const kind = method === 'drift' ? 'drift' : 'consolidation';
    for (const r of result.rejections) {
      this.#log.note(`${kind}:${r.node}`, r.reason, () => blockedDecision(now, { nodes: [r.node], nodePool: r.nodePool, price: r.price },
        `not ${method === 'drift' ? 'replacing drifted' : 'consolidating'} node ${r.node}`, r.reason));
    }
    const reason = REASON_OF[method];
    const blocked = new Set<string>();
    for (const b of result.budgetBlocked) {
      blocked.add(b.nodePool);
      const why = describeBudget(b);
      this.#log.note(`budget:${b.nodePool}:${reason}`, why, () => blockedDecision(now, { nodePool: b.nodePool },
        `not disrupting more nodes of nodepool ${b.nodePool} for ${reason}: its disruption budget allows no more now`, why));
    }
    for (const pool of pass.pools.keys()) if (!blocked.has(pool)) this.#log.clear(`budget:${pool}:${reason}`);
  }

  validationFailed(command: Command, why: string): void {
    const nodes = command.candidates.map((c) => c.nodeName);
    this.#log.note(`validation:${command.method}`, `${nodes.join(',')}|${why}`, () => blockedDecision(this.#ctx.clock.now(), { nodes },
      `abandoned ${command.method} of ${nameList(nodes)} after validation`, `the cluster changed during the validation delay: ${why}`));
  }

  executeFailed(command: Command, why: string): void {
    const nodes = command.candidates.map((c) => c.nodeName);
    this.#ctx.log.warn({ nodes, error: why }, `disruption: ${command.method} failed to start`);
    this.#log.note(`execute:${command.method}`, `${nodes.join(',')}|${why}`, () => blockedDecision(this.#ctx.clock.now(), { nodes },
      `could not start ${command.method} of ${nameList(nodes)}`, why));
  }
}
