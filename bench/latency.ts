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
 * Workload: 1,000 pods (500m / 256Mi) created in waves of WAVE_SIZE (`--wave-size`, default 50),
 * WAVE_GAP_MS apart, as Deployments scaling up would create them (kube-scheduler's client is
 * rate-limited to 50 QPS / burst 100, so 1,000 pods at once would take it ~18 s just to mark, and that
 * spread, not nodewright, would be the figure). The smaller the wave, the shorter kube-scheduler's
 * mark spread per wave, and the less of p99 is the window kept open by it: `--wave-size 10` shows
 * that (100 waves, so a row takes about 4 minutes instead of 1).
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
 * wait for the previous round, the solve, the NodeClaim writes, and the claim reaching this process;
 * the last four are nodewright's own part ("own"; "p99 work" in the first table is the same for every
 * pod, from the window replayed on this process's marks).
 *
 * Two kube-scheduler set-ups, a control plane each (KUBE_SCHEDULERS). `stock`, its default flags, gives
 * the figure as a default cluster would. Stock kube-scheduler patches each pod's condition
 * synchronously in its scheduling loop, one API round trip per pod, so marking a wave of 50 takes it
 * a few hundred ms on a busy machine ("mark spread"), and as each newly marked pod restarts the idle
 * window (Karpenter's semantics, kept), the first pods of a wave wait for that whole spread plus the
 * window. The spread is kube-scheduler's, while the goals are about nodewright's decision, so the
 * `async-api-calls` rows run the same with the feature gate SchedulerAsyncAPICalls, which moves those
 * patches off the scheduling loop: there the spread shrinks to about the pods' own creation spread
 * ("create spread", this process creating a wave's pods at once). That gate is beta but off by
 * default in v1.34 (turned off again for a regression with asynchronous preemption under a slow API
 * server, kubernetes/kubernetes#134400), so those rows show what nodewright does with a faster
 * marker, not what a default cluster gives. With it, "mark lag" grows: the FailedScheduling Event is written as
 * the pod fails, its condition patch waits in the scheduler's queue of API calls.
 */
import { appendFileSync } from 'node:fs';
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
import type { LatencyProfile } from './latency-profile.js';
import { microsOf, profileOf, quantile, roundLines, windowCloses } from './latency-profile.js';

export interface LatencyBenchRow {
  /** The kube-scheduler set-up that marked the pods ({@link KUBE_SCHEDULERS}). */
  readonly scheduler: KubeSchedulerName;
  /** Pods created at once, per wave. */
  readonly waveSize: number;
  /** The batch idle window of the row (the max window is the default 10 s). */
  readonly idleWindowMs: number;
  readonly pods: number;
  /** Per pod, mark → decision (see the file comment). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Per wave, last mark → first NodeClaim created after it, median and worst. */
  readonly waveTailP50Ms: number;
  readonly waveTailMaxMs: number;
  /** Per wave, first mark → last mark (kube-scheduler's spread), median and worst. */
  readonly markSpreadP50Ms: number;
  readonly markSpreadMaxMs: number;
  /** Per wave, first pod seen → last pod seen through the watch (this process's creates), median: the part of the mark spread that is not kube-scheduler's. */
  readonly createSpreadP50Ms: number;
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

const PODS = 1_000;
/** Pods per wave by default: 20 waves. */
export const WAVE_SIZE = 50;
const WAVE_GAP_MS = 2_500;
const NS = 'default';

/** The rows: the default window, and a 50 ms idle window. */
export const LATENCY_ROWS: readonly { readonly idleMs: number; readonly goalP99Ms: number }[] = [
  { idleMs: 1_000, goalP99Ms: 1_200 },
  { idleMs: 50, goalP99Ms: 150 },
];

/** The kube-scheduler set-ups a row can run on: stock flags, or its status patches taken off its scheduling loop. */
export const KUBE_SCHEDULERS = {
  stock: [],
  'async-api-calls': ['--feature-gates=SchedulerAsyncAPICalls=true'],
} as const satisfies Record<string, readonly string[]>;
export type KubeSchedulerName = keyof typeof KUBE_SCHEDULERS;

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
async function runRow(
  cp: ControlPlane, kube: RealKubeClient, scheduler: KubeSchedulerName, idleMs: number, goalP99Ms: number, waveSize: number, raw: string | undefined,
): Promise<LatencyBenchRow> {
  const marked = new Map<string, number>();
  const seen = new Map<string, number>();
  const claimAdded = new Map<string, number>();
  const nominated = new Map<string, { target: string; at: number }>();
  const stop = new AbortController();
  await follow(kube, 'Pod', stop.signal, (e) => {
    if (e.type === 'BOOKMARK' || e.type === 'DELETED') return;
    const name = e.object.metadata.name!;
    if (!seen.has(name)) seen.set(name, performance.now());
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
    const waves: string[][] = [];
    for (let w = 0; w * waveSize < PODS; w++) {
      const names = Array.from({ length: Math.min(waveSize, PODS - w * waveSize) }, (_, i) => `latency-${idleMs}-${w}-${i}`);
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
    const spreadOf = (at: ReadonlyMap<string, number>): number[] => waves.map((names) => {
      const ms = names.map((n) => at.get(n)!);
      return Math.max(...ms) - Math.min(...ms);
    }).sort((a, b) => a - b);
    const spreads = spreadOf(marked);
    const createSpreads = spreadOf(seen);
    const addedTimes = [...claimAdded.values()].sort((a, b) => a - b);
    const tails = waves.map((names) => {
      const last = Math.max(...names.map((n) => marked.get(n)!));
      const first = addedTimes.find((t) => t >= last);
      return first === undefined ? NaN : first - last;
    }).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    if (raw !== undefined) {
      appendFileSync(raw, `${JSON.stringify({
        scheduler, idleMs, waveSize, timeOrigin: performance.timeOrigin, marked: [...marked], seen: [...seen], nominated: [...nominated],
        claimAdded: [...claimAdded], schedulerGaveUp: [...schedulerGaveUp], rounds: roundLines(controller.log),
      })}\n`);
    }
    const profile = profileOf(marked, nominated, claimAdded, schedulerGaveUp, roundLines(controller.log));
    const r = Math.round;
    return {
      scheduler, waveSize, idleWindowMs: idleMs, pods: latencies.length, p50Ms: r(quantile(latencies, 0.5)), p99Ms: r(quantile(latencies, 0.99)),
      waveTailP50Ms: r(quantile(tails, 0.5)), waveTailMaxMs: r(tails.at(-1) ?? NaN), markSpreadP50Ms: r(quantile(spreads, 0.5)),
      markSpreadMaxMs: r(spreads.at(-1) ?? NaN), createSpreadP50Ms: r(quantile(createSpreads, 0.5)),
      windowP99Ms: r(quantile(windowWaits, 0.99)), workP99Ms: r(quantile(work, 0.99)), profile, nodeClaims: claimAdded.size, goalP99Ms,
    };
  } finally {
    stop.abort();
    await controller.stop();
    await cleanUp(kube);
  }
}

/** Options of {@link runLatencySuite}. */
export interface LatencySuiteOptions {
  /** The kube-scheduler set-ups to run, in order (default: all of {@link KUBE_SCHEDULERS}). */
  readonly schedulers?: readonly KubeSchedulerName[];
  /** Appends one JSON line per row to this file: the raw observations (marks, nominations, claims, round lines). */
  readonly raw?: string;
  /** Pods per wave (default {@link WAVE_SIZE}). */
  readonly waveSize?: number;
}

/**
 * For each kube-scheduler set-up, starts a control plane with it, runs both windows' rows on it,
 * telling `onRow` of each as it ends, and stops it.
 */
export async function runLatencySuite(onRow: (row: LatencyBenchRow) => void = () => {}, opts: LatencySuiteOptions = {}): Promise<LatencyBenchRow[]> {
  const rows: LatencyBenchRow[] = [];
  for (const scheduler of opts.schedulers ?? (Object.keys(KUBE_SCHEDULERS) as KubeSchedulerName[])) {
    const { cp, kube } = await startCrdCluster({ scheduler: true, schedulerArgs: KUBE_SCHEDULERS[scheduler] });
    try {
      await kube.create('NodePool', kwokNodePool());
      for (const { idleMs, goalP99Ms } of LATENCY_ROWS) {
        const row = await runRow(cp, kube, scheduler, idleMs, goalP99Ms, opts.waveSize ?? WAVE_SIZE, opts.raw);
        onRow(row);
        rows.push(row);
      }
    } finally {
      kube.close();
      await cp.stop();
    }
  }
  return rows;
}

/** Where the time goes, a row per idle window: p50 / p99 ms of each part. */
export function profileTable(rows: readonly LatencyBenchRow[]): string {
  const f = (x: readonly [number, number]): string => `${x[0]} / ${x[1]}`;
  return renderTable(
    ['kube-scheduler', 'idle window', 'pods', 'window', 'wait prev round', 'solve', 'write claims', 'claim seen', 'own (wait to seen)', 'p99 tail: the same, mean', 'mark lag (pods)'],
    rows.map(({ scheduler, idleWindowMs, profile: p }) => [
      scheduler, `${idleWindowMs} ms`, p.pods, f(p.window), f(p.queued), f(p.solve), f(p.write), f(p.seen), f(p.own), p.tail.join(' + '), `${f(p.markLag)} (${p.markLagPods})`,
    ]),
  );
}

export function latencyTable(rows: readonly LatencyBenchRow[]): string {
  return renderTable(
    ['kube-scheduler', 'idle window', 'pods', 'claims', 'p50 ms', 'p99 ms', 'p99 window ms', 'p99 work ms', 'create / mark spread p50, max ms', 'wave tail p50/max ms', 'target'],
    rows.map((r) => [
      r.scheduler, `${r.idleWindowMs} ms`, r.pods, r.nodeClaims, r.p50Ms, r.p99Ms, r.windowP99Ms, r.workP99Ms, `${r.createSpreadP50Ms} / ${r.markSpreadP50Ms}, ${r.markSpreadMaxMs}`, `${r.waveTailP50Ms} / ${r.waveTailMaxMs}`,
      `p99 ≤ ${r.goalP99Ms} ms: ${r.p99Ms <= r.goalP99Ms ? 'met' : 'missed'}`,
    ]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      scheduler: { type: 'string', multiple: true }, raw: { type: 'string' }, 'wave-size': { type: 'string' },
    },
    strict: true,
  });
  const schedulers = (values.scheduler ?? Object.keys(KUBE_SCHEDULERS)) as KubeSchedulerName[];
  const unknown = schedulers.filter((s) => !(s in KUBE_SCHEDULERS));
  const waveSize = values['wave-size'] === undefined ? WAVE_SIZE : Number(values['wave-size']);
  const opts = { schedulers, waveSize, ...(values.raw !== undefined ? { raw: values.raw } : {}) };
  if (values.help) {
    process.stdout.write(
      'usage: tsx bench/latency.ts [--json] [--scheduler stock|async-api-calls]... [--wave-size N] [--raw FILE]\n' +
      '  Decision latency on kube-apiserver + kube-scheduler: a control plane per kube-scheduler set-up, about 2 minutes each.\n' +
      '  --json       one JSON line per row instead of the tables\n' +
      '  --scheduler  only this kube-scheduler set-up (repeatable; default both: stock flags, then SchedulerAsyncAPICalls=true)\n' +
      `  --wave-size  pods created at once per wave, ${WAVE_GAP_MS / 1000} s apart (default ${WAVE_SIZE}: ${PODS / WAVE_SIZE} waves; 10 makes each row about 4 minutes)\n` +
      '  --raw FILE   also append each row\'s raw observations to FILE, one JSON line per row\n',
    );
  } else if (!Number.isInteger(waveSize) || waveSize < 1 || waveSize > PODS) {
    process.stderr.write(`--wave-size: expected a whole number of pods from 1 to ${PODS}, got ${values['wave-size']}\n`);
    process.exitCode = 2;
  } else if (unknown.length > 0) {
    process.stderr.write(`--scheduler: unknown set-up ${unknown.join(', ')}; expected one of ${Object.keys(KUBE_SCHEDULERS).join(', ')}\n`);
    process.exitCode = 2;
  } else if (values.json) {
    await runLatencySuite((r) => process.stdout.write(`${JSON.stringify({ scheduler: r.scheduler, waveSize: r.waveSize, idleWindowMs: r.idleWindowMs, pods: r.pods, p50Ms: r.p50Ms, p99Ms: r.p99Ms })}\n`), opts);
  } else {
    const rows = await runLatencySuite((r) => process.stderr.write(`  done: ${r.scheduler} kube-scheduler, ${r.idleWindowMs} ms idle window\n`), opts);
    process.stdout.write(`Decision latency on kube-apiserver + kube-scheduler: a pod marked Unschedulable to its NodeClaim created, ${PODS} pods in waves of ${waveSize}\n`);
    process.stdout.write(latencyTable(rows));
    process.stdout.write('\nWhere the time goes (p50 / p99 ms, pods decided on a claim launched for them), from the controller\'s round log\n');
    process.stdout.write(profileTable(rows));
  }
}
