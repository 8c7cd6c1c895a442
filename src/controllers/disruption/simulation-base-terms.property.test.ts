/**
 * movableTerms carries each lasting list's terms from its last call for the very same list: over
 * calls whose lists are reordered, dropped, repeated or replaced by new lists of other pods, every
 * answer must be what reading every pod afresh gives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from '../../apis/core.js';
import { pod } from '../../test/builders.js';
import { movableTerms } from './simulation-base-reuse.js';

const KEYS = ['topology.kubernetes.io/zone', 'kubernetes.io/hostname', 'custom'];
const APPS = ['a', 'b', 'c', 'd'];

/** A pod spreading over key k for app a, or (k < 0) one without terms. */
const template = fc.record({ key: fc.integer({ min: -1, max: KEYS.length - 1 }), app: fc.constantFrom(...APPS) });
const podOf = ({ key, app }: { key: number; app: string }): Pod => key < 0
  ? pod()
  : pod({ spread: [{ maxSkew: 1, topologyKey: KEYS[key]!, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } }] });
const listGen = fc.array(template, { maxLength: 4 });

/** One call: lists of the pool by place (repeats allowed), after replacing some pool lists with new ones. */
const call = fc.record({
  replace: fc.array(fc.record({ at: fc.nat(5), list: listGen }), { maxLength: 2 }),
  picks: fc.array(fc.nat(5), { maxLength: 10 }),
  fresh: listGen,
});

/** What reading every pod gives: the keys first seen in order, whether any spreads, the apps selected. */
function fromScratch(lists: readonly (readonly Pod[])[]): { keys: string[]; topology: boolean; apps: string[] } {
  const keys = new Set<string>();
  const apps = new Set<string>();
  for (const list of lists) {
    for (const p of list) {
      for (const c of p.spec.topologySpreadConstraints ?? []) {
        keys.add(c.topologyKey);
        apps.add(c.labelSelector!.matchLabels!.app!);
      }
    }
  }
  return { keys: [...keys], topology: keys.size > 0, apps: APPS.filter((a) => apps.has(a)) };
}

describe('movable terms carried by list', () => {
  it('answer as reading every pod of the lists afresh does, whatever the lists did in between', () => {
    fc.assert(fc.property(fc.array(listGen, { minLength: 6, maxLength: 6 }), fc.array(call, { minLength: 1, maxLength: 8 }), (pool0, calls) => {
      const pool = pool0.map((l) => l.map(podOf));
      for (const c of calls) {
        for (const r of c.replace) pool[r.at] = r.list.map(podOf);
        const lasting = c.picks.map((i) => pool[i]!);
        const fresh = c.fresh.map(podOf);
        const got = movableTerms(lasting, fresh);
        const expected = fromScratch([...lasting, fresh]);
        assert.deepEqual(got.keys, expected.keys);
        assert.equal(got.topology, expected.topology);
        assert.deepEqual(APPS.filter((app) => got.selectors.matchesAny({ app })), expected.apps);
      }
    }), { numRuns: 300 });
  });
});
