/**
 * A fleet-style launch choice, as EC2 CreateFleet makes it for Karpenter: the claim's offerings
 * cheapest first (at most N instance types); those out of capacity now are reported and skipped;
 * the first other one is chosen.
 */
import type { NodeClaim } from '../../apis/v1/types.js';
import type { FailedOffering } from '../cloud-provider.js';
import { InsufficientCapacityError } from '../cloud-provider.js';
import type { LaunchCandidate, LaunchOptions } from '../launch.js';
import { firstTypes, launchCandidates } from '../launch.js';
import type { InstanceType } from '../types.js';
import type { UnavailableOfferings } from '../unavailable-offerings.js';
import type { CapacityWindows } from './capacity-windows.js';

export interface FleetRequest {
  readonly instanceTypes: readonly InstanceType[];
  /** Offerings known to be out of capacity are not tried; the ones found short are marked here. */
  readonly unavailable: UnavailableOfferings;
  readonly windows: CapacityWindows;
  readonly maxInstanceTypes: number;
  readonly now: number;
}

/**
 * The offering the claim launches on. Every offering tried and found short is marked unavailable.
 * @throws InsufficientCapacityError with the offerings tried when all were short (or, with none,
 *   when nothing fits the claim at all); CloudProviderError for a malformed claim.
 */
export function fleetChoice(claim: NodeClaim, name: string, r: FleetRequest): LaunchCandidate {
  const candidates = cachedLaunchCandidates(claim, r.instanceTypes, {
    isUnavailable: (t, z, ct) => r.unavailable.isUnavailable(t, z, ct),
    maxInstanceTypes: r.maxInstanceTypes,
  });
  const failed: FailedOffering[] = [];
  let chosen: LaunchCandidate | undefined;
  for (const c of candidates) {
    if (!r.windows.isShort(c.instanceType.name, c.offering.zone, c.offering.capacityType, r.now)) {
      chosen = c;
      break;
    }
    failed.push({ instanceType: c.instanceType.name, zone: c.offering.zone, capacityType: c.offering.capacityType });
  }
  r.unavailable.markAll(failed);
  if (chosen) return chosen;
  const tried = failed.slice(0, 3).map((f) => `${f.instanceType}/${f.zone}/${f.capacityType}`).join(', ');
  throw new InsufficientCapacityError(
    `launching nodeclaim ${name}: InsufficientInstanceCapacity for all ${failed.length} offerings tried (${tried}${failed.length > 3 ? ', ...' : ''})`,
    failed,
  );
}

/** Claim shapes remembered per catalogue before the memo starts over. */
const MAX_SHAPES = 512;

/**
 * Per catalogue: claim shape (requirements and requests) → every offering it may launch on, best
 * first, before the unavailable ones are taken out. What a shape may launch on depends only on the
 * shape and the catalogue, and most claims share a few shapes; matching every instance type of the
 * catalogue against each claim was most of the cost of a launch.
 */
const shapes = new WeakMap<readonly InstanceType[], Map<string, readonly LaunchCandidate[]>>();

/**
 * launchCandidates(claim, instanceTypes, options), the same list, with the matching and sorting
 * remembered per claim shape. Taking unavailable offerings out of a sorted list keeps it sorted,
 * so only that and the cut to `maxInstanceTypes` are done per call. When nothing is left, the full
 * call runs to throw its exact error.
 * @throws as launchCandidates.
 */
export function cachedLaunchCandidates(claim: NodeClaim, instanceTypes: readonly InstanceType[], options: LaunchOptions): LaunchCandidate[] {
  let memo = shapes.get(instanceTypes);
  if (!memo) shapes.set(instanceTypes, (memo = new Map<string, readonly LaunchCandidate[]>()));
  const key = JSON.stringify([claim.spec.requirements, claim.spec.resources?.requests ?? null]);
  let all = memo.get(key);
  if (all === undefined) {
    try {
      all = launchCandidates(claim, instanceTypes);
    } catch {
      return launchCandidates(claim, instanceTypes, options);
    }
    if (memo.size >= MAX_SHAPES) memo.clear();
    memo.set(key, all);
  }
  const isUnavailable = options.isUnavailable;
  const available = isUnavailable ? all.filter((c) => !isUnavailable(c.instanceType.name, c.offering.zone, c.offering.capacityType)) : [...all];
  if (available.length === 0) return launchCandidates(claim, instanceTypes, options);
  return firstTypes(available, options.maxInstanceTypes);
}
