import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LoggedDecision, LoggedKind } from '../result.js';
import { compactDecisions, subjectOf, weightOf } from './compact.js';

const entry = (t: number, kind: LoggedKind, why: string, subject: { pods?: string[]; nodes?: string[]; nodePool?: string }): LoggedDecision =>
  ({ t, strategy: 'nodewright', kind, summary: `${kind} ${JSON.stringify(subject)}`, details: { why, alternativesRejected: [], ...subject } });

const pending = (t: number, pod: string, why = 'nodepool default would exceed its limits') => entry(t, 'unschedulable', why, { pods: [pod] });
const blocked = (t: number, node: string, why = 'PodDisruptionBudget default/web allows no disruption') => entry(t, 'disruption-blocked', why, { nodes: [node] });

describe('compactDecisions', () => {
  it('folds identical consecutive records of one pod, keeping the first time, the last time and the count', () => {
    const out = compactDecisions([pending(10, 'a/x'), pending(20, 'a/y'), pending(30, 'a/x'), pending(40, 'a/x')]);
    assert.equal(out.length, 2);
    assert.deepEqual({ t: out[0]!.t, repeats: out[0]!.repeats }, { t: 10, repeats: { count: 3, lastT: 40 } });
    assert.equal(out[1]!.repeats, undefined, 'a record seen once has no repeats');
  });

  it('keeps a new entry when the reason changes, and folds again when it comes back after it', () => {
    const out = compactDecisions([blocked(0, 'n1'), blocked(10, 'n1', 'budget'), blocked(20, 'n1'), blocked(30, 'n1')]);
    assert.deepEqual(out.map((d) => [d.t, d.details.why, d.repeats?.count ?? 1]), [[0, 'PodDisruptionBudget default/web allows no disruption', 1], [10, 'budget', 1], [20, 'PodDisruptionBudget default/web allows no disruption', 2]]);
  });

  it('never folds actions, nor records of different kinds, nodes or pools', () => {
    const provision = entry(5, 'provision', 'launched', { pods: ['a/x'] });
    const input = [pending(0, 'a/x'), provision, { ...provision, t: 6 }, pending(7, 'a/x'), blocked(8, 'n1'), blocked(9, 'n2'),
      entry(10, 'disruption-blocked', 'budget used up', { nodePool: 'p1' }), entry(11, 'disruption-blocked', 'budget used up', { nodePool: 'p2' })];
    const out = compactDecisions(input);
    assert.equal(out.length, input.length - 1);
    assert.deepEqual(out.filter((d) => d.kind === 'provision').map((d) => d.t), [5, 6]);
    assert.deepEqual(out[0]!.repeats, { count: 2, lastT: 7 }, 'the pod\'s records fold across the actions between them');
  });

  it('bounds a subject whose reason keeps changing: the first and the latest entries, the rest counted', () => {
    const input = Array.from({ length: 100 }, (_, i) => pending(i, 'a/x', `cpu: ${i % 7} left`));
    const out = compactDecisions(input, 4);
    assert.equal(out.length, 4);
    assert.equal(out[0]!.t, 0);
    assert.deepEqual(out.slice(1).map((d) => d.t), [97, 98, 99]);
    assert.equal(out[1]!.omittedBefore, 96);
    assert.equal(out.reduce((n, d) => n + weightOf(d), 0), 100);
  });

  it('keeps a 24 h log of flapping reasons for a thousand pods small', () => {
    const input: LoggedDecision[] = [];
    for (let t = 0; t < 24 * 60; t += 10) for (let p = 0; p < 1000; p += 1) input.push(pending(t * 60, `a/p${p}`, `cpu: ${(t / 10) % 3} left`));
    const out = compactDecisions(input);
    assert.equal(out.length, 1000 * 6);
    assert.ok(JSON.stringify(out).length < 4_000_000, 'a few MB, not hundreds');
  });

  it('rejects a bound below 2', () => {
    assert.throws(() => compactDecisions([], 1), RangeError);
  });

  it('folds records whose content is equal as JSON: costs NaN and absent, 0 and -0, equal rejected lists; not [] and absent', () => {
    const cost = (before: number | undefined, after: number | undefined, rejected?: string[]) => {
      const d = blocked(0, 'n1');
      return { ...d, details: { ...d.details, costPerHourBefore: before, costPerHourAfter: after, alternativesRejected: rejected as string[] } };
    };
    const counts = (input: LoggedDecision[]) => compactDecisions(input.map((d, i) => ({ ...d, t: i }))).map((d) => d.repeats?.count ?? 1);
    assert.deepEqual(counts([cost(Number.NaN, 0), cost(undefined, -0), cost(Number.POSITIVE_INFINITY, 0)]), [3]);
    assert.deepEqual(counts([cost(1, 2), cost(1, 2.5), cost(1, 2.5)]), [1, 2]);
    assert.deepEqual(counts([cost(1, 2, ['a', 'b']), cost(1, 2, ['a', 'b']), cost(1, 2, ['a']), cost(1, 2, ['a', 'c'])]), [2, 1, 1]);
    assert.deepEqual(counts([cost(1, 2, []), cost(1, 2, undefined), cost(1, 2, undefined)]), [1, 2]);
  });

  it('keeps, per subject, its first and last records and its count of records, and is idempotent (property)', () => {
    const record = fc.record({
      dt: fc.integer({ min: 0, max: 5 }),
      kind: fc.constantFrom<LoggedKind>('unschedulable', 'disruption-blocked', 'launch-failed', 'provision', 'expire'),
      who: fc.constantFrom('a', 'b', 'c'),
      why: fc.constantFrom('r1', 'r2', 'r3'),
    });
    fc.assert(fc.property(fc.array(record, { maxLength: 60 }), fc.integer({ min: 2, max: 5 }), (records, max) => {
      let t = 0;
      const input = records.map((r) => {
        t += r.dt;
        return entry(t, r.kind, r.why, r.kind === 'unschedulable' ? { pods: [`ns/${r.who}`] } : { nodes: [r.who] });
      });
      const out = compactDecisions(input, max);
      assert.deepEqual(compactDecisions(out, max), out, 'idempotent');
      const actions = (list: readonly LoggedDecision[]) => list.filter((d) => d.kind === 'provision' || d.kind === 'expire');
      assert.deepEqual(actions(out), actions(input));
      assert.deepEqual(out.map((d) => d.t), [...out.map((d) => d.t)].sort((a, b) => a - b), 'still ordered by time');
      const subjects = new Set(input.filter((d) => !actions([d]).length).map(subjectOf));
      for (const s of subjects) {
        const ins = input.filter((d) => subjectOf(d) === s);
        const outs = out.filter((d) => subjectOf(d) === s);
        assert.ok(outs.length <= max);
        assert.equal(outs[0]!.t, ins[0]!.t);
        assert.equal(outs.at(-1)!.repeats?.lastT ?? outs.at(-1)!.t, ins.at(-1)!.t);
        assert.equal(outs.at(-1)!.details.why, ins.at(-1)!.details.why);
        assert.equal(outs.reduce((n, d) => n + weightOf(d), 0), ins.length);
        for (let i = 1; i < outs.length; i++) {
          assert.ok(outs[i]!.details.why !== outs[i - 1]!.details.why || (outs[i]!.omittedBefore ?? 0) > 0, 'no two folding neighbours left');
        }
      }
    }), { numRuns: 300 });
  });
});
