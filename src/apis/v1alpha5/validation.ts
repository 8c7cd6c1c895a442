/**
 * Validation of karpenter.sh/v1alpha5 Provisioners, as Karpenter v0.32's webhook did it: every
 * problem with its field path, so a Provisioner can be fixed before it is converted.
 */
import { DurationError, parseDuration } from '../../utils/duration.js';
import { QuantityError, parseQuantity } from '../../utils/quantity.js';
import { NODEPOOL_LABEL, PROVISIONER_NAME_LABEL } from '../labels.js';
import {
  checkAnnotations,
  checkInteger,
  checkLabels,
  checkQuantities,
  checkRequirements,
  checkResourceHeader,
  checkTaints,
  childPath,
  describe,
  isRecord,
  Problems,
  requireString,
} from '../v1/validation-fields.js';
import type { RequirementRules, ValidationProblem } from '../v1/validation-fields.js';
import { API_VERSION } from './types.js';

const FORBIDDEN_KEYS: ReadonlyMap<string, string> = new Map([
  [PROVISIONER_NAME_LABEL, `label "${PROVISIONER_NAME_LABEL}" is restricted: Karpenter sets it to the Provisioner's name`],
  [NODEPOOL_LABEL, `label "${NODEPOOL_LABEL}" is restricted: nodewright sets it to the NodePool's name`],
]);
const REQUIREMENTS: RequirementRules = {
  operators: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'],
  allowMinValues: false,
  forbiddenKeys: FORBIDDEN_KEYS,
};
const EVICTION_SIGNALS = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'];
const RESERVED_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pid'];
/**
 * The longest TTL a v1 duration holds (Go's time.Duration: 2^63-1 ns, about 292 years). Karpenter
 * converted TTLs to durations, and beyond this the converted NodePool's duration would be invalid.
 */
export const MAX_TTL_SECONDS = 9_223_372_036;

/**
 * Every problem with a Provisioner, in field order. Accepts anything and never throws; an empty list
 * means Karpenter v0.32 would have accepted it.
 */
export function validateProvisioner(provisioner: unknown): ValidationProblem[] {
  const problems = new Problems();
  const spec = checkResourceHeader(provisioner, 'Provisioner', API_VERSION, problems, { labelValue: PROVISIONER_NAME_LABEL });
  if (!spec) return problems.list;
  checkLabels(spec.labels, 'spec.labels', problems, FORBIDDEN_KEYS);
  checkAnnotations(spec.annotations, 'spec.annotations', problems);
  checkTaints(
    [
      { value: spec.taints, path: 'spec.taints' },
      { value: spec.startupTaints, path: 'spec.startupTaints' },
    ],
    problems,
  );
  if (spec.requirements !== undefined && spec.requirements !== null) {
    checkRequirements(spec.requirements, 'spec.requirements', problems, REQUIREMENTS);
  }
  checkProvider(spec, problems);
  checkInteger(spec.ttlSecondsAfterEmpty, 'spec.ttlSecondsAfterEmpty', problems, 0, MAX_TTL_SECONDS);
  checkInteger(spec.ttlSecondsUntilExpired, 'spec.ttlSecondsUntilExpired', problems, 0, MAX_TTL_SECONDS);
  const consolidation = spec.consolidation;
  if (consolidation !== undefined && consolidation !== null) {
    if (!isRecord(consolidation)) problems.add('spec.consolidation', `must be a mapping, got ${describe(consolidation)}`);
    else if (consolidation.enabled !== undefined && typeof consolidation.enabled !== 'boolean') {
      problems.add('spec.consolidation.enabled', `must be true or false, got ${describe(consolidation.enabled)}`);
    } else if (consolidation.enabled === true && spec.ttlSecondsAfterEmpty !== undefined) {
      problems.add('spec.ttlSecondsAfterEmpty', 'cannot be combined with consolidation.enabled: true; set one or the other');
    }
  }
  if (spec.limits !== undefined && spec.limits !== null) {
    if (!isRecord(spec.limits)) problems.add('spec.limits', `must be a mapping with resources, got ${describe(spec.limits)}`);
    else checkQuantities(spec.limits.resources, 'spec.limits.resources', problems);
  }
  checkInteger(spec.weight, 'spec.weight', problems, 1, 100);
  if (spec.kubeletConfiguration !== undefined && spec.kubeletConfiguration !== null) {
    checkKubelet(spec.kubeletConfiguration, 'spec.kubeletConfiguration', problems);
  }
  return problems.list;
}

function checkProvider(spec: Record<string, unknown>, problems: Problems): void {
  const { provider, providerRef } = spec;
  const hasProvider = provider !== undefined && provider !== null;
  const hasRef = providerRef !== undefined && providerRef !== null;
  if (hasProvider && hasRef) problems.add('spec', 'set provider or providerRef, not both');
  if (!hasProvider && !hasRef) problems.add('spec', 'one of provider or providerRef is required');
  if (hasProvider && !isRecord(provider)) problems.add('spec.provider', `must be a mapping, got ${describe(provider)}`);
  if (!hasRef) return;
  if (!isRecord(providerRef)) return problems.add('spec.providerRef', `must be a mapping with name, got ${describe(providerRef)}`);
  requireString(providerRef.name, 'spec.providerRef.name', problems);
  for (const field of ['kind', 'apiVersion'] as const) {
    const value = providerRef[field];
    if (value !== undefined && typeof value !== 'string') problems.add(childPath('spec.providerRef', field), `must be a string, got ${describe(value)}`);
  }
}

function checkKubelet(kubelet: unknown, path: string, problems: Problems): void {
  if (!isRecord(kubelet)) return problems.add(path, `must be a mapping, got ${describe(kubelet)}`);
  const at = (...keys: string[]): string => childPath(path, ...keys);
  checkInteger(kubelet.maxPods, at('maxPods'), problems, 0);
  checkInteger(kubelet.podsPerCore, at('podsPerCore'), problems, 0);
  checkInteger(kubelet.evictionMaxPodGracePeriod, at('evictionMaxPodGracePeriod'), problems, -Infinity);
  const highOk = checkInteger(kubelet.imageGCHighThresholdPercent, at('imageGCHighThresholdPercent'), problems, 0, 100);
  const lowOk = checkInteger(kubelet.imageGCLowThresholdPercent, at('imageGCLowThresholdPercent'), problems, 0, 100);
  if (highOk && lowOk && typeof kubelet.imageGCHighThresholdPercent === 'number') {
    const low = typeof kubelet.imageGCLowThresholdPercent === 'number' ? kubelet.imageGCLowThresholdPercent : 0;
    if (kubelet.imageGCHighThresholdPercent < low) {
      problems.add(at('imageGCHighThresholdPercent'), `must not be below imageGCLowThresholdPercent (${low})`);
    }
  }
  if (kubelet.cpuCFSQuota !== undefined && typeof kubelet.cpuCFSQuota !== 'boolean') {
    problems.add(at('cpuCFSQuota'), `must be true or false, got ${describe(kubelet.cpuCFSQuota)}`);
  }
  if (kubelet.containerRuntime !== undefined && typeof kubelet.containerRuntime !== 'string') {
    problems.add(at('containerRuntime'), `must be a string, got ${describe(kubelet.containerRuntime)}`);
  }
  if (kubelet.clusterDNS !== undefined && (!Array.isArray(kubelet.clusterDNS) || kubelet.clusterDNS.some((ip) => typeof ip !== 'string'))) {
    problems.add(at('clusterDNS'), `must be a list of IP address strings, got ${describe(kubelet.clusterDNS)}`);
  }
  for (const field of ['kubeReserved', 'systemReserved'] as const) checkReserved(kubelet[field], at(field), problems);
  for (const field of ['evictionHard', 'evictionSoft'] as const) checkThresholds(kubelet[field], at(field), problems);
  const grace = kubelet.evictionSoftGracePeriod;
  if (grace !== undefined && grace !== null) {
    if (!isRecord(grace)) problems.add(at('evictionSoftGracePeriod'), `must be a mapping, got ${describe(grace)}`);
    else {
      for (const [signal, value] of Object.entries(grace)) {
        const p = at('evictionSoftGracePeriod', signal);
        if (!EVICTION_SIGNALS.includes(signal)) problems.add(p, `"${signal}" is not an eviction signal; use one of ${EVICTION_SIGNALS.join(', ')}`);
        try {
          if (typeof value !== 'string') throw new DurationError(`must be a duration such as "1m30s", got ${describe(value)}`, String(value));
          parseDuration(value);
        } catch (e) {
          if (!(e instanceof DurationError)) throw e;
          problems.add(p, e.message);
        }
      }
    }
  }
  // Each soft threshold needs a grace period and each grace period a soft threshold.
  const soft = isRecord(kubelet.evictionSoft) ? Object.keys(kubelet.evictionSoft) : [];
  const graced = isRecord(grace) ? Object.keys(grace) : [];
  for (const signal of soft.filter((s) => !graced.includes(s))) {
    problems.add(at('evictionSoft', signal), 'has no matching evictionSoftGracePeriod');
  }
  for (const signal of graced.filter((s) => !soft.includes(s))) {
    problems.add(at('evictionSoftGracePeriod', signal), 'has no matching evictionSoft threshold');
  }
}

function checkReserved(value: unknown, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) return problems.add(path, `must be a mapping of resources to quantities, got ${describe(value)}`);
  for (const resource of Object.keys(value)) {
    if (!RESERVED_RESOURCES.includes(resource)) {
      problems.add(childPath(path, resource), `"${resource}" cannot be reserved; use one of ${RESERVED_RESOURCES.join(', ')}`);
    }
  }
  const before = problems.list.length;
  checkQuantities(value, path, problems);
  if (problems.list.length > before) return;
  for (const [resource, quantity] of Object.entries(value)) {
    if (parseQuantity(quantity as string | number).numerator < 0n) problems.add(childPath(path, resource), 'must not be negative');
  }
}

function checkThresholds(value: unknown, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) return problems.add(path, `must be a mapping of eviction signals to thresholds, got ${describe(value)}`);
  for (const [signal, threshold] of Object.entries(value)) {
    const p = childPath(path, signal);
    if (!EVICTION_SIGNALS.includes(signal)) problems.add(p, `"${signal}" is not an eviction signal; use one of ${EVICTION_SIGNALS.join(', ')}`);
    if (typeof threshold !== 'string') {
      problems.add(p, `must be a quantity or a percentage such as "100Mi" or "10%", got ${describe(threshold)}`);
    } else if (threshold.endsWith('%')) {
      const percent = Number(threshold.slice(0, -1));
      if (threshold === '%' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
        problems.add(p, `percentage "${threshold}" must be between 0% and 100%`);
      }
    } else {
      try {
        parseQuantity(threshold);
      } catch (e) {
        if (!(e instanceof QuantityError)) throw e;
        problems.add(p, e.message);
      }
    }
  }
}
