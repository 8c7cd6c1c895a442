/**
 * One provisioning round: snapshot the cluster, plan the pods that still need a place, create a
 * NodeClaim per planned claim, nominate the capacity and the pods, and say what was decided. The
 * round is decided once its claims are written and the plan kept: the next round may start then,
 * while this one's Events and decision records are still being written. The loop around it
 * (batching, triggers, retries) is in provisioner.ts.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import { NodeBaseChain } from '../../scheduling/node-base.js';
import { solve } from '../../scheduling/solver.js';
import type { PlannedNodeClaim } from '../../scheduling/types.js';
import type { ControllerContext } from '../context.js';
import { createConcurrently } from './create-claims.js';
import type { EventDedupe } from './event-dedupe.js';
import type { EventLane } from './event-lane.js';
import { provisionDecision, unschedulableDecision, type LaunchedClaim } from './explain-round.js';
import { nodeClaimBuilder } from './nodeclaim-template.js';
import type { PlanBook } from './plan-book.js';
import { loadPools } from './pools.js';
import { PriceIndex } from './pricing.js';
import { prepareRound } from './round-input.js';
import type { RoundNames } from './round-names.js';
import type { UnseenClaims } from './unseen-claims.js';

/** What one round did, for stats, tests and the benchmark. */
export interface RoundReport {
  /** Clock time (epoch ms) the round started. */
  readonly startedAt: number;
  /** Clock ms from its batch window closing to the round starting (waiting for the previous round to be decided). */
  readonly waitedMs: number;
  /** Wall ms from the start to the solver's answer (snapshot, NodePools, solve). */
  readonly solvedAfterMs: number;
  /** Wall ms from the start to the last NodeClaim create answered: when the round was decided. */
  readonly decidedAfterMs: number;
  /** Pods handed to the solver. */
  readonly pods: number;
  /** Pods left out because they are nominated to capacity on its way. */
  readonly nominated: number;
  readonly nodeClaims: readonly string[];
  readonly failedCreates: number;
  readonly unschedulable: number;
  /** Pods placed on existing or in-flight machines. */
  readonly placedOnExisting: number;
  /** NodePools that could not be used, with why. */
  readonly skippedPools: readonly { readonly name: string; readonly reason: string }[];
  /**
   * Controller overhead: CPU ms from the start of the round (the batch window closing) to the
   * first NodeClaim create call; undefined when the round created none.
   */
  readonly overheadCpuMs: number | undefined;
  /** The same span in wall-clock ms. */
  readonly overheadWallMs: number | undefined;
  /** CPU ms of the solver alone (part of the overhead), to tell the solver's share from the controller's. */
  readonly solveCpuMs: number;
  /** CPU ms of the round up to being decided (its Events and records are written after). */
  readonly totalCpuMs: number;
}

/** A decided round: its report, and what it still writes (Events, records, logs; never rejects). */
export interface DecidedRound {
  readonly report: RoundReport;
  readonly settled: Promise<void>;
  /** The Nominated Events of pods placed on existing capacity, written (never rejects; part of `settled`). */
  readonly nominated: Promise<void>;
}

export interface RoundDeps {
  readonly ctx: ControllerContext;
  readonly plan: PlanBook;
  /** Last unschedulable reason per pod, so a decision is recorded only when it changes (updated in place). */
  readonly reasons: Map<string, string>;
  /** Per-pod Events already written recently (kept across rounds). */
  readonly events: EventDedupe;
  /** Where the round's follow-up Events are written (kept across rounds); the round holds it while it creates its NodeClaims. */
  readonly eventLane: EventLane;
  readonly cpuMs: () => number;
  readonly wallMs: () => number;
  /** The rounds' node bases (kept across rounds): a round's solve carries what the last one derived per node. */
  readonly nodeBases?: NodeBaseChain;
  /** The rounds' machine names (kept across rounds): a round reads only the machines new since the last or named by its plan. */
  readonly names?: RoundNames;
  /** Claims created that the cluster state may not show yet; the round reads it and adds its own. */
  readonly unseen: UnseenClaims;
  /** Clock time the batch window that started this round closed (default: now). */
  readonly windowClosedAt?: number;
  /** The previous round's `settled`: this round's Events and records follow it, so they stay in round order. */
  readonly afterPrevious?: Promise<void>;
  /** The previous round's `nominated`: this round's nominations onto existing capacity follow it (and nothing else). */
  readonly afterPreviousNominated?: Promise<void>;
}

/** How long a launched claim is protected from disruption as nominated capacity. */
export function nominationMs(batchMaxMs: number): number {
  return Math.max(2 * batchMaxMs, 10_000);
}

/**
 * Runs one round up to decided. Throws only for what it cannot carry on from (the state never
 * syncing); failed creates are counted in the report, their pods left for the next round.
 */
export async function runRound(deps: RoundDeps): Promise<DecidedRound> {
  const { ctx, plan } = deps;
  await ctx.state.waitForSync();
  const cpu0 = deps.cpuMs();
  const wall0 = deps.wallMs();
  const now = ctx.clock.now();
  const waitedMs = Math.max(0, now - (deps.windowClosedAt ?? now));
  const snapshot = ctx.state.snapshot();
  const input = prepareRound(snapshot, plan, ctx.options.binding, deps.unseen.claims(), deps.names);
  const empty = { startedAt: now, waitedMs, pods: 0, nominated: input.nominated, nodeClaims: [], failedCreates: 0, unschedulable: 0, placedOnExisting: 0, skippedPools: [] };
  if (input.pods.length === 0) {
    deps.reasons.clear();
    const elapsed = deps.wallMs() - wall0;
    return {
      report: { ...empty, solvedAfterMs: elapsed, decidedAfterMs: elapsed, overheadCpuMs: undefined, overheadWallMs: undefined, solveCpuMs: 0, totalCpuMs: deps.cpuMs() - cpu0 },
      settled: deps.afterPrevious ?? Promise.resolve(),
      nominated: deps.afterPreviousNominated ?? Promise.resolve(),
    };
  }
  const loaded = await loadPools(snapshot.nodePools, deps.unseen.addUsage(snapshot.nodePoolUsage), ctx.cloud, ctx.unavailableOfferings);
  const solveStart = deps.cpuMs();
  const result = solve({
    pods: input.pods, nodePools: loaded.pools, nodeSubset: (deps.nodeBases ?? new NodeBaseChain()).next(input.nodes).all(), daemonSets: snapshot.daemonSets,
    volumes: snapshot.volumes, options: { ignorePreferences: ctx.options.ignorePreferences },
  });
  const solveCpuMs = deps.cpuMs() - solveStart;
  const solvedAfterMs = deps.wallMs() - wall0;
  const pools = new Map<string, NodePool>(loaded.pools.map((p) => [p.nodePool.metadata.name ?? '', p.nodePool]));
  const builders = new Map<string, (planned: PlannedNodeClaim) => NodeClaim>();
  const builderOf = (pool: string): ((planned: PlannedNodeClaim) => NodeClaim) => {
    let b = builders.get(pool);
    if (!b) builders.set(pool, (b = nodeClaimBuilder(pools.get(pool)!)));
    return b;
  };

  // The first call marks the end of the controller's overhead.
  let overheadCpuMs: number | undefined;
  let overheadWallMs: number | undefined;
  const create = async (planned: PlannedNodeClaim): Promise<LaunchedClaim> => {
    const claim = builderOf(planned.nodePool)(planned);
    if (overheadCpuMs === undefined) {
      overheadCpuMs = deps.cpuMs() - cpu0;
      overheadWallMs = deps.wallMs() - wall0;
    }
    const created: NodeClaim = await ctx.kube.create('NodeClaim', claim);
    // Before this round is decided, so the next one sees the claim even if the informer has not.
    deps.unseen.add(created);
    return { name: created.metadata.name ?? '', planned };
  };
  const creating = createConcurrently(result.newNodeClaims, create, ctx.clock);
  // Earlier rounds' Events wait until these claims are answered, rather than share the API server with them.
  if (result.newNodeClaims.length > 0) deps.eventLane.holdUntil(creating);
  // A pod placed on capacity that exists (a node, or a claim in flight) waits for no write of this
  // round: its nomination is the whole decision, so it goes out now, beside the claim writes (as
  // Karpenter records existing-node nominations before creating its claims), not after them, nor
  // behind the previous round's burst of Events: only behind the previous round's such nominations.
  const onExisting = result.existingNodes.map(({ node, pods }) => {
    const sn = ctx.state.node(node);
    return { pods, target: sn?.nodeName === node ? `node/${node}` : `nodeclaim/${node}` };
  });
  const existingEvents = onExisting.length === 0 ? (deps.afterPreviousNominated ?? Promise.resolve()) : (async () => {
    await deps.afterPreviousNominated;
    await Promise.allSettled(onExisting.flatMap(({ pods, target }) => pods.map((p) => record(ctx, deps.events, p, 'Normal', 'Nominated', `Pod should schedule on: ${target}`))));
  })();
  const settled = await creating;
  const launched: LaunchedClaim[] = [];
  let failedCreates = 0;
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') {
      launched.push(s.value);
      return;
    }
    failedCreates++;
    const planned = result.newNodeClaims[i]!;
    ctx.log.error({ nodepool: planned.nodePool, pods: planned.pods.length, error: String(s.reason) }, 'creating a NodeClaim failed; its pods wait for the next round');
  });

  const until = ctx.clock.now() + nominationMs(ctx.options.batchMaxMs);
  const nominations: { pods: readonly Pod[]; target: string }[] = [];
  for (const { name, planned } of launched) {
    ctx.state.nominate(name, until);
    plan.reserveDaemonOverhead(name, planned.daemonSetOverhead);
    plan.plan(planned.pods, name, now);
    nominations.push({ pods: planned.pods, target: `nodeclaim/${name}` });
  }
  for (const { node, pods } of result.existingNodes) {
    ctx.state.nominate(node, until);
    plan.plan(pods, node, now);
  }
  const reasons = new Map<string, string>();
  for (const { pod, reason } of result.unschedulable) reasons.set(keyOf(pod), reason);
  const previous = new Map(deps.reasons);
  deps.reasons.clear();
  for (const [k, v] of reasons) deps.reasons.set(k, v);

  const report: RoundReport = {
    startedAt: now,
    waitedMs,
    solvedAfterMs,
    decidedAfterMs: deps.wallMs() - wall0,
    pods: input.pods.length,
    nominated: input.nominated,
    nodeClaims: launched.map((c) => c.name),
    failedCreates,
    unschedulable: result.unschedulable.length,
    placedOnExisting: result.existingNodes.reduce((n, e) => n + e.pods.length, 0),
    skippedPools: loaded.skipped,
    overheadCpuMs,
    overheadWallMs,
    solveCpuMs,
    totalCpuMs: deps.cpuMs() - cpu0,
  };
  // The claims are created and the plan is kept: the rest (a thousand Events, the decision record,
  // logs) goes after a yield, off the path of the launches and of the next round, as an
  // asynchronous event recorder would.
  const after = async (): Promise<void> => {
    await ctx.clock.sleep(0);
    await deps.afterPrevious;
    await existingEvents;
    const events: Promise<void>[] = [];
    for (const { pods, target } of nominations) {
      for (const p of pods) events.push(record(ctx, deps.events, p, 'Normal', 'Nominated', `Pod should schedule on: ${target}`, deps.eventLane));
    }
    for (const { pod, reason } of result.unschedulable) {
      if (previous.get(keyOf(pod)) === reason) continue;
      ctx.decisions.record(unschedulableDecision(now, pod, reason, loaded.skipped));
      events.push(record(ctx, deps.events, pod, 'Warning', 'FailedScheduling', `Failed to schedule pod, ${reason}`, deps.eventLane));
    }
    if (launched.length > 0 || result.existingNodes.length > 0) {
      const prices = PriceIndex.of(loaded.pools.flatMap((p) => p.instanceTypes));
      ctx.decisions.record(provisionDecision({
        now, launched, existing: result.existingNodes, pools: loaded.pools, skipped: loaded.skipped,
        costBefore: prices.clusterCost(snapshot.stateNodes),
      }));
    }
    logLaunches(ctx, launched);
    logRound(ctx, report);
    await Promise.allSettled(events);
  };
  return {
    report,
    nominated: existingEvents,
    settled: after().catch((e: unknown) => {
      ctx.log.error({ error: String(e) }, 'recording what a provisioning round decided failed');
    }),
  };
}

function logLaunches(ctx: ControllerContext, launched: readonly LaunchedClaim[]): void {
  for (const { name, planned } of launched) {
    ctx.log.info({
      nodeclaim: name, nodepool: planned.nodePool, pods: planned.pods.length,
      instanceTypes: planned.instanceTypeOptions.length, cheapest: cheapestName(planned), pricePerHour: planned.pricePerHour,
    }, 'created nodeclaim');
  }
}

/** One line per round that had pods: where its time went (the decision-latency benchmark reads it). */
function logRound(ctx: ControllerContext, r: RoundReport): void {
  ctx.log.info({
    startedAt: r.startedAt, waitedMs: r.waitedMs, solvedAfterMs: round1(r.solvedAfterMs), decidedAfterMs: round1(r.decidedAfterMs),
    firstCreateAfterMs: r.overheadWallMs === undefined ? undefined : round1(r.overheadWallMs), cpuMs: round1(r.totalCpuMs), solveCpuMs: round1(r.solveCpuMs),
    pods: r.pods, nodeClaims: r.nodeClaims, placedOnExisting: r.placedOnExisting, unschedulable: r.unschedulable,
  }, 'provisioning round decided');
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function cheapestName(planned: PlannedNodeClaim): string | undefined {
  return planned.instanceTypeOptions[0]?.instanceType.name;
}

/**
 * Records an Event on the pod unless the same one was written recently (through `lane` when given);
 * failures are logged, never thrown.
 */
function record(ctx: ControllerContext, dedupe: EventDedupe, pod: Pod, type: 'Normal' | 'Warning', reason: string, note: string, lane?: EventLane): Promise<void> {
  const m = pod.metadata;
  if (!dedupe.admit(m.uid ?? keyOf(pod), reason, note)) return Promise.resolve();
  const write = (): Promise<void> => ctx.kube.recordEvent({
    regarding: { kind: 'Pod', name: m.name ?? '', namespace: m.namespace ?? 'default', ...(m.uid ? { uid: m.uid } : {}), apiVersion: 'v1' },
    type, reason, note, action: 'Provisioning',
  }).catch((e: unknown) => {
    ctx.log.warn({ pod: keyOf(pod), reason, error: String(e) }, 'recording a pod event failed');
  });
  return lane ? lane.run(write) : write();
}
