/**
 * Narrowing a planned NodeClaim's instance-type options for consolidation: only options cheaper
 * than what is removed, only spot offerings when the replacement is forced to spot, and the
 * instance-type and capacity-type requirements rewritten to match what is kept.
 */
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL } from '../../apis/labels.js';
import type { NodeSelectorRequirementWithMinValues } from '../../apis/v1/types.js';
import type { InstanceTypeOption, PlannedNodeClaim } from '../../scheduling/types.js';
import type { Candidate, Replacement } from './types.js';

/**
 * Several replacements for one node must together cost at most this share of it: splitting a node
 * evicts its pods and adds nodes, worth it for a node mostly left empty, not for a few cents.
 */
export const MULTI_REPLACEMENT_PRICE_RATIO = 0.5;

/** The planned claim as a Replacement, unchanged. */
export function replacementOf(claim: PlannedNodeClaim): Replacement {
  return {
    nodePool: claim.nodePool,
    requirements: claim.requirements,
    instanceTypeOptions: claim.instanceTypeOptions,
    requests: claim.requests,
    pricePerHour: claim.pricePerHour,
    pods: claim.pods,
  };
}

/** Whether some option can launch with this capacity type. */
export function allowsCapacityType(r: Replacement, capacityType: string): boolean {
  return r.instanceTypeOptions.some((o) => o.offerings.some((off) => off.capacityType === capacityType));
}

/** Options with only their offerings of this capacity type (options left without any are dropped). */
export function restrictCapacityType(options: readonly InstanceTypeOption[], capacityType: string): InstanceTypeOption[] {
  const out: InstanceTypeOption[] = [];
  for (const o of options) {
    const offerings = o.offerings.filter((off) => off.capacityType === capacityType);
    if (offerings.length === 0) continue;
    out.push({ instanceType: o.instanceType, offerings, price: Math.min(...offerings.map((off) => off.price)) });
  }
  return out.sort((a, b) => a.price - b.price);
}

/** Options strictly cheaper than `maxPrice`, cheapest first. */
export function cheaperThan(options: readonly InstanceTypeOption[], maxPrice: number): InstanceTypeOption[] {
  return options.filter((o) => o.price < maxPrice).sort((a, b) => a.price - b.price);
}

/**
 * The replacement with exactly these options (cheapest first): instance-type requirement narrowed
 * to them, capacity type pinned when given, price that of the cheapest.
 * @throws RangeError for no options (callers check first).
 */
export function withOptions(r: Replacement, options: readonly InstanceTypeOption[], capacityType?: string): Replacement {
  const cheapest = options[0];
  if (!cheapest) throw new RangeError(`narrowing replacement in nodepool ${r.nodePool}: no instance type left`);
  const requirements: NodeSelectorRequirementWithMinValues[] = r.requirements
    .filter((q) => q.key !== INSTANCE_TYPE_LABEL && (capacityType === undefined || q.key !== CAPACITY_TYPE_LABEL))
    .map((q) => ({ ...q }));
  requirements.push({ key: INSTANCE_TYPE_LABEL, operator: 'In', values: options.map((o) => o.instanceType.name) });
  if (capacityType !== undefined) requirements.push({ key: CAPACITY_TYPE_LABEL, operator: 'In', values: [capacityType] });
  return { ...r, requirements, instanceTypeOptions: options, pricePerHour: cheapest.price };
}

/**
 * Karpenter's filterOutSameType for multi-node replacements: when an option is the instance type
 * of one of the candidates, the replacement must be cheaper than that candidate (else deleting
 * the others and keeping it disrupts fewer pods). Returns the options below that price.
 */
export function withoutSameType(options: readonly InstanceTypeOption[], candidates: readonly Candidate[]): InstanceTypeOption[] {
  const cheapestByType = new Map<string, number>();
  for (const c of candidates) {
    if (c.instanceType === undefined || c.price === undefined) continue;
    cheapestByType.set(c.instanceType, Math.min(cheapestByType.get(c.instanceType) ?? Infinity, c.price));
  }
  let maxPrice = Infinity;
  for (const o of options) {
    const p = cheapestByType.get(o.instanceType.name);
    if (p !== undefined) maxPrice = Math.min(maxPrice, p);
  }
  return cheaperThan(options, maxPrice);
}
