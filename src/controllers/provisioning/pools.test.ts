import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCloudProvider } from '../../cloudprovider/fake/fake-cloud-provider.js';
import { UnavailableOfferings } from '../../cloudprovider/unavailable-offerings.js';
import { instanceType, nodePool } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { loadPools } from './pools.js';

describe('loadPools', () => {
  const clock = new VirtualClock(0);
  const cloud = new FakeCloudProvider({ instanceTypes: [instanceType('small')] });
  const unavailable = new UnavailableOfferings(clock);
  const load = (...pools: ReturnType<typeof nodePool>[]) => loadPools(pools, new Map(), cloud, unavailable);

  it('defaults a valid pool once per object, and checks a changed pool (a new object) again', async () => {
    const np = nodePool({ name: 'default' });
    const first = await load(np);
    const again = await load(np);
    assert.equal(again.pools[0]!.nodePool, first.pools[0]!.nodePool, 'the same object, defaulted once');
    assert.notEqual(first.pools[0]!.nodePool, np, 'a defaulted copy');
    assert.equal(first.pools[0]!.nodePool.spec.template.spec.expireAfter, '720h');
    const broken = { ...np, spec: { ...np.spec, limits: { cpu: 'lots' } } };
    const loaded = await load(broken);
    assert.deepEqual(loaded.pools, []);
    assert.match(loaded.skipped[0]!.reason, /^invalid: .*limits/);
    assert.deepEqual((await load(broken)).skipped, loaded.skipped);
  });
});
