/**
 * nodeEntries carries each node's entry and machine position from its last call for the very same
 * node and views: whatever happened to the lists in between (views changed, added, dropped, moved,
 * several views or nodes of one name), every entry must be the one a look-up from scratch gives,
 * with the requests of the last view of the node's name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SolverNode } from '../../scheduling/types.js';
import type { StateNode } from '../../state/state-node.js';
import { pod, solverNode } from '../../test/builders.js';
import { movableTerms, nodeEntries, nodeEntry } from './simulation-base-reuse.js';

/** What a step does to a list: keep the next item, drop it, put a new one of this name before it, or move it to the end. */
type Op = { kind: 'keep' } | { kind: 'drop' } | { kind: 'new'; name: string } | { kind: 'move' };

const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'keep' as const }), weight: 6 },
  { arbitrary: fc.constant({ kind: 'drop' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('new' as const), name }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'move' as const }), weight: 1 },
);
const step = fc.record({ machines: fc.array(op, { maxLength: 12 }), nodes: fc.array(op, { maxLength: 12 }) });

/** The list after the ops, applied from its start (items past the ops are kept). */
function apply<T>(list: readonly T[], ops: readonly Op[], make: (name: string) => T): T[] {
  const out: T[] = [];
  const moved: T[] = [];
  let i = 0;
  for (const o of ops) {
    if (o.kind === 'new') {
      out.push(make(o.name));
      continue;
    }
    if (i >= list.length) continue;
    const item = list[i++]!;
    if (o.kind === 'keep') out.push(item);
    else if (o.kind === 'move') moved.push(item);
  }
  return [...out, ...list.slice(i), ...moved];
}

describe('node entries carried by identity', () => {
  it('gives every node the entry of the last view of its name, as a look-up from scratch does', () => {
    const selectors = movableTerms([]).selectors;
    let cpu = 0;
    const view = (n: string): StateNode => ({ name: n, requested: { cpu: ++cpu % 7 === 0 ? 100 : cpu } }) as unknown as StateNode;
    const node = (n: string): SolverNode => solverNode(n, { bound: [pod({ cpu: '1' })] });
    fc.assert(
      fc.property(fc.array(name, { maxLength: 8 }), fc.array(name, { maxLength: 8 }), fc.array(step, { minLength: 1, maxLength: 8 }), (m0, n0, steps) => {
        let machines = m0.map(view);
        let nodes = n0.map(node);
        for (const s of [{ machines: [], nodes: [] }, ...steps]) {
          machines = apply(machines, s.machines, view);
          nodes = apply(nodes, s.nodes, node);
          const entries = nodeEntries(machines, nodes, selectors);
          assert.equal(entries.length, nodes.length);
          nodes.forEach((n, i) => {
            const requested = machines.findLast((m) => m.name === n.name)?.requested;
            assert.equal(entries[i]!.requested, requested);
            assert.equal(entries[i], nodeEntry(n, requested, selectors));
          });
        }
      }),
      { numRuns: 400 },
    );
  });
});
