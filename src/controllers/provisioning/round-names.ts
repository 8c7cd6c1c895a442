/**
 * The names a provisioning round looks machines up by, kept from one round to the next. A round
 * finds the few machines its plan names among a thousand; testing every machine's names against
 * the plan's read each view and each name string (a cache miss or more apiece) every round. Here
 * each name gets a small number once, each view's and each solver node's numbers are carried from
 * the last round's lists for the very same objects (see carry-by-identity.ts), and a round compares
 * numbers in arrays, reading only the views that are new or named.
 */
import type { SolverNode } from '../../scheduling/types.js';
import type { StateNode } from '../../state/state-node.js';
import { carriedIndexes } from './carry-by-identity.js';

/** Number of no name. */
const NONE = 0;

export class RoundNames {
  /** Name → its number (from 1). */
  #ids = new Map<string, number>();
  #views: readonly StateNode[] = [];
  /** Per view of #views, the numbers of its Node's and its NodeClaim's names. */
  #viewNode = new Int32Array(0);
  #viewClaim = new Int32Array(0);
  #solver: readonly SolverNode[] = [];
  /** Per solver node of #solver, the number of its name. */
  #solverName = new Int32Array(0);

  /**
   * The state node each name stands for, as a map of every state node's Node and NodeClaim names
   * would give it (a later node taking a name from an earlier one), holding only the names of the
   * nodes with a name in `wanted`; and per solver node of `solverNodes`, whether its name is one
   * of those (the map then has it).
   */
  named(stateNodes: readonly StateNode[], solverNodes: readonly SolverNode[], wanted: readonly string[]): { byName: Map<string, StateNode>; solverNamed: (k: number) => boolean } {
    this.#forgetIfGrown(stateNodes.length + solverNodes.length);
    this.#takeViews(stateNodes);
    this.#takeSolver(solverNodes);
    const size = this.#ids.size + 1;
    const looked = new Uint8Array(size);
    let any = false;
    for (const w of wanted) {
      const id = this.#ids.get(w);
      if (id === undefined) continue;
      looked[id] = 1;
      any = true;
    }
    const byName = new Map<string, StateNode>();
    const names = new Uint8Array(size);
    const node = this.#viewNode;
    const claim = this.#viewClaim;
    if (any) {
      let found = false;
      for (let i = 0; i < node.length; i++) {
        const a = node[i]!;
        const b = claim[i]!;
        if (looked[a] !== 1 && looked[b] !== 1) continue;
        if (a !== NONE) names[a] = 1;
        if (b !== NONE) names[b] = 1;
        found = true;
      }
      if (found) {
        for (let i = 0; i < node.length; i++) {
          const a = node[i]!;
          const b = claim[i]!;
          if (names[a] !== 1 && names[b] !== 1) continue;
          const sn = stateNodes[i]!;
          if (names[a] === 1) byName.set(sn.nodeName!, sn);
          if (names[b] === 1) byName.set(sn.nodeClaimName!, sn);
        }
      }
    }
    const solverName = this.#solverName;
    return { byName, solverNamed: (k) => names[solverName[k]!] === 1 };
  }

  #id(name: string | undefined): number {
    if (name === undefined) return NONE;
    let id = this.#ids.get(name);
    if (id === undefined) this.#ids.set(name, (id = this.#ids.size + 1));
    return id;
  }

  #takeViews(views: readonly StateNode[]): void {
    const from = carriedIndexes(this.#views, views);
    const node = new Int32Array(views.length);
    const claim = new Int32Array(views.length);
    for (let j = 0; j < views.length; j++) {
      const i = from[j]!;
      if (i >= 0) {
        node[j] = this.#viewNode[i]!;
        claim[j] = this.#viewClaim[i]!;
        continue;
      }
      const v = views[j]!;
      node[j] = this.#id(v.nodeName);
      claim[j] = this.#id(v.nodeClaimName);
    }
    this.#views = views;
    this.#viewNode = node;
    this.#viewClaim = claim;
  }

  #takeSolver(nodes: readonly SolverNode[]): void {
    const from = carriedIndexes(this.#solver, nodes);
    const name = new Int32Array(nodes.length);
    for (let j = 0; j < nodes.length; j++) {
      const i = from[j]!;
      name[j] = i >= 0 ? this.#solverName[i]! : this.#id(nodes[j]!.name);
    }
    this.#solver = nodes;
    this.#solverName = name;
  }

  /** Numbers of names long gone are never reused: past a bound, all is numbered afresh. */
  #forgetIfGrown(live: number): void {
    if (this.#ids.size <= 1024 + 4 * live) return;
    this.#ids = new Map();
    this.#views = [];
    this.#solver = [];
  }
}
