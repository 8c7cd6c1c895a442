/**
 * An estimate of what the cluster's machines cost per hour, for the "cost before / after" of a
 * provisioning decision. A machine is priced from its labels (instance type, zone, capacity type)
 * against the catalogue; a NodeClaim not launched yet by the cheapest instance type it allows.
 * Machines whose type the catalogue does not know count as 0.
 */
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { InstanceType, Offering } from '../../cloudprovider/types.js';
import type { StateNode } from '../../state/state-node.js';

export class PriceIndex {
  readonly #types = new Map<string, readonly Offering[]>();

  constructor(types: Iterable<InstanceType>) {
    for (const t of types) if (!this.#types.has(t.name)) this.#types.set(t.name, t.offerings);
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
    const type = labels[INSTANCE_TYPE_LABEL];
    const zone = labels[ZONE_LABEL];
    const capacityType = labels[CAPACITY_TYPE_LABEL];
    if (type !== undefined) return this.price(type, zone, capacityType) ?? this.price(type) ?? 0;
    const allowed = node.nodeClaim?.spec.requirements.find((r) => r.key === INSTANCE_TYPE_LABEL && r.operator === 'In')?.values ?? [];
    let best: number | undefined;
    for (const t of allowed) {
      const p = this.price(t, zone, capacityType);
      if (p !== undefined && (best === undefined || p < best)) best = p;
    }
    return best ?? 0;
  }

  /** Sum over the machines that are not being deleted. */
  clusterCost(nodes: readonly StateNode[]): number {
    let sum = 0;
    for (const n of nodes) if (!n.deleting) sum += this.machinePrice(n);
    return sum;
  }
}
