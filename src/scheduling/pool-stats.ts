/**
 * Per-pool facts every new claim starts from, kept while the pool's compiled types are the same
 * array (see poolTypes): the largest allocatable per resource, the roomiest type, and every type's
 * allocatable in one flat array, so filtering a thousand types reads contiguous memory instead of
 * a vector per type.
 */
import type { CompiledInstanceType, NodePoolTemplate } from './node-pool-template.js';
import type { Vec } from './resource-space.js';

/** The type with the most room in its scarcest of cpu and memory, relative to the largest: a witness that stays valid long. */
export function roomiest(types: readonly CompiledInstanceType[], max: Vec): CompiledInstanceType | undefined {
  let best: CompiledInstanceType | undefined;
  let bestScore = -1;
  const cpu = max[0]! > 0 ? max[0]! : 1;
  const mem = max[1]! > 0 ? max[1]! : 1;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    const score = Math.min(t.allocatable[0]! / cpu, t.allocatable[1]! / mem);
    if (score > bestScore) {
      bestScore = score;
      best = t;
    }
  }
  return best;
}

export interface PoolStats {
  /** Per resource, the largest allocatable of the pool's types. */
  readonly max: Vec;
  /** Per resource, the largest capacity of the pool's types (what limits count a node at). */
  readonly maxCapacity: Vec;
  /** Per resource, the smallest allocatable of the pool's types (0 when it has none). */
  readonly min: Vec;
  /** See roomiest(); undefined when the pool has no types. */
  readonly roomiest: CompiledInstanceType | undefined;
  /** Allocatable of type index i at [i × dims, (i + 1) × dims). */
  readonly allocatable: Float64Array;
}

const poolStatsCache = new WeakMap<readonly CompiledInstanceType[], PoolStats>();

/**
 * The pool's stats, computed once per compiled types array (compiled types are immutable, and
 * `index` is each type's position in that array). Never throws.
 */
export function poolStats(pool: NodePoolTemplate): PoolStats {
  let s = poolStatsCache.get(pool.instanceTypes);
  if (!s) {
    const dims = pool.daemonOverhead.length;
    const max = new Float64Array(dims);
    const maxCapacity = new Float64Array(dims);
    const min = new Float64Array(dims).fill(pool.instanceTypes.length > 0 ? Infinity : 0);
    const allocatable = new Float64Array(pool.instanceTypes.length * dims);
    for (const t of pool.instanceTypes) {
      for (let i = 0; i < dims; i++) {
        if (t.allocatable[i]! > max[i]!) max[i] = t.allocatable[i]!;
        if (t.allocatable[i]! < min[i]!) min[i] = t.allocatable[i]!;
        if (t.capacity[i]! > maxCapacity[i]!) maxCapacity[i] = t.capacity[i]!;
      }
      allocatable.set(t.allocatable, t.index * dims);
    }
    s = { max, maxCapacity, min, roomiest: roomiest(pool.instanceTypes, max), allocatable };
    poolStatsCache.set(pool.instanceTypes, s);
  }
  return s;
}

/**
 * The resources in which `need` could exceed some type's allocatable: those where it asks for more
 * than the pool's smallest. Every type holds `need` in the others, so a size check reads only these
 * (mostly cpu, memory and pods, of ten or more resources). Never throws.
 */
export function bindingDims(stats: PoolStats, need: Vec): number[] {
  const out: number[] = [];
  for (let d = 0; d < need.length; d++) if (need[d]! > stats.min[d]!) out.push(d);
  return out;
}

const domainsCache = new WeakMap<readonly CompiledInstanceType[], Map<string, readonly string[]>>();

/**
 * The distinct values the pool's types give label `key`, in the order a scan of the types and
 * their values first meets them; kept per compiled types array, since the solver registers the
 * topology domains of a thousand types every solve. Never throws.
 */
export function typeDomains(pool: NodePoolTemplate, key: string): readonly string[] {
  let byKey = domainsCache.get(pool.instanceTypes);
  if (!byKey) domainsCache.set(pool.instanceTypes, (byKey = new Map<string, readonly string[]>()));
  let values = byKey.get(key);
  if (!values) {
    const seen = new Set<string>();
    for (const t of pool.instanceTypes) for (const v of t.requirements.get(key)?.values ?? []) seen.add(v);
    values = [...seen];
    byKey.set(key, values);
  }
  return values;
}
