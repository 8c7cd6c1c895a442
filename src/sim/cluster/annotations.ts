/**
 * Annotations and labels the embedded cluster's stand-ins write and read among themselves.
 */

/**
 * On a pod: how long (ms, a decimal integer) it runs once Running before it completes
 * (phase Succeeded). The workload driver sets it on Job pods; the kubelet stand-in honours it.
 */
export const RUN_DURATION_ANNOTATION = 'sim.nodewright.dev/run-duration-ms';

/** On an initial node: the Cluster Autoscaler node group it belongs to. */
export const NODE_GROUP_LABEL = 'sim.nodewright.dev/node-group';

/** The StorageClass of the zonal volumes the workload driver makes for StatefulSets. */
export const ZONAL_STORAGE_CLASS = 'sim-zonal';

/** The run duration a pod asks for, or undefined when it has none (or a malformed one). */
export function runDurationMs(annotations: Readonly<Record<string, string>> | undefined): number | undefined {
  const text = annotations?.[RUN_DURATION_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const ms = Number(text);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
