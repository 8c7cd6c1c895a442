/**
 * What controllers report for monitoring, as typed calls: the composition root (operator/) backs
 * it with Prometheus under Karpenter's metric names; tests and the simulator use `noopMetrics`.
 * Resources are in the canonical units of utils/resources.ts (cpu in millicores, bytes, counts).
 */
import type { ResourceList } from '../utils/resources.js';

/** A pod's place in the cluster, as karpenter_pods_state labels it. */
export interface PodStateInfo {
  readonly namespace: string;
  readonly name: string;
  readonly phase: string;
  readonly node?: string;
  readonly nodePool?: string;
  /** The owning controller ("ReplicaSet/web-7d4b9"). */
  readonly owner?: string;
  readonly zone?: string;
  readonly instanceType?: string;
  readonly capacityType?: string;
}

/** A node, as karpenter_nodes_* metrics label it. */
export interface NodeInfo {
  readonly name: string;
  readonly nodePool?: string;
  readonly instanceType?: string;
  readonly capacityType?: string;
  readonly zone?: string;
  readonly arch?: string;
  readonly os?: string;
}

export type DisruptionDecision = 'delete' | 'replace';
export type ReconcileOutcome = 'success' | 'error' | 'requeue';

export interface Metrics {
  /** karpenter_nodeclaims_created_total{nodepool, reason}: reason "provisioning" or "disruption". */
  nodeClaimCreated(nodePool: string, reason: string): void;
  /** karpenter_nodeclaims_terminated_total{nodepool, capacity_type}. */
  nodeClaimTerminated(nodePool: string, capacityType?: string): void;
  /** karpenter_nodeclaims_disrupted_total{nodepool, reason, capacity_type}. */
  nodeClaimDisrupted(nodePool: string, reason: string, capacityType?: string): void;
  /** karpenter_nodes_created_total{nodepool}. */
  nodeCreated(nodePool: string): void;
  /** karpenter_nodes_terminated_total{nodepool}. */
  nodeTerminated(nodePool: string): void;
  /** karpenter_nodes_allocatable and karpenter_nodes_total_pod_requests for a node (replacing earlier values). */
  setNodeResources(node: NodeInfo, allocatable: ResourceList, podRequests: ResourceList): void;
  /** Forgets a node's series. */
  deleteNode(name: string): void;
  /** karpenter_nodepools_usage and karpenter_nodepools_limit{nodepool, resource_type}. */
  setNodePoolResources(nodePool: string, usage: ResourceList, limits: ResourceList): void;
  deleteNodePool(nodePool: string): void;
  /** karpenter_pods_state (one series per pod, replacing its earlier one). */
  setPodState(pod: PodStateInfo): void;
  deletePodState(namespace: string, name: string): void;
  /** karpenter_pods_startup_duration_seconds: from creation to Running. */
  podStartupDuration(seconds: number): void;
  /** karpenter_scheduler_scheduling_duration_seconds{controller}: one provisioning solve. */
  schedulingDuration(seconds: number, controller?: string): void;
  /** karpenter_scheduler_queue_depth{controller}: pods waiting for the next solve. */
  schedulerQueueDepth(pods: number, controller?: string): void;
  /** karpenter_voluntary_disruption_decisions_total{decision, reason, consolidation_type}. */
  disruptionDecision(decision: DisruptionDecision, reason: string, consolidationType?: string): void;
  /** karpenter_voluntary_disruption_eligible_nodes{reason}. */
  disruptionEligibleNodes(reason: string, nodes: number): void;
  /** karpenter_voluntary_disruption_decision_evaluation_duration_seconds{method, consolidation_type}. */
  disruptionEvaluationDuration(method: string, seconds: number, consolidationType?: string): void;
  /** karpenter_interruption_received_messages_total{message_type}. */
  interruptionMessage(messageType: string): void;
  /** karpenter_interruption_deleted_messages_total and _message_queue_duration_seconds. */
  interruptionMessageDeleted(queuedSeconds: number): void;
  /**
   * karpenter_cloudprovider_duration_seconds{controller, method, provider} and, when `error` (the
   * error's type name) is given, karpenter_cloudprovider_errors_total{..., error}.
   */
  cloudProviderCall(method: string, provider: string, seconds: number, error?: string, controller?: string): void;
  /** controller_runtime_reconcile_total{controller, result}, _errors_total and _time_seconds. */
  reconcile(controller: string, outcome: ReconcileOutcome, seconds: number): void;
}

const nothing = (): void => undefined;

/** Metrics that go nowhere. */
export const noopMetrics: Metrics = {
  nodeClaimCreated: nothing,
  nodeClaimTerminated: nothing,
  nodeClaimDisrupted: nothing,
  nodeCreated: nothing,
  nodeTerminated: nothing,
  setNodeResources: nothing,
  deleteNode: nothing,
  setNodePoolResources: nothing,
  deleteNodePool: nothing,
  setPodState: nothing,
  deletePodState: nothing,
  podStartupDuration: nothing,
  schedulingDuration: nothing,
  schedulerQueueDepth: nothing,
  disruptionDecision: nothing,
  disruptionEligibleNodes: nothing,
  disruptionEvaluationDuration: nothing,
  interruptionMessage: nothing,
  interruptionMessageDeleted: nothing,
  cloudProviderCall: nothing,
  reconcile: nothing,
};
