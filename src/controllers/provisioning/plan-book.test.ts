import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pod } from '../../test/builders.js';
import { PlanBook } from './plan-book.js';

describe('PlanBook', () => {
  it('plans pods onto targets, moves a re-planned pod, and tells listeners', () => {
    const book = new PlanBook();
    const told: string[] = [];
    const off = book.onPlanned((t) => told.push(t));
    const a = pod({ name: 'a' });
    const b = pod({ name: 'b' });
    book.plan([a, b], 'claim-1', 5);
    assert.deepEqual(book.of('default/a'), { pod: 'default/a', uid: 'uid-a', target: 'claim-1', plannedAt: 5 });
    book.plan([a], 'claim-2', 6);
    assert.deepEqual(book.onTarget('claim-1').map((e) => e.pod), ['default/b']);
    assert.deepEqual(book.onTarget('claim-2').map((e) => e.pod), ['default/a']);
    assert.deepEqual(told, ['claim-1', 'claim-2']);
    off();
    book.plan([b], 'claim-3', 7);
    assert.equal(told.length, 2);
    assert.deepEqual(book.targets().sort(), ['claim-2', 'claim-3']);
  });

  it('forgets a target with its reservation and returns its pods', () => {
    const book = new PlanBook();
    book.plan([pod({ name: 'a' }), pod({ name: 'b' })], 'c', 0);
    book.reserveDaemonOverhead('c', { cpu: 100 });
    assert.deepEqual(book.daemonOverhead('c'), { cpu: 100 });
    assert.deepEqual(book.forgetTarget('c').sort(), ['default/a', 'default/b']);
    assert.equal(book.size, 0);
    assert.equal(book.daemonOverhead('c'), undefined);
    assert.deepEqual(book.targets(), []);
  });

  it('keeps each pod on at most one target whatever the sequence of plans and forgets', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('plan' as const), pods: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), target: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ t: fc.constant('forget' as const), pod: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ t: fc.constant('forgetTarget' as const), target: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const book = new PlanBook();
      const model = new Map<string, string>();
      for (const o of ops) {
        if (o.t === 'plan') {
          book.plan(o.pods.map((i) => pod({ name: `p${i}` })), `c${o.target}`, 0);
          for (const i of o.pods) model.set(`default/p${i}`, `c${o.target}`);
        } else if (o.t === 'forget') {
          book.forget(`default/p${o.pod}`);
          model.delete(`default/p${o.pod}`);
        } else {
          book.forgetTarget(`c${o.target}`);
          for (const [k, v] of model) if (v === `c${o.target}`) model.delete(k);
        }
      }
      assert.equal(book.size, model.size);
      let onTargets = 0;
      for (let t = 0; t <= 3; t++) assert.equal(book.plannedOnto(`c${t}`), book.onTarget(`c${t}`).length);
      for (const target of book.targets()) {
        for (const e of book.onTarget(target)) {
          onTargets++;
          assert.equal(model.get(e.pod), target);
          assert.equal(book.of(e.pod)?.target, target);
        }
      }
      assert.equal(onTargets, model.size);
    }));
  });
});
