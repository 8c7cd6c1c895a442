/** Instance catalogues by name, for `--catalog` options and scenarios. */
import type { InstanceType } from '../types.js';
import { CatalogError } from './errors.js';
import { ec2Catalog } from './ec2.js';
import { karpenterBenchCatalog } from './karpenter-bench.js';
import { kwokCatalog } from './kwok.js';

export { CatalogError } from './errors.js';
export { ec2Catalog, ec2CatalogSource, ec2SpotDiscount, EC2_DEFAULT_ZONES, EC2_SYNTHETIC_NOTICE, type Ec2CatalogOptions } from './ec2.js';
export { karpenterBenchCatalog, karpenterFakePrice } from './karpenter-bench.js';
export { kwokCatalog, kwokOnDemandPrice, KWOK_CPU_SIZES, KWOK_ZONES, type KwokCatalogOptions } from './kwok.js';

export const CATALOG_NAMES = ['aws', 'karpenter-bench', 'kwok'] as const;
export type CatalogName = (typeof CATALOG_NAMES)[number];

/** Whether `name` is one of {@link CATALOG_NAMES}. */
export function isCatalogName(name: string): name is CatalogName {
  return (CATALOG_NAMES as readonly string[]).includes(name);
}

/**
 * The catalogue called `name` with its default options: 'aws' (the EC2 catalogue, priced types in
 * three us-east-1 zones), 'karpenter-bench' (Karpenter's 400 benchmark types) or 'kwok'.
 * @throws CatalogError for any other name, listing the valid ones; or what the catalogue throws.
 */
export function catalogByName(name: string): InstanceType[] {
  if (!isCatalogName(name)) {
    throw new CatalogError(`unknown instance catalogue "${name}": expected one of ${CATALOG_NAMES.join(', ')}`);
  }
  switch (name) {
    case 'aws':
      return ec2Catalog();
    case 'karpenter-bench':
      return karpenterBenchCatalog();
    case 'kwok':
      return kwokCatalog();
  }
}
