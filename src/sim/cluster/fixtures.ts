/**
 * Test support for the stand-in's property tests over a node ledger: the random changes they apply
 * to it, and the pods they place earlier in a pass. Node names are `n0` … `n{names - 1}`, more names
 * than nodes made at first, so nodes come and go and pods are bound to names with no node.
 */
import type { Node, Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import type { NodeLedger } from './node-ledger.js';
import type { PlacedPod } from './solver-view.js';

/** A change to the ledger, with the generators' node (N) and pod (P) descriptions. */
export type LedgerOp<N, P> = { kind: 'bind'; g: P; at: number } | { kind: 'unbind'; i: number } | { kind: 'node'; i: number; g: N } | { kind: 'drop-node'; i: number };

/** A ledger and what a test makes its objects from. */
export interface LedgerWorld<N, P> {
  readonly ledger: NodeLedger;
  /** The pods bound so far (unbind picks one by index). */
  readonly bound: Pod[];
  readonly names: number;
  makeNode(name: string, g: N): Node;
  makePod(name: string, g: P, nodeName?: string): Pod;
}

/** Applies the k-th op to the ledger (an unbind with no pod bound does nothing). */
export function applyLedgerOp<N, P>(w: LedgerWorld<N, P>, op: LedgerOp<N, P>, k: number): void {
  const { ledger, bound, names } = w;
  switch (op.kind) {
    case 'bind': {
      const p = w.makePod(`bound-${k}`, op.g, `n${op.at % names}`);
      bound.push(p);
      ledger.setPod(p);
      return;
    }
    case 'unbind':
      if (bound.length > 0) ledger.removePod(bound.splice(op.i % bound.length, 1)[0]!);
      return;
    case 'node':
      ledger.setNode(w.makeNode(`n${op.i % names}`, op.g));
      return;
    case 'drop-node':
      ledger.removeNode(`n${op.i % names}`);
      return;
  }
}

/** The pods placed earlier in a pass, by node name, made from (pod, node number) pairs. */
export function placedEarlier<N, P>(w: LedgerWorld<N, P>, earlier: readonly (readonly [P, number])[], k: number | string): Map<string, PlacedPod[]> {
  const placed = new Map<string, PlacedPod[]>();
  earlier.forEach(([g, at], i) => {
    const p = w.makePod(`earlier-${k}-${i}`, g, `n${at % w.names}`);
    placed.set(p.spec.nodeName!, [...placed.get(p.spec.nodeName!) ?? [], { pod: p, requests: podRequests(p) }]);
  });
  return placed;
}
