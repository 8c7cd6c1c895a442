/**
 * What SimulationBase hands over from one disruption pass to the next when a node has not changed:
 * the same kept-pod list, the same reduced node object and the same topology signature. The solver
 * keeps what it derives per pod list and per node object (see scheduling/object-facts and
 * scheduling/existing-node-facts), so handing over the same objects lets that carry over too.
 */
import type { Pod } from '../../apis/core.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ResourceList } from '../../utils/resources.js';

/** Per pod list of a solver node, the list of its pods the last pass kept. */
const lastKept = new WeakMap<readonly Pod[], Pod[]>();

function sameList(kept: readonly Pod[], previous: readonly Pod[] | undefined): boolean {
  if (previous?.length !== kept.length) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== previous[i]) return false;
  return true;
}

/** `kept` (the pods of `pods` a pass keeps), or the last pass's list object when it holds the same pods. */
export function keptList(pods: readonly Pod[], kept: Pod[]): Pod[] {
  const previous = lastKept.get(pods);
  if (sameList(kept, previous)) return previous!;
  lastKept.set(pods, kept);
  return kept;
}

/** Per solver node of the snapshot, the reduced node the last pass made of it. */
const lastReduced = new WeakMap<SolverNode, SolverNode>();

function sameResources(a: ResourceList, b: ResourceList): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const k in b) if (--n < 0 || !(k in a)) return false;
  return n === 0;
}

/** The node with only `kept` pods and `allocatable` room: the last pass's object when they are the same. */
export function reducedNode(node: SolverNode, kept: Pod[], allocatable: ResourceList): SolverNode {
  const last = lastReduced.get(node);
  if (last?.pods === kept && sameResources(last.allocatable, allocatable)) return last;
  const reduced = { ...node, allocatable, pods: kept };
  lastReduced.set(node, reduced);
  return reduced;
}

/** Per label map, the last signature made of it, with the taints and key list it was made with. */
const lastSignature = new WeakMap<Readonly<Record<string, string>>, { taints: SolverNode['taints']; keys: string; signature: string }>();

/** A node's values for the keys (JSON text `keyText`) and its taints, as text; kept from pass to pass. */
export function signatureOf(n: SolverNode, keys: readonly string[], keyText: string): string {
  const last = lastSignature.get(n.labels);
  if (last?.taints === n.taints && last.keys === keyText) return last.signature;
  const signature = JSON.stringify([keys.map((k) => n.labels[k] ?? null), n.taints]);
  lastSignature.set(n.labels, { taints: n.taints, keys: keyText, signature });
  return signature;
}
