/**
 * `pod:` of a workload: a compact pod template (requests, labels, scheduling constraints, priority
 * class) turned into a complete Kubernetes PodTemplateSpec with one container.
 */
import type { Container, PodSpec, PodTemplateSpec } from '../../apis/core.js';
import { readAffinity, readSpread, readToleration } from './read-k8s.js';
import { resourceNameProblem } from '../../utils/resources.js';
import { childPath } from './reader.js';
import type { Reader } from './reader.js';
import type { PriorityClassSpec } from './types.js';

/** The container every scenario pod runs; only its resources matter to the simulation. */
export const CONTAINER_NAME = 'app';
const IMAGE = 'registry.k8s.io/pause:3.10';

/** Kubernetes' built-in priority classes, always available by name. */
export const BUILTIN_PRIORITY_CLASSES: readonly PriorityClassSpec[] = [
  { name: 'system-cluster-critical', value: 2000000000, preemptionPolicy: 'PreemptLowerPriority', globalDefault: false },
  { name: 'system-node-critical', value: 2000001000, preemptionPolicy: 'PreemptLowerPriority', globalDefault: false },
];

export interface PodContext {
  /** The workload's name: the default `app` label. */
  readonly workloadName: string;
  /** Declared and built-in classes by name. */
  readonly priorityClasses: ReadonlyMap<string, PriorityClassSpec>;
  /** The class with globalDefault, applied to pods that name none. */
  readonly defaultClass?: PriorityClassSpec;
  /** Classes declared but left out for their own problems: naming one is not a second problem. */
  readonly brokenClasses?: ReadonlySet<unknown>;
}

const POD_FIELDS = [
  'labels',
  'annotations',
  'requests',
  'limits',
  'nodeSelector',
  'affinity',
  'tolerations',
  'topologySpreadConstraints',
  'priorityClassName',
  'terminationGracePeriodSeconds',
] as const;

/**
 * Reads a pod template. Labels default to `{app: <workload name>}`; a topology spread constraint
 * without a labelSelector selects those labels. Undefined when anything in it is wrong.
 */
export function readPodTemplate(r: Reader, value: unknown, path: string, ctx: PodContext): PodTemplateSpec | undefined {
  const f = r.fields(value, path, POD_FIELDS, true);
  if (f === undefined) return undefined;
  const before = r.problems.length;
  const labels = r.labels(f.get('labels'), f.at('labels')) ?? { app: ctx.workloadName };
  const annotations = r.labels(f.get('annotations'), f.at('annotations'));
  const requests = readResources(r, f.get('requests'), f.at('requests'));
  const limits = readResources(r, f.get('limits'), f.at('limits'));
  const nodeSelector = r.labels(f.get('nodeSelector'), f.at('nodeSelector'));
  const affinity = readAffinity(r, f.get('affinity'), f.at('affinity'));
  const tolerations = r.items(f.get('tolerations'), f.at('tolerations'), (t, p) => readToleration(r, t, p));
  const spread = r.items(f.get('topologySpreadConstraints'), f.at('topologySpreadConstraints'), (t, p) => readSpread(r, t, p, labels));
  const grace = r.int(f.get('terminationGracePeriodSeconds'), f.at('terminationGracePeriodSeconds'), 0);
  const className = r.str(f.get('priorityClassName'), f.at('priorityClassName'));
  let priorityClass = ctx.defaultClass;
  if (className !== undefined) {
    priorityClass = ctx.priorityClasses.get(className);
    if (priorityClass === undefined && ctx.brokenClasses?.has(className) === true) return undefined;
    if (priorityClass === undefined) {
      const known = [...ctx.priorityClasses.keys()].join(', ');
      r.fail(f.at('priorityClassName'), `unknown priority class "${className}"; declare it in workload.priorityClasses (known: ${known})`);
    }
  }
  if (r.problems.length > before) return undefined;

  const container: Container = {
    name: CONTAINER_NAME,
    image: IMAGE,
    resources: { ...(requests && { requests }), ...(limits && { limits }) },
  };
  const spec: PodSpec = {
    containers: [container],
    ...(nodeSelector && { nodeSelector }),
    ...(affinity && { affinity }),
    ...(f.has('tolerations') && { tolerations }),
    ...(f.has('topologySpreadConstraints') && { topologySpreadConstraints: spread }),
    ...(grace !== undefined && { terminationGracePeriodSeconds: grace }),
    ...(priorityClass && {
      priorityClassName: priorityClass.name,
      priority: priorityClass.value,
      preemptionPolicy: priorityClass.preemptionPolicy,
    }),
  };
  return { metadata: { labels, ...(annotations && { annotations }) }, spec };
}

/** A resource list as written (quantities kept as strings or numbers), each checked. */
function readResources(r: Reader, value: unknown, path: string): Record<string, string | number> | undefined {
  if (!r.map(value, path)) return undefined;
  const out: Record<string, string | number> = {};
  for (const [resource, q] of Object.entries(value)) {
    const badName = resourceNameProblem(resource);
    if (badName !== undefined) r.fail(childPath(path, resource), badName);
    else if (r.quantity(resource, q, childPath(path, resource), true) !== undefined) out[resource] = q as string | number;
  }
  return out;
}
