/** The Cluster Autoscaler model of the simulator: see model.ts, and options.ts for its parameters. */
export { ClusterAutoscalerModel } from './model.js';
export type { ClusterAutoscalerModelConfig, ClusterAutoscalerStats, NodeGroupStatus } from './model.js';
export { CLUSTER_AUTOSCALER_DEFAULTS, ClusterAutoscalerOptionsError, EXPANDER_NAMES, resolveOptions } from './options.js';
export type { ClusterAutoscalerOptions, ExpanderName } from './options.js';
export type { AsgCloud, AsgInstance } from './asg.js';
export { DELETION_CANDIDATE_TAINT_KEY, TO_BE_DELETED_TAINT_KEY } from './taints.js';
export { SAFE_TO_EVICT_ANNOTATION, SCALE_DOWN_DISABLED_ANNOTATION } from './drainability.js';
