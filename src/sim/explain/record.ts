/**
 * The controllers' decision log as a simulation result keeps it: every kind, times in seconds from
 * the start of the scenario, which pod went onto which NodeClaim, and the why-not records folded
 * so a long run stays small ({@link compactDecisions}).
 */
import type { Decision as ControllerDecision } from '../../controllers/context.js';
import { placementsOf } from '../../controllers/decisions/placement.js';
import type { LoggedDecision, LoggedKind } from '../result.js';
import { compactDecisions, DEFAULT_MAX_ENTRIES_PER_SUBJECT } from './compact.js';

function kindOf(d: ControllerDecision): LoggedKind {
  // The result has no 'empty' kind: an empty node's deletion is a consolidation whose summary says empty.
  return d.kind === 'empty' ? 'consolidate-delete' : d.kind;
}

/** One controller decision as a result entry (`t0`: epoch ms of the scenario's start). Never throws. */
export function toLoggedDecision(d: ControllerDecision, t0: number): LoggedDecision {
  const placements = placementsOf(d);
  return {
    t: (d.time - t0) / 1000,
    strategy: 'nodewright',
    kind: kindOf(d),
    summary: d.kind === 'empty' && !/empty/i.test(d.summary) ? `${d.summary} (empty)` : d.summary,
    details: {
      why: d.why,
      alternativesRejected: (d.alternativesRejected ?? []).map((a) => `${a.option}: ${a.reason}`),
      ...(d.costPerHourBefore !== undefined ? { costPerHourBefore: d.costPerHourBefore } : {}),
      ...(d.costPerHourAfter !== undefined ? { costPerHourAfter: d.costPerHourAfter } : {}),
      ...(d.nodes ? { nodes: [...d.nodes] } : {}),
      ...(d.pods ? { pods: [...d.pods] } : {}),
      ...(d.nodePool !== undefined ? { nodePool: d.nodePool } : {}),
      ...(placements ? { placements: placements.map((p) => ({ node: p.node, pods: [...p.pods], launched: p.launched })) } : {}),
    },
  };
}

/**
 * The decisions (oldest first) as the result's bounded log: every one converted, the why-not
 * records compacted with at most `maxPerSubject` entries per pod or node. Never throws for a
 * valid maxPerSubject.
 * @throws RangeError when maxPerSubject < 2.
 */
export function resultDecisions(decisions: readonly ControllerDecision[], t0: number, maxPerSubject = DEFAULT_MAX_ENTRIES_PER_SUBJECT): LoggedDecision[] {
  return compactDecisions(decisions.map((d) => toLoggedDecision(d, t0)), maxPerSubject);
}
