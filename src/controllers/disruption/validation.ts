/**
 * Validation of an emptiness or consolidation command after the validation delay (15 s): the
 * candidates are derived again from a fresh snapshot, budgets re-checked, and consolidation
 * re-simulated. Emptiness goes on with the candidates still valid (as Karpenter does); a
 * consolidation whose candidates or outcome changed is abandoned.
 */
import { computeConsolidation } from './consolidation.js';
import type { ConsolidationSettings } from './consolidation.js';
import { isConsolidationCandidate } from './consolidation-methods.js';
import { isEmptyCandidate } from './emptiness.js';
import type { PassState } from './pass-state.js';
import type { Candidate, Command } from './types.js';

export type ValidationResult = { readonly command: Command } | { readonly abort: string };

function whyNot(c: Candidate, forEmptiness: boolean): string {
  if (forEmptiness && c.reschedulablePods.length > 0) return 'is no longer empty';
  if (!forEmptiness && c.reschedulablePods.length === 0) return 'has become empty (emptiness will take it)';
  return 'had pods come or go within consolidateAfter';
}

/** Checks the command against a fresh pass state; pure apart from the solver run. */
export function validateCommand(command: Command, fresh: PassState, settings: ConsolidationSettings): ValidationResult {
  const byClaim = new Map(fresh.scan.candidates.map((c) => [c.claimName, c]));
  const blockedBy = new Map(fresh.scan.blocked.map((b) => [b.node, b.reason]));
  const stillOk = command.kind === 'empty' ? isEmptyCandidate : isConsolidationCandidate;
  const valid: Candidate[] = [];
  const problems: string[] = [];
  for (const old of command.candidates) {
    const c = byClaim.get(old.claimName);
    if (!c) problems.push(`${old.nodeName} is no longer a candidate${blockedBy.has(old.nodeName) ? ` (${blockedBy.get(old.nodeName)!})` : ' (deleting, nominated or gone)'}`);
    else if (!stillOk(c)) problems.push(`${old.nodeName} ${whyNot(c, command.kind === 'empty')}`);
    else valid.push(c);
  }
  const budgets = fresh.budgets(command.reason);
  const within: Candidate[] = [];
  for (const c of valid) {
    const b = budgets.get(c.nodePoolName);
    if (b && b.allowed > 0) {
      b.allowed--;
      within.push(c);
    } else problems.push(`the ${command.reason} budget of nodepool ${c.nodePoolName} no longer allows ${c.nodeName}`);
  }
  if (command.kind === 'empty') {
    if (within.length === 0) return { abort: problems.join('; ') };
    return { command: { ...command, candidates: within } };
  }
  if (problems.length > 0) return { abort: problems.join('; ') };
  if (command.method !== 'multi-node-consolidation' && command.method !== 'single-node-consolidation') return { command };
  const again = computeConsolidation(fresh.base(), within, command.method, settings, command.rejected);
  if (again.decision === 'none') return { abort: `re-simulation: ${again.reason}` };
  const wanted = command.kind === 'consolidate-delete' ? 'delete' : 'replace';
  if (again.decision !== wanted) return { abort: `re-simulation now says ${again.decision} instead of ${wanted}` };
  return { command: again.command };
}
