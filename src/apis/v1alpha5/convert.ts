/**
 * Conversion of a karpenter.sh/v1alpha5 Provisioner into the karpenter.sh/v1 NodePool that behaves
 * the same, with a warning for everything that has no direct equivalent.
 */
import type { NodeSelectorRequirement, ObjectMeta } from '../core.js';
import { formatDuration } from '../../utils/duration.js';
import {
  AWS_GROUP,
  CAPACITY_TYPE_LABEL,
  KUBELET_COMPATIBILITY_ANNOTATION,
  NODEPOOL_LABEL,
  PROVIDER_COMPATIBILITY_ANNOTATION,
  PROVISIONER_NAME_LABEL,
  normalizeLabelKey,
} from '../labels.js';
import type { Disruption, NodeClassReference, NodePool, NodeSelectorRequirementWithMinValues } from '../v1/types.js';
import type { Provisioner, ProviderRef } from './types.js';

export interface ConversionResult {
  nodePool: NodePool;
  /** One sentence per behaviour that did not carry over unchanged, saying what to do about it. */
  warnings: string[];
}

/** The node class a providerRef without apiVersion/kind means: Karpenter's AWS provider. */
export const DEFAULT_NODE_CLASS_GROUP = AWS_GROUP;
export const DEFAULT_NODE_CLASS_KIND = 'EC2NodeClass';
const AWS_V1ALPHA5_TEMPLATE_KIND = 'AWSNodeTemplate';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Converts a Provisioner:
 * - ttlSecondsAfterEmpty → consolidationPolicy WhenEmpty with consolidateAfter of that many seconds;
 *   consolidation.enabled → WhenEmptyOrUnderutilized (consolidateAfter 0s); neither →
 *   consolidateAfter Never (empty and underused nodes stay, as before).
 * - ttlSecondsUntilExpired → expireAfter; unset → Never.
 * - providerRef → nodeClassRef (group from its apiVersion, else karpenter.k8s.aws; kind EC2NodeClass
 *   for an AWSNodeTemplate or when unset).
 * - labels and annotations → template metadata; taints, startupTaints, limits.resources and weight
 *   as they are; requirement keys with deprecated aliases normalised.
 * - kubeletConfiguration and an inline provider → warnings, with the settings kept as JSON in the
 *   NodePool annotations compatibility.karpenter.sh/v1beta1-kubelet-conversion and
 *   compatibility.karpenter.sh/provider.
 * Expects a Provisioner that validateProvisioner accepts; does not modify it. Does not validate the
 * result (validateNodePool does).
 */
export function convertProvisioner(provisioner: Provisioner): ConversionResult {
  const warnings: string[] = [];
  const spec = withoutNullFields(structuredClone(provisioner.spec));
  const name = provisioner.metadata.name ?? '';
  const annotations: Record<string, string> = { ...provisioner.metadata.annotations };
  delete annotations[LAST_APPLIED];

  const nodeClassRef = convertProviderRef(spec.providerRef, name, warnings);
  if (spec.provider !== undefined) {
    annotations[PROVIDER_COMPATIBILITY_ANNOTATION] = JSON.stringify(spec.provider);
    warnings.push(
      `spec.provider (inline provider settings) has no NodePool equivalent: create an ${nodeClassRef.kind} named ` +
        `"${nodeClassRef.name}" from them; they are kept as JSON in the annotation ${PROVIDER_COMPATIBILITY_ANNOTATION}`,
    );
  }
  if (spec.kubeletConfiguration !== undefined) {
    const { containerRuntime, ...kubelet } = spec.kubeletConfiguration;
    if (containerRuntime !== undefined) {
      warnings.push(`spec.kubeletConfiguration.containerRuntime (${containerRuntime}) has no equivalent: nodes run containerd`);
    }
    annotations[KUBELET_COMPATIBILITY_ANNOTATION] = JSON.stringify(kubelet);
    warnings.push(
      'spec.kubeletConfiguration has no place on a karpenter.sh/v1 NodePool: set it on the node class ' +
        `(EC2NodeClass spec.kubelet); it is kept as JSON in the annotation ${KUBELET_COMPATIBILITY_ANNOTATION}`,
    );
  }

  const labels = { ...spec.labels };
  for (const key of [PROVISIONER_NAME_LABEL, NODEPOOL_LABEL]) {
    if (key in labels) {
      delete labels[key];
      warnings.push(`spec.labels["${key}"] was dropped: nodewright sets ${NODEPOOL_LABEL} to the NodePool's name`);
    }
  }
  const requirements = convertRequirements(spec.requirements ?? [], warnings);
  if (nodeClassRef.group === AWS_GROUP && !requirements.some((r) => r.key === CAPACITY_TYPE_LABEL) && !(CAPACITY_TYPE_LABEL in labels)) {
    warnings.push(
      `no ${CAPACITY_TYPE_LABEL} requirement: Karpenter's v1alpha5 AWS webhook defaulted it to on-demand, a NodePool allows ` +
        `every capacity type (spot included); add {key: ${CAPACITY_TYPE_LABEL}, operator: In, values: [on-demand]} to keep on-demand only`,
    );
  }

  const metadata: ObjectMeta = { name };
  if (provisioner.metadata.labels && Object.keys(provisioner.metadata.labels).length > 0) metadata.labels = { ...provisioner.metadata.labels };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;

  const templateMetadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {};
  if (Object.keys(labels).length > 0) templateMetadata.labels = labels;
  if (spec.annotations && Object.keys(spec.annotations).length > 0) templateMetadata.annotations = spec.annotations;

  const nodePool: NodePool = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata,
    spec: {
      template: {
        ...(Object.keys(templateMetadata).length > 0 ? { metadata: templateMetadata } : {}),
        spec: {
          ...(spec.taints ? { taints: spec.taints } : {}),
          ...(spec.startupTaints ? { startupTaints: spec.startupTaints } : {}),
          requirements,
          nodeClassRef,
          expireAfter: spec.ttlSecondsUntilExpired === undefined ? 'Never' : formatDuration(spec.ttlSecondsUntilExpired * 1000),
        },
      },
      disruption: convertDisruption(spec, warnings),
      ...(spec.limits?.resources ? { limits: spec.limits.resources } : {}),
      ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
    },
  };
  return { nodePool, warnings };
}

/**
 * The spec with its null fields removed: the API server treats an explicit null as absent, and so
 * does validateProvisioner, so conversion must too (a null kubeletConfiguration or providerRef
 * crashed it).
 */
function withoutNullFields(spec: Provisioner['spec']): Provisioner['spec'] {
  const fields = spec as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (fields[key] === null) delete fields[key];
  return spec;
}

function convertDisruption(spec: Provisioner['spec'], warnings: string[]): Disruption {
  const { ttlSecondsAfterEmpty, consolidation } = spec;
  if (consolidation?.enabled === true) {
    if (ttlSecondsAfterEmpty !== undefined) {
      warnings.push('spec.ttlSecondsAfterEmpty was ignored: it cannot be combined with consolidation.enabled, which covers empty nodes too');
    }
    return { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' };
  }
  if (ttlSecondsAfterEmpty !== undefined) {
    return { consolidationPolicy: 'WhenEmpty', consolidateAfter: formatDuration(ttlSecondsAfterEmpty * 1000) };
  }
  return { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never' };
}

function convertProviderRef(ref: ProviderRef | undefined, provisionerName: string, warnings: string[]): NodeClassReference {
  if (ref === undefined) {
    return { group: DEFAULT_NODE_CLASS_GROUP, kind: DEFAULT_NODE_CLASS_KIND, name: provisionerName };
  }
  const group = ref.apiVersion?.split('/')[0] || DEFAULT_NODE_CLASS_GROUP;
  let kind = ref.kind || DEFAULT_NODE_CLASS_KIND;
  if (group === AWS_GROUP && (ref.kind === undefined || ref.kind === '' || ref.kind === AWS_V1ALPHA5_TEMPLATE_KIND)) {
    kind = DEFAULT_NODE_CLASS_KIND;
    warnings.push(
      `spec.providerRef points at the ${AWS_V1ALPHA5_TEMPLATE_KIND} "${ref.name}": nodeClassRef now names the ${DEFAULT_NODE_CLASS_KIND} ` +
        `"${ref.name}", which must be created from it`,
    );
  }
  return { group, kind, name: ref.name };
}

function convertRequirements(requirements: readonly NodeSelectorRequirement[], warnings: string[]): NodeSelectorRequirementWithMinValues[] {
  const out: NodeSelectorRequirementWithMinValues[] = [];
  requirements.forEach((requirement, i) => {
    const key = normalizeLabelKey(requirement.key);
    if (key === PROVISIONER_NAME_LABEL || key === NODEPOOL_LABEL) {
      warnings.push(`spec.requirements[${i}] on ${key} was dropped: nodewright sets ${NODEPOOL_LABEL} to the NodePool's name`);
      return;
    }
    if (key !== requirement.key) {
      warnings.push(`spec.requirements[${i}]: the deprecated label ${requirement.key} became ${key}`);
    }
    out.push({ ...requirement, key });
  });
  return out;
}
