/**
 * The AWS cloud provider: EC2 instances launched with instant CreateFleet requests from launch
 * templates, for NodeClaims whose node class is an EC2NodeClass. Instance types, prices and node
 * class resolutions are cached on the injected Clock; every EC2 call retries throttling and
 * transient failures with backoff on that clock.
 */
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { EC2NodeClass, EC2NodeClassStatus } from '../../apis/ec2nodeclass/types.js';
import { GROUP as AWS_API_GROUP, KIND as EC2_NODE_CLASS } from '../../apis/ec2nodeclass/types.js';
import type { NodeClaim, NodeClassReference, NodePool } from '../../apis/v1/types.js';
import type { Clock } from '../../utils/clock.js';
import type { CloudProvider } from '../cloud-provider.js';
import { CloudProviderError, NodeClaimNotFoundError, NodeClassNotReadyError } from '../cloud-provider.js';
import type { InstanceType } from '../types.js';
import { UnavailableOfferings } from '../unavailable-offerings.js';
import type { AwsConnection } from './clients.js';
import { ec2Client, iamClient, pricingClient, ssmClient } from './clients.js';
import { InstanceProfiles } from './instance-profiles.js';
import { SsmParameters } from './ssm-parameters.js';
import { awsErrorInfo, isNotFound } from './errors.js';
import { InstanceTypeProvider } from './instance-types.js';
import { formatProviderID, instanceClaim, instanceIdOf, isLive, LIVE_STATES, NODECLAIM_TAG, NODEPOOL_TAG } from './instances.js';
import { claimForInstance, DEFAULT_MAX_INSTANCE_TYPES, Launcher } from './launcher.js';
import { clusterTag, LaunchTemplateProvider } from './launch-templates.js';
import { driftReason } from './drift.js';
import type { ResolvedNodeClass } from './node-class.js';
import { NodeClassResolver, nodeClassStatus, requireReady } from './node-class.js';
import { PricingProvider } from './pricing.js';
import type { RetryPolicy } from './retry.js';
import { allPages, DEFAULT_RETRY_POLICY, retrier } from './retry.js';
import type { ClusterInfo } from './user-data.js';
import { checkClusterInfo } from './user-data.js';

/** Where the provider reads EC2NodeClasses (the API server through an informer, or a fixed set in tests). */
export interface NodeClassSource {
  get(name: string): Promise<EC2NodeClass | undefined>;
}

export interface AwsCloudProviderOptions extends AwsConnection {
  readonly clock: Clock;
  readonly cluster: ClusterInfo;
  /** "1.31": which EKS AMIs an alias resolves to. */
  readonly kubernetesVersion: string;
  readonly nodeClasses: NodeClassSource;
  /** Shared with the controllers (default: the provider's own). */
  readonly unavailableOfferings?: UnavailableOfferings;
  readonly retry?: RetryPolicy;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Instance-type patterns to consider ("m5.*"), default all. */
  readonly instanceTypePatterns?: readonly string[];
  /** Ask the Pricing API for on-demand prices (default true; the bundled table is the fallback). */
  readonly usePricingApi?: boolean;
  readonly maxInstanceTypes?: number;
  readonly cacheTtlMs?: {
    readonly instanceTypes?: number; readonly offerings?: number; readonly prices?: number; readonly nodeClass?: number;
    /** SSM parameters of "latest" AMI aliases. */
    readonly latestAmiParameters?: number;
    readonly instanceProfiles?: number;
  };
  /** A client to use instead of one built from the connection (tests). */
  readonly ec2?: EC2Client;
}

export class AwsCloudProvider implements CloudProvider {
  readonly name = 'aws';
  readonly unavailableOfferings: UnavailableOfferings;
  readonly pricing: PricingProvider;
  /** The SSM parameters AMI aliases are read from (cached). */
  readonly ssmParameters: SsmParameters;
  readonly instanceProfiles: InstanceProfiles;
  readonly #o: AwsCloudProviderOptions;
  readonly #ec2: EC2Client;
  readonly #retry;
  readonly #resolver: NodeClassResolver;
  readonly #types: InstanceTypeProvider;
  readonly #launcher: Launcher;
  readonly #creating = new Map<string, Promise<NodeClaim>>();

  /** @throws UserDataError for cluster settings that cannot go into user data; RangeError for a bad retry policy. */
  constructor(options: AwsCloudProviderOptions) {
    checkClusterInfo(options.cluster);
    this.#o = options;
    const clock = options.clock;
    this.#ec2 = options.ec2 ?? ec2Client(options);
    this.#retry = retrier(clock, options.retry ?? DEFAULT_RETRY_POLICY, options.random);
    this.unavailableOfferings = options.unavailableOfferings ?? new UnavailableOfferings(clock);
    this.pricing = new PricingProvider({
      ec2: this.#ec2, region: options.region, clock, retry: this.#retry,
      pricingRetry: retrier(clock, { ...(options.retry ?? DEFAULT_RETRY_POLICY), attempts: 1 }, options.random),
      ...(options.usePricingApi === false ? {} : { pricing: pricingClient(options) }),
      ...(options.cacheTtlMs?.prices === undefined ? {} : { refreshMs: options.cacheTtlMs.prices }),
    });
    this.ssmParameters = new SsmParameters({
      ssm: ssmClient(options), retry: this.#retry, clock,
      ...(options.cacheTtlMs?.latestAmiParameters === undefined ? {} : { mutableTtlMs: options.cacheTtlMs.latestAmiParameters }),
    });
    this.instanceProfiles = new InstanceProfiles({
      iam: iamClient(options), retry: this.#retry, clock, cluster: options.cluster.name, region: options.region,
      ...(options.cacheTtlMs?.instanceProfiles === undefined ? {} : { ttlMs: options.cacheTtlMs.instanceProfiles }),
    });
    this.#resolver = new NodeClassResolver({
      ec2: this.#ec2, retry: this.#retry, clock, kubernetesVersion: options.kubernetesVersion,
      parameters: this.ssmParameters, instanceProfiles: this.instanceProfiles,
      ...(options.cacheTtlMs?.nodeClass === undefined ? {} : { ttlMs: options.cacheTtlMs.nodeClass }),
    });
    this.#types = new InstanceTypeProvider({
      ec2: this.#ec2, retry: this.#retry, clock, region: options.region, pricing: this.pricing,
      ...(options.instanceTypePatterns === undefined ? {} : { patterns: options.instanceTypePatterns }),
      ...(options.cacheTtlMs?.instanceTypes === undefined ? {} : { typesTtlMs: options.cacheTtlMs.instanceTypes }),
      ...(options.cacheTtlMs?.offerings === undefined ? {} : { offeringsTtlMs: options.cacheTtlMs.offerings }),
    });
    this.#launcher = new Launcher({
      ec2: this.#ec2, retry: this.#retry, region: options.region, clusterName: options.cluster.name,
      templates: new LaunchTemplateProvider({ ec2: this.#ec2, retry: this.#retry, cluster: options.cluster }),
      unavailable: this.unavailableOfferings, maxInstanceTypes: options.maxInstanceTypes ?? DEFAULT_MAX_INSTANCE_TYPES,
      findByClaim: (name) => this.#findByClaim(name),
    });
  }

  /** See CloudProvider.create. Concurrent creates of one claim share one launch. */
  create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const name = nodeClaim.metadata.name;
    if (!name) return Promise.reject(new CloudProviderError('launching a nodeclaim without metadata.name: instances are tagged with it'));
    let pending = this.#creating.get(name);
    if (pending === undefined) {
      pending = this.#create(name, nodeClaim).finally(() => this.#creating.delete(name));
      this.#creating.set(name, pending);
    }
    return pending.then((c) => structuredClone(c));
  }

  async #create(name: string, claim: NodeClaim): Promise<NodeClaim> {
    const resolved = requireReady(await this.#resolve(claim.spec.nodeClassRef, `launching nodeclaim ${name}`), `launching nodeclaim ${name}`);
    const types = this.unavailableOfferings.apply(await this.#types.list(resolved));
    const existing = await this.#findByClaim(name);
    if (existing !== undefined) return claimForInstance(claim, existing, types, this.#o.region);
    return this.#launcher.launch(claim, resolved, types);
  }

  /** See CloudProvider.delete: TerminateInstances; NodeClaimNotFoundError once it is gone. */
  async delete(nodeClaim: NodeClaim): Promise<void> {
    const name = nodeClaim.metadata.name ?? '';
    const providerID = nodeClaim.status?.providerID;
    let id = providerID === undefined ? undefined : instanceIdOf(providerID);
    if (id === undefined) id = (await this.#findByClaim(name))?.InstanceId;
    if (id === undefined) throw new NodeClaimNotFoundError(`deleting nodeclaim ${name}: no instance is tagged for it`);
    const instance = await this.#describe(id, `deleting nodeclaim ${name}`);
    if (instance === undefined || !isLive(instance)) throw new NodeClaimNotFoundError(`deleting nodeclaim ${name}: instance ${id} is already terminated`);
    try {
      await this.#retry.run(`deleting nodeclaim ${name}: terminating instance ${id}`, () => this.#ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
    } catch (e) {
      if (isNotFound(awsErrorInfo((e as Error).cause ?? e))) throw new NodeClaimNotFoundError(`deleting nodeclaim ${name}: instance ${id} does not exist`, { cause: e });
      throw e;
    }
  }

  /** See CloudProvider.get. */
  async get(providerID: string): Promise<NodeClaim> {
    const id = instanceIdOf(providerID);
    if (id === undefined) throw new CloudProviderError(`getting machine ${providerID}: not an EC2 provider ID (aws:///<zone>/i-…)`);
    const instance = await this.#describe(id, `getting machine ${providerID}`);
    if (instance === undefined || !isLive(instance) || !this.#ours(instance)) throw new NodeClaimNotFoundError(`getting machine ${providerID}: no live instance ${id} of cluster ${this.#o.cluster.name}`);
    return this.#claimOf(instance);
  }

  /** See CloudProvider.list: live instances tagged for this cluster and a node pool. */
  async list(): Promise<NodeClaim[]> {
    const instances = await this.#describeTagged([{ Name: 'tag-key', Values: [NODEPOOL_TAG] }], 'listing instances');
    const out: NodeClaim[] = [];
    for (const i of instances) out.push(await this.#claimOf(i));
    return out;
  }

  /** See CloudProvider.getInstanceTypes. @throws NodeClassNotReadyError, CloudProviderError. */
  async getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]> {
    const what = `listing instance types of nodepool ${nodePool.metadata.name ?? ''}`;
    const resolved = requireReady(await this.#resolve(nodePool.spec.template.spec.nodeClassRef, what), what);
    return this.unavailableOfferings.apply(await this.#types.list(resolved));
  }

  /** See CloudProvider.isDrifted: "AMIDrift", "SubnetDrift" or "SecurityGroupDrift". */
  async isDrifted(nodeClaim: NodeClaim): Promise<string | undefined> {
    const name = nodeClaim.metadata.name ?? '';
    const id = instanceIdOf(nodeClaim.status?.providerID ?? '');
    if (id === undefined) return undefined;
    const instance = await this.#describe(id, `checking nodeclaim ${name} for drift`);
    if (instance === undefined || !isLive(instance)) return undefined;
    return driftReason(instance, await this.#resolve(nodeClaim.spec.nodeClassRef, `checking nodeclaim ${name} for drift`));
  }

  /**
   * The status an EC2NodeClass should show: resolved subnets, security groups, AMIs and conditions.
   * @throws CloudProviderError when EC2 fails.
   */
  async nodeClassStatus(nodeClass: EC2NodeClass): Promise<EC2NodeClassStatus> {
    return nodeClassStatus(await this.#resolver.resolve(nodeClass));
  }

  /**
   * Provider IDs of these instances, for those EC2 still describes (terminated ones included while
   * it does): what interruption messages, which name instance ids only, are matched by.
   * @throws CloudProviderError when EC2 fails.
   */
  async providerIDsOf(instanceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < instanceIds.length; i += 100) {
      const chunk = instanceIds.slice(i, i + 100);
      // A filter, not InstanceIds: an id EC2 no longer knows must not fail the others.
      const pages = await allPages(this.#retry, `looking up instances ${chunk.join(', ')}`, (token) => this.#ec2.send(new DescribeInstancesCommand({
        Filters: [{ Name: 'instance-id', Values: chunk }], NextToken: token,
      })));
      for (const instance of pages.flatMap((p) => p.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        if (instance.InstanceId !== undefined) out.set(instance.InstanceId, formatProviderID(instance.Placement?.AvailabilityZone ?? '', instance.InstanceId));
      }
    }
    return out;
  }

  /**
   * Releases what the provider made for a node class that is going away: the instance profile it
   * created for a spec.role, now or earlier (only one tagged as this cluster's). Idempotent.
   * @throws CloudProviderError when IAM fails.
   */
  async finalizeNodeClass(nodeClass: EC2NodeClass): Promise<void> {
    await this.instanceProfiles.delete(nodeClass.metadata.name ?? '');
    this.#resolver.invalidate();
  }

  /** Forgets cached node class resolutions and alias parameters (after subnets, groups or images changed). */
  invalidateNodeClasses(): void {
    this.#resolver.invalidate();
    this.ssmParameters.invalidate();
  }

  async #resolve(ref: NodeClassReference, what: string): Promise<ResolvedNodeClass> {
    if (ref.group !== AWS_API_GROUP || ref.kind !== EC2_NODE_CLASS) {
      throw new NodeClassNotReadyError(`${what}: node class ${ref.group}/${ref.kind} ${ref.name} is not an ${AWS_API_GROUP} ${EC2_NODE_CLASS}`);
    }
    const nodeClass = await this.#o.nodeClasses.get(ref.name);
    if (nodeClass === undefined) throw new NodeClassNotReadyError(`${what}: EC2NodeClass ${ref.name} not found`);
    return this.#resolver.resolve(nodeClass);
  }

  #ours(instance: Instance): boolean {
    return instance.Tags?.some((t) => t.Key === clusterTag(this.#o.cluster.name)) === true;
  }

  async #claimOf(instance: Instance): Promise<NodeClaim> {
    await this.#types.types();
    const record = this.#types.known(instance.InstanceType ?? '');
    return instanceClaim(instance, record === undefined ? undefined : this.#types.shape(record, undefined, undefined), this.#o.region);
  }

  /** The instance, or undefined when EC2 does not know it. */
  async #describe(id: string, what: string): Promise<Instance | undefined> {
    try {
      const out = await this.#retry.run(`${what}: describing instance ${id}`, () => this.#ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })));
      return out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    } catch (e) {
      if (isNotFound(awsErrorInfo((e as Error).cause ?? e))) return undefined;
      throw e;
    }
  }

  async #describeTagged(filters: { Name: string; Values: string[] }[], what: string): Promise<Instance[]> {
    const pages = await allPages(this.#retry, what, (token) => this.#ec2.send(new DescribeInstancesCommand({
      Filters: [{ Name: `tag:${clusterTag(this.#o.cluster.name)}`, Values: ['owned'] }, { Name: 'instance-state-name', Values: [...LIVE_STATES] }, ...filters],
      NextToken: token,
    })));
    return pages.flatMap((p) => p.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter(isLive);
  }

  /** The live instance launched for a claim name (the oldest, should there be several). */
  async #findByClaim(name: string): Promise<Instance | undefined> {
    const found = await this.#describeTagged([{ Name: `tag:${NODECLAIM_TAG}`, Values: [name] }], `looking for the instance of nodeclaim ${name}`);
    return found.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0))[0];
  }
}
