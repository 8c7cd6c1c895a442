/**
 * What one disruption pass (or one validation) sees: the pools with their instance types, one
 * snapshot of the cluster taken synchronously, the candidates scanned from that very snapshot (so
 * a candidate's pods are exactly the pods the simulation moves), budgets, and the simulation base,
 * built on first use.
 */
import type { DisruptionReason } from '../../apis/v1/types.js';
import type { ClusterSnapshot } from '../../state/snapshot.js';
import type { ControllerContext } from '../context.js';
import { PdbVerdicts } from './blockers.js';
import type { BudgetState, PoolNodeCounts } from './budgets.js';
import { budgetsFor, poolNodeCounts } from './budgets.js';
import type { CandidateScan } from './candidates.js';
import { scanCandidates } from './candidates.js';
import { loadPools } from './pools.js';
import { SimulationBase, type BaseCarry } from './simulation-base.js';
import type { PoolInfo } from './types.js';

export interface PassState {
  readonly now: number;
  readonly snapshot: ClusterSnapshot;
  /** The cache's generation when the snapshot was taken. */
  readonly generation: number;
  readonly pools: ReadonlyMap<string, PoolInfo>;
  readonly scan: CandidateScan;
  /** A fresh budget mapping (callers may decrement it). */
  budgets(reason: DisruptionReason): Map<string, BudgetState>;
  /** The simulation base (built once, on first call). */
  base(): SimulationBase;
}

/**
 * Loads pools, then snapshots and scans in one synchronous step; the pass's simulation base carries
 * from the bases made before with `carry`. Never throws for cluster content.
 */
export async function preparePass(ctx: ControllerContext, carry?: BaseCarry): Promise<PassState> {
  const pools = await loadPools(ctx);
  const now = ctx.clock.now();
  const generation = ctx.state.generation;
  const snapshot = ctx.state.snapshot();
  const scan = scanCandidates(snapshot.stateNodes, pools, PdbVerdicts.of(ctx.state.pdbs()), now);
  let base: SimulationBase | undefined;
  // Every method and the validation ask for budgets: the machines are counted once per pass.
  let counts: PoolNodeCounts | undefined;
  return {
    now,
    snapshot,
    generation,
    pools,
    scan,
    budgets: (reason) => budgetsFor(counts ??= poolNodeCounts(snapshot.stateNodes), pools, reason, now),
    base: () => (base ??= new SimulationBase({
      snapshot,
      pools,
      pending: ctx.options.binding === 'direct' ? snapshot.unboundPods : snapshot.pendingPods,
      candidatePods: scan.candidates.map((c) => c.reschedulablePods),
      options: { ignorePreferences: ctx.options.ignorePreferences },
      carry,
    })),
  };
}
