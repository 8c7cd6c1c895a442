import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CompiledOption } from './offering-index.js';
import { frontier, TypeTable, type Usable } from './packing-types.js';


/** A usable type with rooms in cpu, memory, pods, ephemeral storage and one extended resource (ignored by packing). */
function usable(name: string, price: number, room: number[]): Usable {
  return { option: { price, instanceType: { name } } as unknown as CompiledOption, room: Float64Array.from(room) };
}

/** The rule TypeTable.best documents, over every type: no frontier, no shortcuts. */
function reference(types: readonly Usable[], cpu: number, mem: number, pods: number, largest: Float64Array): { name: string; cost: number } | undefined {
  const costs = types.map((u) => {
    for (let d = 0; d < 4; d++) if (u.room[d]! < largest[d]!) return Infinity;
    const r = u.room;
    const need = Math.max(r[0]! > 0 ? cpu / r[0]! : cpu > 0 ? Infinity : 0, r[1]! > 0 ? mem / r[1]! : mem > 0 ? Infinity : 0, r[2]! > 0 ? pods / r[2]! : Infinity);
    return need * u.option.price;
  });
  const min = Math.min(...costs);
  if (min === Infinity) return undefined;
  let best = -1;
  costs.forEach((c, i) => {
    if (c <= min * 1.001 && (best < 0 || types[i]!.room[0]! > types[best]!.room[0]!)) best = i;
  });
  return { name: types[best]!.option.instanceType.name, cost: min };
}

// Small integer domains, so that ties in price and room (the hard cases) are common.
const typeArb = fc.record({
  price: fc.integer({ min: 1, max: 6 }),
  room: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
});
const catalogueArb = fc.array(typeArb, { minLength: 1, maxLength: 25 }).map((ts) =>
  ts.map((t, i) => usable(`t${String(i).padStart(2, '0')}`, t.price, t.room.map((v, d) => (d === 0 ? v * 1000 : v))))
    .sort((a, b) => a.option.price - b.option.price || (a.option.instanceType.name < b.option.instanceType.name ? -1 : 1)));
const demandArb = fc.record({
  cpu: fc.integer({ min: 0, max: 20_000 }), mem: fc.integer({ min: 0, max: 20 }), pods: fc.integer({ min: 0, max: 15 }),
  largest: fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
});

describe('packing types', () => {
  it('picks what the documented rule picks over every type, though it searches only the frontier', () => {
    fc.assert(fc.property(catalogueArb, fc.array(demandArb, { minLength: 1, maxLength: 8 }), (types, demands) => {
      const table = new TypeTable(types);
      for (const d of demands) {
        const largest = Float64Array.from([...d.largest, 0]);
        const got = table.best(d.cpu, d.mem, d.pods, largest);
        const want = reference(types, d.cpu, d.mem, d.pods, largest);
        assert.deepEqual(got ? { name: got.u.option.instanceType.name, cost: got.cost } : undefined, want);
      }
    }), { numRuns: 400 });
  });

  it('drops a type no cheaper and no bigger than another, keeps the larger of equal per-unit prices, and ignores extended resources', () => {
    const small = usable('small', 1, [2000, 8, 110, 10, 0]);
    const medium = usable('medium', 2, [4000, 16, 110, 10, 0]);
    const large = usable('large', 4, [8000, 32, 110, 10, 0]);
    const pricierSmall = usable('pricier-small', 1.5, [2000, 8, 110, 10, 0]);
    const gpuSmall = usable('gpu-small', 3, [2000, 8, 110, 10, 1]);
    const kept = frontier([small, pricierSmall, medium, gpuSmall, large]).map((u) => u.option.instanceType.name);
    assert.deepEqual(kept, ['small', 'medium', 'large'], 'linear prices: every size stays (a tie goes to the larger); the pricier twin and the GPU type go');
    const table = new TypeTable([small, medium, large]);
    assert.equal(table.best(3000, 3, 3, Float64Array.from([1000, 1, 1, 0, 0]))?.u.option.instanceType.name, 'large', 'a tie goes to the most cpu');
    assert.equal(table.best(3000, 3, 3, Float64Array.from([5000, 1, 1, 0, 0]))?.u.option.instanceType.name, 'large', 'only a type that holds the largest pod');
    assert.equal(table.best(3000, 3, 3, Float64Array.from([9000, 1, 1, 0, 0])), undefined, 'no type holds the largest pod');
  });

  it('cheapestHolding finds the cheapest type whose room holds a bin, in every resource', () => {
    const table = new TypeTable([usable('a', 1, [2000, 4, 10, 1, 0]), usable('b', 2, [4000, 8, 10, 1, 1]), usable('c', 3, [8000, 16, 10, 1, 1])]);
    assert.equal(table.cheapestHolding(Float64Array.from([1500, 2, 3, 0, 0])), 1);
    assert.equal(table.cheapestHolding(Float64Array.from([1500, 2, 3, 0, 1])), 2, 'the extended resource counts here');
    assert.equal(table.cheapestHolding(Float64Array.from([9000, 2, 3, 0, 0])), Infinity);
  });
});
