import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeClaim } from '../../apis/v1/types.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { instanceType, nodePool } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { CloudProviderError, InsufficientCapacityError } from '../cloud-provider.js';
import { kwokCatalog } from '../catalog/kwok.js';
import type { InstanceType } from '../types.js';
import type { InterruptionEvent } from './interruptions.js';
import type { SimCloudProviderOptions } from './options.js';
import { SimCloudProvider } from './sim-cloud-provider.js';

const types: InstanceType[] = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1, spotPrice: 0.03 }),
  instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2, spotPrice: 0.06 }),
];
const SPOT = [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }];
const ON_DEMAND = [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }];

function claim(name: string, requirements: NodeClaim['spec']['requirements'] = [], requests?: Record<string, string>): NodeClaim {
  return { metadata: { name }, spec: { requirements, nodeClassRef: { group: 'g', kind: 'K', name: 'n' }, ...(requests ? { resources: { requests } } : {}) } };
}

function setup(o: Partial<SimCloudProviderOptions> = {}): { clock: VirtualClock; kube: MemoryKubeClient; sim: SimCloudProvider } {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock });
  return { clock, kube, sim: new SimCloudProvider({ clock, kube, instanceTypes: types, launchDelay: { kind: 'fixed', ms: 0 }, ...o }) };
}

/** Starts every create, then steps the clock until all settle. */
async function launchAll(clock: VirtualClock, sim: SimCloudProvider, claims: NodeClaim[]): Promise<PromiseSettledResult<NodeClaim>[]> {
  const all = Promise.allSettled(claims.map((c) => sim.create(c)));
  let done = false;
  void all.then(() => { done = true; });
  while (!done) await clock.step(1000);
  return all;
}

const where = (c: NodeClaim): string => `${c.metadata.labels?.['node.kubernetes.io/instance-type']}/${c.metadata.labels?.['topology.kubernetes.io/zone']}/${c.metadata.labels?.['karpenter.sh/capacity-type']}`;

describe('SimCloudProvider: insufficient capacity windows', () => {
  it('skips offerings in a window, launching the next cheapest, and marks them unavailable for 3 minutes', async () => {
    const { clock, sim } = setup();
    const t0 = clock.now();
    sim.addCapacityWindow({ start: t0, end: t0 + 60_000, instanceType: 'small', capacityType: 'spot' });
    const [a] = await launchAll(clock, sim, [claim('a')]);
    assert.equal(where((a as PromiseFulfilledResult<NodeClaim>).value), 'medium/zone-a/spot');
    const small = (await sim.getInstanceTypes(nodePool())).find((t) => t.name === 'small')!;
    assert.deepEqual(small.offerings.filter((o) => !o.available).map((o) => o.zone).sort(), ['zone-a', 'zone-b', 'zone-c']);
    assert.equal(sim.unavailableOfferings.marked().length, 3);

    await clock.advanceTo(t0 + 180_000);
    const [b] = await launchAll(clock, sim, [claim('b')]);
    assert.equal(where((b as PromiseFulfilledResult<NodeClaim>).value), 'small/zone-a/spot', 'window over and marks expired');
  });

  it('fails with InsufficientCapacityError naming every offering tried when all are short', async () => {
    const { clock, sim } = setup({ capacityWindows: [{ start: 0, end: Number.MAX_SAFE_INTEGER, capacityType: 'spot' }] });
    const [r] = await launchAll(clock, sim, [claim('a', SPOT)]);
    assert.equal(r!.status, 'rejected');
    const e = (r as PromiseRejectedResult).reason as InsufficientCapacityError;
    assert.ok(e instanceof InsufficientCapacityError);
    assert.match(e.message, /^launching nodeclaim a: InsufficientInstanceCapacity for all 6 offerings tried/);
    assert.equal(e.offerings.length, 6);
    assert.deepEqual(e.offerings[0], { instanceType: 'small', zone: 'zone-a', capacityType: 'spot' });
    assert.equal(sim.instances().length, 0);
    const [again] = await launchAll(clock, sim, [claim('a', SPOT)]);
    assert.match(((again as PromiseRejectedResult).reason as Error).message, /no offering .* is available/, 'all marked unavailable now');
  });

  it('tries at most maxInstanceTypesPerLaunch types', async () => {
    const { clock, sim } = setup({ maxInstanceTypesPerLaunch: 1, capacityWindows: [{ start: 0, end: Number.MAX_SAFE_INTEGER, instanceType: 'small' }] });
    const [r] = await launchAll(clock, sim, [claim('a')]);
    assert.equal(((r as PromiseRejectedResult).reason as InsufficientCapacityError).offerings.length, 6, 'only small, all 6 of its offerings');
  });
});

describe('SimCloudProvider: spot interruptions', () => {
  it('a scheduled interruption gives two minutes notice, then the machine and its Node go', async () => {
    const { clock, kube, sim } = setup({ scheduledInterruptions: [{ at: new VirtualClock().now() + 600_000, count: 1 }] });
    const events: InterruptionEvent[] = [];
    sim.onInterruption((e) => events.push(e));
    const [spot, od] = await launchAll(clock, sim, [claim('spot', SPOT), claim('od', ON_DEMAND)]);
    const spotID = (spot as PromiseFulfilledResult<NodeClaim>).value.status!.providerID!;
    await clock.advanceTo(sim.instances()[0]!.requestedAt + 600_000);
    assert.equal(events.length, 1);
    assert.deepEqual({ ...events[0]!, noticeAt: 0, terminateAt: events[0]!.terminateAt - events[0]!.noticeAt }, {
      kind: 'SpotInterruption', providerID: spotID, instanceId: sim.instances()[0]!.id, claimName: 'spot', nodeName: 'spot', noticeAt: 0, terminateAt: 120_000,
    });
    await clock.step(119_999);
    assert.equal(sim.instances()[0]!.state, 'running');
    await clock.step(1);
    assert.equal(sim.instances()[0]!.state, 'shutting-down');
    await clock.step(10_000);
    assert.equal(sim.instances()[0]!.state, 'terminated');
    assert.deepEqual((await kube.list('Node')).items.map((n) => n.metadata.name), ['od']);
    assert.equal((od as PromiseFulfilledResult<NodeClaim>).value.metadata.name, 'od');
    assert.ok(!sim.interrupt(spotID), 'a terminated machine cannot be interrupted');
  });

  it('a scheduled interruption picks only running spot machines matching its type and zone', async () => {
    const { clock, sim } = setup();
    const medium = [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['medium'] }, ...SPOT];
    await launchAll(clock, sim, [claim('s1', SPOT), claim('m1', medium), claim('m2', medium), claim('o1', [...ON_DEMAND, medium[0]!])]);
    const hit: string[] = [];
    sim.onInterruption((e) => hit.push(e.claimName));
    sim.scheduleInterruption({ at: clock.now() + 1000, count: 5, instanceType: 'medium' });
    sim.scheduleInterruption({ at: clock.now() + 2000, zone: 'zone-b' });
    await clock.step(2000);
    assert.deepEqual(hit.sort(), ['m1', 'm2']);
    assert.throws(() => sim.scheduleInterruption({ at: 0, count: 0 }), /positive integer/);
  });

  it('interrupt() by hand; a listener that throws does not stop the others; unsubscribe works', async () => {
    const { clock, sim } = setup();
    const [a] = await launchAll(clock, sim, [claim('a', SPOT)]);
    const id = (a as PromiseFulfilledResult<NodeClaim>).value.status!.providerID!;
    const seen: string[] = [];
    sim.onInterruption(() => { throw new Error('listener broke'); });
    const off = sim.onInterruption((e) => seen.push(e.providerID));
    assert.throws(() => sim.interrupt(id), /listener broke/);
    assert.deepEqual(seen, [id]);
    assert.ok(!sim.interrupt(id), 'only once');
    off();
    assert.equal(sim.instances()[0]!.interruptedAt, clock.now());
  });

  it('a rate per spot machine-hour interrupts about that share of spot machines, and no on-demand ones', async () => {
    const { clock, sim } = setup({ spotInterruptionRatePerHour: 1, seed: 11 });
    const claims = Array.from({ length: 200 }, (_, i) => claim(`s${i}`, SPOT));
    claims.push(...Array.from({ length: 50 }, (_, i) => claim(`o${i}`, ON_DEMAND)));
    let interrupted = 0;
    sim.onInterruption(() => interrupted++);
    await launchAll(clock, sim, claims);
    await clock.step(3_600_000);
    // P(interrupted within an hour) = 1 − e^−1 ≈ 0.632, so about 126 of 200.
    assert.ok(interrupted > 100 && interrupted < 150, `${interrupted} of 200 spot machines interrupted`);
    assert.ok(sim.instances().filter((r) => r.capacityType === 'on-demand').every((r) => r.interruptedAt === undefined));
  });
});

describe('SimCloudProvider: API faults', () => {
  it('throttling and 5xx fail the call, retryable, with nothing launched', async () => {
    const { clock, sim } = setup({ apiFaults: { rate: 1, kinds: ['throttle', '5xx'] } });
    const results = await launchAll(clock, sim, [claim('a'), claim('b'), claim('c'), claim('d')]);
    for (const r of results) {
      const e = (r as PromiseRejectedResult).reason as CloudProviderError;
      assert.ok(e instanceof CloudProviderError && e.retryable, String(e));
      assert.match(e.message, /RequestLimitExceeded|InternalError/);
    }
    assert.equal(sim.instances().length, 0);
    await assert.rejects(sim.list(), CloudProviderError);
    assert.ok(await sim.getInstanceTypes(nodePool()), 'getInstanceTypes does not fault by default');
  });

  it('a timed-out create still launches: the retry gets the same machine', async () => {
    const { clock, sim } = setup({ apiFaults: { rate: 1, kinds: ['timeout'], methods: ['create'], timeoutMs: 30_000 } });
    const t0 = clock.now();
    const [r] = await launchAll(clock, sim, [claim('a')]);
    assert.match(((r as PromiseRejectedResult).reason as Error).message, /no answer within 30000 ms/);
    assert.equal(clock.now() - t0, 30_000);
    assert.equal(sim.instances().length, 1, 'launched anyway');
    const providerID = sim.instances()[0]!.providerID;
    const machine = (await sim.list())[0]!;
    assert.equal(machine.status?.providerID, providerID);
  });

  it('faults are drawn from the seed: the same seed faults the same calls', async () => {
    const outcome = async (seed: number): Promise<string> => {
      const { clock, sim } = setup({ seed, apiFaults: { rate: 0.3 } });
      const results = await launchAll(clock, sim, Array.from({ length: 40 }, (_, i) => claim(`c${i}`)));
      return results.map((r) => (r.status === 'fulfilled' ? 'ok' : ((r.reason as Error).message.match(/RequestLimitExceeded|InternalError|no answer/)?.[0] ?? '?'))).join(',');
    };
    const a = await outcome(5);
    assert.equal(await outcome(5), a);
    assert.notEqual(await outcome(6), a);
    assert.match(a, /ok/);
    assert.match(a, /RequestLimitExceeded|InternalError|no answer/);
  });
});

describe('SimCloudProvider: determinism and scale', () => {
  const scenario = async (seed: number): Promise<{ records: string; cost: number; nodes: number; wallMs: number }> => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const sim = new SimCloudProvider({
      clock, kube, seed, instanceTypes: kwokCatalog(),
      launchDelay: { kind: 'lognormal', medianMs: 2000, sigma: 0.5 },
      registrationDelay: { kind: 'uniform', minMs: 20_000, maxMs: 60_000 },
      readyDelay: { kind: 'lognormal', medianMs: 5000, sigma: 0.3, maxMs: 20_000 },
      spotInterruptionRatePerHour: 0.02, registrationFailure: 0.01,
    });
    const started = performance.now();
    const claims = Array.from({ length: 1200 }, (_, i) => claim(`c${i}`, [], { cpu: `${1 + (i % 7)}`, memory: `${1 + (i % 5)}Gi` }));
    await launchAll(clock, sim, claims);
    // Delete a third of them over the day, then let the day run out.
    for (let h = 1; h <= 24; h++) {
      await clock.step(3_600_000);
      for (const c of claims.slice((h - 1) * 16, h * 16)) await sim.delete(c).catch(() => undefined);
    }
    const wallMs = performance.now() - started;
    const records = JSON.stringify(sim.instances());
    return { records, cost: sim.costUntil(), nodes: kube.count('Node'), wallMs };
  };

  it('1,200 machines over 24 h of virtual time: the same seed gives the same run, quickly', async () => {
    const a = await scenario(42);
    const b = await scenario(42);
    assert.equal(b.records, a.records);
    assert.equal(b.cost, a.cost);
    // 816 kept; spot interruptions at 0.02/h reclaim about 1 − e^−0.48 ≈ 38% of them over the day.
    assert.ok(a.nodes > 400 && a.nodes < 600, `${a.nodes} nodes left`);
    assert.ok(a.wallMs < 20_000, `took ${Math.round(a.wallMs)} ms`);
    const c = await scenario(43);
    assert.notEqual(c.records, a.records);
  });
});
