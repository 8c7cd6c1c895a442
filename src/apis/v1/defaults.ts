/**
 * The defaults Karpenter's v1 CRDs apply when a NodePool or NodeClaim is stored, applied here so an
 * object read from a file behaves as it would after `kubectl apply`.
 */
import type { Budget, ConsolidationPolicy, NodeClaim, NodeClaimSpec, NodeClaimTemplateSpec, NodePool, NodePoolSpec } from './types.js';

export const DEFAULT_EXPIRE_AFTER = '720h';
export const DEFAULT_CONSOLIDATION_POLICY: ConsolidationPolicy = 'WhenEmptyOrUnderutilized';
export const DEFAULT_CONSOLIDATE_AFTER = '0s';
export const DEFAULT_BUDGET_NODES = '10%';

/** A NodePool whose defaulted fields are known to be present. */
export interface DefaultedNodePool extends NodePool {
  spec: NodePoolSpec & {
    template: NodePoolSpec['template'] & { spec: NodeClaimTemplateSpec & { expireAfter: string } };
    disruption: { consolidationPolicy: ConsolidationPolicy; consolidateAfter: string; budgets: Budget[] };
  };
}

/** A NodeClaim whose defaulted fields are known to be present. */
export interface DefaultedNodeClaim extends NodeClaim {
  spec: NodeClaimSpec & { expireAfter: string };
}

/**
 * A copy of the NodePool with Karpenter's defaults filled in where a field is absent: expireAfter
 * 720h, consolidationPolicy WhenEmptyOrUnderutilized, consolidateAfter 0s, budgets [{nodes: "10%"}]
 * and nodes "10%" in a budget that omits it. Present values (even invalid ones) are kept; the input
 * is not modified. Weight, limits, terminationGracePeriod and nodeClassRef have no default.
 * Expects spec.template.spec to exist (run validateNodePool first on untrusted input).
 */
export function withDefaults(nodePool: NodePool): DefaultedNodePool {
  const copy = structuredClone(nodePool);
  const spec = copy.spec;
  spec.template.spec.expireAfter ??= DEFAULT_EXPIRE_AFTER;
  const disruption = (spec.disruption ??= {});
  disruption.consolidationPolicy ??= DEFAULT_CONSOLIDATION_POLICY;
  disruption.consolidateAfter ??= DEFAULT_CONSOLIDATE_AFTER;
  disruption.budgets ??= [{ nodes: DEFAULT_BUDGET_NODES }];
  for (const budget of disruption.budgets) budget.nodes ??= DEFAULT_BUDGET_NODES;
  return copy as DefaultedNodePool;
}

/** A copy of the NodeClaim with expireAfter defaulted to 720h when absent; the input is not modified. */
export function withNodeClaimDefaults(nodeClaim: NodeClaim): DefaultedNodeClaim {
  const copy = structuredClone(nodeClaim);
  copy.spec.expireAfter ??= DEFAULT_EXPIRE_AFTER;
  return copy as DefaultedNodeClaim;
}
