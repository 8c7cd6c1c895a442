/**
 * "Could these machines' pods go elsewhere?": one solver run over the pass's SimulationBase with
 * the leaving machines left out. Pending pods are placed too, so capacity they need is not counted
 * as free; pods of machines already being disrupted must still find a place, as Karpenter requires.
 * A candidate's pod the solver puts on a machine that is not initialised yet counts as not placed
 * (Karpenter's UninitializedNodeError): that machine's zone, capacity and readiness are still
 * promises, and a decision resting on them evicts pods that then need a machine of their own. The
 * solve stops at the first such placement, so the failures then name that pod and those found
 * before it, not every pod that would have failed.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import { solve } from '../../scheduling/solver.js';
import type { PlannedNodeClaim, SolverResult, UnschedulablePod } from '../../scheduling/types.js';
import type { Least, OtherPods, SimulationBase } from './simulation-base.js';
import { leastRequests } from './simulation-base.js';
import type { LeavingNode } from './types.js';

export interface SimulationResult {
  /** Pods of leaving machines (these and those already being disrupted) that found no place. */
  readonly failures: readonly UnschedulablePod[];
  /** New NodeClaims the solver opened for pods of leaving machines (claims for pending pods only are left out). */
  readonly newClaims: readonly PlannedNodeClaim[];
  /** Pods of leaving machines placed on existing or in-flight nodes. */
  readonly placedOnExisting: number;
  /** The solver's whole answer (pending pods included). */
  readonly solverResult: SolverResult;
  /**
   * True when the solve stopped because more than `mostNewClaims` new claims held pods of leaving
   * machines: `failures` and `newClaims` are then incomplete, and all that is known is that the
   * pods need more new nodes than that or some of them find no place.
   */
  readonly tooManyClaims: boolean;
}

/**
 * Runs the simulation. Never throws for bad pods (they are failures). With `mostNewClaims`, stops
 * once more new claims than that hold pods of leaving machines (tooManyClaims), for callers to whom
 * that already means "no".
 */
export function simulate(base: SimulationBase, leaving: readonly LeavingNode[], mostNewClaims?: number): SimulationResult {
  const exclude = new Set<string>();
  for (const l of leaving) {
    exclude.add(l.nodeName);
    if (l.claimName !== undefined) exclude.add(l.claimName);
  }
  const { pods, moving, least } = simulationPods(ownPods(leaving), base.snapshot.reschedulablePods, base.pending, base.otherPods);
  const deleting = base.deletingPods;
  const inFlight = base.inFlight;
  // Pods of machines already going away may count on one coming up (it was launched for them).
  const onUninitialized = (p: Pod, node: string): boolean => inFlight.has(node) && moving(p) && !deleting.has(keyOf(p));
  const result = solve({
    pods,
    nodeSubset: base.solverNodes(exclude, pods, least),
    nodePools: base.solverPools(leaving),
    daemonSets: base.snapshot.daemonSets,
    volumes: base.snapshot.volumes,
    options: base.options,
    // The first such placement settles the answer: the rest of the solve would not change it.
    stopWhenPlaced: inFlight.size > 0 ? onUninitialized : undefined,
    stopWhenClaimed: mostNewClaims === undefined ? undefined : { pods: moving, most: mostNewClaims },
  });
  if (result.stopped?.claims === true) return { failures: [], newClaims: [], placedOnExisting: 0, solverResult: result, tooManyClaims: true };
  const failures = result.unschedulable.filter((u) => moving(u.pod));
  let placedOnExisting = 0;
  for (const n of result.existingNodes) {
    const uninitialized = inFlight.has(n.node);
    for (const p of n.pods) {
      if (!moving(p)) continue;
      if (uninitialized && !deleting.has(keyOf(p))) failures.push({ pod: p, reason: `would schedule against uninitialized node ${n.node}` });
      else placedOnExisting++;
    }
  }
  return {
    failures,
    newClaims: result.newNodeClaims.filter((c) => c.pods.some(moving)),
    placedOnExisting,
    solverResult: result,
    tooManyClaims: false,
  };
}

/** The pods of leaving machines, one per key, as a simulation moves them. */
export interface OwnPods {
  /** Each key's last pod, at the key's first place. */
  readonly byKey: ReadonlyMap<string, Pod>;
  /** The values of byKey, in order. */
  readonly pods: readonly Pod[];
  /** The pods of `pods`. */
  readonly set: ReadonlySet<Pod>;
  /** leastRequests(pods). */
  readonly least: Least;
}

function ownPodsOf(byKey: ReadonlyMap<string, Pod>): OwnPods {
  const pods = [...byKey.values()];
  return { byKey, pods, set: new Set(pods), least: leastRequests(pods) };
}

/**
 * Per pod list (a machine's reschedulable pods: the same list while its pods are the same, and
 * pods are never edited in place), its OwnPods: a machine simulated again and again is keyed once.
 */
const ownByList = new WeakMap<readonly Pod[], OwnPods>();

function listOwnPods(list: readonly Pod[]): OwnPods {
  let own = ownByList.get(list);
  if (own === undefined) {
    const byKey = new Map<string, Pod>();
    for (const p of list) byKey.set(keyOf(p), p);
    ownByList.set(list, (own = ownPodsOf(byKey)));
  }
  return own;
}

/**
 * The OwnPods of the leaving machines' reschedulable pods, in their order. Each list's is kept
 * (the lists must not be edited after); several lists' maps are merged in order, which keeps each
 * key at its first place with its last pod, as one pass over all their pods would.
 */
export function ownPods(leaving: readonly Pick<LeavingNode, 'reschedulablePods'>[]): OwnPods {
  if (leaving.length === 1) return listOwnPods(leaving[0]!.reschedulablePods);
  const byKey = new Map<string, Pod>();
  for (const l of leaving) for (const [key, p] of listOwnPods(l.reschedulablePods).byKey) byKey.set(key, p);
  return ownPodsOf(byKey);
}

/** The pods a simulation places, which of them must move, and leastRequests(pods). */
export interface SimulationPods {
  readonly pods: readonly Pod[];
  /** For the pods of `pods` (the solver hands back the pod objects it is given). */
  readonly moving: (pod: Pod) => boolean;
  readonly least: Least;
}

/**
 * The pods a simulation places: the leaving machines' pods (`own`), then those of machines
 * already going away (`going`), then the `pending` pods whose key is not among those; the first
 * two must move. What does not depend on the leaving machines comes from `others` (otherPods of
 * `going` and `pending`), unless one of their pods has the key of a leaving machine's pod.
 */
export function simulationPods(own: OwnPods, going: readonly Pod[], pending: readonly Pod[], others: OtherPods): SimulationPods {
  let clash = false;
  for (const key of own.byKey.keys()) if (others.keys.has(key)) clash = true;
  if (clash) {
    // A pod of a machine going away takes the place of a leaving one's pod of the same key.
    const mustMove = new Map(own.byKey);
    for (const p of going) mustMove.set(keyOf(p), p);
    const pods: Pod[] = [...mustMove.values()];
    for (const p of pending) if (!mustMove.has(keyOf(p))) pods.push(p);
    return { pods, moving: (p) => mustMove.has(keyOf(p)), least: leastRequests(pods) };
  }
  const { set, least } = own;
  const goingAway = others.mustMove;
  return {
    pods: own.pods.length === 0 ? others.pods : others.pods.length === 0 ? own.pods : own.pods.concat(others.pods),
    moving: (p) => set.has(p) || goingAway.has(p),
    least: { cpu: Math.min(least.cpu, others.least.cpu), memory: Math.min(least.memory, others.least.memory) },
  };
}

/** The failures in one sentence ("pod a/b: no node fits (cpu)"), at most `max` named. */
export function describeFailures(failures: readonly UnschedulablePod[], max = 3): string {
  const named = failures.slice(0, max).map((f) => `pod ${keyOf(f.pod)}: ${f.reason}`);
  const more = failures.length > max ? ` (and ${failures.length - max} more)` : '';
  return `${named.join('; ')}${more}`;
}
