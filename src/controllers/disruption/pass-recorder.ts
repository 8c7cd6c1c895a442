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

/** The log's kind for a pool's budget holding a method back, per budget reason (its subjects are pools). */
const BUDGET_KIND: Record<string, string> = Object.fromEntries([...new Set(Object.values(REASON_OF))].map((r) => [r, `budget:${r}`]));

/** Kinds whose subjects are nodes: forgotten once the node leaves the cache. */
const NODE_KINDS = ['scan', 'consolidation', 'drift'] as const;

export class PassRecorder {
  readonly #ctx: ControllerContext;
  readonly #log: BlockedLog;
  /** The snapshot machinesVersion node subjects were last checked against (all named a machine then). */
  #namesCheckedAt: number | undefined;

  constructor(ctx: ControllerContext, log: BlockedLog) {
    this.#ctx = ctx;
    this.#log = log;
  }

  /** Records scan blocks, clears those of nodes that are candidates again, forgets nodes and pools gone. */
  scanned(pass: PassState): void {
    const now = this.#ctx.clock.now();
    const log = this.#log;
    for (const b of pass.scan.blocked) {
      log.note('scan', b.node, b.reason, () => blockedDecision(now, { nodes: [b.node], nodePool: b.nodePool, price: b.price }, `not disrupting node ${b.node}`, b.reason));
    }
    if (log.count('scan') > 0) for (const c of pass.scan.candidates) log.clear('scan', c.nodeName);
    this.#forgetGone(pass);
  }

  /**
   * Forgets node subjects whose machine is not in the pass's snapshot, and budget subjects whose
   * pool is not in the pass. Node subjects are only ever noted for machines of a pass's snapshot, so
   * while the machines have the same names as at the last check (machinesVersion), none is gone.
   */
  #forgetGone(pass: PassState): void {
    const log = this.#log;
    const version = pass.snapshot.machinesVersion;
    if (version !== this.#namesCheckedAt) {
      const names = new Set(pass.snapshot.stateNodes.map((n) => n.name));
      for (const kind of NODE_KINDS) log.retain(kind, (node) => names.has(node));
      this.#namesCheckedAt = version;
    }
    for (const kind of Object.values(BUDGET_KIND)) log.retain(kind, (pool) => pass.pools.has(pool));
  }

  /** Records a method's rejections and the budgets that held it back. */
  methodResult(method: MethodName, result: MethodResult, pass: PassState): void {
    const now = this.#ctx.clock.now();
    const kind = method === 'drift' ? 'drift' : 'consolidation';
    const last = this.#log.lastReasons(kind);
    for (const r of result.rejections) {
      if (last.get(r.node) === r.reason) continue;
      this.#log.note(kind, r.node, r.reason, () => blockedDecision(now, { nodes: [r.node], nodePool: r.nodePool, price: r.price },
        `not ${method === 'drift' ? 'replacing drifted' : 'consolidating'} node ${r.node}`, r.reason));
    }
    const reason = REASON_OF[method];
    const budgetKind = BUDGET_KIND[reason]!;
    const blocked = new Set<string>();
    for (const b of result.budgetBlocked) {
      blocked.add(b.nodePool);
      const why = describeBudget(b);
      this.#log.note(budgetKind, b.nodePool, why, () => blockedDecision(now, { nodePool: b.nodePool },
        `not disrupting more nodes of nodepool ${b.nodePool} for ${reason}: its disruption budget allows no more now`, why));
    }
    for (const pool of pass.pools.keys()) if (!blocked.has(pool)) this.#log.clear(budgetKind, pool);
  }

  validationFailed(command: Command, why: string): void {
    const nodes = command.candidates.map((c) => c.nodeName);
    this.#log.note('validation', command.method, `${nodes.join(',')}|${why}`, () => blockedDecision(this.#ctx.clock.now(), { nodes },
      `abandoned ${command.method} of ${nameList(nodes)} after validation`, `the cluster changed during the validation delay: ${why}`));
  }

  executeFailed(command: Command, why: string): void {
    const nodes = command.candidates.map((c) => c.nodeName);
    this.#ctx.log.warn({ nodes, error: why }, `disruption: ${command.method} failed to start`);
    this.#log.note('execute', command.method, `${nodes.join(',')}|${why}`, () => blockedDecision(this.#ctx.clock.now(), { nodes },
      `could not start ${command.method} of ${nameList(nodes)}`, why));
  }
}
