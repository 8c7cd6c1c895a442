/**
 * Instance-type options of claims, cheapest first, shared between claims: per pool and per
 * zone/capacity-type requirement (the only keys offerings depend on) the options are built and
 * sorted once, and a claim picks its types out of that order. This keeps finalizing thousands of
 * claims with hundreds of types each cheap.
 */
import { CAPACITY_TYPE_LABEL, ZONE_LABEL } from '../apis/labels.js';
import { compatibleOfferings, type CompiledInstanceType, type NodePoolTemplate } from './node-pool-template.js';
import type { Requirements } from './requirements.js';
import type { Vec } from './resource-space.js';
import type { InstanceTypeOption } from './types.js';

export interface CompiledOption extends InstanceTypeOption {
  readonly type: CompiledInstanceType;
}

interface Entry {
  /** Type indices with a compatible offering, cheapest first (then by name). */
  readonly order: readonly number[];
  /** The options of every type in `order`, built on first use (see all()). */
  all?: readonly CompiledOption[];
  readonly options: readonly (CompiledOption | undefined)[];
  /** Position of each type index in `order`; -1 when it has no compatible offering. */
  readonly rank: Int32Array;
}

// Entries depend only on the pool's compiled types (immutable, and the very same array while the
// pool and its catalogue are unchanged: see poolTypes) and the zone/capacity-type requirement, so
// they are kept across solves: every provisioning round and consolidation simulation reuses them.
const shared = new WeakMap<readonly CompiledInstanceType[], Map<string, Entry>>();
const ENTRIES_PER_POOL_LIMIT = 256;

/** Scratch marks for options() (the solver is single-threaded and options() does not re-enter); all zero between calls. */
let marks = new Uint8Array(0);
/** Scratch for the options picked, copied out at their exact count. */
const picked: CompiledOption[] = [];

/**
 * A size filter applied while picking: only types whose allocatable (row `index` of `rows`, as
 * poolStats lays it out) holds `need` in every resource. Lets a claim whose types are not yet
 * filtered by its requests (see ClaimSlot) ask for options without filtering them into a new array.
 */
export interface Holding {
  readonly rows: Float64Array;
  readonly need: Vec;
  /**
   * The only resources to check, when given: those where `need` exceeds some row (see
   * bindingDims); every row holds `need` in the others.
   */
  readonly dims?: readonly number[];
}

function holds(h: Holding, index: number): boolean {
  const need = h.need;
  const row = index * need.length;
  const rows = h.rows;
  const dims = h.dims;
  if (dims) {
    for (let k = 0; k < dims.length; k++) {
      const d = dims[k]!;
      if (rows[row + d]! < need[d]!) return false;
    }
    return true;
  }
  for (let d = 0; d < need.length; d++) if (rows[row + d]! < need[d]!) return false;
  return true;
}

export class OfferingIndex {
  #entry(pool: NodePoolTemplate, reqs: Requirements): Entry {
    const zone = reqs.get(ZONE_LABEL);
    const ct = reqs.get(CAPACITY_TYPE_LABEL);
    const sig = `${zone?.toString() ?? ''}|${ct?.toString() ?? ''}`;
    let byPool = shared.get(pool.instanceTypes);
    if (!byPool) shared.set(pool.instanceTypes, (byPool = new Map<string, Entry>()));
    else if (byPool.size >= ENTRIES_PER_POOL_LIMIT && !byPool.has(sig)) byPool.clear();
    let e = byPool.get(sig);
    if (!e) {
      const options = pool.instanceTypes.map((t): CompiledOption | undefined => {
        const offerings = compatibleOfferings(t, reqs);
        return offerings.length > 0 ? { type: t, instanceType: t.instanceType, offerings, price: offerings[0]!.price } : undefined;
      });
      const order = options
        .filter((o): o is CompiledOption => o !== undefined)
        .sort((a, b) => a.price - b.price || (a.instanceType.name < b.instanceType.name ? -1 : 1))
        .map((o) => o.type.index);
      const rank = new Int32Array(options.length).fill(-1);
      order.forEach((i, r) => (rank[i] = r));
      e = { order, options, rank };
      byPool.set(sig, e);
    }
    return e;
  }

  /**
   * The options among `types` (a subset of the pool's) under `reqs`, cheapest first, at most
   * `limit`; with `holding`, only those of types that hold its requests.
   */
  options(pool: NodePoolTemplate, reqs: Requirements, types: readonly CompiledInstanceType[], limit = Infinity, holding?: Holding): CompiledOption[] {
    const e = this.#entry(pool, reqs);
    if (marks.length < pool.instanceTypes.length) marks = new Uint8Array(pool.instanceTypes.length);
    const mark = marks;
    // Indexed loops: this runs over every type of every claim, often before it is optimized, and
    // an unoptimized for-of allocates an iterator result per element.
    // All the pool's types (most packed claims): nothing to mark.
    const every = types === pool.instanceTypes;
    const nt = every ? 0 : types.length;
    for (let j = 0; j < nt; j++) mark[types[j]!.index] = 1;
    const out = picked;
    const order = e.order;
    const opts = e.options;
    const no = order.length;
    let n = 0;
    for (let j = 0; j < no && n < limit; j++) {
      const i = order[j]!;
      if ((every || mark[i]) && (!holding || holds(holding, i))) out[n++] = opts[i]!;
    }
    for (let j = 0; j < nt; j++) mark[types[j]!.index] = 0;
    return out.slice(0, n);
  }

  /**
   * The options of all the pool's types under `reqs`, cheapest first: options(pool, reqs,
   * pool.instanceTypes), as the same array every time (kept across solves), so that callers can
   * key their own caches on it. Never mutate it.
   */
  all(pool: NodePoolTemplate, reqs: Requirements): readonly CompiledOption[] {
    const e = this.#entry(pool, reqs);
    return (e.all ??= e.order.map((i) => e.options[i]!));
  }

  /** The cheapest option among `types` (with `holding`, of those that hold its requests), or undefined. */
  cheapest(pool: NodePoolTemplate, reqs: Requirements, types: readonly CompiledInstanceType[], holding?: Holding): CompiledOption | undefined {
    const e = this.#entry(pool, reqs);
    if (types === pool.instanceTypes) {
      // Every type is a candidate: the first in price order that holds the requests wins.
      const order = e.order;
      for (let j = 0; j < order.length; j++) {
        const i = order[j]!;
        if (!holding || holds(holding, i)) return e.options[i];
      }
      return undefined;
    }
    let best: CompiledOption | undefined;
    let bestRank = Infinity;
    const rank = e.rank;
    for (let j = 0; j < types.length; j++) {
      const t = types[j]!;
      const r = rank[t.index]!;
      if (r >= 0 && r < bestRank && (!holding || holds(holding, t.index))) {
        bestRank = r;
        best = e.options[t.index];
      }
    }
    return best;
  }
}
