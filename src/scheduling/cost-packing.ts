/**
 * Cost-aware packing of pods that carry no inter-pod constraints (no spread, affinity or host
 * ports): where first fit puts a mixed bag of pods on whichever type fits the bag, this splits the
 * pods by their memory-to-cpu ratio into up to three groups, gives each group the instance type
 * with the lowest fractional cost for it (price × the scarcest of cpu, memory and pod slots) among
 * those that hold its largest pod (see packing-types.ts), packs
 * each group first-fit-decreasing onto that type, and shrinks each bin to the cheapest type that
 * holds it. Several splits are tried; the cheapest packing wins.
 */
import type { CompiledOption } from './offering-index.js';
import type { PodInfo } from './pod-constraints.js';
import { fitsSum, maxInto, type Vec } from './resource-space.js';
import { TypeTable, type Usable } from './packing-types.js';

const CPU = 0;
const MEM = 1;
const PODS = 2;
const MAX_BUCKETS = 48;
const MAX_GROUPS = 3;


export interface Packing {
  readonly bins: PodInfo[][];
  readonly pricePerHour: number;
}

/** First-fit decreasing onto bins of one type. */
/**
 * The pods in the order of a stable sort by `compare` (over pod indices, reading per-pod keys),
 * without an object per pod: the comparisons are those sorting {pod, key} pairs makes, so the order is too.
 */
function sortedBy(pods: readonly PodInfo[], compare: (a: number, b: number) => number): PodInfo[] {
  const order: number[] = [];
  for (let i = 0; i < pods.length; i++) order.push(i);
  order.sort(compare);
  const out: PodInfo[] = [];
  for (let i = 0; i < order.length; i++) out.push(pods[order[i]!]!);
  return out;
}

function ffd(pods: readonly PodInfo[], room: Vec): { pods: PodInfo[]; used: Vec }[] {
  const k = new Float64Array(pods.length);
  for (let i = 0; i < pods.length; i++) {
    const r = pods[i]!.requests;
    k[i] = Math.max(r[CPU]! / room[CPU]!, r[MEM]! / room[MEM]!);
  }
  const sorted = sortedBy(pods, (a, b) => k[b]! - k[a]!);
  const zero = new Float64Array(room.length);
  const bins: { pods: PodInfo[]; used: Vec }[] = [];
  let firstOpen = 0;
  // A pod asking what the previous one asked fits no bin before the one that took the previous:
  // those bins rejected the same requests and have not changed since. Pods mostly come in runs of
  // one shape, so most scans start where the last one ended.
  let last: Vec | undefined;
  let lastBin = 0;
  for (let j = 0; j < sorted.length; j++) {
    const p = sorted[j]!;
    const from = last !== undefined && sameVec(last, p.requests) ? Math.max(firstOpen, lastBin) : firstOpen;
    let placed = false;
    for (let i = from; i < bins.length; i++) {
      const b = bins[i]!;
      if (fitsSum(b.used, p.requests, room)) {
        b.pods.push(p);
        for (let d = 0; d < room.length; d++) b.used[d]! += p.requests[d]!;
        placed = true;
        lastBin = i;
        break;
      }
    }
    if (!placed) {
      if (!fitsSum(zero, p.requests, room)) return [];
      bins.push({ pods: [p], used: p.requests.slice() });
      lastBin = bins.length - 1;
    }
    last = p.requests;
    // Bins that cannot take even the smallest remaining pod stay closed to the scan.
    while (firstOpen < bins.length && bins[firstOpen]!.used[CPU]! >= room[CPU]! && bins[firstOpen]!.used[MEM]! >= room[MEM]!) firstOpen++;
  }
  return bins;
}

/** Same requests in every resource. */
function sameVec(a: Vec, b: Vec): boolean {
  if (a === b) return true;
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return false;
  return true;
}

const SCAN = 64;

/**
 * Fills one bin at a time from both ends of the pods sorted by memory-to-cpu ratio: while the bin
 * is fuller in memory it takes cpu-heavy pods, and the other way round, so bins end up full in both
 * dimensions rather than in whichever the first-fit order happened to favour.
 */
function balancedFill(pods: readonly PodInfo[], room: Vec): { pods: PodInfo[]; used: Vec }[] {
  const r = new Float64Array(pods.length);
  const c = new Float64Array(pods.length);
  for (let i = 0; i < pods.length; i++) {
    r[i] = ratio(pods[i]!);
    c[i] = pods[i]!.requests[CPU]!;
  }
  const sorted = sortedBy(pods, (a, b) => r[a]! - r[b]! || c[b]! - c[a]!);
  const taken = new Uint8Array(sorted.length);
  let lo = 0;
  let hi = sorted.length - 1;
  let left = sorted.length;
  const bins: { pods: PodInfo[]; used: Vec }[] = [];
  const zero = new Float64Array(room.length);
  while (left > 0) {
    const bin = { pods: [] as PodInfo[], used: new Float64Array(room.length) };
    for (;;) {
      while (lo <= hi && taken[lo]) lo++;
      while (hi >= lo && taken[hi]) hi--;
      if (lo > hi) break;
      const cpuHeavyFirst = bin.used[CPU]! / room[CPU]! <= bin.used[MEM]! / room[MEM]!;
      const pick = scanFit(sorted, taken, bin.used, room, cpuHeavyFirst ? lo : hi, cpuHeavyFirst ? 1 : -1, lo, hi)
        ?? scanFit(sorted, taken, bin.used, room, cpuHeavyFirst ? hi : lo, cpuHeavyFirst ? -1 : 1, lo, hi);
      if (pick === undefined) break;
      taken[pick] = 1;
      left--;
      const p = sorted[pick]!;
      bin.pods.push(p);
      for (let d = 0; d < room.length; d++) bin.used[d]! += p.requests[d]!;
    }
    if (bin.pods.length === 0) {
      // Nothing fits an empty bin: some pod is larger than the type.
      if (!fitsSum(zero, sorted[lo]!.requests, room)) return [];
      break;
    }
    bins.push(bin);
  }
  return bins;
}

function scanFit(sorted: readonly PodInfo[], taken: Uint8Array, used: Vec, room: Vec, from: number, step: 1 | -1, lo: number, hi: number): number | undefined {
  let seen = 0;
  for (let i = from; i >= lo && i <= hi && seen < SCAN; i += step) {
    if (taken[i]) continue;
    seen++;
    if (fitsSum(used, sorted[i]!.requests, room)) return i;
  }
  return undefined;
}

/**
 * Packs pods onto new machines of the given options (cheapest first) as cheaply as it can.
 * @returns undefined when some pod fits no option (the caller falls back to first fit).
 */
export function packByCost(pods: readonly PodInfo[], options: readonly CompiledOption[], daemon: Vec): Packing | undefined {
  if (pods.length === 0) return { bins: [], pricePerHour: 0 };
  const table = typeTable(options, daemon);
  if (!table) return undefined;

  // Buckets of pods by memory-to-cpu ratio, equal counts, in ratio order.
  const ratios = new Float64Array(pods.length);
  for (let i = 0; i < pods.length; i++) ratios[i] = ratio(pods[i]!);
  const byRatio = sortedBy(pods, (a, b) => ratios[a]! - ratios[b]!);
  const nb = Math.min(MAX_BUCKETS, byRatio.length);
  const edges: number[] = [0];
  for (let k = 1; k <= nb; k++) edges.push(Math.round((k * byRatio.length) / nb));
  const prefix = [[0, 0, 0]];
  let cpu = 0;
  let mem = 0;
  let slots = 0;
  for (let k = 0; k < nb; k++) {
    for (let i = edges[k]!; i < edges[k + 1]!; i++) {
      const r = byRatio[i]!.requests;
      cpu += r[CPU]!;
      mem += r[MEM]!;
      slots += r[PODS]!;
    }
    prefix.push([cpu, mem, slots]);
  }
  // Per bucket, the largest request in each resource: a group's type must hold its largest pods.
  const bucketMax: Vec[] = [];
  for (let k = 0; k < nb; k++) {
    const m = new Float64Array(daemon.length);
    for (let i = edges[k]!; i < edges[k + 1]!; i++) maxInto(m, byRatio[i]!.requests);
    bucketMax.push(m);
  }
  // Each group's best type is the same whatever the number of groups: compute it once, for every
  // contiguous run of buckets [i, j), growing the run leftwards so its largest request is one max
  // per step. Flat arrays, not an object per run: this is the hottest loop of a controller's solve.
  const width = nb + 1;
  const runType = new Int32Array(width * width).fill(-1);
  const runCost = new Float64Array(width * width);
  const largest = new Float64Array(daemon.length);
  for (let j = 1; j <= nb; j++) {
    largest.fill(0);
    const b = prefix[j]!;
    for (let i = j - 1; i >= 0; i--) {
      maxInto(largest, bucketMax[i]!);
      const a = prefix[i]!;
      const t = table.bestIndex(b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!, largest);
      runType[i * width + j] = t;
      if (t >= 0) runCost[i * width + j] = table.lastCost;
    }
  }

  // Dynamic programme over contiguous splits: cost[k][j] = cheapest cover of buckets [0, j) with k
  // groups; from[k][j] = where its last group starts (the first i reaching the minimum). Plans are
  // read back at the end.
  const candidates: { from: number; to: number; u: Usable }[][] = [];
  const costs: Float64Array[] = [new Float64Array(width).fill(Infinity)];
  costs[0]![0] = 0;
  const froms: Int32Array[] = [new Int32Array(width)];
  for (let k = 1; k <= MAX_GROUPS; k++) {
    const prev = costs[k - 1]!;
    const next = new Float64Array(width).fill(Infinity);
    const from = new Int32Array(width);
    for (let j = 1; j <= nb; j++) {
      for (let i = 0; i < j; i++) {
        if (prev[i] === Infinity) continue;
        const run = i * width + j;
        if (runType[run]! < 0) continue;
        const c = prev[i]! + runCost[run]!;
        if (c < next[j]!) {
          next[j] = c;
          from[j] = i;
        }
      }
    }
    costs.push(next);
    froms.push(from);
    if (next[nb]! < Infinity) {
      const plan: { from: number; to: number; u: Usable }[] = [];
      for (let g = k, to = nb; g > 0; g--) {
        const i = froms[g]![to]!;
        plan.unshift({ from: i, to, u: table.frontierAt(runType[i * width + to]!) });
        to = i;
      }
      candidates.push(plan);
    }
  }

  let best: Packing | undefined;
  for (const plan of candidates) {
    const bins: PodInfo[][] = [];
    let price = 0;
    let failed = false;
    for (const g of plan) {
      const groupPods = byRatio.slice(edges[g.from], edges[g.to]);
      const byFfd = ffd(groupPods, g.u.room);
      const byBalance = balancedFill(groupPods, g.u.room);
      const packed = byBalance.length > 0 && (byFfd.length === 0 || byBalance.length < byFfd.length) ? byBalance : byFfd;
      if (packed.length === 0) {
        failed = true;
        break;
      }
      for (const b of packed) {
        bins.push(b.pods);
        price += table.cheapestHolding(b.used);
      }
    }
    if (!failed && (!best || price < best.pricePerHour)) best = { bins, pricePerHour: price };
  }
  return best;
}

// Options lists that come back the same array across solves (OfferingIndex.all) get their table
// built once per daemonset overhead: rooms and the frontier of a thousand types are not free.
const tables = new WeakMap<readonly CompiledOption[], Map<string, TypeTable | undefined>>();

/** The usable options (room left after the daemonsets in every resource) as a table; undefined when none is. */
function typeTable(options: readonly CompiledOption[], daemon: Vec): TypeTable | undefined {
  const key = daemon.join(',');
  let byDaemon = tables.get(options);
  if (byDaemon?.has(key)) return byDaemon.get(key);
  const usable: Usable[] = [];
  for (const o of options) {
    const room = o.type.allocatable.slice();
    let ok = true;
    for (let d = 0; d < room.length; d++) {
      room[d]! -= daemon[d]!;
      if (room[d]! < 0) ok = false;
    }
    if (ok) usable.push({ option: o, room });
  }
  const table = usable.length > 0 ? new TypeTable(usable) : undefined;
  if (!byDaemon) tables.set(options, (byDaemon = new Map<string, TypeTable | undefined>()));
  if (byDaemon.size >= 16) byDaemon.clear();
  byDaemon.set(key, table);
  return table;
}

function ratio(p: PodInfo): number {
  const c = p.requests[CPU]!;
  return c > 0 ? p.requests[MEM]! / c : Number.MAX_VALUE;
}
