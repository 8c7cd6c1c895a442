/**
 * The NodeClaim provisioning creates for one planned claim: named after its NodePool, labelled and
 * annotated from the template (plus the nodepool label and the drift hash), the template's spec
 * with the plan's requirements (the instance types it may launch, cheapest first) and the plan's
 * resource requests, and owned by the NodePool.
 */
import { NODEPOOL_LABEL } from '../../apis/labels.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { nodePoolHashAnnotations } from '../../apis/v1/hash.js';
import type { NodeClaim, NodeClaimSpec, NodePool } from '../../apis/v1/types.js';
import { API_VERSION } from '../../apis/v1/types.js';
import type { PlannedNodeClaim } from '../../scheduling/types.js';
import { resourcesToQuantities } from '../../utils/resources.js';

/**
 * Builds the NodeClaim (with generateName "<nodepool>-") for a planned claim of `nodePool`.
 * @throws TypeError when the NodePool has no spec.template.spec (validate first).
 */
export function buildNodeClaim(nodePool: NodePool, planned: PlannedNodeClaim): NodeClaim {
  return nodeClaimBuilder(nodePool)(planned);
}

/**
 * buildNodeClaim for many claims of one NodePool: the defaults and the NodePool hash are worked out
 * once, not once per claim.
 * @throws TypeError when the NodePool has no spec.template.spec (validate first).
 */
export function nodeClaimBuilder(nodePool: NodePool): (planned: PlannedNodeClaim) => NodeClaim {
  const pool = withDefaults(nodePool);
  const hash = nodePoolHashAnnotations(nodePool);
  return (planned) => build(pool, hash, planned);
}

function build(pool: NodePool, hash: Record<string, string>, planned: PlannedNodeClaim): NodeClaim {
  const name = pool.metadata.name ?? '';
  const template = pool.spec.template;
  const t = template.spec;
  const spec: NodeClaimSpec = {
    requirements: planned.requirements.map((r) => ({
      key: r.key,
      operator: r.operator,
      ...(r.values !== undefined ? { values: [...r.values] } : {}),
      ...(r.minValues !== undefined ? { minValues: r.minValues } : {}),
    })),
    nodeClassRef: { ...t.nodeClassRef },
    resources: { requests: resourcesToQuantities(planned.requests) },
    expireAfter: t.expireAfter,
  };
  if (t.taints?.length) spec.taints = t.taints.map((x) => ({ ...x }));
  if (t.startupTaints?.length) spec.startupTaints = t.startupTaints.map((x) => ({ ...x }));
  if (t.terminationGracePeriod !== undefined) spec.terminationGracePeriod = t.terminationGracePeriod;
  return {
    apiVersion: API_VERSION,
    kind: 'NodeClaim',
    metadata: {
      generateName: `${name}-`,
      labels: { ...(template.metadata?.labels ?? {}), [NODEPOOL_LABEL]: name },
      annotations: { ...(template.metadata?.annotations ?? {}), ...hash },
      ownerReferences: [{
        apiVersion: API_VERSION, kind: 'NodePool', name, uid: pool.metadata.uid ?? '', blockOwnerDeletion: true,
      }],
    },
    spec,
  };
}
