/**
 * `cluster:` the simulated cloud (catalogue, zones, delays, interruptions, capacity shortages),
 * the NodePools and the nodes that exist at the start.
 */
import type { Taint } from '../../apis/core.js';
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import { CAPACITY_TYPES } from '../../cloudprovider/types.js';
import type { CapacityType, InstanceType } from '../../cloudprovider/types.js';
import { isMap } from '../../apis/manifests-checks.js';
import { fixed, readDistribution } from './distribution.js';
import { poolOptions, typesMatching } from './instance-types.js';
import { readCatalog } from './read-catalog.js';
import { readNodePool } from './read-nodepool.js';
import { readTaint } from './read-k8s.js';
import type { Reader } from './reader.js';
import type { CapacityWindow, ClusterSpec, Distribution, InterruptionSpec, ScheduledInterruption } from './types.js';

const CLUSTER_FIELDS = [
  'catalog', 'zones', 'nodePools', 'launchDelay', 'registrationDelay', 'podStartDelay',
  'interruptions', 'insufficientCapacity', 'initialNodes',
] as const;

/**
 * Defaults, from public measurements rather than guesses where there are any: EC2 instances reach
 * "running" within seconds to tens of seconds of RunInstances/CreateFleet, and a node registers
 * and turns Ready some 30–60 s later (Karpenter's docs quote about a minute from pod to node).
 */
export const DEFAULT_LAUNCH_DELAY: Distribution = { kind: 'lognormal', medianMs: 15_000, sigma: 0.3 };
export const DEFAULT_REGISTRATION_DELAY: Distribution = { kind: 'lognormal', medianMs: 40_000, sigma: 0.25 };
export const DEFAULT_POD_START_DELAY: Distribution = fixed(2_000);
/** EC2's spot interruption notice. */
export const DEFAULT_INTERRUPTION_NOTICE_MS = 120_000;

/** The cluster as read, before node groups are known (initial nodes name theirs unresolved). */
export interface ReadCluster extends Omit<ClusterSpec, 'initialNodes'> {
  readonly initialNodes: readonly InitialNodeDraft[];
}

export interface InitialNodeDraft {
  readonly name: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly nodePool?: string;
  readonly nodeGroup?: string;
  /** Path of the entry that declared it, for problems found later. */
  readonly path: string;
  readonly labels: Record<string, string>;
  readonly taints: Taint[];
}

/** Reads `cluster`; undefined when anything is wrong (problems recorded). */
export function readCluster(r: Reader, value: unknown, path: string): ReadCluster | undefined {
  const f = r.fields(value, path, CLUSTER_FIELDS, true);
  if (f === undefined) return undefined;
  const before = r.problems.length;
  const catalog = readCatalog(r, f.get('catalog'), f.at('catalog'), f.get('zones'), f.at('zones'));
  const types = catalog?.instanceTypes;
  const zones = catalog?.zones ?? [];
  const nodePools = r.items(f.get('nodePools'), f.at('nodePools'), (v, p) => readNodePool(r, v, p, types), true);
  const rawPools = f.get('nodePools');
  if (Array.isArray(rawPools) && rawPools.length === 0) r.fail(f.at('nodePools'), 'must declare at least one NodePool');
  const poolNames = new Set<string>();
  nodePools.forEach((np, i) => {
    const name = np.metadata.name ?? '';
    if (poolNames.has(name)) r.fail(f.at('nodePools', i, 'metadata', 'name'), `duplicates NodePool "${name}"`);
    poolNames.add(name);
  });
  const launchDelay = readDistribution(r, f.get('launchDelay'), f.at('launchDelay'), DEFAULT_LAUNCH_DELAY);
  const registrationDelay = readDistribution(r, f.get('registrationDelay'), f.at('registrationDelay'), DEFAULT_REGISTRATION_DELAY);
  const podStartDelay = readDistribution(r, f.get('podStartDelay'), f.at('podStartDelay'), DEFAULT_POD_START_DELAY);
  const interruptions = readInterruptions(r, f.get('interruptions'), f.at('interruptions'), types, zones);
  const insufficientCapacity = r.items(f.get('insufficientCapacity'), f.at('insufficientCapacity'), (v, p) => readWindow(r, v, p, types, zones));
  // A NodePool left out for its own problems is not also "unknown" to the nodes that name it.
  const declaredPools = new Set((Array.isArray(rawPools) ? rawPools : []).map((p) => (isMap(p) && isMap(p.metadata) ? p.metadata.name : undefined)));
  const initialNodes = readInitialNodes(r, f.get('initialNodes'), f.at('initialNodes'), types, zones, nodePools, declaredPools);
  if (r.problems.length > before || catalog === undefined || launchDelay === undefined || registrationDelay === undefined) return undefined;
  if (podStartDelay === undefined || interruptions === undefined) return undefined;
  return {
    catalog: catalog.source, instanceTypes: catalog.instanceTypes, zones: catalog.zones, nodePools,
    launchDelay, registrationDelay, podStartDelay, interruptions, insufficientCapacity, initialNodes,
  };
}

/** A glob over the catalogue's type names that must match something; undefined types: unchecked. */
function readPattern(r: Reader, value: unknown, path: string, types: readonly InstanceType[] | undefined): { pattern: string; names: string[] } | undefined {
  const pattern = r.str(value, path) ?? (value === undefined || value === null ? '*' : undefined);
  if (pattern === undefined || types === undefined) return undefined;
  const names = typesMatching(pattern, types);
  if (names.length === 0) return void r.fail(path, `matches no instance type in the catalogue (${JSON.stringify(pattern)}; "*" and "?" are wildcards)`);
  return { pattern, names };
}

function readZone(r: Reader, value: unknown, path: string, zones: readonly string[], required = false): string | undefined {
  const zone = r.str(value, path, required);
  if (zone !== undefined && !zones.includes(zone)) return void r.fail(path, `zone "${zone}" is not one of cluster.zones (${zones.join(', ')})`);
  return zone;
}

function readInterruptions(r: Reader, value: unknown, path: string, types: readonly InstanceType[] | undefined, zones: readonly string[]): InterruptionSpec | undefined {
  const empty: InterruptionSpec = { spotRatePerInstanceHour: 0, noticeMs: DEFAULT_INTERRUPTION_NOTICE_MS, scheduled: [] };
  if (value === undefined || value === null) return empty;
  const f = r.fields(value, path, ['spotRatePerInstanceHour', 'notice', 'scheduled']);
  if (f === undefined) return undefined;
  const rate = f.has('spotRatePerInstanceHour') ? r.number(f.get('spotRatePerInstanceHour'), f.at('spotRatePerInstanceHour'), 0, 1) : 0;
  const noticeMs = f.has('notice') ? r.duration(f.get('notice'), f.at('notice')) : DEFAULT_INTERRUPTION_NOTICE_MS;
  const scheduled = r.items(f.get('scheduled'), f.at('scheduled'), (v, p): ScheduledInterruption | undefined => {
    const s = r.fields(v, p, ['at', 'count', 'capacityType', 'instanceType', 'zone'], true);
    if (s === undefined) return undefined;
    const atMs = r.time(s.get('at'), s.at('at'), true);
    const count = s.has('count') ? r.int(s.get('count'), s.at('count'), 1) : 1;
    const capacityType = r.choice(s.get('capacityType'), s.at('capacityType'), CAPACITY_TYPES) ?? 'spot';
    const types1 = readPattern(r, s.get('instanceType'), s.at('instanceType'), types);
    const zone = readZone(r, s.get('zone'), s.at('zone'), zones);
    if (atMs === undefined || count === undefined || types1 === undefined) return undefined;
    return {
      atMs, count, capacityType, instanceTypes: types1.names,
      ...(s.has('instanceType') && { instanceTypePattern: types1.pattern }),
      ...(zone !== undefined && { zone }),
    };
  });
  return rate === undefined || noticeMs === undefined ? undefined : { spotRatePerInstanceHour: rate, noticeMs, scheduled };
}

function readWindow(r: Reader, value: unknown, path: string, types: readonly InstanceType[] | undefined, zones: readonly string[]): CapacityWindow | undefined {
  const f = r.fields(value, path, ['instanceType', 'zone', 'capacityType', 'from', 'until'], true);
  if (f === undefined) return undefined;
  const matched = readPattern(r, f.get('instanceType'), f.at('instanceType'), types);
  const zone = readZone(r, f.get('zone'), f.at('zone'), zones);
  const capacityType = r.choice(f.get('capacityType'), f.at('capacityType'), CAPACITY_TYPES);
  const fromMs = r.time(f.get('from'), f.at('from'), true);
  const untilMs = f.has('until') ? r.time(f.get('until'), f.at('until')) : r.horizonMs;
  if (matched === undefined || fromMs === undefined || untilMs === undefined) return undefined;
  if (untilMs <= fromMs) return void r.fail(f.at('until'), `must be later than from (${String(f.get('from'))})`);
  return {
    instanceTypePattern: matched.pattern, instanceTypes: matched.names, fromMs, untilMs,
    ...(zone !== undefined && { zone }),
    ...(capacityType !== undefined && { capacityType }),
  };
}

/** Keeps a typo ("count: 1e9") from allocating a billion nodes. */
export const MAX_INITIAL_NODES = 100_000;
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const INITIAL_FIELDS = ['name', 'instanceType', 'count', 'zone', 'capacityType', 'nodePool', 'nodeGroup', 'labels', 'taints'] as const;

function readInitialNodes(
  r: Reader, value: unknown, path: string, types: readonly InstanceType[] | undefined, zones: readonly string[], pools: readonly DefaultedNodePool[],
  declaredPools: ReadonlySet<unknown>,
): InitialNodeDraft[] {
  const used = new Set<string>();
  return r.items(value, path, (v, p) => {
    const f = r.fields(v, p, INITIAL_FIELDS, true);
    if (f === undefined) return undefined;
    const group = r.str(f.get('name'), f.at('name')) ?? 'initial';
    const typeName = r.str(f.get('instanceType'), f.at('instanceType'), true);
    const count = f.has('count') ? r.int(f.get('count'), f.at('count'), 1) : 1;
    const capacityType = r.choice(f.get('capacityType'), f.at('capacityType'), CAPACITY_TYPES) ?? 'on-demand';
    const zone = readZone(r, f.get('zone'), f.at('zone'), zones);
    const nodePool = r.str(f.get('nodePool'), f.at('nodePool'));
    const nodeGroup = r.str(f.get('nodeGroup'), f.at('nodeGroup'));
    const labels = r.labels(f.get('labels'), f.at('labels')) ?? {};
    const taints = r.items(f.get('taints'), f.at('taints'), (t, tp) => readTaint(r, t, tp));
    if (!NODE_NAME.test(group) || group.length > 50) return void r.fail(f.at('name'), `"${group}" must be at most 50 lowercase letters, digits and "-" (node names are "<name>-<index>")`);
    if (count !== undefined && count > MAX_INITIAL_NODES) return void r.fail(f.at('count'), `must be at most ${MAX_INITIAL_NODES}, got ${count}`);
    if (used.has(group)) return void r.fail(f.at('name'), `duplicates initial node group "${group}" (node names derive from it)`);
    used.add(group);
    const type = types?.find((t) => t.name === typeName);
    if (typeName === undefined || count === undefined || types === undefined) return undefined;
    if (type === undefined) return void r.fail(f.at('instanceType'), `unknown instance type "${typeName}": the catalogue has no such type`);
    const offered = type.offerings.filter((o) => o.capacityType === capacityType && (zone === undefined || o.zone === zone)).map((o) => o.zone);
    if (offered.length === 0) return void r.fail(f.at(zone === undefined ? 'capacityType' : 'zone'), `${typeName} has no ${capacityType} offering${zone === undefined ? '' : ` in ${zone}`}`);
    if (nodePool !== undefined) {
      const pool = pools.find((np) => np.metadata.name === nodePool);
      if (pool === undefined) return declaredPools.has(nodePool) ? undefined : void r.fail(f.at('nodePool'), `unknown NodePool "${nodePool}"`);
      if (!poolOptions(pool, [type]).some((o) => o.offerings.some((x) => x.capacityType === capacityType && offered.includes(x.zone)))) {
        return void r.fail(f.at('nodePool'), `NodePool "${nodePool}" could not have launched a ${capacityType} ${typeName} here: its requirements exclude it`);
      }
    }
    return Array.from({ length: count }, (_, i): InitialNodeDraft => ({
      name: `${group}-${i}`, instanceType: typeName, zone: offered[i % offered.length] ?? '', capacityType, path: p, labels: { ...labels }, taints: taints.map((t) => ({ ...t })),
      ...(nodePool !== undefined && { nodePool }),
      ...(nodeGroup !== undefined && { nodeGroup }),
    }));
  }).flat();
}
