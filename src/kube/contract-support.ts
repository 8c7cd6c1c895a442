/**
 * Helpers for the KubeClient contract suite: a per-test context with its own namespace, object
 * builders, a watch reader with deadlines, and error assertions. Everything goes through the
 * KubeClient interface, so the suite runs unchanged against a real API server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Node, Pod, PodDisruptionBudget } from '../apis/core.js';
import { RealClock } from '../utils/clock.js';
import type { KubeErrorReason } from './errors.js';
import { isNotFound, KubeError } from './errors.js';
import type { Kind, KindMap } from './kinds.js';
import type { KubeClient, WatchEvent, WatchStream } from './types.js';

/** What an implementation hands the suite for one test. */
export interface ContractHarness {
  client: KubeClient;
  /** Releases what makeClient set up (connections, temp state). */
  cleanup(): Promise<void>;
  /**
   * For clients on a virtual clock: move time forward. Absent: the suite waits in real time
   * (bookmark and timeout tests then take a few seconds).
   */
  advance?(ms: number): Promise<void>;
  /**
   * Make the implementation forget its watch history (the memory client's faults.expireHistory; a
   * restart of kube-apiserver, whose watch caches then start at the current version). Absent: the
   * suite relies on resourceVersion 1 being older than the history kept, which holds for a
   * long-running server but not a fresh one (its caches start near version 1).
   */
  expireHistory?(): Promise<void>;
}

export type MakeHarness = () => Promise<ContractHarness>;

const realClock = new RealClock();

/** How long the suite waits for something that should happen promptly (real time). */
export const PROMPTLY_MS = 10_000;

export interface TestContext {
  client: KubeClient;
  /** A namespace created for this test alone. */
  ns: string;
  /** A name unique to this test run ("prefix-3f9a1c2b"). */
  unique: (prefix: string) => string;
  /** Deletes this cluster-scoped object (finalizers stripped) after the test. */
  track: (kind: Kind, name: string) => void;
  /** Lets `ms` of the client's time pass (virtual or real). */
  wait: (ms: number) => Promise<void>;
  /** Forgets watch history where the implementation allows it (see ContractHarness). */
  expireHistory: () => Promise<void>;
}

/** Runs `body` with a fresh client and namespace, cleaning up whatever the outcome. */
export async function withCluster(make: MakeHarness, body: (t: TestContext) => Promise<void>): Promise<void> {
  const h = await make();
  const runId = randomBytes(4).toString('hex');
  const tracked: [Kind, string][] = [];
  const ns = `contract-${runId}`;
  const t: TestContext = {
    client: h.client,
    ns,
    unique: (prefix) => `${prefix}-${runId}-${randomBytes(2).toString('hex')}`,
    track: (kind, name) => void tracked.push([kind, name]),
    wait: (ms) => (h.advance ? h.advance(ms) : realClock.sleep(ms)),
    expireHistory: () => (h.expireHistory ? h.expireHistory() : Promise.resolve()),
  };
  try {
    await h.client.create('Namespace', { metadata: { name: ns } });
    await body(t);
  } finally {
    for (const [kind, name] of tracked) {
      await h.client.patch(kind, name, { metadata: { finalizers: null } }).catch(() => undefined);
      await h.client.delete(kind, name).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    }
    await h.client.delete('Namespace', ns).catch(() => undefined);
    await h.cleanup();
  }
}

/** Asserts that the promise rejects with a KubeError of this reason (and HTTP code). */
export async function rejectsWith(p: Promise<unknown>, reason: KubeErrorReason, code?: number): Promise<KubeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KubeError, `expected a KubeError ${reason}, got ${String(e)}`);
    assert.equal(e.reason, reason, `expected ${reason}, got ${e.reason}: ${e.message}`);
    if (code !== undefined) assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected a KubeError ${reason}, but the call succeeded`);
}

/** Polls `check` (in real time) until it returns a value, or fails after PROMPTLY_MS. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = realClock.now() + PROMPTLY_MS;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (realClock.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await realClock.sleep(50);
  }
}

/** Reads a watch stream event by event, failing instead of hanging when nothing comes. */
export class WatchReader<T> {
  readonly #it: AsyncIterator<WatchEvent<T>>;

  constructor(stream: WatchStream<T>) {
    this.#it = stream[Symbol.asyncIterator]();
  }

  /** The next event, or undefined if the stream ended. */
  async next(what = 'a watch event'): Promise<WatchEvent<T> | undefined> {
    const ac = new AbortController();
    const timeout = realClock.sleep(PROMPTLY_MS, ac.signal).then(() => assert.fail(`timed out waiting for ${what}`));
    try {
      const r = await Promise.race([this.#it.next(), timeout]);
      return r.done ? undefined : r.value;
    } finally {
      ac.abort();
      timeout.catch(() => undefined);
    }
  }

  /** The next event that is not a bookmark. */
  async nextChange(what = 'a watch event'): Promise<Exclude<WatchEvent<T>, { type: 'BOOKMARK' }>> {
    for (;;) {
      const ev = await this.next(what);
      assert.ok(ev, `the watch ended while waiting for ${what}`);
      if (ev.type !== 'BOOKMARK') return ev;
    }
  }

  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

export function podSpec(name: string, ns: string, labels: Record<string, string> = {}, nodeName?: string): Pod {
  return {
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9' }], ...(nodeName ? { nodeName } : {}) },
  };
}

export function nodeSpec(name: string, labels: Record<string, string> = {}): Node {
  return { metadata: { name, labels }, spec: {} };
}

/** Creates a pod bound to `nodeName` and marks it Running and Ready through its status. */
export async function runningPod(client: KubeClient, name: string, ns: string, labels: Record<string, string>, nodeName: string): Promise<Pod> {
  await client.create('Pod', podSpec(name, ns, labels, nodeName));
  return client.patchStatus('Pod', name, {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  }, ns);
}

/** Waits until the budget's status has caught up with its spec and counts `healthy` healthy pods. */
export async function settledBudget(client: KubeClient, name: string, ns: string, healthy: number): Promise<PodDisruptionBudget> {
  return eventually(`PodDisruptionBudget ${ns}/${name} to count ${healthy} healthy pods`, async () => {
    const pdb = await client.get('PodDisruptionBudget', name, ns);
    // apis/core.ts does not declare observedGeneration on the budget status yet.
    const status: (NonNullable<PodDisruptionBudget['status']> & { observedGeneration?: number }) | undefined = pdb.status;
    const observed = (status?.observedGeneration ?? 0) >= (pdb.metadata.generation ?? 1);
    return observed && status?.currentHealthy === healthy ? pdb : undefined;
  });
}

export type { Kind, KindMap };
