/**
 * The decision-latency benchmark on a real API server (`npx tsx bench/latency.ts [--json | --help]`), issue
 * 5's target rows: from a pod marked Unschedulable by kube-scheduler to its NodeClaim created, p50
 * and p99 over 1,000 pods, with the default batch window (1 s idle / 10 s max) and a 50 ms idle window.
 *
 * Set-up: etcd + kube-apiserver + kube-scheduler (src/test/control-plane.ts), the CRDs, a kwok
 * NodePool, and `nodewright controller --cloud-provider kwok` in its own process (so the solver's CPU
 * never delays this process's observations). kwok nodes register only after ten minutes: the figure
 * is the decision, and no node coming up changes what kube-scheduler or the provisioner do meanwhile.
 *
 * Workload: 1,000 pods (500m / 256Mi) created in WAVES waves of equal size, WAVE_GAP_MS apart, as
 * Deployments scaling up would create them (kube-scheduler's client is rate-limited to 50 QPS / burst
 * 100, so 1,000 pods at once would take it ~18 s just to mark, and that spread, not nodewright, would
 * be the figure).
 *
 * What is measured, all on this process's monotonic clock, from its own watches:
 *  - a pod's mark: the first watch event showing its PodScheduled=False/Unschedulable condition (the
 *    condition's lastTransitionTime has only second precision, so it is not used);
 *  - its decision: nodewright's Nominated Event names the NodeClaim (or node) each pod was planned
 *    on; the decision time is when that NodeClaim's creation arrived through the watch. A pod planned
 *    on a claim that already existed when it was marked (room left on one launched earlier) was decided
 *    when its Nominated Event arrived.
 * Per pod latency = decision - mark (the p50/p99 columns). Per wave (the "wave tail" column): from the
 * last pod of the wave marked to the first NodeClaim created after it, i.e. the window closing plus
 * the round's own work.
 *
 * Checks on the mark: kube-scheduler's FailedScheduling Event carries the time it gave up on the pod
 * (eventTime, microseconds, written just before the condition): "mark lag" is how long after it this
 * process saw the condition. A lag near zero says the mark is the scheduler's, not this process's
 * late look (which would flatter the figure).
 *
 * Where the time goes (table mode, per pod decided on a claim it launched): the controller logs each
 * round ("provisioning round decided": start, how long it waited for the previous round, solved and
 * decided after), so a pod's latency splits into its batch window (mark → the window closing), the
 * wait for the previous round, the solve, the NodeClaim writes, and the claim reaching this process.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../src/cli/table.js';
import type { RealKubeClient } from '../src/kube/real/real-client.js';
import type { Kind, KindMap, WatchEvent } from '../src/kube/types.js';
import type { ControlPlane } from '../src/test/control-plane.js';
import { isUnschedulable, until } from '../src/test/cluster-waits.js';
import { kwokNodePool, pausePod, startCrdCluster } from '../src/test/kwok-cluster.js';
import { OperatorProcess } from '../src/test/operator-process.js';

export interface LatencyBenchRow {
  /** The batch idle window of the row (the max window is the default 10 s). */
  readonly idleWindowMs: number;
  readonly pods: number;
  /** Per pod, mark → decision (see the file comment). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Per wave, last mark → first NodeClaim created after it, median and worst. */
  readonly waveTailP50Ms: number;
  readonly waveTailMaxMs: number;
  /** Per wave, first mark → last mark (kube-scheduler's spread), median. */
  readonly markSpreadP50Ms: number;
  /**
   * The profile of p99: the batch window replayed on the observed marks (how long each pod waited
   * for its window to close, given when the other pods were marked), and what is left of each pod's
   * latency after that (nodewright's own work: informer, round, create, and waiting for a round still
   * running). p99 of each.
   */
  readonly windowP99Ms: number;
  readonly workP99Ms: number;
  /** The controller's own account (see the file comment), p50 and p99 of each part. */
  readonly profile: LatencyProfile;
  readonly nodeClaims: number;
  /** The row's target for p99. */
  readonly goalP99Ms: number;
}

/** Parts of a pod's latency: [p50, p99] ms each; `pods` of the row it covers, mark lag over `markLagPods`. */
export interface LatencyProfile {
  readonly pods: number;
  readonly window: readonly [number, number];
  readonly queued: readonly [number, number];
  readonly solve: readonly [number, number];
  readonly write: readonly [number, number];
  readonly seen: readonly [number, number];
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
const epochOf = (perfMs: number): number => performance.timeOrigin + perfMs;

const PODS = 1_000;
export const WAVES = 20;
const WAVE_GAP_MS = 2_500;
const NS = 'default';

/** The rows: the default window, and a 50 ms idle window. */
export const LATENCY_ROWS: readonly { readonly idleMs: number; readonly goalP99Ms: number }[] = [
  { idleMs: 1_000, goalP99Ms: 1_200 },
  { idleMs: 50, goalP99Ms: 150 },
];

/** Calls `on` with each event of a watch of `kind` in NS until `signal` aborts; resumes a stream that ends. */
async function follow<K extends Kind>(kube: RealKubeClient, kind: K, signal: AbortSignal, on: (e: WatchEvent<KindMap[K]>) => void): Promise<void> {
  let resourceVersion = (await kube.list(kind, { namespace: NS })).resourceVersion;
  void (async () => {
    while (!signal.aborted) {
      try {
        for await (const e of kube.watch(kind, { namespace: NS, resourceVersion, allowBookmarks: true, signal })) {
          if (e.type === 'BOOKMARK') resourceVersion = e.resourceVersion;
          else resourceVersion = e.object.metadata.resourceVersion ?? resourceVersion;
          on(e);
        }
      } catch {
        if (!signal.aborted) await sleep(100);
      }
    }
  })();
}

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

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
const p50p99 = (xs: number[]): [number, number] => {
  xs.sort((a, b) => a - b);
  return [Math.round(quantile(xs, 0.5)), Math.round(quantile(xs, 0.99))];
};

/** Runs `f` on every item, `width` at a time, ignoring failures (the caller checks what is left). */
async function inChunks<T>(items: readonly T[], width: number, f: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.allSettled(items.slice(i, i + width).map(f));
}

/** Removes what a row left: the controller is stopped, so claims' finalizers are cleared by hand. */
async function cleanUp(kube: RealKubeClient): Promise<void> {
  await until('the previous row to be cleaned up', 120_000, async () => {
    const [claims, pods] = await Promise.all([kube.list('NodeClaim'), kube.list('Pod', { namespace: NS })]);
    if (claims.items.length + pods.items.length === 0) return true;
    await inChunks(claims.items, 50, async (c) => {
      await kube.patch('NodeClaim', c.metadata.name!, { metadata: { finalizers: null } });
      await kube.delete('NodeClaim', c.metadata.name!);
    });
    await inChunks(pods.items, 100, (p) => kube.delete('Pod', p.metadata.name!, NS, { gracePeriodSeconds: 0 }));
    return `${claims.items.length} NodeClaims, ${pods.items.length} pods left`;
  }, { errors: 'retry' });
}

/** One row on a running control plane with the CRDs and the NodePool in place. */
async function runRow(cp: ControlPlane, kube: RealKubeClient, idleMs: number, goalP99Ms: number): Promise<LatencyBenchRow> {
  const marked = new Map<string, number>();
  const claimAdded = new Map<string, number>();
  const nominated = new Map<string, { target: string; at: number }>();
  const stop = new AbortController();
  await follow(kube, 'Pod', stop.signal, (e) => {
    if (e.type === 'BOOKMARK' || e.type === 'DELETED') return;
    const name = e.object.metadata.name!;
    if (!marked.has(name) && isUnschedulable(e.object)) marked.set(name, performance.now());
  });
  const schedulerGaveUp = new Map<string, number>();
  await follow(kube, 'Event', stop.signal, (e) => {
    if (e.type !== 'ADDED') return;
    if (e.object.reason === 'FailedScheduling' && e.object.reportingController === 'default-scheduler') {
      const pod = e.object.regarding?.name;
      const at = e.object.eventTime ? Date.parse(e.object.eventTime) + microsOf(e.object.eventTime) : NaN;
      if (pod && !Number.isNaN(at) && !schedulerGaveUp.has(pod)) schedulerGaveUp.set(pod, at);
      return;
    }
    if (e.object.reason !== 'Nominated') return;
    const pod = e.object.regarding?.name;
    const target = /on: (?:nodeclaim|node)\/(\S+)$/.exec(e.object.note ?? '')?.[1];
    if (pod && target && !nominated.has(pod)) nominated.set(pod, { target, at: performance.now() });
  });
  const claims = kube.watch('NodeClaim', { resourceVersion: (await kube.list('NodeClaim')).resourceVersion, signal: stop.signal });
  void (async () => {
    for await (const e of claims) if (e.type === 'ADDED') claimAdded.set(e.object.metadata.name!, performance.now());
  })().catch(() => undefined);
  const controller = new OperatorProcess({
    kubeconfigPath: cp.kubeconfigPath, logLimit: 8_000_000, stopGraceMs: 10_000,
    args: ['--leader-elect=false', '--log-level', 'info', '--kwok-registration-delay', '10m', '--batch-idle-duration', `${idleMs}ms`, '--batch-max-duration', '10s'],
  });
  try {
    await controller.untilLeading(60_000);
    const perWave = PODS / WAVES;
    const waves: string[][] = [];
    for (let w = 0; w < WAVES; w++) {
      const names = Array.from({ length: perWave }, (_, i) => `latency-${idleMs}-${w}-${i}`);
      waves.push(names);
      const t0 = performance.now();
      await Promise.all(names.map((n) => kube.create('Pod', pausePod(n, NS, 'latency'))));
      await sleep(Math.max(0, WAVE_GAP_MS - (performance.now() - t0)));
    }
    await until('every pod marked and nominated', 60_000, () =>
      Promise.resolve(marked.size >= PODS && nominated.size >= PODS ? true : `marked ${marked.size}, nominated ${nominated.size}`));
    const latencies: number[] = [];
    const windowWaits: number[] = [];
    const work: number[] = [];
    const closes = windowCloses([...marked.values()], idleMs, 10_000);
    for (const [pod, mark] of marked) {
      const n = nominated.get(pod)!;
      const created = claimAdded.get(n.target);
      const decided = created !== undefined && created >= mark ? created : n.at;
      latencies.push(decided - mark);
      windowWaits.push(closes.get(mark)! - mark);
      work.push(decided - closes.get(mark)!);
    }
    for (const xs of [latencies, windowWaits, work]) xs.sort((a, b) => a - b);
    const spreads = waves.map((names) => {
      const ms = names.map((n) => marked.get(n)!);
      return Math.max(...ms) - Math.min(...ms);
    }).sort((a, b) => a - b);
    const addedTimes = [...claimAdded.values()].sort((a, b) => a - b);
    const tails = waves.map((names) => {
      const last = Math.max(...names.map((n) => marked.get(n)!));
      const first = addedTimes.find((t) => t >= last);
      return first === undefined ? NaN : first - last;
    }).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const profile = profileOf(marked, nominated, claimAdded, schedulerGaveUp, roundLines(controller.log));
    const r = Math.round;
    return {
      idleWindowMs: idleMs, pods: latencies.length, p50Ms: r(quantile(latencies, 0.5)), p99Ms: r(quantile(latencies, 0.99)),
      waveTailP50Ms: r(quantile(tails, 0.5)), waveTailMaxMs: r(tails.at(-1) ?? NaN), markSpreadP50Ms: r(quantile(spreads, 0.5)),
      windowP99Ms: r(quantile(windowWaits, 0.99)), workP99Ms: r(quantile(work, 0.99)), profile, nodeClaims: claimAdded.size, goalP99Ms,
    };
  } finally {
    stop.abort();
    await controller.stop();
    await cleanUp(kube);
  }
}

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
    if (!rl || added === undefined) continue;
    const closed = rl.startedAt - rl.waitedMs;
    window.push(closed - mark);
    queued.push(rl.waitedMs);
    solve.push(rl.solvedAfterMs);
    write.push(rl.decidedAfterMs - rl.solvedAfterMs);
    seen.push(epochOf(added) - (rl.startedAt + rl.decidedAfterMs));
  }
  const totals = window.map((w, i) => w + queued[i]! + solve[i]! + write[i]! + seen[i]!);
  const atLeast = quantile([...totals].sort((a, b) => a - b), 0.99);
  const tailPods = totals.flatMap((t, i) => (t >= atLeast ? [i] : []));
  const tail = [window, queued, solve, write, seen].map((xs) => Math.round(tailPods.reduce((sum, i) => sum + xs[i]!, 0) / tailPods.length));
  return {
    pods: window.length, window: p50p99(window), queued: p50p99(queued), solve: p50p99(solve), write: p50p99(write), seen: p50p99(seen),
    markLagPods: lag.length, markLag: p50p99(lag), tail,
  };
}

/** Starts a control plane, runs both rows on it, telling `onRow` of each as it ends, and stops it. */
export async function runLatencySuite(onRow: (row: LatencyBenchRow) => void = () => {}): Promise<LatencyBenchRow[]> {
  const { cp, kube } = await startCrdCluster({ scheduler: true });
  try {
    await kube.create('NodePool', kwokNodePool());
    const rows: LatencyBenchRow[] = [];
    for (const { idleMs, goalP99Ms } of LATENCY_ROWS) {
      const row = await runRow(cp, kube, idleMs, goalP99Ms);
      onRow(row);
      rows.push(row);
    }
    return rows;
  } finally {
    kube.close();
    await cp.stop();
  }
}

/** Where the time goes, a row per idle window: p50 / p99 ms of each part. */
export function profileTable(rows: readonly LatencyBenchRow[]): string {
  const f = (x: readonly [number, number]): string => `${x[0]} / ${x[1]}`;
  return renderTable(
    ['idle window', 'pods', 'window', 'wait prev round', 'solve', 'write claims', 'claim seen', 'p99 tail: the same, mean', 'mark lag (pods)'],
    rows.map(({ idleWindowMs, profile: p }) => [
      `${idleWindowMs} ms`, p.pods, f(p.window), f(p.queued), f(p.solve), f(p.write), f(p.seen), p.tail.join(' + '), `${f(p.markLag)} (${p.markLagPods})`,
    ]),
  );
}

export function latencyTable(rows: readonly LatencyBenchRow[]): string {
  return renderTable(
    ['idle window', 'pods', 'claims', 'p50 ms', 'p99 ms', 'p99 window ms', 'p99 work ms', 'mark spread ms', 'wave tail p50/max ms', 'target'],
    rows.map((r) => [
      `${r.idleWindowMs} ms`, r.pods, r.nodeClaims, r.p50Ms, r.p99Ms, r.windowP99Ms, r.workP99Ms, r.markSpreadP50Ms, `${r.waveTailP50Ms} / ${r.waveTailMaxMs}`,
      `p99 ≤ ${r.goalP99Ms} ms: ${r.p99Ms <= r.goalP99Ms ? 'met' : 'missed'}`,
    ]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, strict: true });
  if (values.help) {
    process.stdout.write('usage: tsx bench/latency.ts [--json]\n  Decision latency on kube-apiserver + kube-scheduler (starts a control plane; about 5 minutes).\n  --json  one JSON line per row instead of the table\n');
  } else if (values.json) {
    await runLatencySuite((r) => process.stdout.write(`${JSON.stringify({ idleWindowMs: r.idleWindowMs, pods: r.pods, p50Ms: r.p50Ms, p99Ms: r.p99Ms })}\n`));
  } else {
    const rows = await runLatencySuite((r) => process.stderr.write(`  done: ${r.idleWindowMs} ms idle window\n`));
    process.stdout.write(`Decision latency on kube-apiserver + kube-scheduler: a pod marked Unschedulable to its NodeClaim created, ${PODS} pods in ${WAVES} waves\n`);
    process.stdout.write(latencyTable(rows));
    process.stdout.write('\nWhere the time goes (p50 / p99 ms, pods decided on a claim launched for them), from the controller\'s round log\n');
    process.stdout.write(profileTable(rows));
  }
}
