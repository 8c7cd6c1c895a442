/**
 * A consistent view of the cluster for one provisioning round or one disruption simulation: the
 * solver's existing and in-flight nodes, the pods that need a place, and the objects the solver
 * reads. Taken synchronously, so nothing changes half-way.
 */
import type { DaemonSet, Pod } from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import type { SolverNode, SolverVolumes } from '../scheduling/types.js';
import type { ResourceList } from '../utils/resources.js';
import type { ObjectMaps } from './object-maps.js';
import type { MachineLists } from './machine-views.js';
import type { PodIndex } from './pod-index.js';
import type { StateNode } from './state-node.js';

export interface SnapshotOptions {
  /**
   * Node or NodeClaim names to treat as going away (disruption candidates being simulated): they
   * are left out of `solverNodes` and their pods join `reschedulablePods`.
   */
  exclude?: ReadonlySet<string>;
}

export interface ClusterSnapshot {
  /** Epoch ms of the clock when taken. */
  readonly takenAt: number;
  /** Every machine in the cache. */
  readonly stateNodes: readonly StateNode[];
  /**
   * The cache's machines version when taken: two snapshots of one cache with the same value list
   * machines of the same names in the same order (their contents may differ).
   */
  readonly machinesVersion: number;
  /**
   * Machines new pods may use or that count for topology: all except those marked for deletion,
   * deleting, tainted disrupted or excluded (as Karpenter schedules onto "active" nodes only).
   * Uninitialised ones are `inFlight`, cordoned ones `unschedulable`.
   */
  readonly solverNodes: readonly SolverNode[];
  /** Provisionable pods (see isProvisionable). */
  readonly pendingPods: readonly Pod[];
  /** Unbound pods (see isUnbound): a superset of pendingPods, for direct binding. */
  readonly unboundPods: readonly Pod[];
  /** Pods that must move off machines going away (see isReschedulable). */
  readonly reschedulablePods: readonly Pod[];
  readonly nodePools: readonly NodePool[];
  readonly daemonSets: readonly DaemonSet[];
  readonly volumes: SolverVolumes;
  /** Usage per NodePool (resources of its machines plus `nodes`), for limits. */
  readonly nodePoolUsage: ReadonlyMap<string, ResourceList>;
}

export interface SnapshotSources {
  readonly now: number;
  /** The machines sorted for this snapshot (see listMachines). */
  readonly machines: MachineLists;
  readonly machinesVersion: number;
  readonly pods: PodIndex;
  readonly maps: ObjectMaps;
  readonly usage: (pool: string) => ResourceList;
  readonly pools: readonly string[];
}

/** O(pools + unbound pods) beside what listing the machines cost. */
export function buildSnapshot(src: SnapshotSources): ClusterSnapshot {
  const nodePoolUsage = new Map<string, ResourceList>();
  for (const pool of src.pools) nodePoolUsage.set(pool, src.usage(pool));
  return {
    takenAt: src.now,
    stateNodes: src.machines.stateNodes,
    machinesVersion: src.machinesVersion,
    solverNodes: src.machines.solverNodes,
    pendingPods: src.pods.provisionable(),
    unboundPods: src.pods.unbound(),
    reschedulablePods: src.machines.reschedulablePods,
    nodePools: src.maps.nodePools.list(),
    daemonSets: src.maps.daemonSets.list(),
    volumes: {
      persistentVolumes: src.maps.persistentVolumes.list(),
      persistentVolumeClaims: src.maps.persistentVolumeClaims.list(),
      storageClasses: src.maps.storageClasses.list(),
    },
    nodePoolUsage,
  };
}
