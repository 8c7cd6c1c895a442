/**
 * The instance types cost packing chooses from: their rooms (allocatable minus daemonset overhead)
 * and prices as flat arrays, and the efficient frontier the choice of a group's type searches.
 */
import type { CompiledOption } from './offering-index.js';
import { fits, type Vec } from './resource-space.js';

const CPU = 0;
const MEM = 1;
const PODS = 2;

export interface Usable {
  readonly option: CompiledOption;
  /** Allocatable minus daemonset overhead. */
  readonly room: Vec;
}

/** Resources a packed pod may request: cpu, memory, pod slots and ephemeral storage (pods with others are not packed). */
const PACKED_DIMS = 4;
/** Fractional costs this close to the lowest count as a tie, won by the larger type. */
const NEAR_TIE = 1.001;

/**
 * The usable options as flat arrays, and their efficient frontier: the split search asks for the
 * best type of over a thousand groups, and a tight loop over the few hundred types that can win
 * keeps that cheap on the whole EC2 catalogue.
 */
export class TypeTable {
  /** Frontier types, in `usable` order (cheapest first): room per resource and price. */
  readonly #cpu: Float64Array;
  readonly #mem: Float64Array;
  readonly #pods: Float64Array;
  readonly #storage: Float64Array;
  readonly #price: Float64Array;
  readonly #frontier: readonly Usable[];
  readonly #cost: Float64Array;

  constructor(readonly usable: readonly Usable[]) {
    const f = frontier(usable);
    const n = f.length;
    this.#frontier = f;
    this.#cpu = new Float64Array(n);
    this.#mem = new Float64Array(n);
    this.#pods = new Float64Array(n);
    this.#storage = new Float64Array(n);
    this.#price = new Float64Array(n);
    this.#cost = new Float64Array(n);
    f.forEach((u, i) => {
      this.#cpu[i] = u.room[CPU]!;
      this.#mem[i] = u.room[MEM]!;
      this.#pods[i] = u.room[PODS]!;
      this.#storage[i] = u.room[3] ?? 0;
      this.#price[i] = u.option.price;
    });
  }

  /** The price of the cheapest type whose room holds `used` (types are cheapest first). */
  cheapestHolding(used: Vec): number {
    for (const u of this.usable) {
      if (u.room[CPU]! < used[CPU]! || u.room[MEM]! < used[MEM]!) continue;
      if (fits(used, u.room)) return u.option.price;
    }
    return Infinity;
  }

  /**
   * Among the types that hold each pod of a group (room ≥ `largest`, the group's per-resource
   * maximum request), those with the lowest fractional cost for the group (price × the scarcest of
   * cpu, memory and pod slots, within NEAR_TIE of the lowest); of these the one with the most cpu
   * (less fragmentation), the cheapest on a tie. `cost` is the lowest fractional cost.
   */
  best(cpu: number, mem: number, pods: number, largest: Vec): { u: Usable; cost: number } | undefined {
    const i = this.bestIndex(cpu, mem, pods, largest);
    return i < 0 ? undefined : { u: this.#frontier[i]!, cost: this.#lastCost };
  }

  /** The frontier type at an index bestIndex() returned. */
  frontierAt(i: number): Usable {
    return this.#frontier[i]!;
  }

  /** The lowest fractional cost found by the last bestIndex() that found a type. */
  get lastCost(): number {
    return this.#lastCost;
  }

  #lastCost = Infinity;

  /**
   * best() without an object per call (the split search asks a thousand times per group): the
   * frontier index of the type it picks (see frontierAt), its cost in lastCost; -1 when none holds the group.
   */
  bestIndex(cpu: number, mem: number, pods: number, largest: Vec): number {
    const rc = this.#cpu;
    const rm = this.#mem;
    const rp = this.#pods;
    const rs = this.#storage;
    const price = this.#price;
    const cost = this.#cost;
    const lc = largest[CPU]!;
    const lm = largest[MEM]!;
    const lp = largest[PODS]!;
    const ls = largest[3] ?? 0;
    let min = Infinity;
    for (let i = 0; i < rc.length; i++) {
      const c0 = rc[i]!;
      const m0 = rm[i]!;
      const p0 = rp[i]!;
      if (c0 < lc || m0 < lm || p0 < lp || rs[i]! < ls) {
        cost[i] = Infinity;
        continue;
      }
      let need = c0 > 0 ? cpu / c0 : cpu > 0 ? Infinity : 0;
      const nm = m0 > 0 ? mem / m0 : mem > 0 ? Infinity : 0;
      if (nm > need) need = nm;
      const np = p0 > 0 ? pods / p0 : Infinity;
      if (np > need) need = np;
      const c = need * price[i]!;
      cost[i] = c;
      if (c < min) min = c;
    }
    if (min === Infinity) return -1;
    const limit = min * NEAR_TIE;
    let best = -1;
    for (let i = 0; i < rc.length; i++) if (cost[i]! <= limit && (best < 0 || rc[i]! > rc[best]!)) best = i;
    this.#lastCost = min;
    return best;
  }
}

/**
 * The usable types that TypeTable.best can pick: a type is dropped when another is no more
 * expensive, has at least its room in every resource a packed pod requests, and has more cpu or
 * comes first (cheaper, or the same price and earlier by name). That one then holds every group the
 * dropped one holds, at no higher fractional cost, and wins every tie the dropped one would.
 * Order kept.
 */
export function frontier(usable: readonly Usable[]): Usable[] {
  // Largest cpu first (then usable order): a type's dominators all come before it, and
  // domination is transitive, so checking against the types kept so far is enough.
  const order = usable.map((u, i) => ({ u, i })).sort((a, b) => b.u.room[CPU]! - a.u.room[CPU]! || a.i - b.i);
  const kept: { u: Usable; i: number }[] = [];
  for (const a of order) {
    const ra = a.u.room;
    const pa = a.u.option.price;
    let dominated = false;
    for (const b of kept) {
      if (b.u.option.price > pa) continue;
      const rb = b.u.room;
      let holds = true;
      for (let d = 0; d < PACKED_DIMS && d < rb.length; d++) {
        if (rb[d]! < ra[d]!) {
          holds = false;
          break;
        }
      }
      // b comes before a in `order`: more cpu, or as much and earlier in usable order.
      if (holds && (rb[CPU]! > ra[CPU]! || b.i < a.i)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) kept.push(a);
  }
  return kept.sort((a, b) => a.i - b.i).map((x) => x.u);
}
