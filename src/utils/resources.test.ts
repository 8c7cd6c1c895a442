import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QuantityError } from './quantity.js';
import {
  addResources,
  exceededResources,
  fitsIn,
  formatResources,
  maxResources,
  resourcesFromQuantities,
  resourcesToQuantities,
  subtractResources,
  type ResourceList,
} from './resources.js';

const GiB = 2 ** 30;

describe('resourcesFromQuantities / resourcesToQuantities', () => {
  it('converts each resource in its own unit', () => {
    assert.deepEqual(resourcesFromQuantities({ cpu: '1500m', memory: '2Gi', pods: 110, 'nvidia.com/gpu': '1' }),
      { cpu: 1500, memory: 2 * GiB, pods: 110, 'nvidia.com/gpu': 1 });
    assert.deepEqual(resourcesFromQuantities(undefined), {});
  });
  it('throws a QuantityError naming the resource', () => {
    assert.throws(() => resourcesFromQuantities({ cpu: '1', memory: '2GB' }),
      (err: unknown) => err instanceof QuantityError && err.message.startsWith('memory: ') && err.message.includes('"2GB"'));
  });
  it('formats back to quantities that parse to the same amounts', () => {
    const r = { cpu: 1500, memory: 2 * GiB, pods: 110, 'ephemeral-storage': 1000 };
    assert.deepEqual(resourcesToQuantities(r), { cpu: '1500m', memory: '2Gi', pods: '110', 'ephemeral-storage': '1000' });
    assert.deepEqual(resourcesFromQuantities(resourcesToQuantities(r)), r);
  });
});

describe('arithmetic', () => {
  const a: ResourceList = { cpu: 1000, memory: GiB };
  const b: ResourceList = { cpu: 500, pods: 1 };
  it('adds per key, a missing key counting as 0', () => {
    assert.deepEqual(addResources(a, b), { cpu: 1500, memory: GiB, pods: 1 });
    assert.deepEqual(addResources(), {});
    assert.deepEqual(addResources(a), a);
  });
  it('subtracts per key over both key sets', () => {
    assert.deepEqual(subtractResources(a, b), { cpu: 500, memory: GiB, pods: -1 });
  });
  it('takes the per-key maximum, a missing key counting as 0', () => {
    assert.deepEqual(maxResources(a, b), { cpu: 1000, memory: GiB, pods: 1 });
    assert.deepEqual(maxResources({ cpu: -5 }, { memory: 1 }), { cpu: 0, memory: 1 });
    assert.deepEqual(maxResources({ cpu: -5 }, { cpu: -3 }), { cpu: -3 });
    assert.deepEqual(maxResources({ cpu: -5 }), { cpu: -5 });
  });
  it('never mutates its inputs', () => {
    const x = Object.freeze({ cpu: 1 });
    const y = Object.freeze({ cpu: 2, memory: 3 });
    addResources(x, y);
    subtractResources(x, y);
    maxResources(x, y);
    assert.deepEqual(x, { cpu: 1 });
  });
});

describe('fitsIn / exceededResources', () => {
  const node: ResourceList = { cpu: 2000, memory: 4 * GiB, pods: 110 };
  it('fits when every positive request is within the available amount', () => {
    assert.equal(fitsIn({ cpu: 2000, memory: GiB, pods: 1 }, node), true);
    assert.equal(fitsIn({}, node), true);
    assert.equal(fitsIn({ 'nvidia.com/gpu': 0 }, node), true, 'a zero request of a missing resource fits');
    assert.equal(fitsIn({ cpu: -1 }, {}), true);
    assert.deepEqual(exceededResources({ cpu: 2000, memory: GiB }, node), []);
  });
  it('does not fit when any request exceeds, a missing resource being 0', () => {
    assert.equal(fitsIn({ cpu: 2001 }, node), false);
    assert.equal(fitsIn({ 'nvidia.com/gpu': 1 }, node), false);
    assert.deepEqual(exceededResources({ cpu: 2001, memory: GiB, 'nvidia.com/gpu': 1 }, node), ['cpu', 'nvidia.com/gpu']);
  });
  it('agrees with exceededResources on random lists', () => {
    const list = fc.dictionary(fc.constantFrom('cpu', 'memory', 'pods', 'x'), fc.integer({ min: -5, max: 20 }));
    fc.assert(fc.property(list, list, (req, avail) =>
      fitsIn(req, avail) === (exceededResources(req, avail).length === 0)), { numRuns: 500 });
  });
});

describe('formatResources', () => {
  it('lists sorted keys with quantities', () => {
    assert.equal(formatResources({ pods: 1, memory: 2 * GiB, cpu: 1500 }), 'cpu=1500m, memory=2Gi, pods=1');
    assert.equal(formatResources({}), '');
  });
});
