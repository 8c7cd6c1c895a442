/**
 * The Cluster Autoscaler model's parameters. Each stands for a flag (or a built-in constant) of
 * kubernetes/autoscaler's cluster-autoscaler, with that program's default, so a comparison with
 * nodewright is against the Cluster Autoscaler as most teams run it. Durations are in ms.
 */

/** Expanders the model implements (`--expander`); see expander.ts for what each does. */
export const EXPANDER_NAMES = ['least-waste', 'random', 'most-pods', 'least-nodes', 'price', 'priority'] as const;
export type ExpanderName = (typeof EXPANDER_NAMES)[number];

export interface ClusterAutoscalerOptions {
  /** `--scan-interval` (10s): time between passes when the last one neither scaled up nor deleted. */
  readonly scanIntervalMs: number;
  /**
   * Built-in (the loop trigger's pod observer): a pod newly marked Unschedulable starts a pass at
   * once instead of waiting for the scan interval. Default true.
   */
  readonly triggerOnUnschedulablePods: boolean;
  /** `--new-pod-scale-up-delay` (0s): pods younger than this are not considered for scale-up. */
  readonly newPodScaleUpDelayMs: number;
  /**
   * Built-in `unschedulablePodTimeBuffer` (2s): when every pending pod is younger than this, the
   * pass waits for more (no scale-up, no scale-down).
   */
  readonly unschedulablePodTimeBufferMs: number;
  /** `--expendable-pods-priority-cutoff` (-10): pods with a lower priority never cause a scale-up. */
  readonly expendablePodsPriorityCutoff: number;
  /**
   * `--expander` (least-waste). A chain: each expander keeps its best options and passes them to
   * the next; ties left at the end are broken by `random` (as the Cluster Autoscaler does).
   */
  readonly expanders: readonly ExpanderName[];
  /**
   * The priority expander's ConfigMap (`cluster-autoscaler-priority-expander`): priority → regular
   * expressions over node group names; the highest priority with a matching group wins.
   */
  readonly expanderPriorities: Readonly<Record<number, readonly string[]>>;
  /** `--max-nodes-total` (0: unlimited): nodes in the cluster the autoscaler will not go beyond. */
  readonly maxNodesTotal: number;
  /** `--max-nodes-per-scaleup` (1000): most nodes one scale-up adds (bounds the estimate too). */
  readonly maxNodesPerScaleUp: number;
  /**
   * `--max-node-provision-time` (15m): a scale-up whose nodes have not registered by then has
   * failed (its group is backed off), and an instance without a Node by then is deleted.
   */
  readonly maxNodeProvisionTimeMs: number;
  /** `--initial-node-group-backoff-duration` (5m): backoff after a group's first failed scale-up. */
  readonly initialNodeGroupBackoffMs: number;
  /** `--max-node-group-backoff-duration` (30m): the backoff doubles per failure up to this. */
  readonly maxNodeGroupBackoffMs: number;
  /** `--node-group-backoff-reset-timeout` (3h): a group this long without a failure starts over at the initial backoff. */
  readonly nodeGroupBackoffResetTimeoutMs: number;
  /**
   * The AWS provider's Auto Scaling Group cache (1m): the autoscaler's view of each group's
   * instances is refreshed at most this often (its own size changes are seen at once).
   */
  readonly groupCacheRefreshMs: number;
  /**
   * Not a Cluster Autoscaler flag: how soon the simulated Auto Scaling Group retries launches that
   * failed for lack of capacity (EC2 retries on its own, on the order of tens of seconds). Default 30s.
   */
  readonly asgLaunchRetryMs: number;
  /** `--scale-down-enabled` (true). */
  readonly scaleDownEnabled: boolean;
  /** `--scale-down-utilization-threshold` (0.5): max(cpu, memory) requested / allocatable below which a node is a candidate. */
  readonly scaleDownUtilizationThreshold: number;
  /** `--scale-down-unneeded-time` (10m): how long a node must be unneeded before it is removed. */
  readonly scaleDownUnneededTimeMs: number;
  /** `--scale-down-unready-time` (20m): the same for a node that is not Ready. */
  readonly scaleDownUnreadyTimeMs: number;
  /** `--scale-down-delay-after-add` (10m): no scale-down this long after a scale-up. */
  readonly scaleDownDelayAfterAddMs: number;
  /** `--scale-down-delay-after-delete` (defaults to the scan interval): no scale-down this long after a deletion. */
  readonly scaleDownDelayAfterDeleteMs: number;
  /** `--scale-down-delay-after-failure` (3m): no scale-down this long after a failed one. */
  readonly scaleDownDelayAfterFailureMs: number;
  /** `--max-empty-bulk-delete` (10): empty nodes deleted at once. */
  readonly maxEmptyBulkDelete: number;
  /** `--scale-down-non-empty-candidates-count` (30): most non-empty nodes simulated for removal per pass, beyond those already unneeded. */
  readonly scaleDownNonEmptyCandidatesCount: number;
  /** `--max-drain-parallelism` (1): non-empty nodes drained at once. */
  readonly maxDrainParallelism: number;
  /** Built-in `MaxPodEvictionTime` (2m): how long a refused eviction is retried before the drain fails. */
  readonly maxPodEvictionTimeMs: number;
  /** Built-in `EvictionRetryTime` (10s): the wait between eviction attempts. */
  readonly evictionRetryMs: number;
  /** `--max-graceful-termination-sec` (600): the most graceful termination a drained pod gets. */
  readonly maxGracefulTerminationSec: number;
  /** Built-in `PodEvictionHeadroom` (30s): extra wait for evicted pods to go, beyond their grace period. */
  readonly podEvictionHeadroomMs: number;
  /** `--skip-nodes-with-local-storage` (true): pods with emptyDir or hostPath volumes block removal. */
  readonly skipNodesWithLocalStorage: boolean;
  /** `--skip-nodes-with-system-pods` (true): kube-system pods without a PodDisruptionBudget block removal. */
  readonly skipNodesWithSystemPods: boolean;
  /** `--ignore-daemonsets-utilization` (false): leave DaemonSet pods out of a node's utilisation. */
  readonly ignoreDaemonSetsUtilization: boolean;
  /** `--max-bulk-soft-taint-count` (10): most nodes given or cleared of the soft taint per pass. */
  readonly maxBulkSoftTaintCount: number;
}

export const CLUSTER_AUTOSCALER_DEFAULTS: ClusterAutoscalerOptions = Object.freeze({
  scanIntervalMs: 10_000,
  triggerOnUnschedulablePods: true,
  newPodScaleUpDelayMs: 0,
  unschedulablePodTimeBufferMs: 2_000,
  expendablePodsPriorityCutoff: -10,
  expanders: Object.freeze(['least-waste'] as ExpanderName[]),
  expanderPriorities: Object.freeze({}),
  maxNodesTotal: 0,
  maxNodesPerScaleUp: 1000,
  maxNodeProvisionTimeMs: 15 * 60_000,
  initialNodeGroupBackoffMs: 5 * 60_000,
  maxNodeGroupBackoffMs: 30 * 60_000,
  nodeGroupBackoffResetTimeoutMs: 3 * 3_600_000,
  groupCacheRefreshMs: 60_000,
  asgLaunchRetryMs: 30_000,
  scaleDownEnabled: true,
  scaleDownUtilizationThreshold: 0.5,
  scaleDownUnneededTimeMs: 10 * 60_000,
  scaleDownUnreadyTimeMs: 20 * 60_000,
  scaleDownDelayAfterAddMs: 10 * 60_000,
  scaleDownDelayAfterDeleteMs: 10_000,
  scaleDownDelayAfterFailureMs: 3 * 60_000,
  maxEmptyBulkDelete: 10,
  scaleDownNonEmptyCandidatesCount: 30,
  maxDrainParallelism: 1,
  maxPodEvictionTimeMs: 2 * 60_000,
  evictionRetryMs: 10_000,
  maxGracefulTerminationSec: 600,
  podEvictionHeadroomMs: 30_000,
  skipNodesWithLocalStorage: true,
  skipNodesWithSystemPods: true,
  ignoreDaemonSetsUtilization: false,
  maxBulkSoftTaintCount: 10,
});

/** An option out of range; the message names it. */
export class ClusterAutoscalerOptionsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterAutoscalerOptionsError';
  }
}

const DURATIONS = [
  'newPodScaleUpDelayMs', 'unschedulablePodTimeBufferMs', 'maxNodeProvisionTimeMs', 'initialNodeGroupBackoffMs',
  'maxNodeGroupBackoffMs', 'nodeGroupBackoffResetTimeoutMs', 'groupCacheRefreshMs', 'scaleDownUnneededTimeMs',
  'scaleDownUnreadyTimeMs', 'scaleDownDelayAfterAddMs', 'scaleDownDelayAfterDeleteMs', 'scaleDownDelayAfterFailureMs',
  'maxPodEvictionTimeMs', 'podEvictionHeadroomMs',
] as const satisfies readonly (keyof ClusterAutoscalerOptions)[];
const POSITIVE_DURATIONS = ['scanIntervalMs', 'asgLaunchRetryMs', 'evictionRetryMs'] as const satisfies readonly (keyof ClusterAutoscalerOptions)[];
const COUNTS = ['maxNodesTotal', 'maxGracefulTerminationSec'] as const satisfies readonly (keyof ClusterAutoscalerOptions)[];
const POSITIVE_COUNTS = [
  'maxNodesPerScaleUp', 'maxEmptyBulkDelete', 'scaleDownNonEmptyCandidatesCount', 'maxDrainParallelism', 'maxBulkSoftTaintCount',
] as const satisfies readonly (keyof ClusterAutoscalerOptions)[];

/**
 * The defaults overridden by `overrides` (undefined values are ignored), checked. When the scan
 * interval is overridden and the delay after delete is not, that delay follows the scan interval,
 * as the flag's default does.
 * @throws ClusterAutoscalerOptionsError naming the first option out of range.
 */
export function resolveOptions(overrides: Partial<ClusterAutoscalerOptions> = {}): ClusterAutoscalerOptions {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<ClusterAutoscalerOptions>;
  const o: ClusterAutoscalerOptions = {
    ...CLUSTER_AUTOSCALER_DEFAULTS,
    ...(given.scanIntervalMs !== undefined ? { scaleDownDelayAfterDeleteMs: given.scanIntervalMs } : {}),
    ...given,
  };
  const fail = (name: string, why: string, value: unknown): never => {
    throw new ClusterAutoscalerOptionsError(`cluster autoscaler option ${name} ${why}, got ${String(value)}`);
  };
  for (const k of DURATIONS) if (!(Number.isFinite(o[k]) && o[k] >= 0)) fail(k, 'must be a finite number of ms >= 0', o[k]);
  for (const k of POSITIVE_DURATIONS) if (!(Number.isFinite(o[k]) && o[k] > 0)) fail(k, 'must be a finite number of ms > 0', o[k]);
  for (const k of COUNTS) if (!(Number.isSafeInteger(o[k]) && o[k] >= 0)) fail(k, 'must be an integer >= 0', o[k]);
  for (const k of POSITIVE_COUNTS) if (!(Number.isSafeInteger(o[k]) && o[k] > 0)) fail(k, 'must be an integer > 0', o[k]);
  if (!Number.isFinite(o.expendablePodsPriorityCutoff)) fail('expendablePodsPriorityCutoff', 'must be a finite number', o.expendablePodsPriorityCutoff);
  if (!(o.scaleDownUtilizationThreshold >= 0 && o.scaleDownUtilizationThreshold <= 1)) {
    fail('scaleDownUtilizationThreshold', 'must be within [0, 1]', o.scaleDownUtilizationThreshold);
  }
  if (o.initialNodeGroupBackoffMs > o.maxNodeGroupBackoffMs) {
    fail('initialNodeGroupBackoffMs', `must be at most maxNodeGroupBackoffMs (${o.maxNodeGroupBackoffMs})`, o.initialNodeGroupBackoffMs);
  }
  if (o.expanders.length === 0) fail('expanders', 'must name at least one expander', '[]');
  for (const e of o.expanders) {
    if (!(EXPANDER_NAMES as readonly string[]).includes(e)) fail('expanders', `must be among ${EXPANDER_NAMES.join(', ')}`, e);
  }
  for (const [priority, patterns] of Object.entries(o.expanderPriorities)) {
    if (!Number.isFinite(Number(priority))) fail('expanderPriorities', 'keys must be numbers', priority);
    for (const p of patterns) {
      try {
        new RegExp(p);
      } catch {
        fail('expanderPriorities', `has an invalid regular expression at priority ${priority}`, p);
      }
    }
  }
  return o;
}
