/**
 * `workload:` priority classes, deployments, StatefulSets, jobs, daemonsets and
 * PodDisruptionBudgets, each with a compact pod template (read-pod.ts).
 */
import { isMap } from '../../apis/manifests-checks.js';
import { DEFAULT_NAMESPACE } from '../../apis/workloads.js';
import { readDistribution } from './distribution.js';
import { readPdb } from './read-pdb.js';
import { BUILTIN_PRIORITY_CLASSES, readPodTemplate } from './read-pod.js';
import type { PodContext } from './read-pod.js';
import { readReplicas } from './replicas.js';
import type { Fields, Reader } from './reader.js';
import type {
  DaemonSetSpec,
  DeploymentSpec,
  JobSpec,
  PriorityClassSpec,
  StatefulSetSpec,
  WorkloadSpec,
} from './types.js';

const WORKLOAD_FIELDS = ['priorityClasses', 'deployments', 'statefulSets', 'jobs', 'daemonSets', 'podDisruptionBudgets'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DEFAULT_VOLUME_SIZE = '10Gi';
/** One volume per ordinal is listed, so a typo ("replicas: 1e9") must not allocate a billion. */
export const MAX_STATEFULSET_REPLICAS = 100_000;
/** Kubernetes caps user-defined priority classes at one billion; higher values are the system's. */
const MAX_USER_PRIORITY = 1_000_000_000;

/**
 * Reads the workload. `zones` are the cluster's zones (for StatefulSet volumes), undefined when
 * they could not be read. Undefined when anything is wrong.
 */
export function readWorkload(r: Reader, value: unknown, path: string, zones: readonly string[] | undefined): WorkloadSpec | undefined {
  const f = r.fields(value, path, WORKLOAD_FIELDS, true);
  if (f === undefined) return undefined;
  const before = r.problems.length;
  const priorityClasses = readPriorityClasses(r, f);
  const classes = new Map([...BUILTIN_PRIORITY_CLASSES, ...priorityClasses].map((c) => [c.name, c]));
  const defaultClass = priorityClasses.find((c) => c.globalDefault);
  const rawClasses = f.get('priorityClasses');
  const brokenClasses = new Set((Array.isArray(rawClasses) ? rawClasses : []).map((c) => (isMap(c) ? c.name : undefined)).filter((n) => !classes.has(n as string)));
  const names = new Map<string, Set<string>>();
  const base = (kind: string, item: Fields<'name' | 'namespace' | 'pod'>): { name: string; namespace: string; ctx: PodContext } | undefined => {
    const name = r.str(item.get('name'), item.at('name'), true);
    const namespace = r.str(item.get('namespace'), item.at('namespace')) ?? DEFAULT_NAMESPACE;
    if (name === undefined) return undefined;
    if (!DNS_LABEL.test(namespace) || namespace.length > 63) return void r.fail(item.at('namespace'), `"${namespace}" must be at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`);
    if (!DNS_LABEL.test(name) || name.length > 63) return void r.fail(item.at('name'), `"${name}" must be at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`);
    const seen = names.get(kind) ?? new Set<string>();
    names.set(kind, seen);
    if (seen.has(`${namespace}/${name}`)) return void r.fail(item.at('name'), `duplicates ${kind} "${namespace}/${name}"`);
    seen.add(`${namespace}/${name}`);
    return { name, namespace, ctx: { workloadName: name, priorityClasses: classes, brokenClasses, ...(defaultClass && { defaultClass }) } };
  };

  const deployments = r.items(f.get('deployments'), f.at('deployments'), (v, p): DeploymentSpec | undefined => {
    const d = r.fields(v, p, ['name', 'namespace', 'pod', 'replicas'], true);
    const b = d && base('deployment', d);
    if (d === undefined || b === undefined) return undefined;
    const template = readPodTemplate(r, d.get('pod'), d.at('pod'), b.ctx);
    const replicas = readReplicas(r, d.get('replicas'), d.at('replicas'));
    return template && replicas && { name: b.name, namespace: b.namespace, template, replicas };
  });

  const statefulSets = r.items(f.get('statefulSets'), f.at('statefulSets'), (v, p): StatefulSetSpec | undefined => {
    const s = r.fields(v, p, ['name', 'namespace', 'pod', 'replicas', 'start', 'volume'], true);
    const b = s && base('statefulSet', s);
    if (s === undefined || b === undefined) return undefined;
    const template = readPodTemplate(r, s.get('pod'), s.at('pod'), b.ctx);
    let replicas = r.int(s.get('replicas'), s.at('replicas'), 0, true);
    if (replicas !== undefined && replicas > MAX_STATEFULSET_REPLICAS) replicas = void r.fail(s.at('replicas'), `must be at most ${MAX_STATEFULSET_REPLICAS}, got ${replicas}`);
    const startMs = r.time(s.get('start') ?? 0, s.at('start'));
    const volume = readVolume(r, s, replicas, zones);
    if (template === undefined || replicas === undefined || startMs === undefined || volume === undefined) return undefined;
    return { name: b.name, namespace: b.namespace, template, replicas, startMs, ...volume };
  });

  const jobs = r.items(f.get('jobs'), f.at('jobs'), (v, p): JobSpec | undefined => {
    const j = r.fields(v, p, ['name', 'namespace', 'pod', 'start', 'parallelism', 'completions', 'duration'], true);
    const b = j && base('job', j);
    if (j === undefined || b === undefined) return undefined;
    const template = readPodTemplate(r, j.get('pod'), j.at('pod'), b.ctx);
    const startMs = r.time(j.get('start'), j.at('start'), true);
    const parallelism = j.has('parallelism') ? r.int(j.get('parallelism'), j.at('parallelism'), 1) : 1;
    const completions = j.has('completions') ? r.int(j.get('completions'), j.at('completions'), 1) : parallelism;
    const podDuration = j.has('duration') ? readDistribution(r, j.get('duration'), j.at('duration'), { kind: 'fixed', ms: 0 }) : void r.fail(j.at('duration'), 'is required: how long each pod runs');
    if (template === undefined || startMs === undefined || parallelism === undefined || completions === undefined || podDuration === undefined) return undefined;
    return { name: b.name, namespace: b.namespace, template, startMs, parallelism, completions, podDuration };
  });

  const daemonSets = r.items(f.get('daemonSets'), f.at('daemonSets'), (v, p): DaemonSetSpec | undefined => {
    const d = r.fields(v, p, ['name', 'namespace', 'pod'], true);
    const b = d && base('daemonSet', d);
    if (d === undefined || b === undefined) return undefined;
    const template = readPodTemplate(r, d.get('pod'), d.at('pod'), b.ctx);
    return template && { name: b.name, namespace: b.namespace, template };
  });

  // With a workload left out for its own problems, a budget over it would look like a typo too.
  const selectable = r.problems.length > before ? undefined
    : [...deployments, ...statefulSets, ...jobs].map((w) => ({ namespace: w.namespace, labels: w.template.metadata?.labels ?? {} }));
  const pdbs = r.items(f.get('podDisruptionBudgets'), f.at('podDisruptionBudgets'), (v, p) => readPdb(r, v, p, selectable, names));
  if (r.problems.length > before) return undefined;
  return { priorityClasses, deployments, statefulSets, jobs, daemonSets, podDisruptionBudgets: pdbs };
}

function readPriorityClasses(r: Reader, f: Fields<(typeof WORKLOAD_FIELDS)[number]>): PriorityClassSpec[] {
  const seen = new Set<string>();
  let defaults = 0;
  return r.items(f.get('priorityClasses'), f.at('priorityClasses'), (v, p): PriorityClassSpec | undefined => {
    const c = r.fields(v, p, ['name', 'value', 'preemptionPolicy', 'globalDefault'], true);
    if (c === undefined) return undefined;
    const name = r.str(c.get('name'), c.at('name'), true);
    const value = r.int(c.get('value'), c.at('value'), -2147483648, true);
    const preemptionPolicy = r.choice(c.get('preemptionPolicy'), c.at('preemptionPolicy'), ['PreemptLowerPriority', 'Never'] as const) ?? 'PreemptLowerPriority';
    const globalDefault = r.boolean(c.get('globalDefault'), c.at('globalDefault')) && c.get('globalDefault') === true;
    if (name === undefined || value === undefined) return undefined;
    if (name.startsWith('system-')) return void r.fail(c.at('name'), 'names starting with "system-" are reserved for Kubernetes\' built-in classes');
    if (seen.has(name)) return void r.fail(c.at('name'), `duplicates priority class "${name}"`);
    seen.add(name);
    if (value > MAX_USER_PRIORITY) return void r.fail(c.at('value'), `must be at most ${MAX_USER_PRIORITY} (higher values are reserved for system classes), got ${value}`);
    if (globalDefault && ++defaults > 1) return void r.fail(c.at('globalDefault'), 'only one priority class may be the global default');
    return { name, value, preemptionPolicy, globalDefault };
  });
}

/** `volume: {size, zones}`: zones is "spread" (round-robin over cluster.zones) or one zone per ordinal. */
function readVolume(
  r: Reader,
  s: Fields<'volume'>,
  replicas: number | undefined,
  zones: readonly string[] | undefined,
): { volumeZones: string[]; volumeSize: number } | undefined {
  if (!s.has('volume')) return { volumeZones: [], volumeSize: 0 };
  const v = r.fields(s.get('volume'), s.at('volume'), ['size', 'zones']);
  if (v === undefined || replicas === undefined || zones === undefined) return undefined;
  const volumeSize = r.quantity('storage', v.get('size') ?? DEFAULT_VOLUME_SIZE, v.at('size'));
  const spec = v.get('zones') ?? 'spread';
  if (volumeSize === undefined) return undefined;
  if (spec === 'spread') return { volumeZones: Array.from({ length: replicas }, (_, i) => zones[i % zones.length] ?? ''), volumeSize };
  if (!Array.isArray(spec)) return void r.fail(v.at('zones'), 'must be "spread" or a list with one zone per ordinal');
  const volumeZones = r.strings(spec, v.at('zones'));
  if (volumeZones === undefined) return undefined;
  if (volumeZones.length !== replicas) return void r.fail(v.at('zones'), `must list one zone per ordinal: ${replicas} replicas, ${volumeZones.length} zones`);
  let ok = true;
  volumeZones.forEach((z, i) => {
    if (!zones.includes(z)) ok = r.fail(v.at('zones', i), `zone "${z}" is not one of cluster.zones (${zones.join(', ')})`);
  });
  return ok ? { volumeZones, volumeSize } : undefined;
}
