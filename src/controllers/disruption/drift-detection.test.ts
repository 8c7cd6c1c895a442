import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NODEPOOL_HASH_ANNOTATION, NODEPOOL_HASH_VERSION_ANNOTATION } from '../../apis/labels.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { NODEPOOL_HASH_VERSION } from '../../apis/v1/hash.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { CloudProvider } from '../../cloudprovider/cloud-provider.js';
import { instanceType, nodePool } from '../../test/builders.js';
import type { Clock } from '../../utils/clock.js';
import { VirtualClock } from '../../utils/clock.js';
import { Random } from '../../utils/random.js';
import { DriftDetector, staticDrift } from './drift-detection.js';
import type { Candidate, PoolInfo } from './types.js';

/** A cloud whose isDrifted answers from `answers` in turn (an Error is thrown), counting calls. */
function cloud(answers: (string | undefined | Error)[]): { cloud: CloudProvider; calls: () => number } {
  let calls = 0;
  const isDrifted = (): Promise<string | undefined> => {
    const a = answers[calls++];
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return { cloud: { isDrifted } as unknown as CloudProvider, calls: () => calls };
}

function poolInfo(types: readonly string[] = [], requirements: NodeClaim['spec']['requirements'] = []): PoolInfo {
  const instanceTypes = types.map((t) => instanceType(t));
  return {
    name: 'default', nodePool: withDefaults(nodePool({ name: 'default', requirements })), instanceTypes,
    typesByName: new Map(instanceTypes.map((t) => [t.name, t])),
  };
}

const POOL = poolInfo();

function nodeClaim(name: string, labels?: Record<string, string>, annotations?: Record<string, string>): NodeClaim {
  return { metadata: { name, labels, annotations }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } } };
}

function candidate(name: string, o: { claim?: NodeClaim | null; pool?: PoolInfo; instanceType?: string } = {}): Candidate {
  const claim = o.claim === null ? undefined : (o.claim ?? nodeClaim(name));
  return { claimName: name, nodeName: name, pool: o.pool ?? POOL, instanceType: o.instanceType, stateNode: { nodeClaim: claim } } as unknown as Candidate;
}

/** One pass's drift: tracks the candidates, then walks them, awaiting each cloud call it yields. */
async function driftOf(detector: DriftDetector, candidates: readonly Candidate[]): Promise<Map<string, string>> {
  detector.track(candidates);
  const walk = detector.drifted();
  let step = walk.next();
  while (step.done !== true) step = walk.next(await step.value);
  return step.value;
}

describe('DriftDetector', () => {
  it('asks the cloud once per recheck interval and answers from its verdict in between, without a cloud call to await', async () => {
    const clock = new VirtualClock();
    const { cloud: c, calls } = cloud(['ImageDrift', undefined]);
    const drift = new DriftDetector(c, clock, 60_000);
    const m = candidate('m');
    drift.track([m]);
    const walk = drift.drifted();
    const first = walk.next();
    assert.ok(first.done !== true && first.value instanceof Promise, 'unknown: the cloud call is yielded');
    const answered = walk.next(await first.value);
    assert.ok(answered.done === true);
    assert.match(answered.value.get('m') ?? '', /^ImageDrift: /);
    drift.track([m]);
    const kept = drift.drifted().next();
    assert.ok(kept.done === true, 'known: answered without yielding');
    assert.match(kept.value.get('m') ?? '', /^ImageDrift: /);
    assert.equal(calls(), 1);
    await clock.step(60_000);
    assert.deepEqual(await driftOf(drift, [m]), new Map(), 'asked again after the interval');
    assert.equal(calls(), 2);
    assert.deepEqual(await driftOf(drift, [m]), new Map());
    assert.equal(calls(), 2);
  });

  it('counts a failing cloud call as not drifted and asks again next time', async () => {
    const { cloud: c, calls } = cloud([new Error('throttled'), 'AMIDrift']);
    const drift = new DriftDetector(c, new VirtualClock());
    const m = candidate('m');
    assert.deepEqual(await driftOf(drift, [m]), new Map());
    assert.match((await driftOf(drift, [m])).get('m') ?? '', /^AMIDrift: /);
    assert.equal(calls(), 2);
  });

  it('forgets the cloud verdict of a claim that stops being a candidate', async () => {
    const { cloud: c, calls } = cloud(['AMIDrift', undefined, undefined]);
    const drift = new DriftDetector(c, new VirtualClock());
    const [a, b] = [candidate('a'), candidate('b')];
    assert.deepEqual([...(await driftOf(drift, [a, b])).keys()], ['a']);
    drift.track([b]);
    assert.deepEqual(await driftOf(drift, [a, b]), new Map(), 'a is asked again: its verdict was forgotten');
    assert.equal(calls(), 3);
  });

  it('keeps the cloud verdicts of candidates that move far in the list, also after most candidates left', async () => {
    const { cloud: c, calls } = cloud(Array.from({ length: 40 }, () => undefined));
    const drift = new DriftDetector(c, new VirtualClock());
    const all = Array.from({ length: 40 }, (_, i) => candidate(`c${i}`));
    await driftOf(drift, all);
    const kept = all.slice(0, 12);
    await driftOf(drift, kept);
    await driftOf(drift, [...kept.slice(-1), ...kept.slice(0, -1)].map((k) => ({ ...k })));
    await driftOf(drift, [...kept].reverse());
    assert.equal(calls(), 40, 'every claim asked once');
  });

  it('works static drift out again when the claim object, the pool or the instance type changes, and asks no cloud about it', async () => {
    const { cloud: c, calls } = cloud([undefined, undefined]);
    const drift = new DriftDetector(c, new VirtualClock());
    const offered = poolInfo(['m5.large']);
    const claim = nodeClaim('m');
    assert.deepEqual(await driftOf(drift, [candidate('m', { claim, pool: offered, instanceType: 'm5.large' })]), new Map());
    assert.match((await driftOf(drift, [candidate('m', { claim, pool: POOL, instanceType: 'm5.large' })])).get('m') ?? '', /^InstanceTypeNotFound: /);
    assert.match((await driftOf(drift, [candidate('m', { claim, pool: offered, instanceType: 'c5.large' })])).get('m') ?? '', /^InstanceTypeNotFound: /);
    const stamped = nodeClaim('m', undefined, { [NODEPOOL_HASH_ANNOTATION]: 'old', [NODEPOOL_HASH_VERSION_ANNOTATION]: NODEPOOL_HASH_VERSION });
    assert.match((await driftOf(drift, [candidate('m', { claim: stamped, pool: offered, instanceType: 'm5.large' })])).get('m') ?? '', /^NodePoolDrifted: /);
    assert.deepEqual(await driftOf(drift, [candidate('m', { claim, pool: offered, instanceType: 'm5.large' })]), new Map());
    assert.equal(calls(), 1, 'the first verdict still holds; statically drifted claims are not asked about');
  });
});

/** The detector before it carried anything: static drift worked out per candidate, the cloud cache forgotten per pass. */
class FreshDetector {
  readonly #verdicts = new Map<string, { reason: string | undefined; at: number }>();

  constructor(readonly cloud: CloudProvider, readonly clock: Clock, readonly recheckMs: number) {}

  async drifted(candidates: readonly Candidate[], walk: boolean): Promise<Map<string, string> | undefined> {
    const live = new Set(candidates.map((c) => c.claimName));
    for (const name of this.#verdicts.keys()) if (!live.has(name)) this.#verdicts.delete(name);
    if (!walk) return undefined;
    const drifted = new Map<string, string>();
    for (const c of candidates) {
      const own = staticDrift(c);
      const claim = c.stateNode.nodeClaim;
      let reason = own;
      if (own === undefined && claim) {
        const now = this.clock.now();
        const cached = this.#verdicts.get(c.claimName);
        if (cached && now - cached.at < this.recheckMs) reason = cached.reason;
        else {
          try {
            const found = await this.cloud.isDrifted(claim);
            reason = found === undefined ? undefined : `${found}: the cloud provider reports the machine no longer matches its node class`;
            this.#verdicts.set(c.claimName, { reason, at: now });
          } catch {
            reason = undefined;
          }
        }
      }
      if (reason !== undefined) drifted.set(c.claimName, reason);
    }
    return drifted;
  }
}

/** A cloud that answers by claim name and time (drifted, not drifted or failing), logging each call. */
function loggingCloud(clock: Clock, log: string[]): CloudProvider {
  const isDrifted = (claim: NodeClaim): Promise<string | undefined> => {
    const name = claim.metadata.name ?? '';
    log.push(`${name}@${clock.now()}`);
    const draw = (name.length * 7 + Math.floor(clock.now() / 1000) + (claim.metadata.labels?.['v'] ?? '').length) % 5;
    return draw === 0 ? Promise.reject(new Error('throttled')) : Promise.resolve(draw === 1 ? 'AMIDrift' : undefined);
  };
  return { isDrifted } as unknown as CloudProvider;
}

describe('DriftDetector carrying rows and verdicts', () => {
  it('over random passes says what a detector working everything out again says, asking the cloud the same calls', async () => {
    const random = new Random(Number(process.env['NW_FC_SEED'] ?? 11));
    const r = (): number => random.next();
    const pools = [POOL, poolInfo(['m5.large', 'c5.large']), poolInfo(['m5.large'], [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }])];
    const types = [undefined, 'm5.large', 'c5.large'];
    const labels: (Record<string, string> | undefined)[] = [undefined, { 'karpenter.sh/capacity-type': 'spot' }, { 'karpenter.sh/capacity-type': 'on-demand', v: 'x' }];
    const stamps = [undefined, { [NODEPOOL_HASH_ANNOTATION]: 'old', [NODEPOOL_HASH_VERSION_ANNOTATION]: NODEPOOL_HASH_VERSION }];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const randomCandidate = (name: string): Candidate => candidate(name, {
      claim: r() < 0.05 ? null : nodeClaim(name, pick(labels), pick(stamps)), pool: pick(pools), instanceType: pick(types),
    });
    for (let run = 0; run < 30; run++) {
      const clock = new VirtualClock();
      const carriedLog: string[] = [];
      const freshLog: string[] = [];
      const carried = new DriftDetector(loggingCloud(clock, carriedLog), clock, 60_000);
      const fresh = new FreshDetector(loggingCloud(clock, freshLog), clock, 60_000);
      let list = Array.from({ length: 1 + Math.floor(r() * 30) }, (_, i) => randomCandidate(`c${i}`));
      let next = list.length;
      const gone: Candidate[] = [];
      for (let pass = 0; pass < 40; pass++) {
        // Per candidate: a new object for the same inputs (as each scan makes), some inputs changed,
        // or a new view of the same claim. Then a new candidate, one gone, one back, one in
        // another's place, a swap, a name seen twice, many gone, the last first, or all in reverse.
        list = list.map((c) => {
          const change = r();
          if (change < 0.1) return randomCandidate(c.claimName);
          if (change < 0.15) return { ...c, pool: pick(pools) };
          if (change < 0.2) return { ...c, instanceType: pick(types) };
          if (change < 0.3) return { ...c, stateNode: { ...c.stateNode } };
          return { ...c };
        });
        const change = r();
        if (change < 0.1) list.splice(Math.floor(r() * (list.length + 1)), 0, randomCandidate(`c${next++}`));
        else if (change < 0.2 && gone.length > 0) list.splice(Math.floor(r() * (list.length + 1)), 0, gone.pop()!);
        else if (change < 0.3 && list.length > 0) gone.push(...list.splice(Math.floor(r() * list.length), 1));
        else if (change < 0.35 && list.length > 0 && gone.length > 0) gone.push(...list.splice(Math.floor(r() * list.length), 1, gone.shift()!));
        else if (change < 0.4 && list.length > 1) list = [list[1]!, list[0]!, ...list.slice(2)];
        else if (change < 0.43 && list.length > 0) list = [...list, { ...list[0]! }];
        else if (change < 0.46) gone.push(...list.splice(Math.floor(r() * list.length), Math.floor(r() * list.length)));
        else if (change < 0.5) list = [...list.slice(-1), ...list.slice(0, -1)];
        else if (change < 0.52) list = list.reverse();
        const walk = r() < 0.8; // otherwise an earlier method acted: the pass only tracks
        const want = await fresh.drifted(list, walk);
        let got: Map<string, string> | undefined;
        if (walk) got = await driftOf(carried, list);
        else carried.track(list);
        const where = `seed ${process.env['NW_FC_SEED'] ?? 11}, run ${run}, pass ${pass}`;
        assert.deepEqual(got && [...got], want && [...want], where);
        assert.deepEqual(carriedLog, freshLog, `${where}: cloud calls`);
        await clock.step(pick([0, 0, 1000, 10_000, 20_000, 59_999, 60_000, 90_000]));
      }
    }
  });
});
