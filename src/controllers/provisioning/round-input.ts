/**
 * What a provisioning round hands the solver: the pods that still need a place and the nodes as
 * capacity, with the pods already nominated to in-flight NodeClaims counted on those claims
 * instead of being planned again, and room kept on each launched claim for its DaemonSet pods.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ClusterSnapshot } from '../../state/snapshot.js';
import type { ResourceList } from '../../utils/resources.js';
import { subtractResources } from '../../utils/resources.js';
import type { ControllerOptions } from '../context.js';
import type { PlanBook } from './plan-book.js';
import { RoundNames } from './round-names.js';
import { unseenClaimNode } from './unseen-claims.js';

export interface RoundInput {
  /** Pods to plan: pending (or, with direct binding, unbound) and reschedulable, minus nominated ones. */
  readonly pods: Pod[];
  readonly nodes: SolverNode[];
  /** Pods left out because they are nominated to capacity still on its way. */
  readonly nominated: number;
  /** Pod keys whose nomination was dropped this round (their target went away or came up). */
  readonly renominated: string[];
}

function podMap(snapshot: ClusterSnapshot, binding: ControllerOptions['binding']): Map<string, Pod> {
  const out = new Map<string, Pod>();
  for (const p of binding === 'direct' ? snapshot.unboundPods : snapshot.pendingPods) out.set(keyOf(p), p);
  for (const p of snapshot.reschedulablePods) out.set(keyOf(p), p);
  return out;
}

/** What is left of the target's DaemonSet reservation once its DaemonSet pods are bound. */
function reserveLeft(reserve: ResourceList | undefined, daemonSetRequested: ResourceList): ResourceList | undefined {
  if (!reserve) return undefined;
  const left: Record<string, number> = {};
  let any = false;
  for (const [k, v] of Object.entries(reserve)) {
    const rest = v - (daemonSetRequested[k] ?? 0);
    if (rest > 0) {
      left[k] = rest;
      any = true;
    }
  }
  return any ? left : undefined;
}

/**
 * Prunes the plan (entries of pods that were bound, went away or changed uid; targets that are gone,
 * going away, or initialised when kube-scheduler binds or nothing is left to bind there) and builds
 * the round's input. `unseen`: claims created by an earlier round that the snapshot may not show yet
 * (unseen-claims.ts); those it does not show are kept as targets and added as capacity in flight.
 * Mutates `plan`; reads the snapshot only. `names`: kept across rounds, so a round reads only the
 * machines that changed or that its plan names (the plan's targets, pods and reservations alike,
 * and the unseen claims): a round changes no other node.
 */
export function prepareRound(
  snapshot: ClusterSnapshot, plan: PlanBook, binding: ControllerOptions['binding'], unseen: readonly NodeClaim[] = [],
  names: RoundNames = new RoundNames(),
): RoundInput {
  const wanted = plan.targets();
  for (const c of unseen) if (c.metadata.name !== undefined) wanted.push(c.metadata.name);
  const { byName, solverNamed } = names.named(snapshot.stateNodes, snapshot.solverNodes, wanted);
  const pending = new Map<string, NodeClaim>();
  for (const c of unseen) if (c.metadata.name !== undefined && !byName.has(c.metadata.name)) pending.set(c.metadata.name, c);
  const renominated: string[] = [];
  for (const target of plan.targets()) {
    if (pending.has(target)) continue;
    const sn = byName.get(target);
    const gone = !sn || sn.deleting || sn.markedForDeletion || sn.disrupted || sn.cordoned;
    // Once up, a node is kube-scheduler's to fill; with direct binding the binder lets go of it.
    const up = !gone && sn.initialized && (binding === 'scheduler' || plan.plannedOnto(target) === 0);
    if (gone || up) renominated.push(...plan.forgetTarget(target));
  }
  const candidates = podMap(snapshot, binding);
  for (const target of plan.targets()) {
    for (const e of plan.onTarget(target)) {
      const pod = candidates.get(e.pod);
      if (!pod || pod.metadata.uid !== e.uid) plan.forget(e.pod);
    }
  }
  const pods: Pod[] = [];
  let nominated = 0;
  for (const [key, pod] of candidates) {
    if (plan.of(key)) nominated++;
    else pods.push(pod);
  }
  const nodes = snapshot.solverNodes.map((node, k) => {
    const sn = solverNamed(k) ? byName.get(node.name) : undefined;
    if (!sn) return node;
    const claimName = sn.nodeClaimName;
    const nodeName = sn.nodeName !== claimName ? sn.nodeName : undefined;
    const reserve = sn.inFlight ? reserveLeft(plan.daemonOverhead(claimName ?? sn.name), sn.daemonSetRequested) : undefined;
    // Most nodes have nothing planned onto them: no lists built for those.
    const planned = (claimName !== undefined ? plan.plannedOnto(claimName) : 0) + (nodeName !== undefined ? plan.plannedOnto(nodeName) : 0);
    if (planned === 0 && !reserve) return node;
    const entries = [
      ...(claimName !== undefined ? plan.onTarget(claimName) : []),
      ...(nodeName !== undefined ? plan.onTarget(nodeName) : []),
    ];
    const extra = entries.map((e) => candidates.get(e.pod)).filter((p): p is Pod => p !== undefined);
    return {
      ...node,
      pods: extra.length > 0 ? [...node.pods, ...extra] : node.pods,
      allocatable: reserve ? subtractResources(node.allocatable, reserve) : node.allocatable,
    };
  });
  for (const [name, claim] of pending) {
    const node = unseenClaimNode(claim);
    const reserve = reserveLeft(plan.daemonOverhead(name), {});
    nodes.push({
      ...node,
      pods: plan.onTarget(name).map((e) => candidates.get(e.pod)).filter((p): p is Pod => p !== undefined),
      allocatable: reserve ? subtractResources(node.allocatable, reserve) : node.allocatable,
    });
  }
  return { pods, nodes, nominated, renominated };
}
