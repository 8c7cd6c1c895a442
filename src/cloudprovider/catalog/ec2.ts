/**
 * The EC2 catalogue: real instance types, labels, allocatable and us-east-1 on-demand prices from
 * data/aws-instance-types.json, with synthetic (deterministic) spot prices and zone gaps.
 */
import type { InstanceType, Offering } from '../types.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import { stableFraction } from '../../utils/random.js';
import { CatalogError } from './errors.js';
import { LABEL_REGION, MiB } from './labels.js';
import { loadEc2Data, type Ec2RawInstanceType } from './ec2-data.js';
import { resourceAmount } from '../../utils/quantity.js';

/** Printed by the simulator and `nodewright plan` whenever they use this catalogue. */
export const EC2_SYNTHETIC_NOTICE =
  'EC2 spot prices and zone availability are synthetic: spot = on-demand × a per-family discount of 55–75% ' +
  '(±5% per zone), and about 10% of (instance type, zone) pairs are left out, both chosen by a stable hash. ' +
  'On-demand prices are real (us-east-1).';

export const EC2_DEFAULT_ZONES: readonly string[] = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

const LABEL_FAMILY = 'karpenter.k8s.aws/instance-family';
const LABEL_CATEGORY = 'karpenter.k8s.aws/instance-category';
const LABEL_CPU = 'karpenter.k8s.aws/instance-cpu';
const LABEL_MEMORY_MIB = 'karpenter.k8s.aws/instance-memory';

const SPOT_DISCOUNT_MIN = 0.55;
const SPOT_DISCOUNT_SPAN = 0.2;
const SPOT_ZONE_VARIATION = 0.05;
const ZONE_GAP_FRACTION = 0.1;

export interface Ec2CatalogOptions {
  /** Zones to offer types in; default {@link EC2_DEFAULT_ZONES}. */
  readonly zones?: readonly string[];
  /** Keep only these instance families (`karpenter.k8s.aws/instance-family`, e.g. "m5"). */
  readonly families?: readonly string[];
  /** Keep only these categories (`karpenter.k8s.aws/instance-category`, e.g. "c", "m", "r"). */
  readonly categories?: readonly string[];
  /**
   * Also return the types the data has no price for, with no offerings (as Karpenter does: no
   * price, no offering), so they can be named but never launched. Default false.
   */
  readonly includeTypesWithoutPrice?: boolean;
}

/** The part of an instance type that does not depend on options; built once, frozen, shared. */
interface BaseType {
  readonly name: string;
  readonly family: string;
  readonly category: string;
  readonly requirements: InstanceType['requirements'];
  readonly capacity: InstanceType['capacity'];
  readonly overhead: InstanceType['overhead'];
  readonly onDemandPrice: number | null;
}

let baseTypes: readonly BaseType[] | undefined;

/**
 * The EC2 instance types (1,345 with a price; 1,363 with `includeTypesWithoutPrice`), in the data's order.
 *
 * - requirements: every label in the data (values as strings) plus `topology.kubernetes.io/region`.
 * - capacity: cpu and memory from `karpenter.k8s.aws/instance-cpu` and `instance-memory` (MiB);
 *   pods, ephemeral-storage and extended resources from the data's allocatable.
 * - overhead: capacity − allocatable, so capacity − overhead is exactly the data's allocatable
 *   (resources absent from overhead have none).
 * - offerings: in each zone the type is not missing from, on-demand at the real price and spot at
 *   a synthetic price strictly below it (see {@link EC2_SYNTHETIC_NOTICE}); a type always keeps at
 *   least one zone. All available.
 *
 * The data file is read and parsed once per process; each call returns new InstanceType and
 * offering objects around shared, frozen requirements/capacity/overhead.
 * @throws CatalogError if the data cannot be read or is malformed, if zones is empty or has
 *   duplicates, or if a requested family or category does not exist in the data.
 */
export function ec2Catalog(options: Ec2CatalogOptions = {}): InstanceType[] {
  const zones = options.zones ?? EC2_DEFAULT_ZONES;
  if (zones.length === 0) throw new CatalogError('building the EC2 catalogue: zones must not be empty');
  if (new Set(zones).size !== zones.length) throw new CatalogError(`building the EC2 catalogue: duplicate zones in [${zones.join(', ')}]`);

  const all = ec2BaseTypes();
  const families = options.families === undefined ? undefined : checkedFilter('instance family', options.families, all.map((t) => t.family));
  const categories = options.categories === undefined ? undefined : checkedFilter('instance category', options.categories, all.map((t) => t.category));

  // Spot multipliers depend on (family, zone) only: compute them once per family.
  const spotFactors = new Map<string, Map<string, number>>();
  const spotFactorsOf = (family: string): Map<string, number> => {
    let factors = spotFactors.get(family);
    if (factors === undefined) spotFactors.set(family, (factors = ec2SpotFactors(family, zones)));
    return factors;
  };
  const result: InstanceType[] = [];
  for (const base of all) {
    if (families !== undefined && !families.has(base.family)) continue;
    if (categories !== undefined && !categories.has(base.category)) continue;
    if (base.onDemandPrice === null && options.includeTypesWithoutPrice !== true) continue;
    result.push({
      name: base.name,
      requirements: base.requirements,
      capacity: base.capacity,
      overhead: base.overhead,
      offerings: base.onDemandPrice === null ? [] : ec2Offerings(base.name, base.onDemandPrice, zones, spotFactorsOf(base.family)),
    });
  }
  return result;
}

/** Where the data came from (the file's `source` field), for reports and `plan` output. */
export function ec2CatalogSource(): string {
  return loadEc2Data().source;
}

/**
 * The synthetic spot discount of a family, in [0.55, 0.75): spot ≈ on-demand × (1 − discount).
 * Deterministic: a stable hash of the family name.
 */
export function ec2SpotDiscount(family: string): number {
  return SPOT_DISCOUNT_MIN + SPOT_DISCOUNT_SPAN * stableFraction(`spot-discount/${family}`);
}

/** Zone → spot price / on-demand price for a family: (1 − family discount) × (1 ± 5% per zone). */
function ec2SpotFactors(family: string, zones: readonly string[]): Map<string, number> {
  const discount = ec2SpotDiscount(family);
  const factors = new Map<string, number>();
  for (const zone of zones) {
    const variation = 1 + SPOT_ZONE_VARIATION * (2 * stableFraction(`spot-zone/${family}/${zone}`) - 1);
    factors.set(zone, (1 - discount) * variation);
  }
  return factors;
}

function ec2Offerings(name: string, onDemand: number, zones: readonly string[], spotFactors: ReadonlyMap<string, number>): Offering[] {
  const offerings: Offering[] = [];
  const add = (zone: string): void => {
    // Six decimals like the on-demand table; never rounded down to zero.
    const spot = Math.max(1e-6, Math.round(onDemand * (spotFactors.get(zone) ?? 1) * 1e6) / 1e6);
    offerings.push({ zone, capacityType: 'on-demand', price: onDemand, available: true });
    offerings.push({ zone, capacityType: 'spot', price: spot, available: true });
  };
  let best: string | undefined;
  let bestFraction = -1;
  for (const zone of zones) {
    const fraction = stableFraction(`zone-gap/${name}/${zone}`);
    if (fraction >= ZONE_GAP_FRACTION) add(zone);
    if (fraction > bestFraction) [best, bestFraction] = [zone, fraction];
  }
  // Never remove every zone of a type: keep the one the hash leaves out least.
  if (offerings.length === 0 && best !== undefined) add(best);
  return offerings;
}

function checkedFilter(what: string, wanted: readonly string[], known: readonly string[]): Set<string> {
  const knownSet = new Set(known);
  const unknown = wanted.filter((w) => !knownSet.has(w));
  if (unknown.length > 0) {
    throw new CatalogError(`building the EC2 catalogue: unknown ${what} ${unknown.map((u) => `"${u}"`).join(', ')} (no instance type in the data has it)`);
  }
  return new Set(wanted);
}

function ec2BaseTypes(): readonly BaseType[] {
  if (baseTypes === undefined) {
    const data = loadEc2Data();
    baseTypes = buildBaseTypes(data.instanceTypes, data.region);
  }
  return baseTypes;
}

/**
 * Builds the option-independent part of every type. Label values and quantities repeat a lot
 * across 1,363 types, so single-value arrays and parsed amounts are shared through these maps.
 */
function buildBaseTypes(raw: readonly Ec2RawInstanceType[], region: string): BaseType[] {
  const values = new Map<string, readonly string[]>();
  const amounts = new Map<string, number>();
  const interned = (value: string): readonly string[] => {
    let array = values.get(value);
    if (array === undefined) values.set(value, (array = Object.freeze([value])));
    return array;
  };
  const amount = (resource: string, quantity: string): number => {
    const key = `${resource}=${quantity}`;
    let parsed = amounts.get(key);
    if (parsed === undefined) amounts.set(key, (parsed = resourceAmount(resource, quantity)));
    return parsed;
  };
  return raw.map((entry) => toBaseType(entry, region, interned, amount));
}

function toBaseType(
  raw: Ec2RawInstanceType,
  region: string,
  interned: (value: string) => readonly string[],
  amount: (resource: string, quantity: string) => number,
): BaseType {
  const where = `reading EC2 instance type ${raw.name} from the catalogue data`;
  const labelNumber = (key: string): number => {
    const value = Number(raw.labels[key]);
    if (raw.labels[key] === undefined || !Number.isSafeInteger(value) || value <= 0) {
      throw new CatalogError(`${where}: label ${key} must be a positive integer, got ${JSON.stringify(raw.labels[key])}`);
    }
    return value;
  };
  const family = raw.labels[LABEL_FAMILY];
  const category = raw.labels[LABEL_CATEGORY];
  if (family === undefined || category === undefined) throw new CatalogError(`${where}: labels ${LABEL_FAMILY} and ${LABEL_CATEGORY} are required`);

  const allocatable: Record<string, number> = {};
  for (const [resource, quantity] of Object.entries(raw.allocatable)) {
    try {
      allocatable[resource] = amount(resource, quantity);
    } catch (error) {
      throw new CatalogError(`${where}: allocatable ${resource} ${JSON.stringify(quantity)}: ${(error as Error).message}`, { cause: error });
    }
  }
  const capacity: Record<string, number> = { ...allocatable, [CPU]: labelNumber(LABEL_CPU) * 1000, [MEMORY]: labelNumber(LABEL_MEMORY_MIB) * MiB };
  const overhead: Record<string, number> = {};
  for (const resource of [CPU, MEMORY]) {
    const reserved = (capacity[resource] ?? 0) - (allocatable[resource] ?? 0);
    if (reserved < 0 || allocatable[resource] === undefined) {
      throw new CatalogError(`${where}: allocatable ${resource} must be present and at most the capacity ${capacity[resource]}`);
    }
    if (reserved > 0) overhead[resource] = reserved;
  }

  const requirements: Record<string, readonly string[]> = {};
  for (const [key, value] of Object.entries(raw.labels)) requirements[key] = interned(value);
  requirements[LABEL_REGION] = interned(region);

  return {
    name: raw.name,
    family,
    category,
    requirements: Object.freeze(requirements),
    capacity: Object.freeze(capacity),
    overhead: Object.freeze(overhead),
    onDemandPrice: raw.onDemandPriceUSDPerHour,
  };
}
