/**
 * The CloudProvider interface: how controllers launch, find and delete machines. Implementations:
 * `sim/` (the simulated cloud of the embedded mode), `fake/` (records calls, injected errors, for
 * tests), `kwok/` (Node objects on a real cluster) and `aws/` (EC2). All pass one contract suite.
 */
import type { NodePool, NodeClaim } from '../apis/v1/types.js';
import type { InstanceType } from './types.js';

export interface CloudProvider {
  /** "sim", "fake", "kwok", "aws". */
  readonly name: string;

  /**
   * Launches one machine for the claim: the cheapest available offering among the instance types,
   * zones and capacity types its requirements allow (reserved before spot before on-demand where
   * allowed and priced equally). Idempotent per claim name: a retry after a lost reply returns the
   * machine already launched for it instead of a second one.
   * @returns the claim with status.providerID, status.capacity, status.allocatable (and imageID)
   *   set, and metadata.labels carrying the chosen instance type, zone, capacity type, arch, os and
   *   the type's other well-known labels.
   * @throws InsufficientCapacityError (with the offerings that failed, to mark unavailable),
   *   NodeClassNotReadyError, CloudProviderError (throttling and other API errors; `retryable`).
   */
  create(nodeClaim: NodeClaim): Promise<NodeClaim>;

  /**
   * Terminates the claim's machine (by status.providerID). Idempotent in effect.
   * @throws NodeClaimNotFoundError once the machine is gone (the caller treats that as done),
   *   CloudProviderError.
   */
  delete(nodeClaim: NodeClaim): Promise<void>;

  /**
   * The machine with this provider ID, as a NodeClaim (labels, capacity, status.providerID;
   * metadata.name is the name of the claim it was launched for, from its tags).
   * @throws NodeClaimNotFoundError, CloudProviderError.
   */
  get(providerID: string): Promise<NodeClaim>;

  /** Every machine this provider launched for this cluster and that is not terminated (for garbage collection). */
  list(): Promise<NodeClaim[]>;

  /** The instance types (with offerings, prices and availability) the pool could launch. */
  getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]>;

  /**
   * Provider-specific drift (the image, subnets or security groups changed), as a reason
   * ("AMIDrift"), or undefined when the machine still matches its node class.
   */
  isDrifted(nodeClaim: NodeClaim): Promise<string | undefined>;
}

/** A capacity-type/zone/instance-type combination that failed to launch. */
export interface FailedOffering {
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: string;
}

export class CloudProviderError extends Error {
  /** True for throttling and transient (5xx, timeout) errors: retry with backoff. */
  readonly retryable: boolean;
  /** The cloud API's request id, when it gave one. */
  readonly requestId: string | undefined;

  constructor(message: string, options: { retryable?: boolean; requestId?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CloudProviderError';
    this.retryable = options.retryable ?? false;
    this.requestId = options.requestId;
  }
}

/** No capacity for any of the offerings tried; they should be marked unavailable for a while. */
export class InsufficientCapacityError extends CloudProviderError {
  constructor(message: string, readonly offerings: readonly FailedOffering[], options: { requestId?: string; cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
    this.name = 'InsufficientCapacityError';
  }
}

/** The machine (or the claim's machine) does not exist (any more). */
export class NodeClaimNotFoundError extends CloudProviderError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
    this.name = 'NodeClaimNotFoundError';
  }
}

/** The claim's node class is missing or not ready (no subnets, no image, ...). */
export class NodeClassNotReadyError extends CloudProviderError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
    this.name = 'NodeClassNotReadyError';
  }
}

export const isInsufficientCapacity = (e: unknown): e is InsufficientCapacityError => e instanceof InsufficientCapacityError;
export const isNodeClaimNotFound = (e: unknown): e is NodeClaimNotFoundError => e instanceof NodeClaimNotFoundError;
export const isNodeClassNotReady = (e: unknown): e is NodeClassNotReadyError => e instanceof NodeClassNotReadyError;
