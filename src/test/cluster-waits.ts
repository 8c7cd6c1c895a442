/**
 * Waits on a real API server for the integration and chaos tiers: polling with a deadline, and the
 * cluster states the operator tests wait for (pods Running on Ready kwok nodes, nothing left).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, Pod } from '../apis/core.js';
import type { RealKubeClient } from '../kube/real/real-client.js';

/** A wait ran out of time; the message says what was awaited and the last state seen. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/** Options of {@link poll} and {@link until}. */
export interface PollOptions {
  /** Time between checks (default 100 ms). */
  readonly intervalMs?: number;
  /**
   * What an error thrown by the check does: `throw` (default) ends the wait with it, `retry` takes it
   * as a state not yet reached (`error: ...`), for waits that span an API server outage.
   */
  readonly errors?: 'throw' | 'retry';
  /** More to say when the wait times out (a process's log, say); only {@link until} uses it. */
  readonly context?: () => string;
}

/**
 * Calls `check` until it returns something other than a string (a description of the state not yet
 * reached), or `timeoutMs` has passed. Returns that value, or the last string seen once the time is
 * up: the caller decides whether that fails. Throws what `check` throws unless `errors` is `retry`.
 */
export async function poll<T>(timeoutMs: number, check: () => Promise<T | string>, o: PollOptions = {}): Promise<T | string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = o.errors === 'retry' ? await check().catch((e: unknown) => `error: ${String(e)}`) : await check();
    if (typeof v !== 'string' || performance.now() > deadline) return v;
    await sleep(o.intervalMs ?? 100);
  }
}

/**
 * {@link poll}, failing on time-out: resolves with the first non-string value of `check`.
 * @throws WaitTimeoutError naming `what`, the last state seen and `context()`.
 */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | string>, o: PollOptions = {}): Promise<T> {
  const v = await poll(timeoutMs, check, o);
  if (typeof v !== 'string') return v;
  const context = o.context?.() ?? '';
  throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}${context ? `\n${context}` : ''}`);
}

/** Milliseconds since `t0` (a `performance.now()` reading), rounded. */
export const since = (t0: number): number => Math.round(performance.now() - t0);

/** Whether kube-scheduler has marked the pod PodScheduled=False/Unschedulable. */
export const isUnschedulable = (p: Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') === true;

const isReady = (n: Node): boolean => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const isKwok = (n: Node): boolean => n.spec?.providerID?.startsWith('kwok://') === true;

/** Names of the Ready nodes, only those of the kwok provider (`kwok://` provider ID) when `kwokOnly`. */
export function readyNodeNames(nodes: readonly Node[], kwokOnly: boolean): Set<string> {
  return new Set(nodes.filter((n) => isReady(n) && (!kwokOnly || isKwok(n))).map((n) => n.metadata.name!));
}

/** Whether the pod is Running on one of `ready`. */
export const runsOn = (p: Pod, ready: ReadonlySet<string>): boolean => p.status?.phase === 'Running' && ready.has(p.spec?.nodeName ?? '');

/** The pods of an app: those of `namespace` with label `app`. */
export async function appPods(kube: RealKubeClient, namespace: string, app: string): Promise<Pod[]> {
  return (await kube.list('Pod', { namespace, labelSelector: { matchLabels: { app } } })).items;
}

/** What {@link untilAppRunning} saw once every pod ran. */
export interface AppRunning {
  readonly pods: Pod[];
  /** Every Node at that moment. */
  readonly nodes: Node[];
  /** The nodes the pods run on. */
  readonly used: Set<string>;
}

/**
 * Waits until the app has exactly `count` pods and every one is Running on a Ready kwok node.
 * @throws WaitTimeoutError with the running and ready counts last seen.
 */
export function untilAppRunning(kube: RealKubeClient, namespace: string, app: string, count: number, timeoutMs: number, o: PollOptions = {}): Promise<AppRunning> {
  return until(`${count} pods Running on Ready kwok nodes`, timeoutMs, async () => {
    const [pods, nodes] = await Promise.all([appPods(kube, namespace, app), kube.list('Node')]);
    const ready = readyNodeNames(nodes.items, true);
    const running = pods.filter((p) => runsOn(p, ready));
    if (pods.length !== count || running.length !== count) return `${running.length}/${pods.length} running, ${ready.size}/${nodes.items.length} nodes ready`;
    return { pods, nodes: nodes.items, used: new Set(running.map((p) => p.spec.nodeName!)) };
  }, o);
}

/**
 * Waits until no NodeClaim and no Node is left (and no pod of `pods`, when given: a namespace and
 * optionally an app label). Nodes still being deleted are named with their finalizers.
 * @throws WaitTimeoutError with what was left.
 */
export async function untilNothingLeft(kube: RealKubeClient, timeoutMs: number, pods?: { namespace: string; app?: string }, o: PollOptions = {}): Promise<void> {
  const podCount = async (): Promise<number> => {
    if (!pods) return 0;
    if (pods.app !== undefined) return (await appPods(kube, pods.namespace, pods.app)).length;
    return (await kube.list('Pod', { namespace: pods.namespace })).items.length;
  };
  await until('every NodeClaim and Node to be gone', timeoutMs, async () => {
    const [claims, nodes, left] = await Promise.all([kube.list('NodeClaim'), kube.list('Node'), podCount()]);
    if (claims.items.length + nodes.items.length + left === 0) return true;
    const deleting = nodes.items.filter((n) => n.metadata.deletionTimestamp).map((n) => `${n.metadata.name!} [${(n.metadata.finalizers ?? []).join(',')}]`);
    return `${left} pods, ${claims.items.length} NodeClaims, ${nodes.items.length} Nodes (being deleted: ${deleting.join(' ') || 'none'})`;
  }, o);
}
