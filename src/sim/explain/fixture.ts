/** A small hand-written simulation result for the explain tests. */
import type { Decision, LoggedDecision, SimulationResult } from '../result.js';
import type { MachineRecord } from './machines.js';

const nw = (t: number, kind: Decision['kind'], summary: string, details: Partial<Decision['details']> & { why: string }): Decision =>
  ({ t, strategy: 'nodewright', kind, summary, details: { alternativesRejected: [], ...details } });

export const NODEWRIGHT_DECISIONS: readonly Decision[] = [
  nw(60, 'provision', 'launched 2 NodeClaims for 3 pods', {
    why: 'nodeclaim pool-a (nodepool default): m5.large at $0.0960/h, the cheapest of 3 compatible instance types, for 2 pods; nodeclaim pool-b (nodepool default): c5.xlarge at $0.1700/h, the cheapest of 1 compatible instance type, for 1 pod',
    alternativesRejected: ['m5.xlarge for pool-a: $0.1920/h, more than m5.large at $0.0960/h'],
    costPerHourBefore: 0.1, costPerHourAfter: 0.366, nodes: ['pool-a', 'pool-b'], pods: ['default/web-0', 'default/web-1', 'batch/big-0'],
  }),
  nw(90, 'provision', 'launched 1 NodeClaim for 1 pod', {
    why: 'nodeclaim pool-c (nodepool default): t3.small at $0.0208/h, the cheapest of 4 compatible instance types, for 1 pod',
    alternativesRejected: ['t3.medium for pool-c: $0.0416/h, more than t3.small at $0.0208/h'],
    costPerHourBefore: 0.366, costPerHourAfter: 0.3868, nodes: ['pool-c'], pods: ['default/api-0'],
  }),
  nw(600, 'consolidate-delete', 'deleting 1 underused node (ip-10-0-0-1): their pods fit on other nodes', {
    why: 'single-node-consolidation: the 1 pod of ip-10-0-0-1 fit on other nodes; removing 1 node saves $0.1000/h',
    alternativesRejected: ['consolidate ip-10-0-0-2: pod default/web-0 fits on no other node'],
    costPerHourBefore: 0.1, costPerHourAfter: 0, nodes: ['ip-10-0-0-1'], pods: ['default/db-0'],
  }),
  nw(601, 'provision', 'placed 1 pod on existing or in-flight capacity', {
    why: '1 pod fit on ip-10-0-0-2, so no new machine is needed for them', nodes: [], pods: ['default/db-0'],
  }),
  nw(1200, 'consolidate-replace', 'replacing 1 underused node (ip-10-0-0-3) with 1 new NodeClaim (pool-d), cheaper', {
    why: 'single-node-consolidation: the 2 pods fit on a t3.small; saves $0.0752/h',
    costPerHourBefore: 0.096, costPerHourAfter: 0.0208, nodes: ['ip-10-0-0-3', 'pool-d'], pods: ['default/web-1'],
  }),
  nw(1800, 'interruption', 'replacing interrupted spot node ip-10-0-0-4', { why: 'spot interruption warning', nodes: ['ip-10-0-0-4'] }),
  nw(2400, 'expire', 'expiring node ip-10-0-0-2', { why: 'older than expireAfter 720h', nodes: ['ip-10-0-0-2'] }),
];

export const CA_DECISIONS: readonly Decision[] = [
  { t: 30, strategy: 'cluster-autoscaler', kind: 'scale-up', summary: 'scale-up: ng-m5 2 → 3 (1 × m5.large on-demand) for 1 pods',
    details: { why: '1 unschedulable pods fit on no existing or upcoming node; chosen by least-waste', alternativesRejected: ['ng-c5: 1 × c5.xlarge; more waste'],
      costPerHourBefore: 0.192, costPerHourAfter: 0.288, pods: ['default/web-0'] } },
  { t: 900, strategy: 'cluster-autoscaler', kind: 'scale-down', summary: 'scale-down: ng-m5 3 → 2, removed node-3 (unneeded 10m)',
    details: { why: 'utilisation 20% < 50% for 10m', alternativesRejected: [], costPerHourBefore: 0.288, costPerHourAfter: 0.192, nodes: ['node-3'] } },
];

export function fixtureResult(): SimulationResult {
  const strategy = (decisions: readonly Decision[]) => ({
    podWaitSeconds: { p50: 0, p95: 0, p99: 0, max: 0, count: 0 }, totalCost: 1, peakNodes: 3, pendingAtEnd: 2, evictions: 0,
    disruptions: { empty: 0, underutilized: 0, drifted: 0, expired: 0, interrupted: 0 }, lowerBoundCost: 0.5, replayWallSeconds: 0.1,
    utilisation: { cpu: 0.5, memory: 0.5 }, series: { stepSeconds: 60, samples: [] }, instanceTypes: {}, decisions,
  });
  return { scenario: 'fixture', seed: 1, horizonSeconds: 3600, notes: [],
    strategies: { nodewright: strategy(NODEWRIGHT_DECISIONS), 'cluster-autoscaler': strategy(CA_DECISIONS) } };
}

const nwAny = (t: number, kind: LoggedDecision['kind'], summary: string, details: Partial<Decision['details']> & { why: string },
  extra: Partial<Pick<LoggedDecision, 'repeats' | 'omittedBefore'>> = {}): LoggedDecision =>
  ({ t, strategy: 'nodewright', kind, summary, details: { alternativesRejected: [], ...details }, ...extra });

/**
 * A log with the why-not records a real run keeps (shapes as in testdata/never-fits.result.json):
 * a pod that never fits, a pod held back by a limit that later ran, pods placed per NodeClaim, a
 * node kept by a PodDisruptionBudget, a pool held back by its budget, a node consolidated later.
 */
export const WHY_NOT_DECISIONS: readonly LoggedDecision[] = [
  nwAny(1, 'unschedulable', 'pod default/huge fits on no node, and no NodePool can launch one for it', {
    why: 'no instance type in nodepool small is big enough: needs 100 cpu', pods: ['default/huge'],
    alternativesRejected: ['nodepool small: no instance type is big enough: needs 100 cpu', 'nodepool gpu: its NodeClass is not ready'],
  }, { repeats: { count: 12, lastT: 1140 } }),
  nwAny(30, 'disruption-blocked', 'not disrupting node ip-1', {
    why: 'PodDisruptionBudget default/web allows no disruption of pod default/web-0 now', nodes: ['ip-1'], nodePool: 'small',
  }, { repeats: { count: 4, lastT: 900 } }),
  nwAny(61, 'unschedulable', 'pod default/wave-a fits on no node, and no NodePool can launch one for it', {
    why: 'nodepool small would exceed its limits (cpu: 23 left) with a node big enough for this pod', pods: ['default/wave-a'],
    alternativesRejected: ['nodepool small: nodepool small would exceed its limits (cpu: 23 left) with a node big enough for this pod'],
  }),
  nwAny(61, 'provision', 'launched 2 NodeClaims for 3 pods', {
    why: 'nodeclaim small-x (nodepool small): c-16x at $0.4344/h, the cheapest of 6 compatible instance types, for 2 pods; ' +
      'nodeclaim small-y (nodepool small): c-2x at $0.0543/h, the cheapest of 6 compatible instance types, for 1 pod',
    alternativesRejected: ['c-16x-arm for small-x: $0.4500/h, more than c-16x at $0.4344/h', 'c-2x-arm for small-y: $0.0600/h, more than c-2x at $0.0543/h', 'nodepool big: took none of these pods: its requirements, taints or limits rule them out'],
    costPerHourBefore: 0.0271, costPerHourAfter: 0.5158, nodes: ['small-x', 'small-y'], pods: ['default/wave-b', 'default/wave-c', 'default/wave-d'], nodePool: 'small',
    placements: [{ node: 'small-x', pods: ['default/wave-b', 'default/wave-c'], launched: true }, { node: 'small-y', pods: ['default/wave-d'], launched: true }],
  }),
  nwAny(90, 'unschedulable', 'pod default/wave-a fits on no node, and no NodePool can launch one for it', {
    why: 'nodepool small would exceed its limits (cpu: 1 left) with a node big enough for this pod', pods: ['default/wave-a'],
    alternativesRejected: ['nodepool small: nodepool small would exceed its limits (cpu: 1 left) with a node big enough for this pod'],
  }, { repeats: { count: 3, lastT: 150 } }),
  nwAny(130, 'disruption-blocked', 'not disrupting more nodes of nodepool small for Underutilized: its disruption budget is used up', {
    why: 'budget nodes=10% allows 1 of 4 nodes for Underutilized, 0 already being disrupted', nodePool: 'small',
  }, { repeats: { count: 2, lastT: 270 } }),
  nwAny(130, 'disruption-blocked', 'not consolidating node ip-3', {
    why: 'pod default/wave-b fits on no other node, and the cheapest instance type that holds them costs $0.4344/h, not less than $0.4344/h',
    nodes: ['ip-3'], nodePool: 'small',
  }),
  nwAny(315, 'consolidate-delete', 'deleting 1 underused node (ip-2): their pods fit on other nodes', {
    why: 'single-node-consolidation: the 1 pod of ip-2 fit on other nodes; removing 1 node saves $0.0543/h',
    costPerHourBefore: 0.0543, costPerHourAfter: 0, nodes: ['ip-2'], pods: ['default/wave-a'], nodePool: 'small',
  }),
  nwAny(500, 'disruption-blocked', 'not consolidating node ip-3', {
    why: 'its pods would need 2 new nodes, and consolidation replaces with at most one', nodes: ['ip-3'], nodePool: 'small',
  }, { omittedBefore: 7 }),
  nwAny(505, 'consolidate-replace', 'replacing 1 underused node (ip-3) with 1 new NodeClaim (small-z), cheaper', {
    why: 'single-node-consolidation: the 1 pod of ip-3 fit on a small NodeClaim from $0.0543/h; saves $0.3801/h',
    costPerHourBefore: 0.4344, costPerHourAfter: 0.0543, nodes: ['ip-3', 'small-z'], pods: ['default/wave-b'], nodePool: 'small',
  }),
  nwAny(506, 'provision', 'placed 1 pod on existing or in-flight capacity', {
    why: '1 pod fit on small-z, so no new machine is needed for them', nodes: [], pods: ['default/wave-b'],
    placements: [{ node: 'small-z', pods: ['default/wave-b'], launched: false }],
  }),
];

/**
 * A log whose machines are linked: the result's `machines` list gives each NodeClaim's Node. NodeClaim
 * pool-a became ip-1 (kept by a PodDisruptionBudget), pool-b became ip-2 (replaced by pool-c, which
 * became ip-3). Launches name the claims, disruptions the Nodes, as in a real run.
 */
export const LINKED_DECISIONS: readonly LoggedDecision[] = [
  nwAny(60, 'provision', 'launched 2 NodeClaims for 2 pods', {
    why: 'nodeclaim pool-a (nodepool default): m5.large at $0.0960/h, the cheapest of 3 compatible instance types, for 1 pod; ' +
      'nodeclaim pool-b (nodepool default): c5.xlarge at $0.1700/h, the cheapest of 1 compatible instance type, for 1 pod',
    costPerHourBefore: 0, costPerHourAfter: 0.266, nodes: ['pool-a', 'pool-b'], pods: ['default/web-0', 'default/web-1'], nodePool: 'default',
    placements: [{ node: 'pool-a', pods: ['default/web-0'], launched: true }, { node: 'pool-b', pods: ['default/web-1'], launched: true }],
  }),
  nwAny(100, 'provision', 'placed 1 pod on existing or in-flight capacity', {
    why: '1 pod fit on ip-1, so no new machine is needed for them', nodes: [], pods: ['default/web-2'],
    placements: [{ node: 'ip-1', pods: ['default/web-2'], launched: false }],
  }),
  nwAny(600, 'disruption-blocked', 'not disrupting node ip-1', {
    why: 'PodDisruptionBudget default/web allows no disruption of pod default/web-0 now', nodes: ['ip-1'], nodePool: 'default',
  }, { repeats: { count: 3, lastT: 900 } }),
  nwAny(700, 'consolidate-replace', 'replacing 1 underused node (ip-2) with 1 new NodeClaim (pool-c), cheaper', {
    why: 'single-node-consolidation: the 1 pod of ip-2 (c5.xlarge, on-demand, $0.1700/h) fit on a default NodeClaim (t3.small) from $0.0208/h; saves $0.1492/h',
    costPerHourBefore: 0.17, costPerHourAfter: 0.0208, nodes: ['ip-2', 'pool-c'], pods: ['default/web-1'], nodePool: 'default',
  }),
  nwAny(701, 'provision', 'placed 1 pod on existing or in-flight capacity', {
    why: '1 pod fit on pool-c, so no new machine is needed for them', nodes: [], pods: ['default/web-1'],
    placements: [{ node: 'pool-c', pods: ['default/web-1'], launched: false }],
  }),
];

/** The machines of {@link LINKED_DECISIONS}, as the proposed `strategies.<name>.machines` list gives them. */
export const LINKED_MACHINES: readonly MachineRecord[] = [
  { nodeClaim: 'pool-a', node: 'ip-1', instanceType: 'm5.large', capacityType: 'on-demand', zone: 'us-east-1a', pricePerHour: 0.096, launchedAt: 61, registeredAt: 90 },
  { nodeClaim: 'pool-b', node: 'ip-2', instanceType: 'c5.xlarge', capacityType: 'on-demand', zone: 'us-east-1b', pricePerHour: 0.17, launchedAt: 61, registeredAt: 92, terminatedAt: 760 },
  { nodeClaim: 'pool-c', node: 'ip-3', instanceType: 't3.small', capacityType: 'spot', zone: 'us-east-1a', pricePerHour: 0.0208, launchedAt: 701, registeredAt: 730 },
];
