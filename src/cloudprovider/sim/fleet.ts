/**
 * A fleet-style launch choice, as EC2 CreateFleet makes it for Karpenter: the claim's offerings
 * cheapest first (at most N instance types); those out of capacity now are reported and skipped;
 * the first other one is chosen.
 */
import type { NodeClaim } from '../../apis/v1/types.js';
import type { FailedOffering } from '../cloud-provider.js';
import { InsufficientCapacityError } from '../cloud-provider.js';
import type { LaunchCandidate } from '../launch.js';
import { launchCandidates } from '../launch.js';
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
  const candidates = launchCandidates(claim, r.instanceTypes, {
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
