/**
 * NodeClaims a round created that the cluster state does not show yet. The next round may start
 * before the NodeClaim informer delivers them (rounds overlap their tails), so until then it reads
 * them from here: their plan entries are kept instead of "target gone", they count as capacity in
 * flight (with their planned pods, for topology) and against their NodePool's limits, as the state
 * will count them once they arrive. Karpenter writes a created claim into its cluster state for the
 * same reason; here only informers write the state, so the overlay lives beside it.
 */
import { HOSTNAME_LABEL, NODEPOOL_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { SolverNode } from '../../scheduling/types.js';
import type { ClusterState } from '../../state/cluster-state.js';
import type { Clock } from '../../utils/clock.js';
import type { ResourceList } from '../../utils/resources.js';
import { addResources, resourcesFromQuantities } from '../../utils/resources.js';

export class UnseenClaims {
  readonly #state: ClusterState;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #claims = new Map<string, { claim: NodeClaim; cancel: () => void }>();
  #unsubscribe: (() => void) | undefined;

  /** @param timeoutMs a claim the state has not shown after this long is dropped (created and deleted again, say). */
  constructor(state: ClusterState, clock: Clock, timeoutMs: number) {
    this.#state = state;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /** Drops each claim as soon as the state shows it (or its deletion). */
  start(): void {
    this.#unsubscribe ??= this.#state.subscribe((c) => {
      if (c.type === 'Node' && c.stateNode.nodeClaimName !== undefined) this.#drop(c.stateNode.nodeClaimName);
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const name of [...this.#claims.keys()]) this.#drop(name);
  }

  /** Remembers a claim the API server just created (by its name), unless the state already shows it. */
  add(claim: NodeClaim): void {
    const name = claim.metadata.name;
    if (name === undefined || this.#claims.has(name) || this.#state.node(name) !== undefined) return;
    const cancel = this.#clock.setTimer(this.#timeoutMs, () => this.#drop(name));
    this.#claims.set(name, { claim, cancel });
  }

  has(name: string): boolean {
    return this.#claims.has(name);
  }

  get size(): number {
    return this.#claims.size;
  }

  /** The claims still unseen, oldest first. */
  claims(): NodeClaim[] {
    return [...this.#claims.values()].map((e) => e.claim);
  }

  /** `usage` (per NodePool) plus what the unseen claims will add to it once the state shows them. */
  addUsage(usage: ReadonlyMap<string, ResourceList>): ReadonlyMap<string, ResourceList> {
    if (this.#claims.size === 0) return usage;
    const out = new Map(usage);
    for (const { claim } of this.#claims.values()) {
      const pool = claim.metadata.labels?.[NODEPOOL_LABEL];
      // Shown by the state already (not yet dropped when this was never started): counted there.
      if (pool === undefined || this.#state.node(claim.metadata.name ?? '') !== undefined) continue;
      out.set(pool, addResources(out.get(pool) ?? {}, claimRequests(claim), { nodes: 1 }));
    }
    return out;
  }

  #drop(name: string): void {
    const e = this.#claims.get(name);
    if (!e) return;
    e.cancel();
    this.#claims.delete(name);
  }
}

/** What a claim asks for; until launched, the state counts it as the claim's capacity and allocatable. */
function claimRequests(claim: NodeClaim): ResourceList {
  return resourcesFromQuantities(claim.spec.resources?.requests);
}

/**
 * The solver's view of an unseen claim, as the state would show it before launch: the labels its
 * node will surely have (its own and every single-valued In requirement; its name as hostname),
 * its taints, its requests as allocatable, in flight, with no pods bound yet.
 */
export function unseenClaimNode(claim: NodeClaim): SolverNode {
  const name = claim.metadata.name ?? '';
  const labels: Record<string, string> = {};
  for (const r of claim.spec.requirements) {
    if (r.operator === 'In' && r.values?.length === 1) labels[r.key] = r.values[0]!;
  }
  Object.assign(labels, claim.metadata.labels);
  labels[HOSTNAME_LABEL] ??= name;
  return {
    name,
    labels,
    taints: claim.spec.taints ?? [],
    allocatable: claimRequests(claim),
    pods: [],
    inFlight: true,
    unschedulable: false,
    nodePool: claim.metadata.labels?.[NODEPOOL_LABEL],
  };
}
