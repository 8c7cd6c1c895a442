import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SolverNode } from '../../scheduling/types.js';
import type { StateNode } from '../../state/state-node.js';
import { RoundNames } from './round-names.js';

/** The map a scan of every state node's names gives (what RoundNames must answer). */
function scanned(stateNodes: readonly StateNode[], wanted: readonly string[]): Map<string, StateNode> {
  const lookedUp = new Set(wanted);
  const names = new Set<string>();
  for (const sn of stateNodes) {
    const { nodeName, nodeClaimName } = sn;
    if (!(nodeName !== undefined && lookedUp.has(nodeName)) && !(nodeClaimName !== undefined && lookedUp.has(nodeClaimName))) continue;
    if (nodeName !== undefined) names.add(nodeName);
    if (nodeClaimName !== undefined) names.add(nodeClaimName);
  }
  const byName = new Map<string, StateNode>();
  for (const sn of stateNodes) {
    if (sn.nodeName !== undefined && names.has(sn.nodeName)) byName.set(sn.nodeName, sn);
    if (sn.nodeClaimName !== undefined && names.has(sn.nodeClaimName)) byName.set(sn.nodeClaimName, sn);
  }
  return byName;
}

// Names from a small pool, so machines share names (a Node named like another machine's claim).
const nameArb = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { nil: undefined });
const viewArb = fc.record({ nodeName: nameArb, nodeClaimName: nameArb })
  .filter((v) => v.nodeName !== undefined || v.nodeClaimName !== undefined)
  .map((v) => ({ ...v, name: v.nodeName ?? v.nodeClaimName! }) as unknown as StateNode);
/** A round's lists from the last: each entry keeps the next view, drops it, or puts a new one in. */
const stepArb = fc.record({
  edits: fc.array(fc.oneof(fc.constant('keep' as const), fc.constant('drop' as const), viewArb), { maxLength: 16 }),
  wanted: fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'z'), { maxLength: 4 }),
});

describe('RoundNames', () => {
  it('answers every round as a scan of all names, with names carried from the last round', () => {
    fc.assert(fc.property(fc.array(viewArb, { maxLength: 12 }), fc.array(stepArb, { minLength: 1, maxLength: 6 }), (first, steps) => {
      const names = new RoundNames();
      const solverOf = new Map<StateNode, SolverNode>();
      let views = first;
      for (const { edits, wanted } of steps) {
        const next: StateNode[] = [];
        let at = 0;
        for (const e of edits) {
          if (e === 'drop') at++;
          else if (e === 'keep') { if (at < views.length) next.push(views[at++]!); }
          else next.push(e);
        }
        views = [...next, ...views.slice(at)];
        // Solver nodes: one per view, the same object while the view is, but for every third.
        const solver = views.map((v, i) => {
          let s = solverOf.get(v);
          if (s === undefined || i % 3 === 0) solverOf.set(v, (s = { name: v.name } as SolverNode));
          return s;
        });
        const { byName, solverNamed } = names.named(views, solver, wanted);
        assert.deepEqual([...byName].sort(), [...scanned(views, wanted)].sort());
        for (const [k, v] of byName) assert.equal(v, scanned(views, wanted).get(k), 'the same view object');
        solver.forEach((s, k) => assert.equal(solverNamed(k), byName.has(s.name), `solver node ${s.name}`));
      }
    }), { numRuns: 400 });
  });
});
