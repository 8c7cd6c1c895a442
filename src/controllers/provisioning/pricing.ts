/**
 * An estimate of what the cluster's machines cost per hour, for the "cost before / after" of a
 * provisioning decision. A machine is priced from its labels (instance type, zone, capacity type)
 * against the catalogue; a NodeClaim not launched yet by the cheapest instance type it allows.
 * Machines whose type the catalogue does not know count as 0.
 *
 * A round prices every machine in the cluster, and rounds mostly see the same catalogue and the
 * same machines: `PriceIndex.of` hands back the previous round's index for the same instance type
 * objects, and an index remembers the price of each labelled machine by its labels object.
 */
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { InstanceType, Offering } from '../../cloudprovider/types.js';
import type { StateNode } from '../../state/state-node.js';
import { carriedIndexes } from './carry-by-identity.js';

export class PriceIndex {
  static #last: PriceIndex | undefined;
  readonly #types = new Map<string, readonly Offering[]>();
  readonly #source: readonly InstanceType[];
  /**
   * machinePrice of machines with an instance type label, by their labels object: labels are never
   * changed in place (a changed machine has a new object), and the index never changes.
   */
  readonly #byLabels = new WeakMap<Readonly<Record<string, string>>, number>();
  /** The machines clusterCost priced last, and per machine what it added to the sum. */
  #lastNodes: readonly StateNode[] = [];
  #lastPrices = new Float64Array(0);

  constructor(types: readonly InstanceType[]) {
    this.#source = types;
    for (const t of types) if (!this.#types.has(t.name)) this.#types.set(t.name, t.offerings);
  }

  /**
   * An index of `types`: the last one this made when it was of the same instance type objects in
   * the same order (instance types are immutable, so it prices alike), else a new one.
   */
  static of(types: readonly InstanceType[]): PriceIndex {
    const last = PriceIndex.#last;
    if (last !== undefined && sameItems(last.#source, types)) return last;
    return (PriceIndex.#last = new PriceIndex(types));
  }

  /** Cheapest offering of the type matching the zone and capacity type when given; undefined if unknown. */
  price(type: string, zone?: string, capacityType?: string): number | undefined {
    const offerings = this.#types.get(type);
    if (!offerings) return undefined;
    let best: number | undefined;
    for (const o of offerings) {
      if (zone !== undefined && o.zone !== zone) continue;
      if (capacityType !== undefined && o.capacityType !== capacityType) continue;
      if (best === undefined || o.price < best) best = o.price;
    }
    return best;
  }

  /** The machine's price per hour (see the module comment). */
  machinePrice(node: StateNode): number {
    const labels = node.labels;
    const known = this.#byLabels.get(labels);
    if (known !== undefined) return known;
    const type = labels[INSTANCE_TYPE_LABEL];
    const zone = labels[ZONE_LABEL];
    const capacityType = labels[CAPACITY_TYPE_LABEL];
    if (type !== undefined) {
      const price = this.price(type, zone, capacityType) ?? this.price(type) ?? 0;
      this.#byLabels.set(labels, price);
      return price;
    }
    const allowed = node.nodeClaim?.spec.requirements.find((r) => r.key === INSTANCE_TYPE_LABEL && r.operator === 'In')?.values ?? [];
    let best: number | undefined;
    for (const t of allowed) {
      const p = this.price(t, zone, capacityType);
      if (p !== undefined && (best === undefined || p < best)) best = p;
    }
    return best ?? 0;
  }

  /**
   * Sum over the machines that are not being deleted, in their order. A view in the last list this
   * priced keeps its price (views are immutable), so only views new since are read (see
   * carry-by-identity.ts); the sum is taken again in order, so it is the same number to the last bit.
   */
  clusterCost(nodes: readonly StateNode[]): number {
    const from = carriedIndexes(this.#lastNodes, nodes);
    // A machine being deleted keeps 0: adding +0 leaves a sum that starts at +0 as it was.
    const prices = new Float64Array(nodes.length);
    let sum = 0;
    for (let j = 0; j < nodes.length; j++) {
      const i = from[j]!;
      if (i >= 0) prices[j] = this.#lastPrices[i]!;
      else if (!nodes[j]!.deleting) prices[j] = this.machinePrice(nodes[j]!);
      sum += prices[j]!;
    }
    this.#lastNodes = nodes;
    this.#lastPrices = prices;
    return sum;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
