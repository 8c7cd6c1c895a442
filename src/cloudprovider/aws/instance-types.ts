/**
 * The instance types a node class can launch: DescribeInstanceTypes (what each type is) and
 * DescribeInstanceTypeOfferings per zone (where it is sold), priced by the PricingProvider, sized as
 * EKS nodes get them (allocatable.ts) and kept to the types some resolved AMI runs on. EC2 answers
 * are cached and refreshed lazily on the Clock.
 */
import type { EC2Client, Filter } from '@aws-sdk/client-ec2';
import { DescribeInstanceTypeOfferingsCommand, DescribeInstanceTypesCommand } from '@aws-sdk/client-ec2';
import type { BlockDeviceMapping, KubeletConfiguration } from '../../apis/ec2nodeclass/types.js';
import { REGION_LABEL } from '../../apis/labels.js';
import type { Clock } from '../../utils/clock.js';
import { resourceAmount } from '../../utils/quantity.js';
import { CloudProviderError } from '../cloud-provider.js';
import type { InstanceType, Offering } from '../types.js';
import { DEFAULT_ROOT_VOLUME_BYTES, maxPods, nodeCapacity, nodeOverhead } from './allocatable.js';
import { labelsSatisfy } from './amis.js';
import type { Ec2TypeInfo } from './instance-type-info.js';
import { readInstanceTypeInfo } from './instance-type-info.js';
import type { ResolvedNodeClass } from './node-class.js';
import type { PricingProvider } from './pricing.js';
import type { Retrier } from './retry.js';
import { allPages } from './retry.js';

export const DEFAULT_INSTANCE_TYPES_TTL_MS = 3600_000;
export const DEFAULT_OFFERINGS_TTL_MS = 5 * 60_000;

export interface TypeRecord extends Ec2TypeInfo {
  /** "spot", "on-demand": the usage classes EC2 sells the type under. */
  readonly usageClasses: ReadonlySet<string>;
}

export interface InstanceTypeProviderOptions {
  readonly ec2: EC2Client;
  readonly retry: Retrier;
  readonly clock: Clock;
  readonly region: string;
  readonly pricing: PricingProvider;
  /** Instance-type name patterns to consider ("m5.*"); default every type. */
  readonly patterns?: readonly string[];
  readonly typesTtlMs?: number;
  readonly offeringsTtlMs?: number;
}

interface Cached<T> { at: number; value: Promise<T> }

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length === 0 ? [[]] : out;
}

/** Root volume size: the mapping marked rootVolume, else /dev/xvda, else AL2023's 20 GiB. */
export function rootVolumeBytes(mappings: readonly BlockDeviceMapping[] | undefined): number {
  const root = mappings?.find((m) => m.rootVolume === true) ?? mappings?.find((m) => m.deviceName === '/dev/xvda');
  const size = root?.ebs?.volumeSize;
  return size === undefined ? DEFAULT_ROOT_VOLUME_BYTES : resourceAmount('ephemeral-storage', size);
}

export class InstanceTypeProvider {
  readonly #o: InstanceTypeProviderOptions;
  #types: Cached<ReadonlyMap<string, TypeRecord>> | undefined;
  #zones: Cached<ReadonlyMap<string, ReadonlySet<string>>> | undefined;
  /** The list last built for a resolution (resolutions are cached objects), with what it was built from. */
  readonly #built = new WeakMap<ResolvedNodeClass, { types: unknown; zones: unknown; prices: number; list: readonly InstanceType[] }>();
  /** The last types fetched, for synchronous look-ups. */
  #known: ReadonlyMap<string, TypeRecord> = new Map();

  constructor(options: InstanceTypeProviderOptions) {
    this.#o = options;
  }

  #filters(): Filter[] {
    return this.#o.patterns === undefined ? [] : [{ Name: 'instance-type', Values: [...this.#o.patterns] }];
  }

  #cached<T>(slot: Cached<T> | undefined, ttl: number, load: () => Promise<T>, store: (c: Cached<T> | undefined) => void): Promise<T> {
    const now = this.#o.clock.now();
    if (slot !== undefined && now - slot.at < ttl) return slot.value;
    const value = load();
    const entry = { at: now, value };
    store(entry);
    value.catch(() => store(undefined));
    return value;
  }

  /** Every type EC2 describes (and patterns allow), by name. @throws CloudProviderError. */
  types(): Promise<ReadonlyMap<string, TypeRecord>> {
    return this.#cached(this.#types, this.#o.typesTtlMs ?? DEFAULT_INSTANCE_TYPES_TTL_MS, async () => {
      const pages = await allPages(this.#o.retry, 'describing instance types', (token) => this.#o.ec2.send(
        new DescribeInstanceTypesCommand({ Filters: this.#filters(), MaxResults: 100, NextToken: token })));
      const types = new Map<string, TypeRecord>();
      for (const raw of pages.flatMap((p) => p.InstanceTypes ?? [])) {
        const info = readInstanceTypeInfo(raw);
        if (info !== undefined) types.set(info.name, { ...info, usageClasses: new Set(raw.SupportedUsageClasses ?? []) });
      }
      this.#known = types;
      return types;
    }, (c) => {
      this.#types = c;
    });
  }

  /** Instance type → the zones it is offered in. @throws CloudProviderError. */
  zones(): Promise<ReadonlyMap<string, ReadonlySet<string>>> {
    return this.#cached(this.#zones, this.#o.offeringsTtlMs ?? DEFAULT_OFFERINGS_TTL_MS, async () => {
      // With patterns, name the types they left (in chunks: filters take a bounded number of
      // values); wildcards are not used here because not every EC2 API server expands them.
      const names = this.#o.patterns === undefined ? [undefined] : chunks([...(await this.types()).keys()], 100);
      const pages = [];
      for (const chunk of names) {
        if (chunk?.length === 0) continue;
        pages.push(...await allPages(this.#o.retry, 'describing instance type offerings per zone', (token) => this.#o.ec2.send(new DescribeInstanceTypeOfferingsCommand({
          LocationType: 'availability-zone', MaxResults: 1000, NextToken: token, ...(chunk === undefined ? {} : { Filters: [{ Name: 'instance-type', Values: chunk }] }),
        }))));
      }
      const zones = new Map<string, Set<string>>();
      for (const o of pages.flatMap((p) => p.InstanceTypeOfferings ?? [])) {
        if (o.InstanceType === undefined || o.Location === undefined) continue;
        let set = zones.get(o.InstanceType);
        if (!set) zones.set(o.InstanceType, (set = new Set()));
        set.add(o.Location);
      }
      return zones;
    }, (c) => {
      this.#zones = c;
    });
  }

  /** A type from the last DescribeInstanceTypes answer (undefined before the first, or if unknown). */
  known(name: string): TypeRecord | undefined {
    return this.#known.get(name);
  }

  /** The instance type as a node of this class would be (capacity, overhead, labels), without offerings. */
  shape(record: TypeRecord, kubelet: KubeletConfiguration | undefined, mappings: readonly BlockDeviceMapping[] | undefined): Omit<InstanceType, 'offerings'> {
    const shape = {
      vcpus: record.vcpus,
      memoryMiB: record.memoryMiB,
      pods: maxPods(record.vcpus, record.eni, kubelet),
      ephemeralStorageBytes: rootVolumeBytes(mappings),
      extended: record.extended,
    };
    const requirements: Record<string, readonly string[]> = { [REGION_LABEL]: [this.#o.region] };
    for (const [k, v] of Object.entries(record.labels)) requirements[k] = [v];
    return { name: record.name, requirements, capacity: nodeCapacity(shape), overhead: nodeOverhead(shape, kubelet) };
  }

  /**
   * The types a resolved node class can launch, each with its offerings in the class's subnet zones
   * (on-demand where priced, spot where EC2 sells it and has a spot price), all available; types
   * no resolved AMI runs on, and types left without offerings, are left out.
   * @throws CloudProviderError when EC2 fails, or the node class's kubelet or volume sizes are malformed.
   */
  async list(resolved: ResolvedNodeClass): Promise<InstanceType[]> {
    // One after the other: an API server answering them at once is not faster (moto is slower).
    const types = await this.types();
    const zonesOf = await this.zones();
    // With patterns, ask only for the spot prices of the types they leave (all of them is slow).
    await this.#o.pricing.refresh(this.#o.patterns === undefined ? undefined : [...types.keys()]);
    const built = this.#built.get(resolved);
    if (built !== undefined && built.types === types && built.zones === zonesOf && built.prices === this.#o.pricing.version) return [...built.list];
    const list = this.#build(resolved, types, zonesOf);
    this.#built.set(resolved, { types, zones: zonesOf, prices: this.#o.pricing.version, list });
    return [...list];
  }

  #build(resolved: ResolvedNodeClass, types: ReadonlyMap<string, TypeRecord>, zonesOf: ReadonlyMap<string, ReadonlySet<string>>): InstanceType[] {
    const { kubelet, blockDeviceMappings } = resolved.nodeClass.spec;
    const classZones = [...new Set(resolved.subnets.map((s) => s.zone))];
    const out: InstanceType[] = [];
    for (const record of types.values()) {
      if (!resolved.amis.some((ami) => labelsSatisfy(record.labels, ami.requirements))) continue;
      const offered = zonesOf.get(record.name);
      const offerings: Offering[] = [];
      for (const zone of classZones) {
        if (offered?.has(zone) !== true) continue;
        const onDemand = this.#o.pricing.onDemandPrice(record.name);
        if (onDemand !== undefined && record.usageClasses.has('on-demand')) offerings.push({ zone, capacityType: 'on-demand', price: onDemand, available: true });
        const spot = this.#o.pricing.spotPrice(record.name, zone);
        if (spot !== undefined && record.usageClasses.has('spot')) offerings.push({ zone, capacityType: 'spot', price: spot, available: true });
      }
      if (offerings.length === 0) continue;
      try {
        out.push({ ...this.shape(record, kubelet, blockDeviceMappings), offerings });
      } catch (e) {
        throw new CloudProviderError(`listing instance types for EC2NodeClass ${resolved.nodeClass.metadata.name ?? ''}: ${(e as Error).message}`, { cause: e });
      }
    }
    return out;
  }
}
