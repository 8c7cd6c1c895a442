/**
 * One launch: from a NodeClaim and its resolved node class to a running instance, through launch
 * templates and an instant CreateFleet over the cheapest compatible offerings. A retry after a lost
 * reply first looks for the instance by its nodeclaim tag, so a claim never gets two machines.
 */
import type { CreateFleetCommandOutput, EC2Client, Instance } from '@aws-sdk/client-ec2';
import { CreateFleetCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { Taint } from '../../apis/core.js';
import { NODEPOOL_LABEL, UNREGISTERED_TAINT } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { CloudProviderError, InsufficientCapacityError } from '../cloud-provider.js';
import type { LaunchCandidate } from '../launch.js';
import { launchCandidates, launchedClaim } from '../launch.js';
import type { InstanceType } from '../types.js';
import type { UnavailableOfferings } from '../unavailable-offerings.js';
import { awsErrorInfo } from './errors.js';
import { fleetInput, planFleet, readFleet } from './fleet.js';
import type { LaunchedInstance } from './fleet.js';
import { capacityTypeOf, formatProviderID, instanceClaim, launchTags } from './instances.js';
import type { LaunchTemplateProvider } from './launch-templates.js';
import type { ResolvedNodeClass } from './node-class.js';
import { subnetForZone } from './node-class.js';
import type { Retrier } from './retry.js';

/** Karpenter's cap on the instance types of one fleet request. */
export const DEFAULT_MAX_INSTANCE_TYPES = 60;

export interface LauncherOptions {
  readonly ec2: EC2Client;
  readonly retry: Retrier;
  readonly region: string;
  readonly clusterName: string;
  readonly templates: LaunchTemplateProvider;
  readonly unavailable: UnavailableOfferings;
  readonly maxInstanceTypes: number;
  /** The live instance tagged with this claim name, if any. */
  readonly findByClaim: (name: string) => Promise<Instance | undefined>;
}

/**
 * The claim as launched on `instance`: labels, capacity and allocatable of its offering among
 * `types` (else of what the instance reports), status.providerID and imageID.
 */
export function claimForInstance(claim: NodeClaim, instance: Instance, types: readonly InstanceType[], region: string): NodeClaim {
  const zone = instance.Placement?.AvailabilityZone ?? '';
  const ct = capacityTypeOf(instance);
  const type = types.find((t) => t.name === instance.InstanceType);
  const offering = type?.offerings.find((o) => o.zone === zone && o.capacityType === ct);
  const machine = { providerID: formatProviderID(zone, instance.InstanceId ?? ''), imageID: instance.ImageId ?? '', region };
  if (type !== undefined && offering !== undefined) return launchedClaim(claim, { instanceType: type, offering }, machine);
  const read = instanceClaim(instance, type, region);
  return { ...structuredClone(claim), metadata: { ...structuredClone(claim.metadata), labels: { ...(claim.metadata.labels ?? {}), ...read.metadata.labels } }, status: { ...(claim.status ?? {}), ...read.status } };
}

/** Error codes saying the launch template named does not exist (any more). */
const TEMPLATE_MISSING = /^InvalidLaunchTemplate(Name|Id)\.(NotFound|Malformed)/;

class TemplateMissing extends CloudProviderError {}

type Outcome = { readonly fleet: CreateFleetCommandOutput } | { readonly found: Instance };

export class Launcher {
  readonly #o: LauncherOptions;

  constructor(options: LauncherOptions) {
    this.#o = options;
  }

  /**
   * Launches one instance for the claim on the cheapest available offering of `types`.
   * @throws InsufficientCapacityError (nothing fits, or EC2 had no capacity for any offering
   *   tried: those are marked unavailable), UserDataError, CloudProviderError.
   */
  async launch(claim: NodeClaim, resolved: ResolvedNodeClass, types: readonly InstanceType[]): Promise<NodeClaim> {
    try {
      return await this.#launch(claim, resolved, types);
    } catch (e) {
      if (!(e instanceof TemplateMissing)) throw e;
      // A template was deleted outside nodewright: forgotten by #launch, made again on this try.
      return this.#launch(claim, resolved, types).catch((again: unknown) => {
        throw again instanceof TemplateMissing ? new CloudProviderError(again.message, { retryable: true, cause: again }) : again;
      });
    }
  }

  async #launch(claim: NodeClaim, resolved: ResolvedNodeClass, types: readonly InstanceType[]): Promise<NodeClaim> {
    const { ec2, retry, unavailable, region } = this.#o;
    const name = claim.metadata.name!;
    const candidates = launchCandidates(claim, types, {
      isUnavailable: (t, z, ct) => unavailable.isUnavailable(t, z, ct),
      maxInstanceTypes: this.#o.maxInstanceTypes,
    });
    const plan = planFleet(candidates, resolved.amis, (zone) => subnetForZone(resolved, zone)?.id);
    if (plan === undefined) {
      throw new InsufficientCapacityError(`launching nodeclaim ${name}: no resolved AMI or subnet serves any of its ${candidates.length} candidate offerings`, []);
    }
    const labels = claim.metadata.labels ?? {};
    const taints: Taint[] = [...(claim.spec.taints ?? []), ...(claim.spec.startupTaints ?? []), UNREGISTERED_TAINT];
    const templates: { name: string; id: string }[] = [];
    for (const config of plan.configs) templates.push(await this.#o.templates.ensure({ resolved, ami: config.ami, labels, taints }));
    const tags = launchTags({
      cluster: this.#o.clusterName, nodePool: labels[NODEPOOL_LABEL] ?? '', nodeClaim: name,
      nodeClass: resolved.nodeClass.metadata.name ?? '', extra: resolved.nodeClass.spec.tags ?? {},
    });
    const input = fleetInput(plan, templates.map((t) => t.name), tags);
    const missing = (): TemplateMissing => {
      for (const t of templates) this.#o.templates.forget(t.name);
      return new TemplateMissing(`launching nodeclaim ${name}: a launch template (${templates.map((t) => t.name).join(', ')}) no longer exists`);
    };
    let outcome: Outcome;
    try {
      outcome = await retry.run<Outcome>(
        `launching nodeclaim ${name} (CreateFleet of ${candidates.length} offerings)`,
        async () => ({ fleet: await ec2.send(new CreateFleetCommand(input)) }),
        async () => {
          const found = await this.#o.findByClaim(name);
          return found === undefined ? undefined : { done: { found } };
        },
      );
    } catch (e) {
      if (TEMPLATE_MISSING.test(awsErrorInfo(e instanceof Error && e.cause !== undefined ? e.cause : e).code)) throw missing();
      throw e;
    }
    if ('found' in outcome) return claimForInstance(claim, outcome.found, types, region);

    const zoneOfSubnet = (id: string): string | undefined => resolved.subnets.find((s) => s.id === id)?.zone;
    const result = readFleet(outcome.fleet, zoneOfSubnet);
    unavailable.markAll(result.noCapacity);
    const [instance, ...extra] = result.instances;
    if (extra.length > 0) await this.#terminateExtra(name, extra);
    if (instance !== undefined) return this.#launched(claim, instance, plan.configs.flatMap((c) => c.overrides.map((o) => ({ o, ami: c.ami.id }))), types);
    const requestId = outcome.fleet.$metadata.requestId;
    const id = requestId === undefined ? '' : ` (request id ${requestId})`;
    if (result.otherErrors.length === 0 && result.noCapacity.length > 0) {
      const tried = result.noCapacity.map((o) => `${o.instanceType}/${o.zone}/${o.capacityType}`).join(', ');
      throw new InsufficientCapacityError(`launching nodeclaim ${name}: EC2 has no capacity for ${tried}${id}`, result.noCapacity, requestId === undefined ? {} : { requestId });
    }
    if (result.otherErrors.some((e) => TEMPLATE_MISSING.test(e))) throw missing();
    const errors = result.otherErrors.length > 0 ? result.otherErrors.join('; ') : 'no instance and no error in the reply';
    throw new CloudProviderError(`launching nodeclaim ${name}: CreateFleet failed: ${errors}${id}`, requestId === undefined ? {} : { requestId });
  }

  #launched(claim: NodeClaim, instance: LaunchedInstance, overrides: readonly { o: { candidate: LaunchCandidate }; ami: string }[], types: readonly InstanceType[]): NodeClaim {
    const match = overrides.find(({ o }) => o.candidate.instanceType.name === instance.instanceType && o.candidate.offering.zone === instance.zone
      && o.candidate.offering.capacityType === instance.capacityType);
    const machine = { providerID: formatProviderID(instance.zone, instance.instanceId), imageID: match?.ami ?? '', region: this.#o.region };
    if (match !== undefined) return launchedClaim(claim, match.o.candidate, machine);
    // EC2 chose an offering outside the request's order (it may): describe it from the catalogue.
    const type = types.find((t) => t.name === instance.instanceType);
    const offering = type?.offerings.find((o) => o.zone === instance.zone && o.capacityType === instance.capacityType);
    if (type === undefined || offering === undefined) {
      throw new CloudProviderError(`launching nodeclaim ${claim.metadata.name ?? ''}: EC2 launched ${instance.instanceId} as ${instance.instanceType} in ${instance.zone}, which is not among the offerings requested`);
    }
    return launchedClaim(claim, { instanceType: type, offering }, machine);
  }

  /** EC2 launched more than the one instance asked for: terminate the others so none leaks. */
  async #terminateExtra(name: string, extra: readonly LaunchedInstance[]): Promise<void> {
    const ids = extra.map((i) => i.instanceId);
    await this.#o.retry.run(`terminating surplus instances ${ids.join(', ')} of nodeclaim ${name}`, () => this.#o.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids })));
  }
}
