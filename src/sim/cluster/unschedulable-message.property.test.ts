import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import { node, pod } from '../../test/builders.js';
import { NodeLedger } from './node-ledger.js';
import { applyLedgerOp, placedEarlier, type LedgerOp, type LedgerWorld } from './fixtures.js';
import { UnschedulableMessages, unschedulableMessage } from './unschedulable-message.js';

const ZONE = 'topology.kubernetes.io/zone';

interface NodeGen { zone: string; cpu: number; ready: boolean; cordoned: boolean; taint: 'none' | 'gpu' | 'spot' }
interface ShapeGen { milli: number; zone: string | undefined; tolerates: boolean }

const nodeGen = fc.record({
  zone: fc.constantFrom('a', 'b'),
  cpu: fc.integer({ min: 1, max: 4 }),
  ready: fc.constantFrom(true, true, true, false),
  cordoned: fc.constantFrom(false, false, false, true),
  taint: fc.constantFrom('none', 'gpu', 'gpu', 'spot'),
});
const shapeGen = fc.record({
  // Few sizes: shapes that differ only in what they tolerate or select are common.
  milli: fc.constantFrom(500, 2500),
  zone: fc.constantFrom(undefined, 'a'),
  tolerates: fc.boolean(),
});

function makeNode(name: string, g: NodeGen): Node {
  const taints = g.taint === 'none' ? [] : [{ key: g.taint, value: g.taint === 'spot' ? 'yes' : undefined, effect: 'NoSchedule' as const }];
  const n = node(name, { cpu: String(g.cpu), labels: { [ZONE]: g.zone }, taints });
  return {
    ...n,
    spec: { ...n.spec, ...(g.cordoned ? { unschedulable: true } : {}) },
    status: { ...n.status, conditions: [{ type: 'Ready', status: g.ready ? 'True' : 'False' }] },
  };
}

function makePod(name: string, g: ShapeGen, nodeName?: string): Pod {
  return pod({
    name, cpu: `${g.milli}m`,
    ...(g.zone ? { nodeSelector: { [ZONE]: g.zone } } : {}),
    ...(g.tolerates ? { tolerations: [{ key: 'gpu', operator: 'Exists' as const }] } : {}),
    ...(nodeName ? { nodeName } : {}),
  });
}

describe('UnschedulableMessages', () => {
  it('gives the message worked out over every node, across ledger changes, shapes and pods placed earlier in the pass', () => {
    type Op = LedgerOp<NodeGen, ShapeGen> | { kind: 'ask'; shape: number; placed: [ShapeGen, number][] };
    const opGen: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('bind' as const), g: shapeGen, at: fc.nat() }),
      fc.record({ kind: fc.constant('unbind' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('node' as const), i: fc.nat(), g: nodeGen }),
      fc.record({ kind: fc.constant('drop-node' as const), i: fc.nat() }),
      fc.record({ kind: fc.constant('ask' as const), shape: fc.nat(), placed: fc.array(fc.tuple(shapeGen, fc.nat()), { maxLength: 3 }) }),
    );
    fc.assert(fc.property(
      fc.array(nodeGen, { maxLength: 5 }),
      fc.array(shapeGen, { minLength: 2, maxLength: 4 }),
      fc.array(opGen, { maxLength: 40 }),
      (nodes, shapes, ops) => {
        // Node names run past the nodes made at first: nodes come and go, and pods are bound to names with no node.
        const names = nodes.length + 2;
        const ledger = new NodeLedger();
        const view = { ledger, pvc: () => undefined, pv: () => undefined };
        nodes.forEach((g, i) => ledger.setNode(makeNode(`n${i}`, g)));
        const messages = new UnschedulableMessages();
        const world: LedgerWorld<NodeGen, ShapeGen> = { ledger, bound: [], names, makeNode, makePod };
        ops.forEach((op, k) => {
          if (op.kind !== 'ask') {
            applyLedgerOp(world, op, k);
          } else {
            const placed = placedEarlier(world, op.placed, k);
            const p = makePod(`pending-${k}`, shapes[op.shape % shapes.length]!);
            const requests = podRequests(p);
            assert.equal(messages.message(p, requests, view, placed), unschedulableMessage(p, requests, view, placed));
          }
        });
      },
    ), { numRuns: 300, seed: 20251130 });
  });
});
