import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Requirement, RequirementError, Requirements } from './requirements.js';

const never = () => false;

describe('Requirement', () => {
  it('builds every operator, Gte/Lte as shifted bounds', () => {
    assert.equal(Requirement.fromSelector('k', 'In', ['a', 'b']).operator(), 'In');
    assert.equal(Requirement.fromSelector('k', 'NotIn', ['a']).operator(), 'NotIn');
    assert.equal(Requirement.fromSelector('k', 'Exists', []).operator(), 'Exists');
    assert.equal(Requirement.fromSelector('k', 'DoesNotExist', undefined).operator(), 'DoesNotExist');
    const gte = Requirement.fromSelector('k', 'Gte', ['4']);
    assert.equal(gte.has('4'), true);
    assert.equal(gte.has('3'), false);
    const lte = Requirement.fromSelector('k', 'Lte', ['4']);
    assert.equal(lte.has('4'), true);
    assert.equal(lte.has('5'), false);
    assert.equal(Requirement.fromSelector('k', 'Gt', ['4']).has('4'), false);
    assert.equal(Requirement.fromSelector('k', 'Lt', ['4']).has('3'), true);
    assert.equal(Requirement.fromSelector('k', 'Gt', ['4']).has('x'), false, 'non-integers never satisfy bounds');
  });

  it('rejects bad selectors with the key named', () => {
    assert.throws(() => Requirement.fromSelector('k', 'Like', ['a']), RequirementError);
    assert.throws(() => Requirement.fromSelector('k', 'In', []), /k: operator In needs at least one value/);
    assert.throws(() => Requirement.fromSelector('k', 'Gt', ['1', '2']), /exactly one value/);
    assert.throws(() => Requirement.fromSelector('k', 'Gt', ['1.5']), /integer/);
    assert.throws(() => Requirement.fromSelector('k', 'Exists', ['a']), /takes no values/);
  });

  it('intersects sets, complements and bounds', () => {
    const inAB = Requirement.in('k', ['a', 'b']);
    const notA = Requirement.fromSelector('k', 'NotIn', ['a']);
    assert.deepEqual([...inAB.intersect(notA).values], ['b']);
    assert.equal(inAB.intersect(notA).operator(), 'In');
    assert.equal(notA.intersect(Requirement.fromSelector('k', 'NotIn', ['b'])).operator(), 'NotIn');
    assert.equal(Requirement.exists('k').intersect(Requirement.doesNotExist('k')).isEmpty(), true);
    const range = Requirement.fromSelector('k', 'Gt', ['2']).intersect(Requirement.fromSelector('k', 'Lt', ['5']));
    assert.equal(range.size, 2);
    assert.equal(range.has('3') && range.has('4') && !range.has('5') && !range.has('2'), true);
    assert.equal(Requirement.fromSelector('k', 'Gt', ['4']).intersect(Requirement.fromSelector('k', 'Lt', ['5'])).isEmpty(), true);
    const nums = Requirement.in('k', ['1', '8', '16']).intersect(Requirement.fromSelector('k', 'Gt', ['4']));
    assert.deepEqual([...nums.values].sort(), ['16', '8']);
    assert.equal(Requirement.in('k', ['b', 'a']).any(), 'a');
    assert.equal(Requirement.fromSelector('k', 'Gt', ['4']).any(), '5');
  });

  it('intersection allows exactly what both allow (property)', () => {
    const value = fc.constantFrom('a', 'b', 'c', '1', '3', '7', '12');
    const req = fc.oneof(
      fc.array(value, { minLength: 1, maxLength: 4 }).map((v) => Requirement.fromSelector('k', 'In', v)),
      fc.array(value, { maxLength: 4 }).map((v) => Requirement.fromSelector('k', 'NotIn', v)),
      fc.constant(Requirement.exists('k')),
      fc.constant(Requirement.doesNotExist('k')),
      fc.integer({ min: 0, max: 10 }).map((n) => Requirement.fromSelector('k', 'Gt', [String(n)])),
      fc.integer({ min: 0, max: 10 }).map((n) => Requirement.fromSelector('k', 'Lt', [String(n)])),
    );
    fc.assert(fc.property(req, req, value, (a, b, v) => {
      const ab = a.intersect(b);
      assert.equal(ab.has(v), a.has(v) && b.has(v));
      assert.equal(b.intersect(a).has(v), ab.has(v));
      assert.equal(a.overlaps(b), !ab.isEmpty(), 'overlaps says whether the intersection allows anything');
    }));
  });
});

describe('Requirements', () => {
  const pool = new Requirements([
    Requirement.in('karpenter.sh/capacity-type', ['spot', 'on-demand']),
    Requirement.in('team', ['a']),
  ]);

  it('accepts undefined well-known keys and NotIn on unknown keys, rejects other unknown keys', () => {
    const wellKnown = (k: string) => k === 'topology.kubernetes.io/zone';
    assert.equal(pool.compatible(new Requirements([Requirement.in('topology.kubernetes.io/zone', ['z1'])]), wellKnown), undefined);
    assert.equal(pool.compatible(new Requirements([Requirement.fromSelector('gpu', 'NotIn', ['true'])]), never), undefined);
    assert.equal(pool.compatible(new Requirements([Requirement.doesNotExist('gpu')]), never), undefined);
    assert.match(pool.compatible(new Requirements([Requirement.in('gpu', ['true'])]), never) ?? '', /label gpu is not provided/);
  });

  it('rejects conflicting values but not two negative requirements', () => {
    assert.match(pool.compatible(new Requirements([Requirement.in('team', ['b'])]), never) ?? '', /team In \[b\] conflicts with team In \[a\]/);
    const neg = new Requirements([Requirement.doesNotExist('x')]);
    assert.equal(neg.compatible(new Requirements([Requirement.fromSelector('x', 'NotIn', ['y'])]), never), undefined);
  });

  it('narrows on add and keeps clones independent', () => {
    const a = pool.clone();
    a.add(Requirement.in('karpenter.sh/capacity-type', ['spot']));
    assert.deepEqual(a.singleValuedLabels(), { 'karpenter.sh/capacity-type': 'spot', team: 'a' });
    assert.deepEqual(pool.singleValuedLabels(), { team: 'a' });
  });

  it('matches node labels', () => {
    const r = new Requirements([Requirement.in('zone', ['z1']), Requirement.fromSelector('gpu', 'NotIn', ['true']), Requirement.doesNotExist('old')]);
    assert.equal(r.matchesLabels({ zone: 'z1' }), undefined);
    assert.match(r.matchesLabels({ zone: 'z2' }) ?? '', /zone=z2/);
    assert.match(r.matchesLabels({}) ?? '', /no label zone/);
    assert.match(r.matchesLabels({ zone: 'z1', old: 'x' }) ?? '', /old/);
    assert.match(new Requirements([Requirement.exists('e')]).matchesLabels({}) ?? '', /no label e/);
  });

  it('round-trips to selector requirements', () => {
    const r = new Requirements([Requirement.fromSelector('n', 'Gt', ['2']), Requirement.in('z', ['b', 'a'], 2)]);
    assert.deepEqual(r.toSelectorRequirements(), [
      { key: 'n', operator: 'Gt', values: ['2'] },
      { key: 'z', operator: 'In', values: ['a', 'b'], minValues: 2 },
    ]);
  });
});
