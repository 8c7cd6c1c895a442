import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogError } from './errors.js';
import { karpenterBenchCatalog, karpenterFakePrice } from './karpenter-bench.js';

const GiB = 2 ** 30;

describe('karpenterBenchCatalog', () => {
  const types = karpenterBenchCatalog();

  it('has 400 types named fake-it-0 … fake-it-399', () => {
    assert.equal(types.length, 400);
    assert.deepEqual(types.map((t) => t.name), Array.from({ length: 400 }, (_, i) => `fake-it-${i}`));
  });

  it('type 0: 1 cpu, 2Gi, 10 pods, Karpenter overhead, price 0.1 × cpu + 0.1 × bytes/1e9', () => {
    const t = types[0]!;
    assert.deepEqual(t.capacity, { cpu: 1000, memory: 2 * GiB, pods: 10 });
    assert.deepEqual(t.overhead, { cpu: 100, memory: 10 * 2 ** 20 });
    assert.deepEqual(t.requirements, {
      'node.kubernetes.io/instance-type': ['fake-it-0'],
      'kubernetes.io/arch': ['amd64'],
      'kubernetes.io/os': ['linux', 'windows', 'darwin'],
    });
    assert.ok(Math.abs(t.offerings[0]!.price - 0.3147483648) < 1e-12);
  });

  it('type 399: 400 cpu, 800Gi, 4000 pods and five available offerings', () => {
    const t = types[399]!;
    assert.deepEqual(t.capacity, { cpu: 400_000, memory: 800 * GiB, pods: 4000 });
    assert.deepEqual(
      t.offerings.map((o) => `${o.capacityType}/${o.zone}/${o.available}`),
      ['spot/test-zone-1/true', 'spot/test-zone-2/true', 'on-demand/test-zone-1/true', 'on-demand/test-zone-2/true', 'on-demand/test-zone-3/true'],
    );
    for (const o of t.offerings) assert.ok(Math.abs(o.price - 125.89934592) < 1e-9);
  });

  it('prices every type from its capacity and grows monotonically', () => {
    for (const [i, t] of types.entries()) {
      assert.equal(t.offerings[2]!.price, karpenterFakePrice(t.capacity.cpu!, t.capacity.memory!));
      if (i > 0) assert.ok(t.offerings[0]!.price > types[i - 1]!.offerings[0]!.price);
    }
  });

  it('takes a count and rejects bad ones', () => {
    assert.equal(karpenterBenchCatalog(3).length, 3);
    assert.equal(karpenterBenchCatalog(0).length, 0);
    assert.throws(() => karpenterBenchCatalog(-1), CatalogError);
    assert.throws(() => karpenterBenchCatalog(1.5), /non-negative integer/);
  });
});
