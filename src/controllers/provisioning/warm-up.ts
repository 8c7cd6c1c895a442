/**
 * A dry provisioning round at start: the first round of a fresh process is several times slower
 * than the next ones (the solver, the NodePool defaults and the claim template run for the first
 * time, unoptimised, and the solver derives what it keeps per instance type), and that first round
 * is the first scale-up after every restart or failover. Solving one made-up pod per NodePool
 * while nothing is waiting moves that cost out of the way. Nothing is written, planned or
 * recorded.
 */
import type { Pod } from '../../apis/core.js';
import { NODEPOOL_LABEL } from '../../apis/labels.js';
import { solve } from '../../scheduling/solver.js';
import type { ControllerContext } from '../context.js';
import { nodeClaimBuilder } from './nodeclaim-template.js';
import { loadPools } from './pools.js';

/** A small pod for one pool (selecting it, tolerating every taint), so each pool's launch path is taken. */
function warmUpPod(pool: string, i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `nodewright-warm-up-${i}`, namespace: 'default', uid: `nodewright-warm-up-${i}` },
    spec: {
      nodeSelector: { [NODEPOOL_LABEL]: pool },
      containers: [{ name: 'warm-up', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
      tolerations: [{ operator: 'Exists' }],
    },
    status: { phase: 'Pending' },
  };
}

/**
 * Solves one made-up pod per usable NodePool on no existing node and builds the claims it would
 * launch, then drops them. Returns how many claims were built (0 with no usable pool). Never
 * writes through the client; never throws (a failure only means the first real round stays cold).
 */
export async function warmUp(ctx: ControllerContext): Promise<number> {
  try {
    const snapshot = ctx.state.snapshot();
    const loaded = await loadPools(snapshot.nodePools, snapshot.nodePoolUsage, ctx.cloud, ctx.unavailableOfferings);
    if (loaded.pools.length === 0) return 0;
    const result = solve({
      pods: loaded.pools.map((p, i) => warmUpPod(p.nodePool.metadata.name ?? '', i)), nodePools: loaded.pools, nodes: [], daemonSets: snapshot.daemonSets,
      volumes: snapshot.volumes, options: { ignorePreferences: ctx.options.ignorePreferences },
    });
    const byName = new Map(loaded.pools.map((p) => [p.nodePool.metadata.name ?? '', p.nodePool]));
    let built = 0;
    for (const planned of result.newNodeClaims) {
      const pool = byName.get(planned.nodePool);
      if (pool) {
        nodeClaimBuilder(pool)(planned);
        built++;
      }
    }
    return built;
  } catch (e) {
    ctx.log.debug({ error: String(e) }, 'provisioning warm-up failed; the first round starts cold');
    return 0;
  }
}
