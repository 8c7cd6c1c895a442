import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ZONE_LABEL } from '../apis/labels.js';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { nodePool } from '../test/builders.js';
import { compileNodePool, preparePool, registerPoolResources } from './node-pool-template.js';
import { OfferingIndex } from './offering-index.js';
import { poolStats, typeDomains } from './pool-stats.js';
import { Requirement } from './requirements.js';
import { ResourceSpace } from './resource-space.js';

function kwokPool() {
  const input = { nodePool: nodePool(), instanceTypes: kwokCatalog() };
  const space = new ResourceSpace();
  registerPoolResources([input], space);
  const prepared = preparePool(input, [], space);
  space.freeze();
  return { space, pool: compileNodePool(prepared, space, space.names.join(',')) };
}

describe('OfferingIndex with a size filter (holding)', () => {
  const { space, pool } = kwokPool();
  const rows = poolStats(pool).allocatable;
  const zones = typeDomains(pool, ZONE_LABEL);

  it('picks exactly what filtering the types first would, for all the pool types or a subset', () => {
    fc.assert(fc.property(
      fc.nat({ max: 64_000 }), fc.nat({ max: 256 }), fc.subarray([...zones], { minLength: 1 }),
      fc.boolean(), fc.integer({ min: 1, max: 80 }), fc.nat(),
      (cpu, memGi, zs, every, limit, seed) => {
        const index = new OfferingIndex();
        const reqs = pool.requirements.clone().add(Requirement.in(ZONE_LABEL, zs));
        const types = every ? pool.instanceTypes : pool.instanceTypes.filter((t) => (t.index * 7 + seed) % 3 !== 0);
        const need = space.vector({ cpu: cpu, memory: memGi * 2 ** 30, pods: 1 });
        const holding = { rows, need };
        const filtered = types.filter((t) => t.allocatable.every((a, d) => a >= need[d]!));
        const names = (xs: readonly { instanceType: { name: string } }[]) => xs.map((o) => o.instanceType.name);
        assert.deepEqual(names(index.options(pool, reqs, types, limit, holding)), names(index.options(pool, reqs, filtered, limit)));
        assert.equal(index.cheapest(pool, reqs, types, holding)?.instanceType.name, index.cheapest(pool, reqs, filtered)?.instanceType.name);
      },
    ), { numRuns: 150 });
  });

  it('finds nothing when no type holds the requests', () => {
    const index = new OfferingIndex();
    const holding = { rows, need: space.vector({ cpu: 10_000_000 }) };
    assert.deepEqual(index.options(pool, pool.requirements, pool.instanceTypes, Infinity, holding), []);
    assert.equal(index.cheapest(pool, pool.requirements, pool.instanceTypes, holding), undefined);
  });
});

describe('typeDomains', () => {
  it('lists each zone of the catalogue once, in first-seen order, the same array on every call', () => {
    const { pool } = kwokPool();
    const zones = typeDomains(pool, ZONE_LABEL);
    const seen: string[] = [];
    for (const t of pool.instanceTypes) for (const v of t.requirements.get(ZONE_LABEL)?.values ?? []) if (!seen.includes(v)) seen.push(v);
    assert.deepEqual(zones, seen);
    assert.ok(zones.length > 1);
    assert.equal(typeDomains(pool, ZONE_LABEL), zones);
    assert.deepEqual(typeDomains(pool, 'no-such-label'), []);
  });
});
