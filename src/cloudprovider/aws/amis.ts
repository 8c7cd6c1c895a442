/**
 * AMI resolution for an EC2NodeClass: an alias ("al2023@latest", "al2023@v20241001") names the
 * EKS-optimised AL2023 images for the cluster's Kubernetes version through the SSM public
 * parameters EKS publishes (one per architecture and variant: standard, nvidia, neuron), other
 * terms select images by id, name, owner or tags. Each image carries the requirements of the
 * instance types it runs on (architecture; GPU or not).
 */
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { CloudProviderError } from '../cloud-provider.js';
import type { NodeSelectorRequirement } from '../../apis/core.js';
import type { AMISelectorTerm, ResolvedAMI } from '../../apis/ec2nodeclass/types.js';
import { ARCH_AMD64, ARCH_ARM64, ARCH_LABEL, AWS_GROUP } from '../../apis/labels.js';
import type { Retrier } from './retry.js';
import { allPages } from './retry.js';
import { amiQuery } from './selectors.js';
import type { ParameterSource } from './ssm-parameters.js';

const GPU_COUNT = `${AWS_GROUP}/instance-gpu-count`;
const GPU_MANUFACTURER = `${AWS_GROUP}/instance-gpu-manufacturer`;
const ACCELERATOR_COUNT = `${AWS_GROUP}/instance-accelerator-count`;
const ACCELERATOR_MANUFACTURER = `${AWS_GROUP}/instance-accelerator-manufacturer`;

const ARCHES: Readonly<Record<string, string>> = { x86_64: ARCH_AMD64, arm64: ARCH_ARM64 };

/** Thrown for an alias nodewright cannot resolve (a family other than AL2023, a malformed version). */
export class UnsupportedAliasError extends Error {
  override readonly name = 'UnsupportedAliasError';
}

/**
 * An alias that names no image: SSM has none of its parameters, or could not be read (the cause
 * says why: AccessDenied, throttling after retries, ...). The node class shows it in AMIsReady.
 */
export class AliasResolutionError extends Error {
  override readonly name = 'AliasResolutionError';
}

/** The architectures and variants EKS publishes AL2023 images for. */
export const AL2023_VARIANTS: Readonly<Record<'x86_64' | 'arm64', readonly string[]>> = {
  x86_64: ['standard', 'nvidia', 'neuron'],
  arm64: ['standard', 'nvidia'],
};

/**
 * The SSM public parameter holding the image id of an AL2023 EKS image: ".../recommended/image_id"
 * for "latest", else the parameter of the named release.
 */
export function al2023ParameterName(kubernetesVersion: string, arch: string, variant: string, version: string): string {
  const leaf = version === 'latest' ? 'recommended' : `amazon-eks-node-al2023-${arch}-${variant}-${kubernetesVersion}-${version}`;
  return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/${arch}/${variant}/${leaf}/image_id`;
}

/**
 * The images of an alias: id → architecture and variant, from SSM.
 * @throws UnsupportedAliasError for a bad alias; AliasResolutionError when SSM fails or has none.
 */
export async function aliasImageIds(parameters: ParameterSource, alias: string, kubernetesVersion: string): Promise<Map<string, { arch: string; variant: string }>> {
  const { version } = parseAlias(alias);
  const wanted = Object.entries(AL2023_VARIANTS).flatMap(([arch, variants]) => variants.map((variant) => ({
    arch, variant, name: al2023ParameterName(kubernetesVersion, arch, variant, version),
  })));
  let values: Map<string, string | undefined>;
  try {
    values = await parameters.get(wanted.map((w) => w.name), version === 'latest');
  } catch (e) {
    if (!(e instanceof CloudProviderError)) throw e;
    throw new AliasResolutionError(`AMI alias "${alias}": reading the EKS image parameters from SSM failed: ${e.message}`, { cause: e });
  }
  const ids = new Map<string, { arch: string; variant: string }>();
  for (const w of wanted) {
    const id = values.get(w.name);
    if (id !== undefined && !ids.has(id)) ids.set(id, { arch: w.arch, variant: w.variant });
  }
  if (ids.size === 0) {
    throw new AliasResolutionError(`AMI alias "${alias}": SSM has no EKS AL2023 image for Kubernetes ${kubernetesVersion} (looked for ${wanted[0]?.name ?? ''} and the other architectures and variants)`);
  }
  return ids;
}

/** The family and version of an alias. @throws UnsupportedAliasError unless it is al2023@latest or al2023@vYYYYMMDD. */
export function parseAlias(alias: string): { family: 'al2023'; version: string } {
  const [family = '', version = ''] = alias.split('@');
  if (family.toLowerCase() !== 'al2023') throw new UnsupportedAliasError(`AMI alias "${alias}": only the al2023 family is supported`);
  if (version !== 'latest' && !/^v\d{8}$/.test(version)) throw new UnsupportedAliasError(`AMI alias "${alias}": version must be "latest" or vYYYYMMDD`);
  return { family: 'al2023', version };
}

/** Instance types an image runs on, from its architecture and (for EKS images) its variant. */
export function imageRequirements(architecture: string | undefined, variant?: string): NodeSelectorRequirement[] {
  const arch = ARCHES[architecture ?? ''];
  const out: NodeSelectorRequirement[] = arch === undefined ? [] : [{ key: ARCH_LABEL, operator: 'In', values: [arch] }];
  if (variant === 'standard') {
    out.push({ key: GPU_COUNT, operator: 'DoesNotExist' }, { key: ACCELERATOR_COUNT, operator: 'DoesNotExist' });
  } else if (variant === 'nvidia') {
    out.push({ key: GPU_MANUFACTURER, operator: 'In', values: ['nvidia'] });
  } else if (variant === 'neuron') {
    out.push({ key: ACCELERATOR_MANUFACTURER, operator: 'In', values: ['aws'] });
  }
  return out;
}

/**
 * Whether labels (one value per key; a key absent is a label the type lacks) satisfy every
 * requirement. Unlike narrowDomain, a missing label fails In and Exists.
 */
export function labelsSatisfy(labels: Readonly<Record<string, string>>, requirements: readonly NodeSelectorRequirement[]): boolean {
  return requirements.every((r) => {
    const v = labels[r.key];
    switch (r.operator) {
      case 'In': return v !== undefined && (r.values ?? []).includes(v);
      case 'NotIn': return v === undefined || !(r.values ?? []).includes(v);
      case 'Exists': return v !== undefined;
      case 'DoesNotExist': return v === undefined;
      default: return false;
    }
  });
}

const requirementsKey = (r: readonly NodeSelectorRequirement[]): string => JSON.stringify(r);
const created = (i: Image): number => Date.parse(i.CreationDate ?? '') || 0;

/** Newest image per requirement set, newest first (ties broken by id for a stable order). */
function newestPerRequirements(found: readonly { image: Image; requirements: NodeSelectorRequirement[] }[]): ResolvedAMI[] {
  const sorted = [...found].sort((a, b) => created(b.image) - created(a.image) || (a.image.ImageId ?? '').localeCompare(b.image.ImageId ?? ''));
  const seen = new Set<string>();
  const out: ResolvedAMI[] = [];
  for (const { image, requirements } of sorted) {
    const key = requirementsKey(requirements);
    if (seen.has(key) || image.ImageId === undefined) continue;
    seen.add(key);
    out.push({ id: image.ImageId, ...(image.Name === undefined ? {} : { name: image.Name }), requirements });
  }
  return out;
}

/**
 * The images the terms select (newest per requirement set).
 * @throws UnsupportedAliasError, AliasResolutionError for an alias it cannot resolve;
 *   CloudProviderError when EC2 fails.
 */
export async function resolveAMIs(ec2: EC2Client, retry: Retrier, parameters: ParameterSource, terms: readonly AMISelectorTerm[], kubernetesVersion: string): Promise<ResolvedAMI[]> {
  const found: { image: Image; requirements: NodeSelectorRequirement[] }[] = [];
  for (const term of terms) {
    if (term.alias !== undefined) {
      const ids = await aliasImageIds(parameters, term.alias, kubernetesVersion);
      const pages = await allPages(retry, `describing the EKS AL2023 images of alias ${term.alias}`, (token) => ec2.send(new DescribeImagesCommand({
        Filters: [{ Name: 'image-id', Values: [...ids.keys()] }], NextToken: token,
      })));
      for (const image of pages.flatMap((p) => p.Images ?? [])) {
        const known = ids.get(image.ImageId ?? '');
        if (known === undefined || (image.State !== undefined && image.State !== 'available')) continue;
        found.push({ image, requirements: imageRequirements(known.arch, known.variant) });
      }
      continue;
    }
    const { filters, owners } = amiQuery(term);
    const pages = await allPages(retry, `finding AMIs for selector term ${JSON.stringify(term)}`, (token) => ec2.send(new DescribeImagesCommand({
      Filters: filters, NextToken: token, ...(owners === undefined ? {} : { Owners: owners }),
    })));
    for (const image of pages.flatMap((p) => p.Images ?? [])) {
      if (image.State !== undefined && image.State !== 'available') continue;
      found.push({ image, requirements: imageRequirements(image.Architecture) });
    }
  }
  return newestPerRequirements(found);
}
