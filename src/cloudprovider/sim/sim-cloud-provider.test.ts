import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { instanceType, nodePool } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { NodeClaimNotFoundError } from '../cloud-provider.js';
import { cloudProviderContract } from '../contract.js';
import type { InstanceType } from '../types.js';
import type { SimCloudProviderOptions } from './options.js';
import { SIM_IMAGE_DRIFT, SimCloudProvider } from './sim-cloud-provider.js';

const types: InstanceType[] = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1, spotPrice: 0.03 }),
  instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2, spotPrice: 0.06 }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.12 }),
];

let claims = 0;
function claim(name = `default-${++claims}`, requirements: NodeClaim['spec']['requirements'] = [], requests?: Record<string, string>): NodeClaim {
  return {
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: { requirements, nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' }, ...(requests ? { resources: { requests } } : {}) },
  };
}

function setup(o: Partial<SimCloudProviderOptions> = {}): { clock: VirtualClock; kube: MemoryKubeClient; sim: SimCloudProvider } {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock });
  return { clock, kube, sim: new SimCloudProvider({ clock, kube, instanceTypes: types, ...o }) };
}

/** Steps the clock until the promise settles. */
async function drive<T>(clock: VirtualClock, p: Promise<T>, stepMs = 100): Promise<T> {
  let settled = false;
  const watched = p.finally(() => { settled = true; });
  watched.catch(() => undefined);
  for (let i = 0; !settled && i < 100_000; i++) await clock.step(stepMs);
  return watched;
}

const getNode = (kube: MemoryKubeClient, name: string): Promise<Node | undefined> =>
  kube.get('Node', name).catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });

cloudProviderContract('sim', () => {
  const { clock, kube, sim } = setup({ launchDelay: { kind: 'uniform', minMs: 1000, maxMs: 5000 } });
  return Promise.resolve({
    provider: sim,
    nodePool: nodePool(),
    makeClaim: (o = {}) => claim(undefined, o.requirements ?? [], o.requests as Record<string, string> | undefined),
    unknownProviderID: 'sim://zone-a/i-0000000000000ffff',
    cleanup: () => Promise.resolve(kube.close()),
    advance: async (ms: number) => { await clock.step(ms); },
  });
});

describe('SimCloudProvider: launch, registration, termination', () => {
  it('boots after the launch delay, registers a Node after the registration delay, Ready after the ready delay', async () => {
    const { clock, kube, sim } = setup();
    const t0 = clock.now();
    const launched = await drive(clock, sim.create(claim('a')), 100);
    assert.equal(clock.now() - t0, 2000, 'create takes the launch delay (2 s by default)');
    assert.match(launched.status!.providerID!, /^sim:\/\/zone-a\/i-[0-9a-f]{17}$/);
    assert.equal(launched.status?.imageID, 'sim-image-1');

    await clock.step(29_999);
    assert.equal(await getNode(kube, 'a'), undefined, 'not registered yet');
    await clock.step(1);
    const node = (await getNode(kube, 'a'))!;
    assert.equal(node.spec?.providerID, launched.status?.providerID);
    assert.deepEqual(node.metadata.labels, { ...launched.metadata.labels, 'kubernetes.io/hostname': 'a' });
    assert.deepEqual(node.spec?.taints, [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }]);
    assert.deepEqual(node.status?.capacity, launched.status?.capacity);
    assert.deepEqual(node.status?.allocatable, launched.status?.allocatable);
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

    await clock.step(5_000);
    const ready = (await getNode(kube, 'a'))!;
    assert.equal(ready.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    const [record] = sim.instances();
    assert.deepEqual([record!.launchedAt! - t0, record!.registeredAt! - t0, record!.readyAt! - t0], [2000, 32_000, 37_000]);
    assert.equal(record!.state, 'running');
  });

  it('a concurrent create for the same claim shares the launch; create without a name fails', async () => {
    const { clock, sim } = setup();
    const [a, b] = await drive(clock, Promise.all([sim.create(claim('a')), sim.create(claim('a'))]));
    assert.equal(a.status?.providerID, b.status?.providerID);
    assert.equal(sim.instances().length, 1);
    await assert.rejects(sim.create({ ...claim(), metadata: {} }), /without metadata.name/);
  });

  it('list hands out the same frozen claims until the machine terminates; create and get hand out copies', async () => {
    const { clock, sim } = setup();
    const launched = await drive(clock, sim.create(claim('a')));
    const [first] = await sim.list();
    const [again] = await sim.list();
    assert.equal(again, first, 'one copy per machine, shared between lists');
    assert.deepEqual(first, launched);
    assert.ok(Object.isFrozen(first.metadata.labels) && Object.isFrozen(first.status?.capacity));
    assert.throws(() => { first.metadata.labels!.x = 'y'; }, TypeError);
    launched.metadata.labels!.x = 'y';
    const got = await sim.get(launched.status!.providerID!);
    assert.equal(got.metadata.labels?.x, undefined, 'what create returned is the caller\'s own');
    got.metadata.name = 'changed';
    assert.equal((await sim.get(launched.status!.providerID!)).metadata.name, 'a');
    await drive(clock, sim.delete(launched));
    await clock.step(600_000);
    assert.deepEqual(await sim.list(), []);
  });

  it('delete shuts the machine down, then terminates it, deletes its Node and stops billing', async () => {
    const { clock, kube, sim } = setup({ shutdownDelayMs: 10_000 });
    const t0 = clock.now();
    const launched = await drive(clock, sim.create(claim('a', [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }])));
    await clock.advanceTo(t0 + 3_602_000); // one hour after launch
    assert.ok(await getNode(kube, 'a'));
    await sim.delete(launched);
    assert.equal(sim.instances()[0]!.state, 'shutting-down');
    assert.equal((await sim.list()).length, 1, 'still listed while shutting down');
    await sim.delete(launched); // again: nothing more happens
    await clock.step(9_999);
    assert.ok(await getNode(kube, 'a'), 'Node kept until the machine is gone');
    await clock.step(1);
    assert.equal(await getNode(kube, 'a'), undefined);
    await assert.rejects(sim.get(launched.status!.providerID!), NodeClaimNotFoundError);
    const record = sim.instances()[0]!;
    assert.equal(record.state, 'terminated');
    assert.equal(record.terminatedAt! - record.launchedAt!, 3_610_000);
    const expected = 0.1 * 3_610_000 / 3_600_000;
    assert.ok(Math.abs(sim.costUntil() - expected) < 1e-12);
    assert.ok(Math.abs(sim.costUntil(t0 + 2000 + 1_800_000) - 0.05) < 1e-12, 'half an hour in');
    assert.equal(sim.hourlyCostAt(t0 + 1000), 0, 'not billed while booting');
    assert.equal(sim.hourlyCostAt(t0 + 2000), 0.1);
    assert.equal(sim.hourlyCostAt(), 0);
    assert.equal(sim.hourlyCostAt(t0 + 2000), 0.1, 'a time before one asked already is still answered');
  });

  it('the hourly cost follows machines starting and stopping, asked again and again', async () => {
    const { clock, sim } = setup({ shutdownDelayMs: 10_000 });
    const onDemand = [{ key: 'karpenter.sh/capacity-type', operator: 'In' as const, values: ['on-demand'] }];
    assert.equal(sim.hourlyCostAt(), 0);
    const a = await drive(clock, sim.create(claim('a', onDemand)));
    assert.equal(sim.hourlyCostAt(), 0.1);
    await clock.step(1000);
    assert.equal(sim.hourlyCostAt(), 0.1, 'nothing started or stopped since');
    const b = await drive(clock, sim.create(claim('b', onDemand, { cpu: '3' })));
    assert.equal(sim.hourlyCostAt(), 0.1 + 0.2);
    await sim.delete(a);
    assert.equal(sim.hourlyCostAt(), 0.1 + 0.2, 'billed while shutting down');
    await clock.step(10_000);
    assert.equal(sim.hourlyCostAt(), 0.2);
    assert.equal(sim.hourlyCostAt(clock.now() - 9_999), 0.1 + 0.2, 'before the stop');
    await sim.delete(b);
    await clock.step(10_000);
    assert.equal(sim.hourlyCostAt(), 0);
  });

  it('deleting a machine before its Node registers leaves no Node behind', async () => {
    const { clock, kube, sim } = setup();
    const launched = await drive(clock, sim.create(claim('a')));
    await sim.delete(launched);
    await clock.step(120_000);
    assert.equal(await getNode(kube, 'a'), undefined);
    assert.equal(kube.count('Node'), 0);
    assert.equal(clock.pendingTimers(), 0, 'no timers left behind');
  });

  it('delete by claim name waits for a booting machine', async () => {
    const { clock, sim } = setup();
    const creating = sim.create(claim('a'));
    creating.catch(() => undefined);
    await drive(clock, sim.delete(claim('a')));
    assert.equal(sim.instances()[0]!.state, 'shutting-down');
    await drive(clock, creating);
  });

  it('machines that never register make no Node; nodes can be named like EC2 hosts', async () => {
    const never = setup({ registrationFailure: () => true });
    await drive(never.clock, never.sim.create(claim('a')));
    await never.clock.step(3_600_000);
    assert.equal(never.kube.count('Node'), 0);
    assert.equal(never.sim.instances()[0]!.registers, false);

    const ip = setup({ nodeNames: 'ip', region: 'us-east-1' });
    const launched = await drive(ip.clock, ip.sim.create(claim('b')));
    await ip.clock.step(60_000);
    const nodeName = ip.sim.instances()[0]!.nodeName;
    assert.equal(nodeName, 'ip-10-0-1-0.us-east-1.compute.internal');
    assert.equal((await getNode(ip.kube, nodeName))?.spec?.providerID, launched.status?.providerID);
    assert.equal(launched.metadata.labels?.['topology.kubernetes.io/region'], 'us-east-1');
  });

  it('works without a cluster: machines only', async () => {
    const clock = new VirtualClock();
    const sim = new SimCloudProvider({ clock, instanceTypes: types });
    const launched = await drive(clock, sim.create(claim('a')));
    await clock.step(3_600_000);
    assert.equal(sim.instances()[0]!.registeredAt, undefined);
    assert.equal((await sim.get(launched.status!.providerID!)).metadata.name, 'a');
  });

  it('machines on an older image report drift after setImage', async () => {
    const { clock, sim } = setup();
    const old = await drive(clock, sim.create(claim('a')));
    sim.setImage('sim-image-2');
    const fresh = await drive(clock, sim.create(claim('b')));
    assert.equal(await sim.isDrifted(old), SIM_IMAGE_DRIFT);
    assert.equal(await sim.isDrifted(fresh), undefined);
    assert.equal(fresh.status?.imageID, 'sim-image-2');
    await assert.rejects(sim.isDrifted(claim('never')), NodeClaimNotFoundError);
  });

  it('records Node write failures as problems and retries transient ones', async () => {
    const { clock, kube, sim } = setup();
    kube.faults.failWrite();
    await drive(clock, sim.create(claim('a')));
    await clock.step(60_000);
    assert.ok(await getNode(kube, 'a'), 'registered on retry after a failed write');
    await kube.create('Node', { metadata: { name: 'b' } });
    await drive(clock, sim.create(claim('b')));
    await clock.step(60_000);
    assert.match(sim.problems().map((e) => e.message).join('\n'), /registering node b: .*/);
  });

  it('rejects invalid options', () => {
    const clock = new VirtualClock();
    assert.throws(() => new SimCloudProvider({ clock, instanceTypes: [...types, types[0]!] }), /appears twice/);
    assert.throws(() => new SimCloudProvider({ clock, instanceTypes: types, registrationFailure: 2 }), /registrationFailure/);
    assert.throws(() => new SimCloudProvider({ clock, instanceTypes: types, launchDelay: { kind: 'fixed', ms: -1 } }), /launch delay/);
    assert.throws(() => new SimCloudProvider({ clock, instanceTypes: types, apiFaults: { rate: 1.5 } }), /fault rate/);
    assert.throws(() => new SimCloudProvider({ clock, instanceTypes: types, capacityWindows: [{ start: 5, end: 5 }] }), /start < end/);
  });
});
