import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeClaim } from '../../apis/v1/types.js';
import { instanceType, nodePool } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { CloudProviderError, InsufficientCapacityError, NodeClaimNotFoundError } from '../cloud-provider.js';
import { cloudProviderContract } from '../contract.js';
import type { InstanceType } from '../types.js';
import { FakeCloudProvider } from './fake-cloud-provider.js';

const types: InstanceType[] = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1, spotPrice: 0.03 }),
  instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2, spotPrice: 0.06 }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.12 }),
];

let claims = 0;
function claim(name = `default-${++claims}`, extra: Partial<NodeClaim['spec']> = {}): NodeClaim {
  return {
    metadata: { name, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' }, ...extra },
  };
}

cloudProviderContract('fake', () => {
  const provider = new FakeCloudProvider({ instanceTypes: types });
  return Promise.resolve({
    provider,
    nodePool: nodePool(),
    makeClaim: (o = {}) => claim(undefined, { requirements: o.requirements ?? [], ...(o.requests ? { resources: { requests: o.requests } } : {}) }),
    unknownProviderID: 'fake://zone-a/i-ffffffff',
    cleanup: () => Promise.resolve(),
  });
});

describe('FakeCloudProvider', () => {
  it('records every call with a copy of its argument and the clock time', async () => {
    const clock = new VirtualClock();
    const fake = new FakeCloudProvider({ instanceTypes: types, clock });
    const c = claim('a');
    const launched = await fake.create(c);
    c.metadata.name = 'mutated';
    await clock.step(1000);
    await fake.get(launched.status!.providerID!);
    await fake.list();
    await fake.getInstanceTypes(nodePool());
    await fake.isDrifted(launched);
    await fake.delete(launched);
    assert.deepEqual(fake.calls.map((x) => x.method), ['create', 'get', 'list', 'getInstanceTypes', 'isDrifted', 'delete']);
    const [create] = fake.callsTo('create');
    assert.equal(create!.nodeClaim.metadata.name, 'a', 'a copy taken at call time');
    assert.equal(create!.at, clock.now() - 1000);
    assert.equal(fake.callsTo('get')[0]!.providerID, launched.status!.providerID);
  });

  it('fails a method once or persistently, recording the failed calls, until cleared', async () => {
    const fake = new FakeCloudProvider({ instanceTypes: types });
    const boom = new CloudProviderError('throttled', { retryable: true });
    fake.failNext('create', boom, 2);
    await assert.rejects(fake.create(claim('a')), boom);
    await assert.rejects(fake.create(claim('a')), boom);
    const launched = await fake.create(claim('a'));
    assert.equal(fake.machines().length, 1);
    fake.failAlways('get', boom);
    for (let i = 0; i < 3; i++) await assert.rejects(fake.get(launched.status!.providerID!), boom);
    fake.clearFailures('get');
    assert.equal((await fake.get(launched.status!.providerID!)).metadata.name, 'a');
    assert.equal(fake.callsTo('create').length, 3);
    fake.failNext('list', boom);
    fake.clearFailures();
    assert.equal((await fake.list()).length, 1);
  });

  it('an injected capacity error marks its offerings unavailable for create and getInstanceTypes', async () => {
    const clock = new VirtualClock();
    const fake = new FakeCloudProvider({ instanceTypes: types, clock });
    fake.failNext('create', new InsufficientCapacityError('no capacity', [{ instanceType: 'small', zone: 'zone-a', capacityType: 'spot' }]));
    await assert.rejects(fake.create(claim('a')), InsufficientCapacityError);
    const retried = await fake.create(claim('a'));
    assert.equal(retried.metadata.labels?.['topology.kubernetes.io/zone'], 'zone-b', 'the next cheapest offering');
    const small = (await fake.getInstanceTypes(nodePool())).find((t) => t.name === 'small')!;
    assert.deepEqual(small.offerings.filter((o) => !o.available).map((o) => `${o.zone}/${o.capacityType}`), ['zone-a/spot']);
    await clock.step(180_000);
    const later = (await fake.getInstanceTypes(nodePool())).find((t) => t.name === 'small')!;
    assert.ok(later.offerings.every((o) => o.available), 'available again after 3 minutes');
  });

  it('launches the cheapest offering and labels the claim; providerIDs are unique', async () => {
    const fake = new FakeCloudProvider({ instanceTypes: types, region: 'test-1' });
    const a = await fake.create(claim('a', { resources: { requests: { cpu: '3' } } }));
    const b = await fake.create(claim('b'));
    assert.equal(a.metadata.labels?.['node.kubernetes.io/instance-type'], 'medium');
    assert.equal(a.metadata.labels?.['karpenter.sh/capacity-type'], 'spot');
    assert.equal(a.metadata.labels?.['topology.kubernetes.io/region'], 'test-1');
    assert.equal(a.metadata.labels?.['karpenter.sh/nodepool'], 'default');
    assert.equal(a.status?.imageID, 'fake-image-1');
    assert.notEqual(a.status?.providerID, b.status?.providerID);
    assert.match(String(a.status?.providerID), /^fake:\/\/zone-a\/i-[0-9a-f]{8}$/);
  });

  it('deletes by claim name when the claim has no providerID; vanish and drift for other tests', async () => {
    const fake = new FakeCloudProvider({ instanceTypes: types });
    const a = await fake.create(claim('a'));
    await fake.delete(claim('a'));
    await assert.rejects(fake.get(a.status!.providerID!), NodeClaimNotFoundError);
    const again = await fake.create(claim('a'));
    assert.notEqual(again.status?.providerID, a.status?.providerID, 'a new machine after the old one was deleted');
    fake.setDrifted(again.status!.providerID!, 'ImageDrift');
    assert.equal(await fake.isDrifted(again), 'ImageDrift');
    fake.setDrifted(again.status!.providerID!, undefined);
    assert.equal(await fake.isDrifted(again), undefined);
    assert.ok(fake.vanish(again.status!.providerID!));
    assert.ok(!fake.vanish(again.status!.providerID!));
    assert.deepEqual(await fake.list(), []);
    await assert.rejects(fake.create({ ...claim(), metadata: {} }), /without metadata.name/);
    fake.reset();
    assert.equal(fake.calls.length, 0);
  });
});
