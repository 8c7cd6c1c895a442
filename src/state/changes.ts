/**
 * What the cluster cache tells subscribers, synchronously after each change is applied. Listeners
 * should be cheap (enqueue a key, trigger a batcher) and must not write to the cache.
 */
import type { KubeObject, Pod } from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import type { StateNode } from './state-node.js';

/** Kinds the cache holds without a dedicated change type. */
export type SimpleKind = 'DaemonSet' | 'PodDisruptionBudget' | 'PersistentVolume' | 'PersistentVolumeClaim' | 'StorageClass';

export type StateChange =
  /** A pod became provisionable (it was not, or was not known, before). */
  | { readonly type: 'PodProvisionable'; readonly pod: Pod }
  /** A pod became unbound and waiting (see isUnbound): what direct binding places, with no scheduler to mark it. */
  | { readonly type: 'PodUnbound'; readonly pod: Pod }
  /** Any pod change: added, bound, updated, deleted (then `pod` is its last state). */
  | { readonly type: 'Pod'; readonly pod: Pod; readonly previous: Pod | undefined; readonly deleted: boolean }
  /**
   * A Node or NodeClaim changed, or a controller marked or unmarked it. `deleted`: the machine
   * is gone from the cache (neither Node nor NodeClaim left); `stateNode` is then its last view.
   */
  | { readonly type: 'Node'; readonly stateNode: StateNode; readonly deleted: boolean }
  /** A machine started being disrupted (marked for deletion, deleting, or tainted disrupted): its pods must move. */
  | { readonly type: 'NodeDisrupting'; readonly stateNode: StateNode }
  | { readonly type: 'NodePool'; readonly nodePool: NodePool; readonly deleted: boolean }
  | { readonly type: 'Object'; readonly kind: SimpleKind; readonly object: KubeObject; readonly deleted: boolean }
  /** Every informer has synced. */
  | { readonly type: 'Synced' };

export type StateListener = (change: StateChange) => void;
