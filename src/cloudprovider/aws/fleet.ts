/**
 * The CreateFleet request of one launch and the reading of its reply. An instant fleet of target
 * capacity 1 over the candidates of one capacity type (spot: price-capacity-optimized, on-demand:
 * lowest-price), one launch template config per image, one override per (instance type, zone).
 */
import type { _InstanceType, CreateFleetCommandInput, CreateFleetCommandOutput, Tag } from '@aws-sdk/client-ec2';
import type { ResolvedAMI } from '../../apis/ec2nodeclass/types.js';
import type { FailedOffering } from '../cloud-provider.js';
import type { LaunchCandidate } from '../launch.js';
import { labelsSatisfy } from './amis.js';
import { INSUFFICIENT_CAPACITY_CODES } from './errors.js';

export interface FleetOverride {
  readonly candidate: LaunchCandidate;
  readonly subnetId: string;
}

export interface FleetConfig {
  readonly ami: ResolvedAMI;
  /** Cheapest first. */
  readonly overrides: FleetOverride[];
}

export interface FleetPlan {
  readonly capacityType: 'spot' | 'on-demand';
  /** Ordered by their cheapest override, so the cheapest offering leads the request. */
  readonly configs: FleetConfig[];
}

/** The labels a candidate's instance type carries (single values), for matching AMI requirements. */
function typeLabels(c: LaunchCandidate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.instanceType.requirements)) if (v.length === 1) out[k] = v[0]!;
  return out;
}

/**
 * Groups candidates (best first, as launchCandidates orders them) of the best one's capacity type
 * by the first image (newest first) that runs their type, each with the subnet of its zone.
 * Candidates with no image or no subnet are left out.
 * @returns undefined when none is left.
 */
export function planFleet(
  candidates: readonly LaunchCandidate[],
  amis: readonly ResolvedAMI[],
  subnetOf: (zone: string) => string | undefined,
): FleetPlan | undefined {
  const first = candidates[0];
  if (first === undefined) return undefined;
  const capacityType = first.offering.capacityType === 'spot' ? 'spot' : 'on-demand';
  const configs = new Map<string, FleetConfig>();
  for (const c of candidates) {
    if (c.offering.capacityType !== capacityType) continue;
    const labels = typeLabels(c);
    const ami = amis.find((a) => labelsSatisfy(labels, a.requirements));
    const subnetId = subnetOf(c.offering.zone);
    if (ami === undefined || subnetId === undefined) continue;
    let config = configs.get(ami.id);
    if (!config) configs.set(ami.id, (config = { ami, overrides: [] }));
    config.overrides.push({ candidate: c, subnetId });
  }
  return configs.size === 0 ? undefined : { capacityType, configs: [...configs.values()] };
}

/** The CreateFleet input for a plan, given each config's launch template name. */
export function fleetInput(plan: FleetPlan, templateNames: readonly string[], tags: readonly Tag[]): CreateFleetCommandInput {
  return {
    Type: 'instant',
    TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: plan.capacityType },
    ...(plan.capacityType === 'spot'
      ? { SpotOptions: { AllocationStrategy: 'price-capacity-optimized' } }
      : { OnDemandOptions: { AllocationStrategy: 'lowest-price' } }),
    LaunchTemplateConfigs: plan.configs.map((config, i) => ({
      LaunchTemplateSpecification: { LaunchTemplateName: templateNames[i]!, Version: '$Latest' },
      Overrides: config.overrides.map((o) => ({
        // EC2's type names are an open set; the SDK's union lists those it knew when it was built.
        InstanceType: o.candidate.instanceType.name as _InstanceType,
        SubnetId: o.subnetId,
        AvailabilityZone: o.candidate.offering.zone,
      })),
    })),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: [...tags] },
      { ResourceType: 'volume', Tags: [...tags] },
    ],
  };
}

export interface LaunchedInstance {
  readonly instanceId: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: 'spot' | 'on-demand';
}

export interface FleetResult {
  /** The instances launched (one, unless EC2 overshoots). */
  readonly instances: LaunchedInstance[];
  /** Offerings EC2 had no capacity for: to mark unavailable. */
  readonly noCapacity: FailedOffering[];
  /** Other errors, as "code: message" (instance type, zone). */
  readonly otherErrors: string[];
}

/** Reads a CreateFleet reply; zones come from the override, else from `zoneOfSubnet`. */
export function readFleet(out: CreateFleetCommandOutput, zoneOfSubnet: (subnetId: string) => string | undefined): FleetResult {
  const zoneOf = (o: { AvailabilityZone?: string | undefined; SubnetId?: string | undefined } | undefined): string =>
    o?.AvailabilityZone ?? (o?.SubnetId === undefined ? undefined : zoneOfSubnet(o.SubnetId)) ?? '';
  const instances: LaunchedInstance[] = [];
  for (const i of out.Instances ?? []) {
    const overrides = i.LaunchTemplateAndOverrides?.Overrides;
    for (const id of i.InstanceIds ?? []) {
      instances.push({
        instanceId: id,
        instanceType: i.InstanceType ?? overrides?.InstanceType ?? '',
        zone: zoneOf(overrides),
        capacityType: i.Lifecycle === 'spot' ? 'spot' : 'on-demand',
      });
    }
  }
  const noCapacity: FailedOffering[] = [];
  const otherErrors: string[] = [];
  for (const e of out.Errors ?? []) {
    const overrides = e.LaunchTemplateAndOverrides?.Overrides;
    const offering = { instanceType: overrides?.InstanceType ?? '', zone: zoneOf(overrides), capacityType: e.Lifecycle === 'spot' ? 'spot' : 'on-demand' };
    if (INSUFFICIENT_CAPACITY_CODES.has(e.ErrorCode ?? '') && offering.instanceType !== '') noCapacity.push(offering);
    else otherErrors.push(`${e.ErrorCode ?? 'Unknown'}: ${e.ErrorMessage ?? ''} (${offering.instanceType || 'any type'}, ${offering.zone || 'any zone'})`);
  }
  return { instances, noCapacity, otherErrors };
}
