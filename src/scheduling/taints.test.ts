import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Taint, Toleration } from '../apis/core.js';
import { firstUntoleratedTaint, formatTaint, tolerates, toleratesTaint } from './taints.js';

const gpu: Taint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };
const disrupted: Taint = { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' };
const soft: Taint = { key: 'spot', value: 'yes', effect: 'PreferNoSchedule' };
const evict: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

describe('toleratesTaint', () => {
  const cases: [string, Toleration, Taint, boolean][] = [
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, gpu, true],
    ['empty key with Exists tolerates a NoExecute taint', { operator: 'Exists' }, evict, true],
    ['empty key with Exists and an effect tolerates only that effect', { operator: 'Exists', effect: 'NoExecute' }, gpu, false],
    ['operator defaults to Equal: same value', { key: 'nvidia.com/gpu', value: 'true' }, gpu, true],
    ['operator defaults to Equal: other value', { key: 'nvidia.com/gpu', value: 'false' }, gpu, false],
    ['Equal with no value matches a taint with no value', { key: 'karpenter.sh/disrupted', operator: 'Equal' }, disrupted, true],
    ['Equal with no value does not match a taint with a value', { key: 'nvidia.com/gpu', operator: 'Equal' }, gpu, false],
    ['Equal with an empty value matches a taint with an empty value', { key: 'karpenter.sh/disrupted', value: '' }, { ...disrupted, value: '' }, true],
    ['Exists ignores the value', { key: 'nvidia.com/gpu', operator: 'Exists', value: 'anything' }, gpu, true],
    ['other key', { key: 'other', operator: 'Exists' }, gpu, false],
    ['empty effect matches every effect', { key: 'spot', operator: 'Exists' }, soft, true],
    ['empty string effect matches every effect', { key: 'spot', operator: 'Exists', effect: '' }, soft, true],
    ['same effect', { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, gpu, true],
    ['other effect', { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoExecute' }, gpu, false],
    ['unknown operator tolerates nothing', { key: 'nvidia.com/gpu', operator: 'In', value: 'true' }, gpu, false],
    ['operator names are case-sensitive', { key: 'nvidia.com/gpu', operator: 'exists' }, gpu, false],
    // As upstream: an empty key with Equal (which validation rejects) matches any key with the same value.
    ['empty key with Equal compares only values', { value: 'true' }, gpu, true],
  ];
  for (const [name, toleration, taint, want] of cases) it(name, () => assert.equal(toleratesTaint(toleration, taint), want));
});

describe('tolerates', () => {
  it('is true when any toleration matches', () => {
    assert.equal(tolerates([{ key: 'a', operator: 'Exists' }, { key: 'nvidia.com/gpu', value: 'true' }], gpu), true);
  });
  it('is false with no tolerations', () => {
    assert.equal(tolerates(undefined, gpu), false);
    assert.equal(tolerates([], gpu), false);
  });
  it('is the disjunction of toleratesTaint', () => {
    const key = fc.constantFrom('', 'a', 'b');
    const value = fc.option(fc.constantFrom('', 'x', 'y'), { nil: undefined });
    const effect = fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute');
    const toleration = fc.record({
      key: fc.option(key, { nil: undefined }), operator: fc.option(fc.constantFrom('', 'Equal', 'Exists', 'Gt'), { nil: undefined }),
      value, effect: fc.option(fc.oneof(effect, fc.constant('')), { nil: undefined }),
    });
    const taint = fc.record({ key: fc.constantFrom('a', 'b'), value, effect });
    fc.assert(fc.property(fc.array(toleration, { maxLength: 4 }), taint, (ts, t) =>
      tolerates(ts, t) === ts.some((x) => toleratesTaint(x, t))), { numRuns: 500 });
  });
});

describe('firstUntoleratedTaint', () => {
  it('returns the first taint not tolerated, in order', () => {
    assert.deepEqual(firstUntoleratedTaint([], [gpu, disrupted]), gpu);
    assert.deepEqual(firstUntoleratedTaint([{ key: 'nvidia.com/gpu', operator: 'Exists' }], [gpu, disrupted]), disrupted);
  });
  it('returns undefined when everything is tolerated or there are no taints', () => {
    assert.equal(firstUntoleratedTaint([{ operator: 'Exists' }], [gpu, disrupted, soft, evict]), undefined);
    assert.equal(firstUntoleratedTaint(undefined, undefined), undefined);
    assert.equal(firstUntoleratedTaint(undefined, []), undefined);
  });
  it('skips PreferNoSchedule unless asked', () => {
    assert.equal(firstUntoleratedTaint(undefined, [soft]), undefined);
    assert.equal(firstUntoleratedTaint(undefined, [soft], { preferNoSchedule: false }), undefined);
    assert.deepEqual(firstUntoleratedTaint(undefined, [soft], { preferNoSchedule: true }), soft);
    assert.deepEqual(firstUntoleratedTaint(undefined, [soft, evict]), evict);
  });
});

describe('formatTaint', () => {
  it('prints as kubectl does', () => {
    assert.equal(formatTaint(gpu), 'nvidia.com/gpu=true:NoSchedule');
    assert.equal(formatTaint(disrupted), 'karpenter.sh/disrupted:NoSchedule');
  });
});
