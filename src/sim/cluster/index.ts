/**
 * The embedded cluster's stand-ins for what a real cluster runs beside the autoscaler: the
 * kube-scheduler, the kubelets and pod GC, the workload controllers (ReplicaSet, Job, StatefulSet,
 * DaemonSet) replaying a scenario, and the metrics the simulator reports.
 */
export { EmbeddedCluster, type EmbeddedClusterOptions } from './embedded-cluster.js';
export { ClusterView, POD_CONTROLLER_INDEX, type ClusterViewOptions, type StageCounts } from './cluster-view.js';
export { KubeSchedulerStandIn, type KubeSchedulerOptions, type KubeSchedulerStats } from './kube-scheduler.js';
export { KubeletStandIn, type KubeletOptions, type KubeletStats } from './kubelet.js';
export { DaemonSetStandIn, daemonPod, daemonPodFits, DAEMON_POD_TOLERATIONS, type DaemonSetControllerOptions } from './daemonset-controller.js';
export { WorkloadDriver, type WorkloadDriverOptions } from './workload-driver.js';
export { ReplicaSetStandIn, POD_TEMPLATE_HASH_LABEL } from './replica-set-controller.js';
export { JobStandIn, JOB_NAME_LABEL, JOB_CONTROLLER_UID_LABEL } from './job-controller.js';
export { StatefulSetStandIn, claimName, STATEFULSET_POD_NAME_LABEL, POD_INDEX_LABEL } from './stateful-set-controller.js';
export { initialNodeObject, InitialNodeError, type InitialNodeOptions, type InitialNodeOwnership } from './initial-nodes.js';
export { ClusterMetrics, type ClusterMetricsOptions, type ClusterSample, type NodeUsage, type PodTiming } from './metrics.js';
export { NodeLedger, type LedgerNode, type LedgerPod } from './node-ledger.js';
export { SchedulingQueue, type SchedulingQueueOptions } from './scheduling-queue.js';
export { RUN_DURATION_ANNOTATION, NODE_GROUP_LABEL, ZONAL_STORAGE_CLASS, runDurationMs } from './annotations.js';
export { StandInError, ErrorLog } from './errors.js';
export { podStage, isNodeReady, type PodStage } from './pod-facts.js';
