/**
 * Resolving an EC2NodeClass against EC2: the subnets, security groups and AMIs its selector terms
 * select and its instance profile, as the status the node class shows (with conditions saying what
 * is missing) and as what launches and drift checks use. Cached per node class spec for a short
 * while on the Clock.
 */
import type { EC2Client, Subnet } from '@aws-sdk/client-ec2';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type { Condition } from '../../apis/core.js';
import type { EC2NodeClass, EC2NodeClassStatus, ResolvedAMI, ResolvedSecurityGroup, ResolvedSubnet } from '../../apis/ec2nodeclass/types.js';
import { EC2NodeClassConditions } from '../../apis/ec2nodeclass/types.js';
import type { Clock } from '../../utils/clock.js';
import { formatKubeTime } from '../../utils/clock.js';
import { NodeClassNotReadyError } from '../cloud-provider.js';
import { AliasResolutionError, resolveAMIs, UnsupportedAliasError } from './amis.js';
import type { InstanceProfiles } from './instance-profiles.js';
import { InstanceProfileError } from './instance-profiles.js';
import type { Retrier } from './retry.js';
import { allPages } from './retry.js';
import { securityGroupFilters, subnetFilters } from './selectors.js';
import type { ParameterSource } from './ssm-parameters.js';

export const DEFAULT_NODE_CLASS_TTL_MS = 60_000;

const FALSE_REASONS: Readonly<Record<string, string>> = {
  [EC2NodeClassConditions.SubnetsReady]: 'SubnetsNotFound',
  [EC2NodeClassConditions.SecurityGroupsReady]: 'SecurityGroupsNotFound',
  [EC2NodeClassConditions.AMIsReady]: 'AMINotFound',
  [EC2NodeClassConditions.InstanceProfileReady]: 'InstanceProfileNotReady',
};

export interface ResolvedNodeClass {
  readonly nodeClass: EC2NodeClass;
  /** Every subnet selected, by zone, and within a zone those with the most free addresses first. */
  readonly subnets: readonly ResolvedSubnet[];
  readonly securityGroups: readonly ResolvedSecurityGroup[];
  readonly amis: readonly ResolvedAMI[];
  readonly instanceProfile: string | undefined;
  /** Ready and one condition per resolved part. */
  readonly conditions: readonly Condition[];
  /** Each part that is missing, in words ("no subnet matches subnetSelectorTerms"); empty when ready. */
  readonly problems: readonly string[];
}

/** The subnet launches in `zone` use: the one with the most free addresses there. */
export function subnetForZone(resolved: ResolvedNodeClass, zone: string): ResolvedSubnet | undefined {
  return resolved.subnets.find((s) => s.zone === zone);
}

/** The node class status for a resolution (conditions stamped with `now`). */
export function nodeClassStatus(resolved: ResolvedNodeClass): EC2NodeClassStatus {
  return {
    subnets: [...resolved.subnets],
    securityGroups: [...resolved.securityGroups],
    amis: [...resolved.amis],
    ...(resolved.instanceProfile === undefined ? {} : { instanceProfile: resolved.instanceProfile }),
    conditions: [...resolved.conditions],
  };
}

export interface NodeClassResolverOptions {
  readonly ec2: EC2Client;
  /** Where AMI aliases are looked up (SSM). */
  readonly parameters: ParameterSource;
  /** Profiles for node classes that name a role. */
  readonly instanceProfiles: InstanceProfiles;
  readonly retry: Retrier;
  readonly clock: Clock;
  readonly kubernetesVersion: string;
  readonly ttlMs?: number;
}

export class NodeClassResolver {
  readonly #o: NodeClassResolverOptions;
  readonly #cache = new Map<string, { at: number; value: Promise<ResolvedNodeClass> }>();

  constructor(options: NodeClassResolverOptions) {
    this.#o = options;
  }

  /**
   * The node class resolved (cached per name, spec and deletion for the TTL). A failed EC2 call is
   * not cached. Selection problems (no subnet, an alias SSM cannot resolve, a role IAM refuses)
   * are reported in `problems` and the conditions, not thrown. A node class being deleted is not
   * ready, and its instance profile is not created again.
   * @throws CloudProviderError when an EC2 call fails after retries, or IAM keeps failing transiently.
   */
  resolve(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    const key = `${nodeClass.metadata.name ?? ''}\u0000${nodeClass.metadata.deletionTimestamp ?? ''}\u0000${JSON.stringify(nodeClass.spec)}`;
    const now = this.#o.clock.now();
    const hit = this.#cache.get(key);
    if (hit !== undefined && now - hit.at < (this.#o.ttlMs ?? DEFAULT_NODE_CLASS_TTL_MS)) return hit.value;
    const value = this.#resolve(nodeClass);
    this.#cache.set(key, { at: now, value });
    value.catch(() => this.#cache.delete(key));
    return value;
  }

  /** Forgets cached resolutions (after a change made outside, e.g. in tests). */
  invalidate(): void {
    this.#cache.clear();
  }

  async #resolve(nodeClass: EC2NodeClass): Promise<ResolvedNodeClass> {
    const { ec2, retry } = this.#o;
    const spec = nodeClass.spec;
    const subnetsById = new Map<string, Subnet>();
    for (const term of spec.subnetSelectorTerms) {
      const pages = await allPages(retry, `finding subnets for selector term ${JSON.stringify(term)}`, (token) =>
        ec2.send(new DescribeSubnetsCommand({ Filters: subnetFilters(term), NextToken: token })));
      for (const s of pages.flatMap((p) => p.Subnets ?? [])) if (s.SubnetId !== undefined && s.AvailabilityZone !== undefined) subnetsById.set(s.SubnetId, s);
    }
    // Within a zone, most free addresses first: launches take the first subnet of each zone.
    const subnets: ResolvedSubnet[] = [...subnetsById.values()]
      .sort((a, b) => a.AvailabilityZone!.localeCompare(b.AvailabilityZone!)
        || (b.AvailableIpAddressCount ?? 0) - (a.AvailableIpAddressCount ?? 0) || a.SubnetId!.localeCompare(b.SubnetId!))
      .map((s) => ({ id: s.SubnetId!, zone: s.AvailabilityZone!, ...(s.AvailabilityZoneId === undefined ? {} : { zoneID: s.AvailabilityZoneId }) }));

    const groups = new Map<string, ResolvedSecurityGroup>();
    for (const term of spec.securityGroupSelectorTerms) {
      const pages = await allPages(retry, `finding security groups for selector term ${JSON.stringify(term)}`, (token) =>
        ec2.send(new DescribeSecurityGroupsCommand({ Filters: securityGroupFilters(term), NextToken: token })));
      for (const g of pages.flatMap((p) => p.SecurityGroups ?? [])) {
        if (g.GroupId !== undefined) groups.set(g.GroupId, { id: g.GroupId, ...(g.GroupName === undefined ? {} : { name: g.GroupName }) });
      }
    }
    const securityGroups = [...groups.values()].sort((a, b) => a.id.localeCompare(b.id));

    let amis: ResolvedAMI[] = [];
    let amiProblem: string | undefined;
    try {
      amis = await resolveAMIs(ec2, retry, this.#o.parameters, spec.amiSelectorTerms, this.#o.kubernetesVersion);
    } catch (e) {
      if (!(e instanceof UnsupportedAliasError) && !(e instanceof AliasResolutionError)) throw e;
      amiProblem = e.message;
    }

    const deleting = nodeClass.metadata.deletionTimestamp !== undefined;
    let instanceProfile = spec.instanceProfile;
    let profileProblem: string | undefined;
    if (instanceProfile === undefined && spec.role === undefined) profileProblem = 'neither spec.role nor spec.instanceProfile is set';
    else if (instanceProfile === undefined && spec.role !== undefined && deleting) instanceProfile = this.#o.instanceProfiles.nameFor(nodeClass.metadata.name ?? '');
    else if (instanceProfile === undefined && spec.role !== undefined) {
      try {
        instanceProfile = await this.#o.instanceProfiles.ensure(nodeClass.metadata.name ?? '', spec.role);
      } catch (e) {
        if (!(e instanceof InstanceProfileError)) throw e;
        profileProblem = e.message;
      }
    }
    const now = formatKubeTime(this.#o.clock.now());
    const condition = (type: string, problem: string | undefined, okReason: string): Condition => ({
      type, status: problem === undefined ? 'True' : 'False', reason: problem === undefined ? okReason : (FALSE_REASONS[type] ?? 'NotReady'),
      message: problem ?? '', lastTransitionTime: now, ...(nodeClass.metadata.generation === undefined ? {} : { observedGeneration: nodeClass.metadata.generation }),
    });
    const parts: [string, string | undefined][] = [
      [EC2NodeClassConditions.SubnetsReady, subnets.length === 0 ? 'no subnet matches subnetSelectorTerms' : undefined],
      [EC2NodeClassConditions.SecurityGroupsReady, securityGroups.length === 0 ? 'no security group matches securityGroupSelectorTerms' : undefined],
      [EC2NodeClassConditions.AMIsReady, amiProblem ?? (amis.length === 0 ? `no AMI matches amiSelectorTerms (Kubernetes ${this.#o.kubernetesVersion})` : undefined)],
      [EC2NodeClassConditions.InstanceProfileReady, profileProblem],
    ];
    const conditions = parts.map(([type, problem]) => condition(type, problem, 'Resolved'));
    const problems = parts.flatMap(([, p]) => (p === undefined ? [] : [p]));
    if (deleting) problems.push('it is being deleted');
    conditions.push(condition(EC2NodeClassConditions.Ready, problems.length === 0 ? undefined : problems.join('; '), 'Ready'));
    return { nodeClass, subnets, securityGroups, amis, instanceProfile, conditions, problems };
  }
}

/**
 * The resolution when it is ready.
 * @throws NodeClassNotReadyError naming the node class and what is missing.
 */
export function requireReady(resolved: ResolvedNodeClass, forWhat: string): ResolvedNodeClass {
  if (resolved.problems.length === 0) return resolved;
  throw new NodeClassNotReadyError(`${forWhat}: EC2NodeClass ${resolved.nodeClass.metadata.name ?? ''} is not ready: ${resolved.problems.join('; ')}`);
}
