import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../apis/core.js';
import { pod } from '../test/builders.js';
import { podListTopology } from './pod-list-topology.js';

/** Pods grouped by namespace and labels, counted, in first-seen order: what classes must hold. */
function reference(pods: readonly Pod[]): { namespace: string; labels: Record<string, string>; count: number }[] {
  const out: { namespace: string; labels: Record<string, string>; count: number }[] = [];
  for (const p of pods) {
    const namespace = p.metadata.namespace ?? 'default';
    const labels = p.metadata.labels ?? {};
    const c = out.find((o) => o.namespace === namespace && JSON.stringify(o.labels) === JSON.stringify(labels));
    if (c) c.count++;
    else out.push({ namespace, labels, count: 1 });
  }
  return out;
}

describe('podListTopology', () => {
  it('groups a list by namespace and labels, also for new lists of pods already seen in others', () => {
    const podGen = fc.record({
      namespace: fc.constantFrom('a', 'b', undefined),
      labels: fc.option(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('x', 'y')), { nil: undefined }),
    });
    fc.assert(fc.property(fc.array(podGen, { minLength: 1, maxLength: 12 }), fc.array(fc.array(fc.nat(), { maxLength: 12 }), { maxLength: 5 }), (gens, picks) => {
      const pods = gens.map((g, i) => {
        const p = pod({ name: `p${i}`, labels: g.labels });
        if (g.namespace === undefined) delete p.metadata.namespace;
        else p.metadata.namespace = g.namespace;
        return p;
      });
      // The whole list, then lists sharing its pod objects in other orders and numbers.
      for (const list of [pods, ...picks.map((pick) => pick.map((k) => pods[k % pods.length]!))]) {
        assert.deepEqual(podListTopology(list).classes, reference(list));
      }
    }));
  });
});
