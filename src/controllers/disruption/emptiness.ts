/**
 * Emptiness: candidates with no pods to move (DaemonSet and static pods aside) that have been
 * stable for consolidateAfter are deleted together, as many as the Empty budgets allow. Applies
 * to both consolidation policies.
 */
import { nameList, plural, usd } from './format.js';
import type { MethodContext, MethodResult } from './method-context.js';
import { BudgetGate } from './method-context.js';
import type { Candidate } from './types.js';
import { candidatesPrice } from './types.js';

/** Whether the candidate counts for emptiness now. */
export const isEmptyCandidate = (c: Candidate): boolean => c.consolidatable && c.reschedulablePods.length === 0;

export function emptiness(mc: MethodContext): MethodResult {
  const gate = new BudgetGate(mc.budgets('Empty'));
  const empty = mc.candidates.filter(isEmptyCandidate)
    .sort((a, b) => (b.price ?? 0) - (a.price ?? 0) || (a.nodeName < b.nodeName ? -1 : 1));
  const taken = empty.filter((c) => gate.take(c));
  const result = { rejections: [], budgetBlocked: gate.blocked, timedOut: false };
  if (taken.length === 0) return { ...result, command: undefined };
  return {
    ...result,
    command: {
      method: 'emptiness', reason: 'Empty', kind: 'empty', candidates: taken, replacements: [], rejected: [],
      why: `emptiness: ${nameList(taken.map((c) => c.nodeName))} ${taken.length === 1 ? 'has' : 'have'} had no pods to move for consolidateAfter; `
        + `removing ${plural(taken.length, 'node')} saves ${usd(candidatesPrice(taken))}`
        + (empty.length > taken.length ? ` (${empty.length - taken.length} more empty held back by budgets)` : ''),
    },
  };
}
