/**
 * Launch decisions shared by the in-process providers (fake, sim): which offerings a NodeClaim may
 * launch on, cheapest first, and the launched claim a provider returns once a machine exists.
 */
import {
  ARCH_LABEL, CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, OS_LABEL, REGION_LABEL, ZONE_LABEL,
} from '../apis/labels.js';
import type { NodeClaim } from '../apis/v1/types.js';
import type { ResourceList } from '../utils/resources.js';
import { fitsIn, resourcesFromQuantities, resourcesToQuantities, subtractResources } from '../utils/resources.js';
import type { CompiledRequirement, LabelDomain } from './claim-requirements.js';
import { admitsValue, compileRequirements, narrowDomain } from './claim-requirements.js';
import { CloudProviderError, InsufficientCapacityError } from './cloud-provider.js';
import type { InstanceType, Offering } from './types.js';
import { CAPACITY_TYPES } from './types.js';

/** One way to launch the claim: an instance type and one of its offerings. */
export interface LaunchCandidate {
  readonly instanceType: InstanceType;
  readonly offering: Offering;
}

export interface LaunchOptions {
  /** Offerings to skip beside those marked `available: false` (an UnavailableOfferings cache). */
  readonly isUnavailable?: (instanceType: string, zone: string, capacityType: string) => boolean;
  /** Keep only the N instance types whose best offering is cheapest (Karpenter's fleet request: 60). */
  readonly maxInstanceTypes?: number;
}

/** Machines always carry one arch and one os, so these get a value even when several are allowed. */
const ALWAYS_LABELLED = new Set([ARCH_LABEL, OS_LABEL]);

function claimName(claim: NodeClaim): string {
  return claim.metadata.name ?? claim.metadata.generateName ?? '<unnamed>';
}

/** The claim's requirements, compiled. @throws CloudProviderError (not retryable) for a malformed one. */
function claimRequirements(claim: NodeClaim): CompiledRequirement[] {
  try {
    return compileRequirements(claim.spec.requirements);
  } catch (e) {
    throw new CloudProviderError(`launching nodeclaim ${claimName(claim)}: ${(e as Error).message}`, { cause: e });
  }
}

/** The claim's resource requests. @throws CloudProviderError (not retryable) for a bad quantity. */
export function claimRequests(claim: NodeClaim): ResourceList {
  try {
    return resourcesFromQuantities(claim.spec.resources?.requests);
  } catch (e) {
    throw new CloudProviderError(`launching nodeclaim ${claimName(claim)}: ${(e as Error).message}`, { cause: e });
  }
}

/** Capacity minus overhead, never below zero. */
export function allocatableOf(type: InstanceType): ResourceList {
  const out: Record<string, number> = {};
  for (const [name, amount] of Object.entries(subtractResources(type.capacity, type.overhead))) out[name] = Math.max(0, amount);
  return out;
}

function typeDomain(type: InstanceType): LabelDomain {
  return type.requirements[INSTANCE_TYPE_LABEL] ? type.requirements : { ...type.requirements, [INSTANCE_TYPE_LABEL]: [type.name] };
}

const capacityRank = (ct: string): number => {
  const i = (CAPACITY_TYPES as readonly string[]).indexOf(ct);
  return i < 0 ? CAPACITY_TYPES.length : i;
};

/** Cheapest first; at equal price reserved, then spot, then on-demand; then by type and zone name. */
export function compareCandidates(a: LaunchCandidate, b: LaunchCandidate): number {
  return a.offering.price - b.offering.price
    || capacityRank(a.offering.capacityType) - capacityRank(b.offering.capacityType)
    || (a.instanceType.name < b.instanceType.name ? -1 : a.instanceType.name > b.instanceType.name ? 1 : 0)
    || (a.offering.zone < b.offering.zone ? -1 : a.offering.zone > b.offering.zone ? 1 : 0);
}

/**
 * Every offering the claim may launch on, best first (see compareCandidates): its instance type
 * satisfies the claim's requirements (instance type, arch, os and any other label the type defines),
 * its zone and capacity type do too, the type's allocatable holds the claim's requests, and the
 * offering is available and not reported unavailable by `options.isUnavailable`.
 * @throws InsufficientCapacityError (with no offerings) when nothing is left, saying whether no type
 *   matched the requirements, none was big enough, or no offering was available;
 *   CloudProviderError for a malformed requirement or request.
 */
export function launchCandidates(claim: NodeClaim, instanceTypes: readonly InstanceType[], options: LaunchOptions = {}): LaunchCandidate[] {
  const requirements = claimRequirements(claim);
  const requests = claimRequests(claim);
  const typeRequirements = requirements.filter((r) => r.key !== ZONE_LABEL && r.key !== CAPACITY_TYPE_LABEL);
  let matching = 0;
  let fitting = 0;
  const candidates: LaunchCandidate[] = [];
  for (const type of instanceTypes) {
    if (narrowDomain(typeDomain(type), typeRequirements) === undefined) continue;
    matching++;
    if (!fitsIn(requests, allocatableOf(type))) continue;
    fitting++;
    for (const offering of type.offerings) {
      if (!offering.available || options.isUnavailable?.(type.name, offering.zone, offering.capacityType)) continue;
      if (!admitsValue(requirements, ZONE_LABEL, offering.zone) || !admitsValue(requirements, CAPACITY_TYPE_LABEL, offering.capacityType)) continue;
      candidates.push({ instanceType: type, offering });
    }
  }
  candidates.sort(compareCandidates);
  if (candidates.length === 0) {
    const why = matching === 0
      ? `none of the ${instanceTypes.length} instance types satisfies its requirements`
      : fitting === 0
        ? `its requests (${formatRequests(requests)}) fit none of the ${matching} instance types its requirements allow`
        : `no offering of the ${fitting} compatible instance types is available in the zones and capacity types it allows`;
    throw new InsufficientCapacityError(`launching nodeclaim ${claimName(claim)}: ${why}`, []);
  }
  return firstTypes(candidates, options.maxInstanceTypes);
}

/** The candidates of the first `max` instance types in their order (all of them without a max). */
export function firstTypes(candidates: LaunchCandidate[], max: number | undefined): LaunchCandidate[] {
  if (max === undefined) return candidates;
  const kept = new Set<string>();
  return candidates.filter((c) => {
    if (kept.has(c.instanceType.name)) return true;
    if (kept.size >= max) return false;
    kept.add(c.instanceType.name);
    return true;
  });
}

function formatRequests(requests: ResourceList): string {
  const entries = Object.entries(resourcesToQuantities(requests));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/**
 * The labels a machine launched on `candidate` carries: the claim's own labels, then for every label
 * the instance type defines the value left by the claim's requirements (when exactly one is left,
 * or the first in sorted order for arch and os, which every machine has), then instance type, zone,
 * capacity type and, when given and the type has none, the region.
 * @throws CloudProviderError for a malformed requirement.
 */
export function launchLabels(claim: NodeClaim, candidate: LaunchCandidate, region?: string): Record<string, string> {
  const { instanceType: type, offering } = candidate;
  const requirements = claimRequirements(claim);
  const labels: Record<string, string> = { ...(claim.metadata.labels ?? {}) };
  const domain = typeDomain(type);
  const narrowed = narrowDomain(domain, requirements) ?? {};
  for (const key of Object.keys(domain).sort()) {
    const values = narrowed[key] ?? domain[key] ?? [];
    if (values.length === 1) labels[key] = values[0]!;
    else if (values.length > 1 && ALWAYS_LABELLED.has(key)) labels[key] = [...values].sort()[0]!;
  }
  labels[INSTANCE_TYPE_LABEL] = type.name;
  labels[ZONE_LABEL] = offering.zone;
  labels[CAPACITY_TYPE_LABEL] = offering.capacityType;
  if (region !== undefined && labels[REGION_LABEL] === undefined) labels[REGION_LABEL] = region;
  return labels;
}

/**
 * A copy of the claim as launched: labels from {@link launchLabels}, status.providerID, imageID,
 * capacity and allocatable (as quantities). Other status fields are kept; the input is not modified.
 */
export function launchedClaim(
  claim: NodeClaim,
  candidate: LaunchCandidate,
  machine: { providerID: string; imageID: string; region?: string },
): NodeClaim {
  const copy = structuredClone(claim);
  copy.metadata.labels = launchLabels(claim, candidate, machine.region);
  copy.status = {
    ...(copy.status ?? {}),
    providerID: machine.providerID,
    imageID: machine.imageID,
    capacity: resourcesToQuantities(candidate.instanceType.capacity),
    allocatable: resourcesToQuantities(allocatableOf(candidate.instanceType)),
  };
  return copy;
}
