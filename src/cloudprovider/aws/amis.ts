/**
 * AMI resolution for an EC2NodeClass: an alias ("al2023@latest", "al2023@v20241001") names the
 * EKS-optimised AL2023 images for the cluster's Kubernetes version (found with DescribeImages among
 * Amazon's images by their published names), other terms select images by id, name, owner or tags.
 * Each image carries the requirements of the instance types it runs on (architecture; GPU or not).
 */
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import type { NodeSelectorRequirement } from '../../apis/core.js';
import type { AMISelectorTerm, ResolvedAMI } from '../../apis/ec2nodeclass/types.js';
import { ARCH_AMD64, ARCH_ARM64, ARCH_LABEL, AWS_GROUP } from '../../apis/labels.js';
import type { Retrier } from './retry.js';
import { allPages } from './retry.js';
import { amiQuery } from './selectors.js';

const GPU_COUNT = `${AWS_GROUP}/instance-gpu-count`;
const GPU_MANUFACTURER = `${AWS_GROUP}/instance-gpu-manufacturer`;
const ACCELERATOR_COUNT = `${AWS_GROUP}/instance-accelerator-count`;
const ACCELERATOR_MANUFACTURER = `${AWS_GROUP}/instance-accelerator-manufacturer`;

/** amazon-eks-node-al2023-<arch>-<variant>-<k8s>-<release> */
const EKS_AL2023_NAME = /^amazon-eks-node-al2023-(x86_64|arm64)-(standard|nvidia|neuron)-(\d+\.\d+)-(v\d+)$/;
const ARCHES: Readonly<Record<string, string>> = { x86_64: ARCH_AMD64, arm64: ARCH_ARM64 };

/** Thrown for an alias nodewright cannot resolve (a family other than AL2023, a malformed version). */
export class UnsupportedAliasError extends Error {
  override readonly name = 'UnsupportedAliasError';
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
 * @throws UnsupportedAliasError for an alias it cannot resolve; CloudProviderError when EC2 fails.
 */
export async function resolveAMIs(ec2: EC2Client, retry: Retrier, terms: readonly AMISelectorTerm[], kubernetesVersion: string): Promise<ResolvedAMI[]> {
  const found: { image: Image; requirements: NodeSelectorRequirement[] }[] = [];
  for (const term of terms) {
    if (term.alias !== undefined) {
      const { version } = parseAlias(term.alias);
      const pattern = `amazon-eks-node-al2023-*-${kubernetesVersion}-${version === 'latest' ? '*' : version}`;
      const pages = await allPages(retry, `finding the EKS AL2023 images for alias ${term.alias}`, (token) => ec2.send(new DescribeImagesCommand({
        Owners: ['amazon'], Filters: [{ Name: 'name', Values: [pattern] }, { Name: 'state', Values: ['available'] }], NextToken: token,
      })));
      for (const image of pages.flatMap((p) => p.Images ?? [])) {
        const m = EKS_AL2023_NAME.exec(image.Name ?? '');
        if (!m || m[3] !== kubernetesVersion || (version !== 'latest' && m[4] !== version)) continue;
        found.push({ image, requirements: imageRequirements(m[1], m[2]) });
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
