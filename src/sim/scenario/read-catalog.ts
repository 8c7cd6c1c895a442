/**
 * `cluster.catalog` and `cluster.zones`: which instance types the simulated cloud sells, where, at
 * what price. Named catalogues come from cloudprovider/catalog; a synthetic one is built from the
 * file's list of types.
 */
import {
  CATALOG_NAMES,
  CatalogError,
  EC2_DEFAULT_ZONES,
  KWOK_ZONES,
  ec2Catalog,
  karpenterBenchCatalog,
  kwokCatalog,
} from '../../cloudprovider/catalog/index.js';
import { LABEL_ARCH, LABEL_INSTANCE_TYPE, LABEL_OS } from '../../cloudprovider/catalog/labels.js';
import type { InstanceType, Offering } from '../../cloudprovider/types.js';
import { CAPACITY_TYPE_LABEL, NODEPOOL_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';
import { childPath, show } from './reader.js';
import type { Reader } from './reader.js';
import type { CatalogSource } from './types.js';

const NAMES = [...CATALOG_NAMES, 'synthetic'] as const;
type Name = (typeof NAMES)[number];
/** Karpenter's benchmark uses 400; the bound keeps a typo from building millions of types. */
export const MAX_BENCH_TYPES = 10_000;
const BENCH_ZONES: readonly string[] = ['test-zone-1', 'test-zone-2', 'test-zone-3'];
export const SYNTHETIC_ZONES: readonly string[] = ['zone-a', 'zone-b', 'zone-c'];
const DEFAULT_ZONES: Readonly<Record<Name, readonly string[]>> = {
  aws: EC2_DEFAULT_ZONES,
  'karpenter-bench': BENCH_ZONES,
  kwok: KWOK_ZONES,
  synthetic: SYNTHETIC_ZONES,
};

export interface ReadCatalog {
  readonly source: CatalogSource;
  readonly zones: readonly string[];
  readonly instanceTypes: readonly InstanceType[];
}

/**
 * Reads the catalogue (`value`, a name or a mapping with `name`) and the zones (`zonesValue`,
 * defaulting to the catalogue's own). Undefined when either is unusable; problems are recorded.
 */
export function readCatalog(r: Reader, value: unknown, path: string, zonesValue: unknown, zonesPath: string): ReadCatalog | undefined {
  const spec = typeof value === 'string' ? { name: value } : value;
  if (!r.map(spec, path, true)) return undefined;
  const name = r.choice(spec.name, typeof value === 'string' ? path : `${path}.name`, NAMES, true);
  if (name === undefined) return undefined;
  const zones = readZones(r, zonesValue, zonesPath, DEFAULT_ZONES[name]);
  if (zones === undefined) return undefined;
  switch (name) {
    case 'aws': {
      const f = r.fields(spec, path, ['name', 'families', 'categories'])!;
      const families = r.strings(f.get('families'), f.at('families'), true);
      const categories = r.strings(f.get('categories'), f.at('categories'), true);
      if ((f.has('families') && families === undefined) || (f.has('categories') && categories === undefined)) return undefined;
      try {
        const types = ec2Catalog({ zones, ...(families && { families }), ...(categories && { categories }) });
        return { source: { kind: 'aws', ...(families && { families }), ...(categories && { categories }) }, zones, instanceTypes: types };
      } catch (err) {
        if (!(err instanceof CatalogError)) throw err;
        r.fail(err.message.includes('instance family') ? f.at('families') : f.at('categories'), err.message);
        return undefined;
      }
    }
    case 'karpenter-bench': {
      const f = r.fields(spec, path, ['name', 'count'])!;
      let count = f.has('count') ? r.int(f.get('count'), f.at('count'), 1) : 400;
      if (count !== undefined && count > MAX_BENCH_TYPES) count = void r.fail(f.at('count'), `must be at most ${MAX_BENCH_TYPES}, got ${count}`);
      if (count === undefined || !inKnownZones(r, zones, zonesPath, BENCH_ZONES)) return undefined;
      return { source: { kind: 'karpenter-bench', count }, zones, instanceTypes: inZones(karpenterBenchCatalog(count), zones) };
    }
    case 'kwok':
      r.fields(spec, path, ['name']);
      return { source: { kind: 'kwok' }, zones, instanceTypes: kwokCatalog({ zones }) };
    case 'synthetic': {
      const f = r.fields(spec, path, ['name', 'types'])!;
      const types = r.items(f.get('types'), f.at('types'), (t, p) => readSyntheticType(r, t, p, zones), true);
      const raw = f.get('types');
      if (Array.isArray(raw) && raw.length === 0) r.fail(f.at('types'), 'must list at least one instance type');
      const seen = new Set<string>();
      types.forEach((t, i) => {
        if (seen.has(t.name)) r.fail(childPath(f.at('types'), i, 'name'), `duplicates instance type "${t.name}"`);
        seen.add(t.name);
      });
      return { source: { kind: 'synthetic' }, zones, instanceTypes: types };
    }
  }
}

function readZones(r: Reader, value: unknown, path: string, fallback: readonly string[]): readonly string[] | undefined {
  if (value === undefined || value === null) return fallback;
  const zones = r.strings(value, path, true);
  if (zones === undefined) return undefined;
  const dup = zones.findIndex((z, i) => zones.indexOf(z) !== i);
  if (dup >= 0) {
    r.fail(childPath(path, dup), `duplicates zone "${zones[dup]}"`);
    return undefined;
  }
  return zones;
}

function inKnownZones(r: Reader, zones: readonly string[], path: string, known: readonly string[]): boolean {
  let ok = true;
  zones.forEach((z, i) => {
    if (!known.includes(z)) ok = r.fail(childPath(path, i), `zone "${z}" is not in this catalogue (its zones: ${known.join(', ')})`);
  });
  return ok;
}

/** Types with their offerings outside `zones` removed; types left with none are dropped. */
function inZones(types: readonly InstanceType[], zones: readonly string[]): InstanceType[] {
  const out: InstanceType[] = [];
  for (const t of types) {
    const offerings = t.offerings.filter((o) => zones.includes(o.zone));
    if (offerings.length > 0) out.push({ ...t, offerings });
  }
  return out;
}

const SYNTHETIC_FIELDS = ['name', 'cpu', 'memory', 'pods', 'price', 'spotPrice', 'zones', 'labels', 'overhead'] as const;
const DEFAULT_PODS = 110;
const OFFERING_LABELS: readonly string[] = [LABEL_INSTANCE_TYPE, ZONE_LABEL, CAPACITY_TYPE_LABEL, NODEPOOL_LABEL];
const DEFAULT_OVERHEAD = { cpu: '100m', memory: '256Mi' } as const;

/**
 * A synthetic type: capacity cpu/memory/pods, labels (arch amd64 and os linux unless given), an
 * on-demand offering at `price` in each of its zones and a spot one at `spotPrice` when given.
 */
function readSyntheticType(r: Reader, value: unknown, path: string, clusterZones: readonly string[]): InstanceType | undefined {
  const f = r.fields(value, path, SYNTHETIC_FIELDS, true);
  if (f === undefined) return undefined;
  const name = r.str(f.get('name'), f.at('name'), true);
  const cpu = r.quantity(CPU, f.get('cpu'), f.at('cpu'), true);
  const memory = r.quantity(MEMORY, f.get('memory'), f.at('memory'), true);
  const pods = f.has('pods') ? r.int(f.get('pods'), f.at('pods'), 1) : DEFAULT_PODS;
  const price = r.number(f.get('price'), f.at('price'), 0, Infinity, true);
  const spotPrice = r.number(f.get('spotPrice'), f.at('spotPrice'), 0);
  const labels = r.labels(f.get('labels'), f.at('labels')) ?? {};
  for (const key of Object.keys(labels).filter((k) => OFFERING_LABELS.includes(k))) {
    r.fail(f.at('labels', key), 'is set on each node from the type\'s name, its offering or its NodePool; it cannot be a fixed label');
  }
  const zones = f.has('zones') ? r.strings(f.get('zones'), f.at('zones'), true) : clusterZones;
  zones?.forEach((z, i) => {
    if (!clusterZones.includes(z)) r.fail(f.at('zones', i), `zone "${z}" is not one of cluster.zones (${clusterZones.join(', ')})`);
  });
  const o = r.fields(f.get('overhead') ?? DEFAULT_OVERHEAD, f.at('overhead'), ['cpu', 'memory']);
  const overheadCpu = r.quantity(CPU, o?.get('cpu') ?? 0, f.at('overhead', 'cpu'));
  const overheadMemory = r.quantity(MEMORY, o?.get('memory') ?? 0, f.at('overhead', 'memory'));
  if (name === undefined || cpu === undefined || memory === undefined || pods === undefined || price === undefined) return undefined;
  if (zones === undefined || overheadCpu === undefined || overheadMemory === undefined) return undefined;
  if (cpu === 0 || memory === 0) return void r.fail(f.at(cpu === 0 ? 'cpu' : 'memory'), `must be more than 0, got ${show(f.get(cpu === 0 ? 'cpu' : 'memory'))}`);
  if (overheadCpu >= cpu || overheadMemory >= memory) {
    return void r.fail(f.at('overhead'), `must leave something allocatable: it takes all of the ${overheadCpu >= cpu ? 'cpu' : 'memory'}`);
  }
  const offerings: Offering[] = [];
  for (const zone of zones.filter((z) => clusterZones.includes(z))) {
    offerings.push({ zone, capacityType: 'on-demand', price, available: true });
    if (spotPrice !== undefined) offerings.push({ zone, capacityType: 'spot', price: spotPrice, available: true });
  }
  const requirements: Record<string, readonly string[]> = { [LABEL_ARCH]: ['amd64'], [LABEL_OS]: ['linux'] };
  for (const [k, v] of Object.entries(labels)) requirements[k] = [v];
  requirements[LABEL_INSTANCE_TYPE] = [name];
  return {
    name,
    requirements,
    capacity: { [CPU]: cpu, [MEMORY]: memory, [PODS]: pods },
    overhead: { [CPU]: overheadCpu, [MEMORY]: overheadMemory },
    offerings,
  };
}
