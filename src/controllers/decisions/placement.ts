/**
 * A provisioning decision that also says which pod went where. The flat `pods` and `nodes` lists of
 * a Decision cannot tell which of a round's NodeClaims a pod was planned onto; `placements` can,
 * so `explain` answers "where is my pod going?" exactly. It is a Decision, so any DecisionSink
 * takes it; sinks that do not know the extra field just keep it along.
 */
import type { Decision } from '../context.js';

/** The pods (namespace/name) planned onto one NodeClaim or Node. */
export interface Placement {
  /** NodeClaim name for a new claim, Node (or in-flight NodeClaim) name for existing capacity. */
  readonly node: string;
  readonly pods: readonly string[];
  /** True when this is a NodeClaim launched by the decision (false: existing or in-flight capacity). */
  readonly launched: boolean;
}

export interface PlacementDecision extends Decision {
  readonly placements: readonly Placement[];
}

/** The decision's placements, when it carries any. */
export function placementsOf(decision: Decision): readonly Placement[] | undefined {
  const p = (decision as Partial<PlacementDecision>).placements;
  return Array.isArray(p) ? p : undefined;
}
