/**
 * A simulated EC2 Auto Scaling Group: it keeps as many instances as its desired capacity, launching
 * them through the simulated cloud in the zone with the fewest instances (falling back to the other
 * zones, and for on-demand to the group's other instance types in order, when a launch lacks
 * capacity), retries launches that failed after a while, replaces instances reclaimed by a spot
 * interruption, and terminates instances on request, decrementing the desired capacity as
 * TerminateInstanceInAutoScalingGroup does. The Cluster Autoscaler only ever talks to it.
 */
import type { Labels, Taint } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { isNodeClaimNotFound } from '../../cloudprovider/cloud-provider.js';
import type { CapacityType } from '../../cloudprovider/types.js';
import type { Clock } from '../../utils/clock.js';
import type { NodeGroupSpec } from '../scenario/types.js';
import { launchClaim } from './launch-request.js';

/** What the group needs of the cloud: SimCloudProvider has all of it. */
export interface AsgCloud {
  create(claim: NodeClaim): Promise<NodeClaim>;
  delete(claim: NodeClaim): Promise<void>;
  /** Spot interruption notices; without it interrupted instances are not replaced. */
  onInterruption?(listener: (e: { readonly providerID: string; readonly terminateAt: number }) => void): () => void;
}

/** pending: being launched · in-service: running · terminating: being shut down. */
export type AsgInstanceState = 'pending' | 'in-service' | 'terminating';

export interface AsgInstance {
  /** The launch request's name (the simulated cloud's claim name). */
  readonly name: string;
  readonly zone: string;
  readonly instanceType: string;
  readonly capacityType: CapacityType;
  readonly state: AsgInstanceState;
  /** Set once launched. */
  readonly providerID?: string;
  readonly requestedAt: number;
  readonly launchedAt?: number;
  /** Taints its kubelet registers the Node with (`--register-with-taints`). */
  readonly taints: readonly Taint[];
}

type Instance = { -readonly [K in keyof AsgInstance]: AsgInstance[K] } & { claim?: NodeClaim; labels: Labels; pinnedTypes?: readonly string[] };

export interface AsgDeps {
  readonly clock: Clock;
  readonly cloud: AsgCloud;
  /** How soon launches that failed are retried. */
  readonly retryMs: number;
  /** Told about failures that are not the group's business to act on (failed deletes). */
  readonly onProblem?: (e: Error) => void;
}

/** A launch of this group failed in every zone and type it tried. */
export interface LaunchFailure {
  readonly at: number;
  readonly message: string;
}

export class AutoScalingGroup {
  readonly spec: NodeGroupSpec;
  readonly #deps: AsgDeps;
  #desired = 0;
  readonly #instances = new Map<string, Instance>();
  readonly #byProviderID = new Map<string, Instance>();
  #seq = 0;
  #launching = 0;
  #retryAt: number | undefined;
  #cancelRetry: (() => void) | undefined;
  #lastFailure: LaunchFailure | undefined;
  readonly #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(spec: NodeGroupSpec, deps: AsgDeps) {
    if (spec.instanceTypes.length === 0 || spec.zones.length === 0) {
      throw new RangeError(`creating auto scaling group ${spec.name}: it needs at least one instance type and one zone`);
    }
    this.spec = spec;
    this.#deps = deps;
    this.#unsubscribe = deps.cloud.onInterruption?.((e) => this.#interrupted(e.providerID, e.terminateAt));
  }

  get desired(): number {
    return this.#desired;
  }

  /** The latest launch that failed everywhere (cleared by a successful launch). */
  get lastFailure(): LaunchFailure | undefined {
    return this.#lastFailure;
  }

  /** SetDesiredCapacity: launches what is missing at once. @throws RangeError for a count that is not an integer >= 0. */
  setDesired(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`setting the desired capacity of ${this.spec.name}: must be an integer >= 0, got ${count}`);
    this.#desired = count;
    this.#reconcile();
  }

  /** Instances pending or in service (not terminating), oldest first. */
  instances(): AsgInstance[] {
    return [...this.#instances.values()].map((i) => this.#view(i));
  }

  /** The instance with this provider ID, while it belongs to the group. */
  instanceByProviderID(providerID: string): AsgInstance | undefined {
    const i = this.#byProviderID.get(providerID);
    return i ? this.#view(i) : undefined;
  }

  /**
   * Adds one instance of the given type, zone, labels and taints (a node present when the
   * simulation starts), raising the desired capacity by one.
   * @throws the cloud's error when it cannot be launched (the desired capacity is restored).
   */
  async launchPinned(o: { name: string; instanceType: string; zone: string; labels: Labels; taints: readonly Taint[] }): Promise<AsgInstance> {
    this.#desired++;
    const instance = this.#newInstance(o.zone, o.instanceType, { ...this.spec.labels, ...o.labels }, o.taints, o.name);
    instance.pinnedTypes = [o.instanceType];
    this.#launching++;
    try {
      await this.#launch(instance, [o.zone], [[o.instanceType]]);
      return this.#view(instance);
    } catch (e) {
      this.#desired--;
      throw e;
    } finally {
      this.#launching--;
    }
  }

  /**
   * Terminates the instance and, with `decrement`, lowers the desired capacity by one (else the
   * group launches a replacement). Resolves once the cloud accepted the termination.
   * @returns false when no in-service instance of the group has this provider ID.
   */
  async terminate(providerID: string, decrement: boolean): Promise<boolean> {
    const instance = this.#byProviderID.get(providerID);
    if (!instance || instance.state !== 'in-service' || !instance.claim) return false;
    instance.state = 'terminating';
    if (decrement) this.#desired = Math.max(0, this.#desired - 1);
    try {
      await this.#deps.cloud.delete(instance.claim);
    } catch (e) {
      if (!isNodeClaimNotFound(e)) this.#deps.onProblem?.(new Error(`terminating instance ${providerID} of ${this.spec.name}: ${(e as Error).message}`, { cause: e }));
    }
    this.#forget(instance);
    this.#reconcile();
    return true;
  }

  /** True while a launch is under way, or a retry is due within `horizonMs`. */
  isBusy(horizonMs = 0): boolean {
    return this.#launching > 0 || (this.#retryAt !== undefined && this.#retryAt <= this.#deps.clock.now() + horizonMs);
  }

  /** Stops retrying and following interruptions. */
  stop(): void {
    this.#stopped = true;
    this.#cancelRetry?.();
    this.#unsubscribe?.();
  }

  #view(i: Instance): AsgInstance {
    const { claim: _c, labels: _l, pinnedTypes: _p, ...view } = i;
    return { ...view, taints: i.taints.map((t) => ({ ...t })) };
  }

  #newInstance(zone: string, instanceType: string, labels: Labels, taints: readonly Taint[], name?: string): Instance {
    const instance: Instance = {
      name: name ?? `${this.spec.name}-${(++this.#seq).toString().padStart(5, '0')}`,
      zone, instanceType, capacityType: this.spec.capacityType, state: 'pending',
      requestedAt: this.#deps.clock.now(), taints: taints.map((t) => ({ ...t })), labels,
    };
    this.#instances.set(instance.name, instance);
    return instance;
  }

  #reconcile(): void {
    if (this.#stopped) return;
    const missing = this.#desired - this.#instances.size;
    for (let k = 0; k < missing; k++) {
      const zones = this.#zonesByBalance();
      const instance = this.#newInstance(zones[0]!, this.spec.instanceTypes[0]!, { ...this.spec.labels }, this.spec.taints);
      // On-demand mixed groups launch types in priority order; spot asks for them all and lets the
      // cloud take the cheapest with capacity (the lowest-price allocation strategy).
      const typeChoices = this.spec.capacityType === 'spot' ? [this.spec.instanceTypes] : this.spec.instanceTypes.map((t) => [t]);
      this.#launching++;
      this.#launch(instance, zones, typeChoices)
        .catch((e: unknown) => {
          this.#lastFailure = { at: this.#deps.clock.now(), message: (e as Error).message };
          this.#scheduleRetry();
        })
        .finally(() => this.#launching--);
    }
  }

  /** Zones by how many instances they hold, fewest first (ties in the group's order). */
  #zonesByBalance(): string[] {
    const count = new Map(this.spec.zones.map((z) => [z, 0]));
    for (const i of this.#instances.values()) if (count.has(i.zone)) count.set(i.zone, count.get(i.zone)! + 1);
    return this.spec.zones.map((z, idx) => ({ z, idx, n: count.get(z)! })).sort((a, b) => a.n - b.n || a.idx - b.idx).map((x) => x.z);
  }

  /** Tries each zone, and in it each set of types, until one launches. @throws the last error (the instance is dropped). */
  async #launch(instance: Instance, zones: readonly string[], typeChoices: readonly (readonly string[])[]): Promise<void> {
    let last: unknown;
    for (const zone of zones) {
      for (const types of typeChoices) {
        instance.zone = zone;
        try {
          const launched = await this.#deps.cloud.create(launchClaim({
            name: instance.name, instanceTypes: types, zone, capacityType: this.spec.capacityType, labels: instance.labels,
          }));
          this.#launched(instance, launched);
          return;
        } catch (e) {
          last = e;
          if (this.#stopped || this.#instances.get(instance.name) !== instance) break;
        }
      }
    }
    this.#forget(instance);
    throw last instanceof Error ? last : new Error(String(last));
  }

  #launched(instance: Instance, claim: NodeClaim): void {
    const labels = claim.metadata.labels ?? {};
    instance.claim = claim;
    instance.providerID = claim.status?.providerID;
    instance.zone = labels[ZONE_LABEL] ?? instance.zone;
    instance.instanceType = labels[INSTANCE_TYPE_LABEL] ?? instance.instanceType;
    instance.capacityType = (labels[CAPACITY_TYPE_LABEL] as CapacityType | undefined) ?? instance.capacityType;
    instance.launchedAt = this.#deps.clock.now();
    instance.state = 'in-service';
    this.#lastFailure = undefined;
    if (instance.providerID) this.#byProviderID.set(instance.providerID, instance);
    if (this.#instances.get(instance.name) !== instance || this.#stopped) {
      // Dropped while it was launching: do not keep a machine nobody owns.
      this.#deps.cloud.delete(claim).catch((e: unknown) => this.#deps.onProblem?.(e as Error));
      this.#forget(instance);
    }
  }

  #forget(instance: Instance): void {
    if (this.#instances.get(instance.name) === instance) this.#instances.delete(instance.name);
    if (instance.providerID && this.#byProviderID.get(instance.providerID) === instance) this.#byProviderID.delete(instance.providerID);
  }

  #scheduleRetry(): void {
    if (this.#retryAt !== undefined || this.#stopped) return;
    this.#retryAt = this.#deps.clock.now() + this.#deps.retryMs;
    this.#cancelRetry = this.#deps.clock.setTimer(this.#deps.retryMs, () => {
      this.#retryAt = undefined;
      this.#cancelRetry = undefined;
      this.#reconcile();
    });
  }

  /** The cloud reclaims the machine at `terminateAt`; the group then launches a replacement. */
  #interrupted(providerID: string, terminateAt: number): void {
    const instance = this.#byProviderID.get(providerID);
    if (!instance) return;
    this.#deps.clock.setTimer(terminateAt - this.#deps.clock.now(), () => {
      if (this.#byProviderID.get(providerID) !== instance || instance.state !== 'in-service') return;
      this.#forget(instance);
      this.#reconcile();
    });
  }
}
