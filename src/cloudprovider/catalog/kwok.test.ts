import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogError } from './errors.js';
import { KWOK_ZONES, kwokCatalog } from './kwok.js';

const GiB = 2 ** 30;

describe('kwokCatalog', () => {
  const types = kwokCatalog();
  const get = (name: string) => {
    const t = types.find((x) => x.name === name);
    assert.ok(t, name);
    return t;
  };

  it('generates 12 sizes × c/s/m × amd64/arm64 for linux', () => {
    assert.equal(types.length, 72);
    assert.equal(new Set(types.map((t) => t.name)).size, 72);
    assert.ok(types.every((t) => t.requirements['kubernetes.io/os']?.[0] === 'linux'));
    assert.deepEqual(new Set(types.map((t) => t.requirements['kubernetes.io/arch']![0])), new Set(['amd64', 'arm64']));
    assert.deepEqual(new Set(types.map((t) => t.requirements['karpenter.kwok.sh/instance-family']![0])), new Set(['c', 's', 'm']));
  });

  it('c-1x-amd64-linux matches the kwok generator: resources, labels and prices', () => {
    const t = get('c-1x-amd64-linux');
    assert.deepEqual(t.capacity, { cpu: 1000, memory: 2 * GiB, pods: 16, 'ephemeral-storage': 20 * GiB });
    assert.deepEqual(t.overhead, { cpu: 100, memory: 10 * 2 ** 20 });
    assert.deepEqual(t.requirements, {
      'node.kubernetes.io/instance-type': ['c-1x-amd64-linux'],
      'kubernetes.io/arch': ['amd64'],
      'kubernetes.io/os': ['linux'],
      'karpenter.kwok.sh/instance-size': ['1'],
      'karpenter.kwok.sh/instance-family': ['c'],
      'karpenter.kwok.sh/instance-cpu': ['1'],
      'karpenter.kwok.sh/instance-memory': ['2Gi'],
    });
    // Values from Karpenter's generated kwok/cloudprovider/instance_types.json.
    const od = t.offerings.filter((o) => o.capacityType === 'on-demand');
    const spot = t.offerings.filter((o) => o.capacityType === 'spot');
    assert.equal(od.length, 4);
    assert.equal(spot.length, 4);
    for (const o of od) assert.ok(Math.abs(o.price - 0.027147483648) < 1e-12);
    for (const o of spot) assert.ok(Math.abs(o.price - 0.0190032385536) < 1e-12);
    assert.deepEqual([...new Set(t.offerings.map((o) => o.zone))], [...KWOK_ZONES]);
    assert.ok(t.offerings.every((o) => o.available));
    assert.ok(Math.abs(get('s-1x-arm64-linux').offerings[1]!.price - 0.029294967296) < 1e-12);
  });

  it('caps pods at 1024 and prints memory canonically', () => {
    assert.equal(get('c-32x-amd64-linux').capacity.pods, 512);
    assert.equal(get('c-256x-arm64-linux').capacity.pods, 1024);
    assert.deepEqual(get('m-128x-amd64-linux').requirements['karpenter.kwok.sh/instance-memory'], ['1Ti']);
    assert.deepEqual(get('m-192x-amd64-linux').requirements['karpenter.kwok.sh/instance-memory'], ['1536Gi']);
    assert.equal(get('m-192x-amd64-linux').capacity.memory, 1536 * GiB);
  });

  it('takes operating systems, sizes and zones', () => {
    assert.equal(kwokCatalog({ operatingSystems: ['linux', 'windows'] }).length, 144);
    const small = kwokCatalog({ cpus: [2, 4], zones: ['z'] });
    assert.equal(small.length, 12);
    assert.ok(small.every((t) => t.offerings.length === 2));
    assert.throws(() => kwokCatalog({ cpus: [0] }), CatalogError);
    assert.throws(() => kwokCatalog({ zones: [] }), /zones must not be empty/);
  });
});
