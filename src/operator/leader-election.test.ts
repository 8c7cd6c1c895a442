import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Lease } from '../apis/core.js';
import { KubeError } from '../kube/errors.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import type { KubeClient } from '../kube/types.js';
import { VirtualClock } from '../utils/clock.js';
import type { LeaderElectionConfig } from './leader-election.js';
import { LeaderElector } from './leader-election.js';

const LEASE = 15_000;
const RENEW = 10_000;
const RETRY = 2_000;
const NS = 'kube-system';
const NAME = 'nodewright-leader-election';

interface Term { who: string; from: number; to?: number }

/** A KubeClient view that can be cut off from the API server (every call then times out). */
function partitionable(kube: KubeClient, o: { writeDelayMs?: number; clock?: VirtualClock } = {}): { client: KubeClient; cut: (on: boolean) => void } {
  let cut = false;
  const client = new Proxy(kube, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (cut) throw new KubeError('Timeout', 'partitioned from the API server');
        if (o.writeDelayMs && (prop === 'update' || prop === 'create')) await o.clock!.sleep(o.writeDelayMs);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client, cut: (on) => { cut = on; } };
}

interface Cluster {
  clock: VirtualClock;
  kube: MemoryKubeClient;
  terms: Term[];
  candidate(who: string, o?: { writeDelayMs?: number } & Partial<LeaderElectionConfig>): { elector: LeaderElector; cut: (on: boolean) => void };
  leaders(): string[];
  lease(): Promise<Lease>;
}

function cluster(): Cluster {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock });
  const terms: Term[] = [];
  const electors = new Map<string, LeaderElector>();
  return {
    clock, kube, terms,
    candidate(who, o = {}) {
      const { client, cut } = partitionable(kube, { writeDelayMs: o.writeDelayMs, clock });
      const elector = new LeaderElector({
        kube: client, clock, namespace: NS, name: NAME, identity: who,
        leaseDurationMs: LEASE, renewDeadlineMs: RENEW, retryPeriodMs: RETRY,
        onStartedLeading: () => { terms.push({ who, from: clock.now() }); },
        onStoppedLeading: () => {
          const term = terms.findLast((t) => t.who === who && t.to === undefined);
          assert.ok(term, `${who} stops leading only after starting`);
          term.to = clock.now();
        },
        ...o,
      });
      electors.set(who, elector);
      return { elector, cut };
    },
    leaders: () => [...electors].filter(([, e]) => e.isLeader).map(([who]) => who),
    lease: () => kube.get('Lease', NAME, NS),
  };
}

/** Terms never overlap: each begins no earlier than the previous one ended. */
function assertOneLeaderAtATime(terms: readonly Term[]): void {
  const sorted = [...terms].sort((a, b) => a.from - b.from);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const next = sorted[i]!;
    assert.ok(prev.to !== undefined && prev.to <= next.from,
      `${prev.who} led from ${prev.from} to ${prev.to ?? 'now'} while ${next.who} started at ${next.from}`);
  }
}

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('LeaderElector', () => {
  it('elects one leader of two, which keeps renewing the Lease with six-digit MicroTimes', async () => {
    const c = cluster();
    const a = c.candidate('a');
    const b = c.candidate('b');
    a.elector.start();
    b.elector.start();
    await c.clock.step(0);
    assert.deepEqual(c.leaders(), ['a']);
    const first = await c.lease();
    assert.equal(first.spec.holderIdentity, 'a');
    assert.equal(first.spec.leaseDurationSeconds, 15);
    assert.match(first.spec.acquireTime!, MICRO);
    assert.match(first.spec.renewTime!, MICRO);
    await c.clock.step(RETRY);
    assert.equal(b.elector.observedLeader, 'a');

    await c.clock.step(60_000);
    assert.deepEqual(c.leaders(), ['a'], 'still a: it renews');
    const later = await c.lease();
    assert.equal(later.spec.acquireTime, first.spec.acquireTime, 'acquireTime kept across renewals');
    assert.equal(later.spec.renewTime, '2024-01-01T00:01:02.000000Z');
    assert.equal(later.spec.leaseTransitions, 0);
    await Promise.all([a.elector.stop(), b.elector.stop()]);
    assert.equal(await a.elector.done, 'stopped');
    c.kube.close();
  });

  it('fails over within the lease duration when the leader stops renewing, and the old leader steps down first', async () => {
    const c = cluster();
    const a = c.candidate('a');
    const b = c.candidate('b');
    a.elector.start();
    await c.clock.step(0);
    b.elector.start();
    await c.clock.step(5_000);
    const lastRenewal = Date.parse((await c.lease()).spec.renewTime!);
    a.cut(true);
    const cutAt = c.clock.now();
    await c.clock.step(40_000);
    assert.deepEqual(c.leaders(), ['b']);
    assert.equal(await a.elector.done, 'lost');
    const [termA, termB] = c.terms;
    assert.equal(termA!.to, lastRenewal + RENEW, 'a stepped down at its renew deadline');
    assert.ok(termB!.from >= lastRenewal + LEASE, `b waited for the Lease to expire (took over at +${termB!.from - lastRenewal} ms)`);
    assert.ok(termB!.from <= cutAt + LEASE + RETRY, `b took over within the lease duration (+${termB!.from - cutAt} ms after the cut)`);
    assertOneLeaderAtATime(c.terms);
    const lease = await c.lease();
    assert.equal(lease.spec.holderIdentity, 'b');
    assert.equal(lease.spec.leaseTransitions, 1);
    await b.elector.stop();
    c.kube.close();
  });

  it('releases the Lease on stop, after onStoppedLeading has finished, so a standby takes over at once', async () => {
    const c = cluster();
    let stoppedAt = -1;
    const a = c.candidate('a', {
      onStoppedLeading: async () => {
        await c.clock.sleep(3_000);
        stoppedAt = c.clock.now();
        c.terms[0]!.to = stoppedAt;
      },
    });
    const b = c.candidate('b');
    a.elector.start();
    await c.clock.step(0);
    b.elector.start();
    await c.clock.step(1_000);
    const stopping = a.elector.stop();
    assert.equal(a.elector.isLeader, false, 'not leading from the moment stop is called');
    await c.clock.step(2_999);
    assert.equal((await c.lease()).spec.holderIdentity, 'a', 'not released while onStoppedLeading runs');
    assert.deepEqual(c.leaders(), []);
    await c.clock.step(1);
    await stopping;
    await c.clock.step(RETRY);
    assert.deepEqual(c.leaders(), ['b']);
    assert.ok(c.terms[1]!.from >= stoppedAt && c.terms[1]!.from - stoppedAt <= RETRY, 'b took over within a retry period of the release');
    await b.elector.stop();
    c.kube.close();
  });

  it('lets only one of two simultaneous candidates win an expired Lease (resourceVersion preconditions)', async () => {
    const c = cluster();
    const ghostTime = '2023-12-31T23:00:00.000000Z';
    await c.kube.create('Lease', { metadata: { name: NAME, namespace: NS }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 15, renewTime: ghostTime, acquireTime: ghostTime, leaseTransitions: 4 } });
    const a = c.candidate('a', { writeDelayMs: 50 });
    const b = c.candidate('b', { writeDelayMs: 50 });
    a.elector.start();
    b.elector.start();
    // Both read the ghost's record before either writes; both first see it as just renewed.
    await c.clock.step(LEASE + 2 * RETRY);
    assert.equal(c.leaders().length, 1);
    const lease = await c.lease();
    assert.equal(lease.spec.holderIdentity, c.leaders()[0]);
    assert.equal(lease.spec.leaseTransitions, 5, 'one transition, not two');
    assert.equal(c.terms.length, 1, 'one term: the loser never led, even briefly');
    const stopping = Promise.all([a.elector.stop(), b.elector.stop()]);
    await c.clock.step(1_000);
    await stopping;
    c.kube.close();
  });

  it('never has two leaders under random partitions of three candidates', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ who: fc.integer({ min: 0, max: 2 }), cut: fc.boolean(), afterMs: fc.integer({ min: 100, max: 25_000 }) }), { minLength: 5, maxLength: 25 }),
      async (script) => {
        const c = cluster();
        const cands = ['a', 'b', 'c'].map((who) => c.candidate(who));
        for (const x of cands) x.elector.start();
        for (const step of script) {
          await c.clock.step(step.afterMs);
          assert.ok(c.leaders().length <= 1, `leaders now: ${c.leaders().join(', ')}`);
          cands[step.who]!.cut(step.cut);
        }
        for (const x of cands) x.cut(false);
        await c.clock.step(LEASE);
        await Promise.all(cands.map((x) => x.elector.stop()));
        assertOneLeaderAtATime(c.terms);
        c.kube.close();
      },
    ), { numRuns: 25, seed: 7 });
  });

  it('refuses timings that cannot keep one leader', () => {
    const c = cluster();
    assert.throws(() => c.candidate('a', { renewDeadlineMs: LEASE }), /lease duration \(15000 ms\) > renew deadline \(15000 ms\)/);
    assert.throws(() => c.candidate('a', { retryPeriodMs: RENEW }), RangeError);
    assert.throws(() => c.candidate('', {}), /identity, name and namespace/);
    c.kube.close();
  });
});
