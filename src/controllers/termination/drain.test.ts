import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../../apis/core.js';
import { DO_NOT_DISRUPT_ANNOTATION } from '../../apis/labels.js';
import { pod } from '../../test/builders.js';
import { formatKubeTime } from '../../utils/clock.js';
import { drainTier, isWaitedFor, planDrain, STUCK_TERMINATING_MS } from './drain.js';

const T0 = Date.UTC(2024, 0, 1);

interface Spec {
  critical: boolean;
  daemon: boolean;
  dnd: boolean;
  terminatingFor?: number; // ms since deletion started (deletionTimestamp = start + grace)
  phase: 'Running' | 'Succeeded';
  grace: number;
}

function make(i: number, s: Spec): Pod {
  const p = pod({ name: `p${i}`, ownerKind: s.daemon ? 'DaemonSet' : undefined, annotations: s.dnd ? { [DO_NOT_DISRUPT_ANNOTATION]: 'true' } : undefined });
  p.spec.nodeName = 'n1';
  p.spec.terminationGracePeriodSeconds = s.grace;
  if (s.critical) p.spec.priorityClassName = 'system-node-critical';
  p.status = { phase: s.phase };
  if (s.terminatingFor !== undefined) p.metadata.deletionTimestamp = formatKubeTime(T0 - s.terminatingFor + s.grace * 1000);
  return p;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  critical: fc.boolean(),
  daemon: fc.boolean(),
  dnd: fc.boolean(),
  terminatingFor: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
  phase: fc.constantFrom('Running' as const, 'Running' as const, 'Succeeded' as const),
  grace: fc.integer({ min: 0, max: 120 }),
});

describe('drainTier', () => {
  it('orders non-critical, daemon, critical, critical daemon', () => {
    const tier = (critical: boolean, daemon: boolean) => drainTier(make(0, { critical, daemon, dnd: false, phase: 'Running', grace: 30 }));
    assert.deepEqual([tier(false, false), tier(false, true), tier(true, false), tier(true, true)], [0, 1, 2, 3]);
  });
});

describe('planDrain', () => {
  it('evicts only the first tier present, skipping do-not-disrupt pods, which do not hold the tiers behind', () => {
    const pods = [
      make(1, { critical: false, daemon: false, dnd: true, phase: 'Running', grace: 30 }),
      make(2, { critical: false, daemon: true, dnd: false, phase: 'Running', grace: 30 }),
      make(3, { critical: true, daemon: false, dnd: false, phase: 'Running', grace: 30 }),
    ];
    const plan = planDrain(pods, T0);
    assert.deepEqual(plan.evict.map((p) => p.metadata.name), ['p2']);
    assert.equal(plan.tier, 1);
    assert.deepEqual(plan.heldByDoNotDisrupt.map((p) => p.metadata.name), ['p1']);
    assert.equal(plan.drained, false);
    assert.equal(plan.nextChangeAt, undefined);
  });

  it('waits for a terminating pod of an earlier tier before evicting the next', () => {
    const pods = [
      make(1, { critical: false, daemon: false, dnd: false, terminatingFor: 1000, phase: 'Running', grace: 30 }),
      make(2, { critical: false, daemon: true, dnd: false, phase: 'Running', grace: 30 }),
    ];
    assert.deepEqual(planDrain(pods, T0).evict, []);
  });

  it('before the deadline deletes each pod just in time for its grace period to end by it', () => {
    const pods = [
      make(1, { critical: false, daemon: false, dnd: true, phase: 'Running', grace: 30 }),
      make(2, { critical: false, daemon: false, dnd: true, phase: 'Running', grace: 120 }),
    ];
    const deadline = T0 + 100_000;
    const early = planDrain(pods, T0, deadline);
    assert.deepEqual(early.delete.map((d) => [d.pod.metadata.name, d.gracePeriodSeconds]), [['p2', 100]]);
    assert.equal(early.nextChangeAt, T0 + 70_000, 'p1 is due at deadline - 30 s');
    const later = planDrain(pods, T0 + 70_000, deadline);
    assert.deepEqual(later.delete.map((d) => [d.pod.metadata.name, d.gracePeriodSeconds]), [['p1', 30], ['p2', 30]]);
    const past = planDrain(pods, deadline + 1, deadline);
    assert.ok(past.drained);
    assert.deepEqual(past.delete.map((d) => d.gracePeriodSeconds), [0, 0]);
  });

  it('does not wait for finished, static, tolerating or stuck pods', () => {
    const done = make(1, { critical: false, daemon: false, dnd: false, phase: 'Succeeded', grace: 30 });
    const mirror = pod({ name: 'static', ownerKind: 'Node' });
    const tolerant = pod({ name: 'tolerant', tolerations: [{ key: 'karpenter.sh/disrupted', operator: 'Exists', effect: 'NoSchedule' }] });
    const stuck = make(2, { critical: false, daemon: false, dnd: false, terminatingFor: 30_000 + STUCK_TERMINATING_MS + 1000, phase: 'Running', grace: 30 });
    for (const p of [done, mirror, tolerant, stuck]) assert.equal(isWaitedFor(p, T0), false, p.metadata.name);
    assert.ok(planDrain([done, mirror, tolerant, stuck], T0).drained);
  });

  it('properties: one tier at a time, never a do-not-disrupt pod, deletions only with a deadline and never past it', () => {
    fc.assert(fc.property(fc.array(spec, { maxLength: 12 }), fc.option(fc.integer({ min: -60_000, max: 300_000 }), { nil: undefined }), (specs, offset) => {
      const pods = specs.map((s, i) => make(i, s));
      const deadline = offset === undefined ? undefined : T0 + offset;
      const plan = planDrain(pods, T0, deadline);
      const waiting = new Set(plan.waiting);
      for (const p of plan.evict) {
        assert.ok(waiting.has(p) && !p.metadata.deletionTimestamp && !p.metadata.annotations?.[DO_NOT_DISRUPT_ANNOTATION]);
        assert.equal(drainTier(p), plan.tier);
      }
      // Nothing still in the way (other than held pods) sits in an earlier tier than the one evicted.
      if (plan.tier !== undefined) {
        for (const p of plan.waiting) if (!plan.heldByDoNotDisrupt.includes(p)) assert.ok(drainTier(p) >= plan.tier);
      }
      if (deadline === undefined) assert.equal(plan.delete.length, 0);
      for (const d of plan.delete) {
        assert.ok(waiting.has(d.pod));
        assert.ok(T0 + d.gracePeriodSeconds * 1000 <= Math.max(T0, deadline!), 'ends by the deadline');
        assert.ok(!plan.evict.includes(d.pod));
      }
      assert.equal(plan.drained, plan.waiting.length === 0 || (deadline !== undefined && T0 >= deadline));
    }), { numRuns: 300 });
  });
});
