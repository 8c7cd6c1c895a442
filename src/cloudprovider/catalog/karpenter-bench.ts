/**
 * The instance types of the public Karpenter scheduling benchmark (kubernetes-sigs/karpenter,
 * pkg/cloudprovider/fake `InstanceTypes(n)`), so that nodewright's benchmark solves the same
 * problem. See /work/shared/bench/karpenter-workload.md.
 */
import type { InstanceType, Offering } from '../types.js';
import { CPU, MEMORY, PODS } from '../../utils/resources.js';
import { CatalogError } from './errors.js';
import { GiB, LABEL_ARCH, LABEL_INSTANCE_TYPE, LABEL_OS, MiB } from './labels.js';

/** Karpenter's fake price: 0.1 per cpu core + 0.1 per 1e9 bytes of memory (of capacity). */
export function karpenterFakePrice(cpuMillis: number, memoryBytes: number): number {
  return (0.1 * cpuMillis) / 1000 + (0.1 * memoryBytes) / 1e9;
}

const OPERATING_SYSTEMS = ['linux', 'windows', 'darwin'] as const;

/**
 * `count` instance types `fake-it-0` … `fake-it-{count-1}`: type i has cpu i+1 cores, memory
 * 2·(i+1) GiB, pods 10·(i+1), overhead cpu 100m and memory 10Mi, arch amd64, os linux/windows/darwin,
 * and five available offerings (spot in test-zone-1 and -2, on-demand in test-zone-1, -2 and -3),
 * all at {@link karpenterFakePrice} of its capacity. Returns fresh objects on each call.
 *
 * Not modelled: the fake's `size`, `special` and `integer` labels, which the benchmark's pods never select on.
 * @throws CatalogError if count is not a non-negative integer.
 */
export function karpenterBenchCatalog(count = 400): InstanceType[] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new CatalogError(`building the karpenter-bench catalogue: count must be a non-negative integer, got ${count}`);
  }
  const types: InstanceType[] = [];
  for (let i = 0; i < count; i++) {
    const name = `fake-it-${i}`;
    const cpu = (i + 1) * 1000;
    const memory = 2 * (i + 1) * GiB;
    const price = karpenterFakePrice(cpu, memory);
    const offering = (zone: string, capacityType: Offering['capacityType']): Offering => ({ zone, capacityType, price, available: true });
    types.push({
      name,
      requirements: {
        [LABEL_INSTANCE_TYPE]: [name],
        [LABEL_ARCH]: ['amd64'],
        [LABEL_OS]: [...OPERATING_SYSTEMS],
      },
      capacity: { [CPU]: cpu, [MEMORY]: memory, [PODS]: 10 * (i + 1) },
      overhead: { [CPU]: 100, [MEMORY]: 10 * MiB },
      offerings: [
        offering('test-zone-1', 'spot'),
        offering('test-zone-2', 'spot'),
        offering('test-zone-1', 'on-demand'),
        offering('test-zone-2', 'on-demand'),
        offering('test-zone-3', 'on-demand'),
      ],
    });
  }
  return types;
}
