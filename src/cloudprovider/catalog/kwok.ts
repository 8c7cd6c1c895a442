/**
 * A kwok-style generic catalogue, generated the way kubernetes-sigs/karpenter's kwok provider
 * generates its instance types (kwok/tools/gen_instance_types.go): families by memory per cpu,
 * sizes by cpu count, prices derived from resources, every offering available.
 */
import type { InstanceType, Offering } from '../types.js';
import { CPU, EPHEMERAL_STORAGE, MEMORY, PODS } from '../../utils/resources.js';
import { CatalogError } from './errors.js';
import { GiB, LABEL_ARCH, LABEL_INSTANCE_TYPE, LABEL_OS, MiB } from './labels.js';

export const KWOK_LABEL_INSTANCE_SIZE = 'karpenter.kwok.sh/instance-size';
export const KWOK_LABEL_INSTANCE_FAMILY = 'karpenter.kwok.sh/instance-family';
export const KWOK_LABEL_INSTANCE_CPU = 'karpenter.kwok.sh/instance-cpu';
export const KWOK_LABEL_INSTANCE_MEMORY = 'karpenter.kwok.sh/instance-memory';

export const KWOK_ZONES: readonly string[] = ['test-zone-a', 'test-zone-b', 'test-zone-c', 'test-zone-d'];
/** The cpu counts kwok generates. */
export const KWOK_CPU_SIZES: readonly number[] = [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256];
/** Family name → GiB of memory per cpu: compute, standard, memory-optimised. */
const FAMILIES: readonly (readonly [string, number])[] = [['c', 2], ['s', 4], ['m', 8]];
const ARCHITECTURES = ['amd64', 'arm64'] as const;
const SPOT_FACTOR = 0.7;

export interface KwokCatalogOptions {
  /** Operating systems to generate types for; default ['linux'] (kwok also generates 'windows'). */
  readonly operatingSystems?: readonly string[];
  /** Cpu counts to generate; default {@link KWOK_CPU_SIZES}. */
  readonly cpus?: readonly number[];
  /** Zones; default {@link KWOK_ZONES}. */
  readonly zones?: readonly string[];
}

/** kwok's price: 0.025 per cpu core + 0.001 per 1e9 bytes of memory; spot is 70% of that. */
export function kwokOnDemandPrice(cpuMillis: number, memoryBytes: number): number {
  return (0.025 * cpuMillis) / 1000 + (0.001 * memoryBytes) / 1e9;
}

/** A whole number of GiB as Kubernetes prints it canonically ("2Gi", "1Ti", "1536Gi"). */
function canonicalGi(gib: number): string {
  return gib % 1024 === 0 ? `${gib / 1024}Ti` : `${gib}Gi`;
}

/**
 * For every cpu size × family (c: 2 GiB/cpu, s: 4, m: 8) × os × arch (amd64, arm64), a type named
 * like `c-4x-amd64-linux` with capacity cpu, memory, pods = min(16·cpu, 1024) and 20Gi of
 * ephemeral storage, overhead cpu 100m and memory 10Mi, `karpenter.kwok.sh/instance-{size,family,
 * cpu,memory}` labels, and in every zone a spot and an on-demand offering, all available.
 * With the defaults: 72 types in 4 zones. Returns fresh objects on each call.
 * @throws CatalogError if a cpu count is not a positive integer or a list is empty.
 */
export function kwokCatalog(options: KwokCatalogOptions = {}): InstanceType[] {
  const operatingSystems = options.operatingSystems ?? ['linux'];
  const cpus = options.cpus ?? KWOK_CPU_SIZES;
  const zones = options.zones ?? KWOK_ZONES;
  for (const [what, list] of [['operatingSystems', operatingSystems], ['cpus', cpus], ['zones', zones]] as const) {
    if (list.length === 0) throw new CatalogError(`building the kwok catalogue: ${what} must not be empty`);
  }
  const badCpu = cpus.find((c) => !Number.isSafeInteger(c) || c <= 0);
  if (badCpu !== undefined) throw new CatalogError(`building the kwok catalogue: cpu counts must be positive integers, got ${badCpu}`);

  const types: InstanceType[] = [];
  for (const cpuCount of cpus) {
    for (const [family, gibPerCpu] of FAMILIES) {
      for (const os of operatingSystems) {
        for (const arch of ARCHITECTURES) {
          const name = `${family}-${cpuCount}x-${arch}-${os}`;
          const gib = cpuCount * gibPerCpu;
          const cpu = cpuCount * 1000;
          const memory = gib * GiB;
          const onDemand = kwokOnDemandPrice(cpu, memory);
          const offerings: Offering[] = [];
          for (const zone of zones) {
            offerings.push({ zone, capacityType: 'spot', price: onDemand * SPOT_FACTOR, available: true });
            offerings.push({ zone, capacityType: 'on-demand', price: onDemand, available: true });
          }
          types.push({
            name,
            requirements: {
              [LABEL_INSTANCE_TYPE]: [name],
              [LABEL_ARCH]: [arch],
              [LABEL_OS]: [os],
              [KWOK_LABEL_INSTANCE_SIZE]: [String(cpuCount)],
              [KWOK_LABEL_INSTANCE_FAMILY]: [family],
              [KWOK_LABEL_INSTANCE_CPU]: [String(cpuCount)],
              [KWOK_LABEL_INSTANCE_MEMORY]: [canonicalGi(gib)],
            },
            capacity: { [CPU]: cpu, [MEMORY]: memory, [PODS]: Math.min(cpuCount * 16, 1024), [EPHEMERAL_STORAGE]: 20 * GiB },
            overhead: { [CPU]: 100, [MEMORY]: 10 * MiB },
            offerings,
          });
        }
      }
    }
  }
  return types;
}
