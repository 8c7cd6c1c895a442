/**
 * Waiting for NodeClaims just created to show in the cluster state, so the next round counts them
 * as capacity instead of planning their pods again (Karpenter waits for the same reason).
 */
import type { ClusterState } from '../../state/cluster-state.js';
import type { Clock } from '../../utils/clock.js';

/**
 * Resolves true once the cache knows every name (NodeClaim or Node), false after `timeoutMs` on the
 * clock. A machine created and deleted again before the wait began counts as missing until timeout.
 */
export function waitForMachines(state: ClusterState, clock: Clock, names: readonly string[], timeoutMs: number): Promise<boolean> {
  const missing = new Set(names.filter((n) => state.node(n) === undefined));
  if (missing.size === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    let finished = false;
    const finish = (ok: boolean): void => {
      if (finished) return;
      finished = true;
      unsubscribe();
      cancel();
      resolve(ok);
    };
    const unsubscribe = state.subscribe((change) => {
      if (change.type !== 'Node') return;
      const sn = change.stateNode;
      if (sn.nodeClaimName !== undefined) missing.delete(sn.nodeClaimName);
      if (sn.nodeName !== undefined) missing.delete(sn.nodeName);
      if (missing.size === 0) finish(true);
    });
    const cancel = clock.setTimer(timeoutMs, () => finish(false));
  });
}
