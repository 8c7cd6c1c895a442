/**
 * The pure part of the decision-latency benchmark (bench/latency.ts): the controller's round lines,
 * the batch window replayed on the observed marks, and each pod's latency split into its parts.
 */
import { performance } from 'node:perf_hooks';

/** Parts of a pod's latency: [p50, p99] ms each; `pods` of the row it covers, mark lag over `markLagPods`. */
export interface LatencyProfile {
  readonly pods: number;
  readonly window: readonly [number, number];
  readonly queued: readonly [number, number];
  readonly solve: readonly [number, number];
  readonly write: readonly [number, number];
  readonly seen: readonly [number, number];
  /** nodewright's own part, per pod: wait + solve + write + seen (the window's close to the claim seen). */
  readonly own: readonly [number, number];
  readonly markLagPods: number;
  readonly markLag: readonly [number, number];
  /** The p99 tail: the mean of each part (window, wait, solve, write, seen) over the pods at or above p99. */
  readonly tail: readonly number[];
}

/** One "provisioning round decided" line of the controller's log: epoch ms and ms. */
export interface RoundLine {
  readonly startedAt: number;
  readonly waitedMs: number;
  readonly solvedAfterMs: number;
  readonly decidedAfterMs: number;
  readonly nodeClaims: readonly string[];
}

/** The round lines of a controller log (JSON lines; others ignored). */
export function roundLines(log: string): RoundLine[] {
  const out: RoundLine[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('provisioning round decided')) continue;
    try {
      const o = JSON.parse(line) as Partial<RoundLine>;
      if (typeof o.startedAt === 'number' && Array.isArray(o.nodeClaims)) {
        out.push({ startedAt: o.startedAt, waitedMs: o.waitedMs ?? 0, solvedAfterMs: o.solvedAfterMs ?? 0, decidedAfterMs: o.decidedAfterMs ?? 0, nodeClaims: o.nodeClaims });
      }
    } catch {
      // a line cut by the log's size limit
    }
  }
  return out;
}

/** Epoch ms of a performance.now() reading (the controller logs epoch ms; same machine, same clock). */
export const epochOf = (perfMs: number): number => performance.timeOrigin + perfMs;

/** Replays the batch window on the mark times: when the window each mark fell in closed. */
export function windowCloses(marks: readonly number[], idleMs: number, maxMs: number): Map<number, number> {
  const sorted = [...marks].sort((a, b) => a - b);
  const out = new Map<number, number>();
  let members: number[] = [];
  let openedAt = 0;
  let closesAt = -Infinity;
  const flush = (): void => {
    for (const m of members) out.set(m, closesAt);
    members = [];
  };
  for (const m of sorted) {
    if (m > closesAt) {
      flush();
      openedAt = m;
    }
    members.push(m);
    closesAt = Math.min(m + idleMs, openedAt + maxMs);
  }
  flush();
  return out;
}

export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
const p50p99 = (xs: number[]): [number, number] => {
  xs.sort((a, b) => a - b);
  return [Math.round(quantile(xs, 0.5)), Math.round(quantile(xs, 0.99))];
};

/** The sub-millisecond part of a MicroTime ("2026-01-01T00:00:00.123456Z" → 0.456), which Date.parse drops. */
export function microsOf(t: string): number {
  const frac = /\.(\d+)Z$/.exec(t)?.[1] ?? '';
  return frac.length > 3 ? Number(`0.${frac.slice(3)}`) : 0;
}

/** Splits each pod's latency along the controller's round lines (see the file comment); marks and claim times are performance.now() readings. */
export function profileOf(
  marked: ReadonlyMap<string, number>, nominated: ReadonlyMap<string, { target: string }>, claimAdded: ReadonlyMap<string, number>,
  schedulerGaveUp: ReadonlyMap<string, number>, rounds: readonly RoundLine[],
): LatencyProfile {
  const roundOf = new Map<string, RoundLine>();
  for (const rl of rounds) for (const c of rl.nodeClaims) roundOf.set(c, rl);
  const window: number[] = [];
  const queued: number[] = [];
  const solve: number[] = [];
  const write: number[] = [];
  const seen: number[] = [];
  const lag: number[] = [];
  for (const [pod, markPerf] of marked) {
    const gaveUp = schedulerGaveUp.get(pod);
    const mark = epochOf(markPerf);
    if (gaveUp !== undefined) lag.push(mark - gaveUp);
    const target = nominated.get(pod)?.target;
    const rl = target === undefined ? undefined : roundOf.get(target);
    const added = target === undefined ? undefined : claimAdded.get(target);
    // A pod marked after its claim was created was placed on room left on it: its decision is the Nominated Event.
    if (!rl || added === undefined || added < markPerf) continue;
    const closed = rl.startedAt - rl.waitedMs;
    window.push(closed - mark);
    queued.push(rl.waitedMs);
    solve.push(rl.solvedAfterMs);
    write.push(rl.decidedAfterMs - rl.solvedAfterMs);
    seen.push(epochOf(added) - (rl.startedAt + rl.decidedAfterMs));
  }
  const own = window.map((_, i) => queued[i]! + solve[i]! + write[i]! + seen[i]!);
  const totals = window.map((w, i) => w + own[i]!);
  const atLeast = quantile([...totals].sort((a, b) => a - b), 0.99);
  const tailPods = totals.flatMap((t, i) => (t >= atLeast ? [i] : []));
  const tail = [window, queued, solve, write, seen].map((xs) => Math.round(tailPods.reduce((sum, i) => sum + xs[i]!, 0) / tailPods.length));
  return {
    pods: window.length, window: p50p99(window), queued: p50p99(queued), solve: p50p99(solve), write: p50p99(write), seen: p50p99(seen), own: p50p99(own),
    markLagPods: lag.length, markLag: p50p99(lag), tail,
  };
}
