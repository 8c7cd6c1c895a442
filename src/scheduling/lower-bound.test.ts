import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { InstanceType } from '../cloudprovider/types.js';
import type { ResourceList } from '../utils/resources.js';
import { LowerBoundError, costLowerBound } from './lower-bound.js';

const GiB = 2 ** 30;

function type(name: string, cpuCores: number, memGiB: number, price: number, pods = 110): InstanceType {
  return {
    name,
    requirements: {},
    capacity: { cpu: cpuCores * 1000, memory: memGiB * GiB, pods },
    overhead: {},
    offerings: [
      { zone: 'a', capacityType: 'on-demand', price, available: true },
      { zone: 'b', capacityType: 'spot', price: price / 10, available: false },
    ],
  };
}

const pod = (cpuMilli: number, memGiB: number): ResourceList => ({ cpu: cpuMilli, memory: memGiB * GiB, pods: 1 });

/** The exact LP optimum for two resources: an optimal vertex has at most two machine types in use. */
function exactTwoResourceLp(types: readonly { a: number; b: number; price: number }[], da: number, db: number): number {
  let best = Infinity;
  for (const t of types) {
    const x = Math.max(t.a > 0 ? da / t.a : da > 0 ? Infinity : 0, t.b > 0 ? db / t.b : db > 0 ? Infinity : 0);
    best = Math.min(best, x * t.price);
  }
  for (const s of types) {
    for (const t of types) {
      const det = s.a * t.b - t.a * s.b;
      if (s === t || Math.abs(det) < 1e-12) continue;
      const x = (da * t.b - t.a * db) / det;
      const y = (s.a * db - da * s.b) / det;
      if (x >= -1e-12 && y >= -1e-12) best = Math.min(best, x * s.price + y * t.price);
    }
  }
  return best;
}

/** The cheapest integer machine counts covering the demand, by brute force (tiny cases only). */
function exactIntegerCover(types: readonly { a: number; b: number; price: number }[], da: number, db: number, max: number): number {
  let best = Infinity;
  const counts = types.map(() => 0);
  const visit = (i: number): void => {
    if (i === types.length) {
      let a = 0, b = 0, price = 0;
      types.forEach((t, k) => { a += t.a * counts[k]!; b += t.b * counts[k]!; price += t.price * counts[k]!; });
      if (a >= da - 1e-9 && b >= db - 1e-9) best = Math.min(best, price);
      return;
    }
    for (let n = 0; n <= max; n++) { counts[i] = n; visit(i + 1); }
  };
  visit(0);
  return best;
}

describe('costLowerBound', () => {
  it('is zero for no pods', async () => {
    assert.deepEqual(await costLowerBound([], [type('a', 1, 1, 1)]), { pricePerHour: 0, counts: [], demand: { cpu: 0, memory: 0, pods: 0 } });
  });

  it('mixes a cpu-heavy and a memory-heavy type exactly when that is cheaper', async () => {
    const types = [type('cpu-heavy', 4, 1, 1), type('mem-heavy', 1, 4, 1), type('big', 5, 5, 2.5)];
    const bound = await costLowerBound([pod(2500, 2.5), pod(2500, 2.5)], types);
    // 4x + y ≥ 5 and x + 4y ≥ 5 meet at x = y = 1: $2, below one "big" at $2.5.
    assert.ok(Math.abs(bound.pricePerHour - 2) < 1e-6, String(bound.pricePerHour));
    assert.deepEqual(bound.counts.map((c) => c.instanceType).sort(), ['cpu-heavy', 'mem-heavy']);
    for (const c of bound.counts) {
      assert.ok(Math.abs(c.count - 1) < 1e-6);
      assert.equal(c.offering.zone, 'a'); // the unavailable, cheaper spot offering is not used
    }
    assert.deepEqual(bound.demand, { cpu: 5000, memory: 5 * GiB, pods: 2 });
  });

  it('counts allocatable (capacity minus overhead) and the pods resource', async () => {
    const small: InstanceType = { ...type('small', 2, 4, 1, 2), overhead: { cpu: 1000 } };
    // 4 tiny pods need 2 machines by pod count although cpu and memory would fit in one.
    const bound = await costLowerBound([pod(10, 0.01), pod(10, 0.01), pod(10, 0.01), pod(10, 0.01)], [small]);
    assert.ok(Math.abs(bound.pricePerHour - 2) < 1e-6);
    // With 1 cpu allocatable, 3 cores need 3 machines.
    const cpuBound = await costLowerBound([pod(3000, 0.1)], [small]);
    assert.ok(Math.abs(cpuBound.pricePerHour - 3) < 1e-6);
  });

  it('throws LowerBoundError when no type offers a demanded resource', async () => {
    const gpu: ResourceList = { 'nvidia.com/gpu': 1, pods: 1 };
    await assert.rejects(costLowerBound([gpu], [type('a', 1, 1, 1)], { resources: ['nvidia.com/gpu', 'pods'] }), LowerBoundError);
    const unavailable: InstanceType = { ...type('a', 1, 1, 1), offerings: [] };
    await assert.rejects(costLowerBound([pod(100, 1)], [unavailable]), /no instance type with an available offering/);
  });

  it('equals the exact two-resource LP optimum and never exceeds the integer optimum', async () => {
    const arbType = fc.record({ a: fc.integer({ min: 1, max: 16 }), b: fc.integer({ min: 1, max: 64 }), price: fc.integer({ min: 1, max: 100 }) });
    await fc.assert(fc.asyncProperty(
      fc.array(arbType, { minLength: 1, maxLength: 3 }),
      fc.array(fc.record({ cpu: fc.integer({ min: 100, max: 4000 }), mem: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 6 }),
      async (raw, pods) => {
        const types = raw.map((t, i) => type(`t${i}`, t.a, t.b, t.price / 100));
        const requests = pods.map((p) => pod(p.cpu, p.mem));
        const bound = await costLowerBound(requests, types, { resources: ['cpu', 'memory'] });
        const da = pods.reduce((s, p) => s + p.cpu / 1000, 0);
        const db = pods.reduce((s, p) => s + p.mem, 0);
        const plain = raw.map((t) => ({ a: t.a, b: t.b, price: t.price / 100 }));
        const lp = exactTwoResourceLp(plain, da, db);
        assert.ok(Math.abs(bound.pricePerHour - lp) <= 1e-6 * Math.max(1, lp), `${bound.pricePerHour} vs exact ${lp}`);
        assert.ok(bound.pricePerHour <= exactIntegerCover(plain, da, db, 8) + 1e-9);
        // The reported counts reproduce the price and cover the demand.
        const price = bound.counts.reduce((s, c) => s + c.count * c.offering.price, 0);
        assert.ok(Math.abs(price - bound.pricePerHour) <= 1e-6 * Math.max(1, price));
      },
    ), { numRuns: 40 });
  });
});
