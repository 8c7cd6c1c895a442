import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { instanceType } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import { DEFAULT_UNAVAILABLE_OFFERING_TTL_MS, UnavailableOfferings } from './unavailable-offerings.js';

const m5 = { instanceType: 'm5.large', zone: 'zone-a', capacityType: 'spot' };

describe('UnavailableOfferings', () => {
  it('marks an offering for three minutes by default, and only that offering', async () => {
    const clock = new VirtualClock();
    const cache = new UnavailableOfferings(clock);
    assert.equal(DEFAULT_UNAVAILABLE_OFFERING_TTL_MS, 180_000);
    cache.mark(m5);
    assert.ok(cache.isUnavailable('m5.large', 'zone-a', 'spot'));
    assert.ok(!cache.isUnavailable('m5.large', 'zone-a', 'on-demand'));
    assert.ok(!cache.isUnavailable('m5.large', 'zone-b', 'spot'));
    assert.ok(!cache.isUnavailable('m5.xlarge', 'zone-a', 'spot'));
    await clock.step(179_999);
    assert.ok(cache.isUnavailable('m5.large', 'zone-a', 'spot'));
    await clock.step(1);
    assert.ok(!cache.isUnavailable('m5.large', 'zone-a', 'spot'));
    assert.deepEqual(cache.marked(), []);
    assert.equal(clock.pendingTimers(), 0, 'expiry needs no timers');
  });

  it('a second mark extends the first; a custom TTL applies', async () => {
    const clock = new VirtualClock();
    const cache = new UnavailableOfferings(clock, { ttlMs: 1000 });
    cache.mark(m5);
    await clock.step(600);
    cache.mark(m5);
    await clock.step(600);
    assert.ok(cache.isUnavailable('m5.large', 'zone-a', 'spot'));
    cache.mark(m5, 50); // shorter: does not shorten the existing mark
    await clock.step(500);
    assert.ok(!cache.isUnavailable('m5.large', 'zone-a', 'spot'));
    assert.throws(() => new UnavailableOfferings(clock, { ttlMs: 0 }), RangeError);
  });

  it('apply turns marked offerings unavailable, keeping other types as the same objects', async () => {
    const clock = new VirtualClock();
    const cache = new UnavailableOfferings(clock);
    const types = [
      instanceType('m5.large', { spotPrice: 0.05 }),
      instanceType('c5.large', { spotPrice: 0.04 }),
    ];
    assert.deepEqual(cache.apply(types), types);
    const generation = cache.generation;
    cache.markAll([m5, { instanceType: 'unknown', zone: 'zone-a', capacityType: 'spot' }]);
    assert.ok(cache.generation > generation);
    const applied = cache.apply(types);
    assert.equal(applied[1], types[1]);
    const unavailable = applied[0]!.offerings.filter((o) => !o.available).map((o) => `${o.zone}/${o.capacityType}`);
    assert.deepEqual(unavailable, ['zone-a/spot']);
    assert.ok(types[0]!.offerings.every((o) => o.available), 'input untouched');
    await clock.step(DEFAULT_UNAVAILABLE_OFFERING_TTL_MS);
    assert.equal(cache.apply(types)[0], types[0]);
  });

  it('forgets expired marks as new ones arrive, and clear forgets all', async () => {
    const clock = new VirtualClock();
    const cache = new UnavailableOfferings(clock, { ttlMs: 10 });
    for (let i = 0; i < 500; i++) {
      await clock.step(20);
      cache.mark({ instanceType: `t${i}`, zone: 'z', capacityType: 'spot' });
    }
    assert.deepEqual(cache.marked(), [{ instanceType: 't499', zone: 'z', capacityType: 'spot' }]);
    assert.ok(cache.storedTypes <= 64, `expired marks pruned, ${cache.storedTypes} kept`);
    cache.clear();
    assert.ok(!cache.isUnavailable('t499', 'z', 'spot'));
  });
});
