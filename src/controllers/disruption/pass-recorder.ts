/**
 * Turns what a pass learnt about nodes it did not disrupt into 'disruption-blocked' decisions, each
 * at most once per node (or pool and reason) until its reason changes: do-not-disrupt, PDBs, a
 * missing pool, budgets at zero, consolidation or drift rejected, validation or launch failures.
 */
import type { StateNode } from '../../state/state-node.js';
import type { ControllerContext } from '../context.js';
import { describeBudget } from './budgets.js';
import type { BlockedNode } from './candidates.js';
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

/** How many places on from where the last match left off a machine is looked for in the last list. */
const LOOKAHEAD = 8;

/** Past this many names unmatched, they are checked against a set of the names rather than one by one. */
const MAX_CHECKED_ONE_BY_ONE = 4;

/**
 * The names `before`'s machines have and `after`'s have not. The cache drops and adds machines
 * keeping the others' order, so walking both lists side by side matches nearly every machine of
 * `before` with one of `after` of the same name at a pointer's cost; only the few left unmatched
 * are looked for in `after` by name. Exact for any two lists (a name matched is in `after`).
 */
export function namesGone(before: readonly StateNode[], after: readonly StateNode[]): string[] {
  const unmatched: string[] = [];
  let j = 0;
  for (const n of after) {
    const name = n.name;
    const end = Math.min(before.length, j + LOOKAHEAD + 1);
    let at = j;
    while (at < end && before[at]!.name !== name) at++;
    if (at === end) continue;
    for (; j < at; j++) unmatched.push(before[j]!.name);
    j = at + 1;
  }
  for (; j < before.length; j++) unmatched.push(before[j]!.name);
  if (unmatched.length === 0) return unmatched;
  if (unmatched.length > MAX_CHECKED_ONE_BY_ONE) {
    const names = new Set(after.map((n) => n.name));
    return unmatched.filter((name) => !names.has(name));
  }
  return unmatched.filter((name) => !after.some((n) => n.name === name));
}

/** How many different nodes the blocked list names. */
function distinctNodes(blocked: readonly BlockedNode[]): number {
  return blocked.length <= 1 ? blocked.length : new Set(blocked.map((b) => b.node)).size;
}

export class PassRecorder {
  readonly #ctx: ControllerContext;
  readonly #log: BlockedLog;
  /** The machines node subjects were last checked against (each subject named one of them) and their machinesVersion. */
  #checked: { readonly version: number; readonly machines: readonly StateNode[] } | undefined;

  constructor(ctx: ControllerContext, log: BlockedLog) {
    this.#ctx = ctx;
    this.#log = log;
  }

  /**
   * Records scan blocks, clears those of nodes that are candidates again, forgets nodes and pools
   * gone. Every node blocked in the pass is a subject once noted, so when there are no more subjects
   * than nodes blocked, they are the nodes blocked, and none is a candidate: a machine is one or the
   * other, and both are named by their Node, whose name no other machine has. Then the candidates
   * are not walked.
   */
  scanned(pass: PassState): void {
    const now = this.#ctx.clock.now();
    const log = this.#log;
    for (const b of pass.scan.blocked) {
      log.note('scan', b.node, b.reason, () => blockedDecision(now, { nodes: [b.node], nodePool: b.nodePool, price: b.price }, `not disrupting node ${b.node}`, b.reason));
    }
    if (log.count('scan') > distinctNodes(pass.scan.blocked)) for (const c of pass.scan.candidates) log.clear('scan', c.nodeName);
    this.#forgetGone(pass);
  }

  /**
   * Forgets node subjects whose machine is not in the pass's snapshot, and budget subjects whose
   * pool is not in the pass. Node subjects are only ever noted for machines of a pass's snapshot,
   * after this check, so each names a machine of the last check: while the machines have the same
   * names (machinesVersion), none is gone, and after, only names the last check's machines had and
   * the pass's have not can be.
   */
  #forgetGone(pass: PassState): void {
    const log = this.#log;
    const { machinesVersion: version, stateNodes: machines } = pass.snapshot;
    const checked = this.#checked;
    if (version !== checked?.version) {
      if (checked === undefined) {
        const names = new Set(machines.map((n) => n.name));
        for (const kind of NODE_KINDS) log.retain(kind, (node) => names.has(node));
      } else {
        for (const name of namesGone(checked.machines, machines)) for (const kind of NODE_KINDS) log.clear(kind, name);
      }
      this.#checked = { version, machines };
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
