/**
 * Instance types and offerings as a cloud provider describes them to the solver. Plain data, so
 * every layer above can read them; the solver turns them into scheduling requirements.
 */
import type { ResourceList } from '../utils/resources.js';

export type CapacityType = 'spot' | 'on-demand' | 'reserved';
export const CAPACITY_TYPES: readonly CapacityType[] = ['reserved', 'spot', 'on-demand'];

/** One way to buy an instance type: in a zone, with a capacity type, at a price. */
export interface Offering {
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** USD per hour. */
  readonly price: number;
  /** False while the cloud lacks capacity (or a cache marked it unavailable). */
  readonly available: boolean;
}

export interface InstanceType {
  /** e.g. "m5.large"; also the value of node.kubernetes.io/instance-type. */
  readonly name: string;
  /**
   * Label key → the values a node of this type may carry (usually one; fake catalogues allow several,
   * e.g. kubernetes.io/os in [linux, windows]). Zone and capacity type are not here: they come from
   * the offerings. The instance-type label itself is included.
   */
  readonly requirements: Readonly<Record<string, readonly string[]>>;
  /** Capacity of the machine (cpu in millicores; memory, storage in bytes; pods and extended resources as counts). */
  readonly capacity: ResourceList;
  /** Kube-reserved + system-reserved + eviction threshold; allocatable = capacity − overhead. */
  readonly overhead: ResourceList;
  readonly offerings: readonly Offering[];
}
