/**
 * Prometheus metrics for the operator: the controllers' Metrics interface over a prom-client
 * Registry of its own (never the global one), under Karpenter's metric names where Karpenter has
 * one, plus leader election status and build info. Series that describe objects (a pod's state, a
 * node's allocatable) are replaced when the object changes and removed when it goes.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DisruptionDecision, Metrics, NodeInfo, PodStateInfo, ReconcileOutcome } from '../controllers/metrics.js';
import type { ResourceList } from '../utils/resources.js';
import { CPU } from '../utils/resources.js';

/** Seconds buckets from 5 ms to 10 minutes: solves, cloud calls, reconciles. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Pod startup: seconds to half an hour. */
const STARTUP_BUCKETS = [1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800];

type Labels = Record<string, string>;

/** Karpenter reports cpu in cores and everything else in base units. */
function metricAmount(resource: string, amount: number): number {
  return resource === CPU ? amount / 1000 : amount;
}

export interface PromMetricsOptions {
  /** Also export prom-client's process metrics (cpu, memory, event loop lag, ...). Default false. */
  defaultMetrics?: boolean;
  /** karpenter_build_info{version}. */
  version?: string;
}

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #nodeClaimsCreated: Counter;
  readonly #nodeClaimsTerminated: Counter;
  readonly #nodeClaimsDisrupted: Counter;
  readonly #nodesCreated: Counter;
  readonly #nodesTerminated: Counter;
  readonly #nodesAllocatable: Gauge;
  readonly #nodesPodRequests: Gauge;
  readonly #nodePoolUsage: Gauge;
  readonly #nodePoolLimit: Gauge;
  readonly #podsState: Gauge;
  readonly #podStartup: Histogram;
  readonly #schedulingDuration: Histogram;
  readonly #queueDepth: Gauge;
  readonly #disruptionDecisions: Counter;
  readonly #eligibleNodes: Gauge;
  readonly #disruptionEvaluation: Histogram;
  readonly #interruptionReceived: Counter;
  readonly #interruptionDeleted: Counter;
  readonly #interruptionQueueDuration: Histogram;
  readonly #cloudDuration: Histogram;
  readonly #cloudErrors: Counter;
  readonly #reconcileTotal: Counter;
  readonly #reconcileErrors: Counter;
  readonly #reconcileTime: Histogram;
  readonly #leader: Gauge;
  /** Label sets currently exported per object, so a change or deletion removes the old series. */
  readonly #podSeries = new Map<string, Labels>();
  readonly #nodeSeries = new Map<string, Labels[]>();
  readonly #poolSeries = new Map<string, Labels[]>();

  constructor(options: PromMetricsOptions = {}) {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[]): Counter => new Counter({ name, help, labelNames, registers });
    const gauge = (name: string, help: string, labelNames: string[]): Gauge => new Gauge({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, labelNames: string[], buckets = DURATION_BUCKETS): Histogram =>
      new Histogram({ name, help, labelNames, buckets, registers });
    const node = ['node_name', 'nodepool', 'instance_type', 'capacity_type', 'zone', 'arch', 'os', 'resource_type'];

    this.#nodeClaimsCreated = counter('karpenter_nodeclaims_created_total', 'Number of nodeclaims created, by reason and owning nodepool.', ['nodepool', 'reason']);
    this.#nodeClaimsTerminated = counter('karpenter_nodeclaims_terminated_total', 'Number of nodeclaims terminated, by owning nodepool and capacity type.', ['nodepool', 'capacity_type']);
    this.#nodeClaimsDisrupted = counter('karpenter_nodeclaims_disrupted_total', 'Number of nodeclaims disrupted, by reason, owning nodepool and capacity type.', ['nodepool', 'reason', 'capacity_type']);
    this.#nodesCreated = counter('karpenter_nodes_created_total', 'Number of nodes created, by owning nodepool.', ['nodepool']);
    this.#nodesTerminated = counter('karpenter_nodes_terminated_total', 'Number of nodes terminated, by owning nodepool.', ['nodepool']);
    this.#nodesAllocatable = gauge('karpenter_nodes_allocatable', 'Node allocatable resources (cpu in cores, others in base units).', node);
    this.#nodesPodRequests = gauge('karpenter_nodes_total_pod_requests', 'Resources requested by the pods bound to the node.', node);
    this.#nodePoolUsage = gauge('karpenter_nodepools_usage', 'Resources provisioned by the nodepool.', ['nodepool', 'resource_type']);
    this.#nodePoolLimit = gauge('karpenter_nodepools_limit', 'Resource limits of the nodepool.', ['nodepool', 'resource_type']);
    this.#podsState = gauge('karpenter_pods_state', 'Pod state: 1 for each pod, labelled by where it is and its phase.',
      ['name', 'namespace', 'owner', 'node', 'nodepool', 'zone', 'instance_type', 'capacity_type', 'phase']);
    this.#podStartup = histogram('karpenter_pods_startup_duration_seconds', 'Time from pod creation until the pod is running.', [], STARTUP_BUCKETS);
    this.#schedulingDuration = histogram('karpenter_scheduler_scheduling_duration_seconds', 'Duration of a scheduling simulation.', ['controller']);
    this.#queueDepth = gauge('karpenter_scheduler_queue_depth', 'Pods waiting to be scheduled.', ['controller']);
    this.#disruptionDecisions = counter('karpenter_voluntary_disruption_decisions_total', 'Number of disruption decisions, by decision, reason and consolidation type.',
      ['decision', 'reason', 'consolidation_type']);
    this.#eligibleNodes = gauge('karpenter_voluntary_disruption_eligible_nodes', 'Nodes eligible for disruption, by reason.', ['reason']);
    this.#disruptionEvaluation = histogram('karpenter_voluntary_disruption_decision_evaluation_duration_seconds', 'Duration of a disruption evaluation.',
      ['method', 'consolidation_type']);
    this.#interruptionReceived = counter('karpenter_interruption_received_messages_total', 'Interruption messages received, by type.', ['message_type']);
    this.#interruptionDeleted = counter('karpenter_interruption_deleted_messages_total', 'Interruption messages deleted from the queue.', []);
    this.#interruptionQueueDuration = histogram('karpenter_interruption_message_queue_duration_seconds', 'Time a message spent in the queue.', []);
    this.#cloudDuration = histogram('karpenter_cloudprovider_duration_seconds', 'Duration of cloud provider calls.', ['controller', 'method', 'provider']);
    this.#cloudErrors = counter('karpenter_cloudprovider_errors_total', 'Failed cloud provider calls, by error type.', ['controller', 'method', 'provider', 'error']);
    this.#reconcileTotal = counter('controller_runtime_reconcile_total', 'Reconciles, by controller and result.', ['controller', 'result']);
    this.#reconcileErrors = counter('controller_runtime_reconcile_errors_total', 'Failed reconciles, by controller.', ['controller']);
    this.#reconcileTime = histogram('controller_runtime_reconcile_time_seconds', 'Duration of reconciles, by controller.', ['controller']);
    this.#leader = gauge('leader_election_master_status', '1 while this replica is the leader, else 0.', ['name']);
    const build = gauge('karpenter_build_info', "A constant 1 labelled by nodewright's version.", ['version']);
    build.set({ version: options.version ?? 'dev' }, 1);
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** leader_election_master_status{name}. */
  setLeader(name: string, leading: boolean): void {
    this.#leader.set({ name }, leading ? 1 : 0);
  }

  nodeClaimCreated(nodePool: string, reason: string): void {
    this.#nodeClaimsCreated.inc({ nodepool: nodePool, reason });
  }

  nodeClaimTerminated(nodePool: string, capacityType = ''): void {
    this.#nodeClaimsTerminated.inc({ nodepool: nodePool, capacity_type: capacityType });
  }

  nodeClaimDisrupted(nodePool: string, reason: string, capacityType = ''): void {
    this.#nodeClaimsDisrupted.inc({ nodepool: nodePool, reason, capacity_type: capacityType });
  }

  nodeCreated(nodePool: string): void {
    this.#nodesCreated.inc({ nodepool: nodePool });
  }

  nodeTerminated(nodePool: string): void {
    this.#nodesTerminated.inc({ nodepool: nodePool });
  }

  setNodeResources(n: NodeInfo, allocatable: ResourceList, podRequests: ResourceList): void {
    this.deleteNode(n.name);
    const base: Labels = {
      node_name: n.name, nodepool: n.nodePool ?? '', instance_type: n.instanceType ?? '', capacity_type: n.capacityType ?? '',
      zone: n.zone ?? '', arch: n.arch ?? '', os: n.os ?? '',
    };
    const series: Labels[] = [];
    const resources = new Set([...Object.keys(allocatable), ...Object.keys(podRequests)]);
    for (const resource of resources) {
      const labels = { ...base, resource_type: resource };
      this.#nodesAllocatable.set(labels, metricAmount(resource, allocatable[resource] ?? 0));
      this.#nodesPodRequests.set(labels, metricAmount(resource, podRequests[resource] ?? 0));
      series.push(labels);
    }
    this.#nodeSeries.set(n.name, series);
  }

  deleteNode(name: string): void {
    for (const labels of this.#nodeSeries.get(name) ?? []) {
      this.#nodesAllocatable.remove(labels);
      this.#nodesPodRequests.remove(labels);
    }
    this.#nodeSeries.delete(name);
  }

  setNodePoolResources(nodePool: string, usage: ResourceList, limits: ResourceList): void {
    this.deleteNodePool(nodePool);
    const series: Labels[] = [];
    for (const [resource, amount] of Object.entries(usage)) {
      const labels = { nodepool: nodePool, resource_type: resource };
      this.#nodePoolUsage.set(labels, metricAmount(resource, amount));
      series.push(labels);
    }
    for (const [resource, amount] of Object.entries(limits)) {
      const labels = { nodepool: nodePool, resource_type: resource };
      this.#nodePoolLimit.set(labels, metricAmount(resource, amount));
      series.push(labels);
    }
    this.#poolSeries.set(nodePool, series);
  }

  deleteNodePool(nodePool: string): void {
    for (const labels of this.#poolSeries.get(nodePool) ?? []) {
      this.#nodePoolUsage.remove(labels);
      this.#nodePoolLimit.remove(labels);
    }
    this.#poolSeries.delete(nodePool);
  }

  setPodState(p: PodStateInfo): void {
    this.deletePodState(p.namespace, p.name);
    const labels: Labels = {
      name: p.name, namespace: p.namespace, owner: p.owner ?? '', node: p.node ?? '', nodepool: p.nodePool ?? '',
      zone: p.zone ?? '', instance_type: p.instanceType ?? '', capacity_type: p.capacityType ?? '', phase: p.phase,
    };
    this.#podsState.set(labels, 1);
    this.#podSeries.set(`${p.namespace}/${p.name}`, labels);
  }

  deletePodState(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const labels = this.#podSeries.get(key);
    if (labels) this.#podsState.remove(labels);
    this.#podSeries.delete(key);
  }

  podStartupDuration(seconds: number): void {
    this.#podStartup.observe(seconds);
  }

  schedulingDuration(seconds: number, controller = 'provisioner'): void {
    this.#schedulingDuration.observe({ controller }, seconds);
  }

  schedulerQueueDepth(pods: number, controller = 'provisioner'): void {
    this.#queueDepth.set({ controller }, pods);
  }

  disruptionDecision(decision: DisruptionDecision, reason: string, consolidationType = ''): void {
    this.#disruptionDecisions.inc({ decision, reason, consolidation_type: consolidationType });
  }

  disruptionEligibleNodes(reason: string, nodes: number): void {
    this.#eligibleNodes.set({ reason }, nodes);
  }

  disruptionEvaluationDuration(method: string, seconds: number, consolidationType = ''): void {
    this.#disruptionEvaluation.observe({ method, consolidation_type: consolidationType }, seconds);
  }

  interruptionMessage(messageType: string): void {
    this.#interruptionReceived.inc({ message_type: messageType });
  }

  interruptionMessageDeleted(queuedSeconds: number): void {
    this.#interruptionDeleted.inc();
    this.#interruptionQueueDuration.observe(queuedSeconds);
  }

  cloudProviderCall(method: string, provider: string, seconds: number, error?: string, controller = ''): void {
    this.#cloudDuration.observe({ controller, method, provider }, seconds);
    if (error !== undefined) this.#cloudErrors.inc({ controller, method, provider, error });
  }

  reconcile(controller: string, outcome: ReconcileOutcome, seconds: number): void {
    this.#reconcileTotal.inc({ controller, result: outcome });
    if (outcome === 'error') this.#reconcileErrors.inc({ controller });
    this.#reconcileTime.observe({ controller }, seconds);
  }
}
