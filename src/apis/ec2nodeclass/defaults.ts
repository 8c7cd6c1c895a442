/**
 * The defaults the EC2NodeClass CRD applies when an object is stored (IMDSv2 required, hop limit
 * 1), applied here for objects read from files, and the AMI family a node class resolves to.
 */
import type { AMIFamily, EC2NodeClass, EC2NodeClassSpec, MetadataOptions } from './types.js';
import { AMI_FAMILIES } from './types.js';

/** IMDS defaults: endpoint on, IPv6 endpoint off, one hop (so pods cannot reach it), IMDSv2 only. */
export const DEFAULT_METADATA_OPTIONS: Readonly<Required<MetadataOptions>> = Object.freeze({
  httpEndpoint: 'enabled',
  httpProtocolIPv6: 'disabled',
  httpPutResponseHopLimit: 1,
  httpTokens: 'required',
});

/** An EC2NodeClass whose defaulted fields are known to be present. */
export interface DefaultedEC2NodeClass extends EC2NodeClass {
  spec: EC2NodeClassSpec & { metadataOptions: Required<MetadataOptions> };
}

/**
 * A copy with metadataOptions defaulted field by field (present values, even invalid ones, are
 * kept); the input is not modified. Expects `spec` to exist.
 */
export function withEC2NodeClassDefaults(nodeClass: EC2NodeClass): DefaultedEC2NodeClass {
  const copy = structuredClone(nodeClass);
  const options = (copy.spec.metadataOptions ??= {});
  options.httpEndpoint ??= DEFAULT_METADATA_OPTIONS.httpEndpoint;
  options.httpProtocolIPv6 ??= DEFAULT_METADATA_OPTIONS.httpProtocolIPv6;
  options.httpPutResponseHopLimit ??= DEFAULT_METADATA_OPTIONS.httpPutResponseHopLimit;
  options.httpTokens ??= DEFAULT_METADATA_OPTIONS.httpTokens;
  return copy as DefaultedEC2NodeClass;
}

/** The family of an alias ("al2023@latest" → "AL2023"), or undefined when it names none. */
export function aliasFamily(alias: string): AMIFamily | undefined {
  const family = alias.split('@')[0]?.toLowerCase();
  return AMI_FAMILIES.find((f) => f !== 'Custom' && f.toLowerCase() === family);
}

/**
 * The AMI family nodes of this class run: spec.amiFamily when set, else the alias term's family.
 * Undefined only for a spec that validation refuses (no family and no alias).
 */
export function resolveAMIFamily(spec: Pick<EC2NodeClassSpec, 'amiFamily' | 'amiSelectorTerms'>): AMIFamily | undefined {
  if (spec.amiFamily !== undefined) return spec.amiFamily;
  const alias = spec.amiSelectorTerms.find((t) => t.alias !== undefined)?.alias;
  return alias === undefined ? undefined : aliasFamily(alias);
}
