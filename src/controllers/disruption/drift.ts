/**
 * Drift: drifted candidates are replaced one at a time within the Drifted budgets. Empty drifted
 * candidates come first and go together (nothing needs a new home; Karpenter does the same); a
 * non-empty one goes once its pods are known to fit, with whatever new NodeClaims they need
 * (no price condition: drift is about correctness, not cost). consolidateAfter does not apply.
 */
import { nameList, plural } from './format.js';
import type { MethodContext, MethodResult, NodeRejection } from './method-context.js';
import { BudgetGate } from './method-context.js';
import { replacementOf } from './replacement-options.js';
import { describeFailures, simulate } from './simulation.js';
import type { Candidate, Command } from './types.js';

export function drift(mc: MethodContext, drifted: ReadonlyMap<string, string>): MethodResult {
  const gate = new BudgetGate(mc.budgets('Drifted'));
  const rejections: NodeRejection[] = [];
  const reasonOf = (c: Candidate): string => drifted.get(c.claimName) ?? 'drifted';
  const mine = mc.candidates.filter((c) => drifted.has(c.claimName));
  const empty = mine.filter((c) => c.reschedulablePods.length === 0).sort((a, b) => (a.nodeName < b.nodeName ? -1 : 1));
  const emptyTaken = empty.filter((c) => gate.take(c));
  const done = (command: Command | undefined): MethodResult => ({ command, rejections, budgetBlocked: gate.blocked, timedOut: false });
  if (emptyTaken.length > 0) {
    return done({
      method: 'drift', reason: 'Drifted', kind: 'drift', candidates: emptyTaken, replacements: [], rejected: [],
      why: `drift: ${emptyTaken.map((c) => `${c.nodeName} (${reasonOf(c)})`).join('; ')}; ${emptyTaken.length === 1 ? 'it has' : 'they have'} no pods to move`,
    });
  }
  const busy = mine.filter((c) => c.reschedulablePods.length > 0).sort((a, b) => a.disruptionCost - b.disruptionCost || (a.nodeName < b.nodeName ? -1 : 1));
  for (const c of busy) {
    if (!gate.allows(c)) continue;
    if (mc.nowMs() > mc.deadline) return { ...done(undefined), timedOut: true };
    const sim = simulate(mc.base(), [c]);
    if (sim.failures.length > 0) {
      rejections.push({ node: c.nodeName, nodePool: c.nodePoolName, price: c.price, reason: `drifted (${reasonOf(c)}) but not every pod would find a place: ${describeFailures(sim.failures)}` });
      continue;
    }
    const replacements = sim.newClaims.map(replacementOf);
    return done({
      method: 'drift', reason: 'Drifted', kind: 'drift', candidates: [c], replacements, rejected: [],
      why: `drift: ${c.nodeName} (${reasonOf(c)}); its ${plural(c.reschedulablePods.length, 'pod')} go to `
        + (replacements.length === 0 ? 'existing nodes' : `${plural(replacements.length, 'new NodeClaim')} (${nameList(replacements.map((r) => r.nodePool))})`),
    });
  }
  return done(undefined);
}
