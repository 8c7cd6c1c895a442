/**
 * The well-known labels, annotations, taints and finalizers of the Karpenter API (karpenter.sh), of
 * Kubernetes, and of the cloud providers nodewright ships (AWS, kwok), in one place. Also the
 * restricted label domains, the deprecated aliases and label key/value syntax checks.
 */
import type { Taint } from './core.js';

export const GROUP = 'karpenter.sh';
/** Annotations under this group carry data kept for migrations between API versions. */
export const COMPATIBILITY_GROUP = `compatibility.${GROUP}`;

// Kubernetes labels.
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
export const ARCH_LABEL = 'kubernetes.io/arch';
export const OS_LABEL = 'kubernetes.io/os';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const WINDOWS_BUILD_LABEL = 'node.kubernetes.io/windows-build';
/** Set on a node while it drains so load balancers stop sending it traffic. */
export const EXCLUDE_FROM_LOAD_BALANCERS_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

// Karpenter labels.
export const NODEPOOL_LABEL = `${GROUP}/nodepool`;
export const CAPACITY_TYPE_LABEL = `${GROUP}/capacity-type`;
export const REGISTERED_LABEL = `${GROUP}/registered`;
export const INITIALIZED_LABEL = `${GROUP}/initialized`;

export const CAPACITY_TYPE_SPOT = 'spot';
export const CAPACITY_TYPE_ON_DEMAND = 'on-demand';
export const CAPACITY_TYPE_RESERVED = 'reserved';
export const ARCH_AMD64 = 'amd64';
export const ARCH_ARM64 = 'arm64';

// AWS labels (karpenter.k8s.aws), as the AWS provider sets them on nodes.
export const AWS_GROUP = 'karpenter.k8s.aws';
export const AWS_INSTANCE_LABELS = [
  'instance-hypervisor', 'instance-encryption-in-transit-supported', 'instance-category', 'instance-family',
  'instance-generation', 'instance-size', 'instance-local-nvme', 'instance-cpu', 'instance-cpu-manufacturer',
  'instance-cpu-sustained-clock-speed-mhz', 'instance-memory', 'instance-ebs-bandwidth', 'instance-network-bandwidth',
  'instance-gpu-name', 'instance-gpu-manufacturer', 'instance-gpu-count', 'instance-gpu-memory',
  'instance-accelerator-name', 'instance-accelerator-manufacturer', 'instance-accelerator-count',
  'capacity-reservation-id', 'capacity-reservation-type',
].map((name) => `${AWS_GROUP}/${name}`);
export const AWS_ZONE_ID_LABEL = 'topology.k8s.aws/zone-id';
export const AWS_INSTANCE_FAMILY_LABEL = `${AWS_GROUP}/instance-family`;
export const AWS_INSTANCE_CATEGORY_LABEL = `${AWS_GROUP}/instance-category`;
export const AWS_INSTANCE_GENERATION_LABEL = `${AWS_GROUP}/instance-generation`;
export const AWS_INSTANCE_SIZE_LABEL = `${AWS_GROUP}/instance-size`;
export const AWS_INSTANCE_CPU_LABEL = `${AWS_GROUP}/instance-cpu`;
export const AWS_INSTANCE_MEMORY_LABEL = `${AWS_GROUP}/instance-memory`;

// kwok labels (karpenter.kwok.sh), for the fake instance types of the kwok provider.
export const KWOK_GROUP = 'karpenter.kwok.sh';
export const KWOK_INSTANCE_LABELS = ['instance-family', 'instance-size', 'instance-cpu', 'instance-memory'].map(
  (name) => `${KWOK_GROUP}/${name}`,
);

/** The label naming a node's node class: "<group>/<kind lowercased>", e.g. karpenter.k8s.aws/ec2nodeclass. */
export function nodeClassLabelKey(group: string, kind: string): string {
  return `${group}/${kind.toLowerCase()}`;
}

// Annotations.
/** On a pod or node, "true" keeps Karpenter from voluntarily disrupting it (on a pod, a duration also works). */
export const DO_NOT_DISRUPT_ANNOTATION = `${GROUP}/do-not-disrupt`;
export const NODEPOOL_HASH_ANNOTATION = `${GROUP}/nodepool-hash`;
export const NODEPOOL_HASH_VERSION_ANNOTATION = `${GROUP}/nodepool-hash-version`;
/** On a NodeClaim: when its node will be forcibly terminated (creation of the deletion + terminationGracePeriod). */
export const NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION = `${GROUP}/nodeclaim-termination-timestamp`;
/** On a NodePool converted from an older API: the kubelet settings that now belong to the node class. */
export const KUBELET_COMPATIBILITY_ANNOTATION = `${COMPATIBILITY_GROUP}/v1beta1-kubelet-conversion`;
/** On a NodePool converted from a v1alpha5 Provisioner: its inline `provider` block, as JSON. */
export const PROVIDER_COMPATIBILITY_ANNOTATION = `${COMPATIBILITY_GROUP}/provider`;

// Deprecated (v1alpha5) keys, still honoured when read.
export const PROVISIONER_NAME_LABEL = `${GROUP}/provisioner-name`;
/** v1alpha5 pod annotation, now karpenter.sh/do-not-disrupt. */
export const DO_NOT_EVICT_ANNOTATION = `${GROUP}/do-not-evict`;
/** v1alpha5 node annotation, now karpenter.sh/do-not-disrupt. */
export const DO_NOT_CONSOLIDATE_ANNOTATION = `${GROUP}/do-not-consolidate`;

/**
 * Whether annotations ask that the object not be disrupted: karpenter.sh/do-not-disrupt, or either of
 * its v1alpha5 predecessors karpenter.sh/do-not-evict and karpenter.sh/do-not-consolidate, set to
 * "true". (A pod's do-not-disrupt may also hold a duration; interpreting that is the caller's job, so
 * only "true" counts here.)
 */
export function isDoNotDisrupt(annotations: Readonly<Record<string, string>> | undefined): boolean {
  if (!annotations) return false;
  return [DO_NOT_DISRUPT_ANNOTATION, DO_NOT_EVICT_ANNOTATION, DO_NOT_CONSOLIDATE_ANNOTATION].some(
    (key) => annotations[key] === 'true',
  );
}

// Taints and finalizers.
export const DISRUPTED_TAINT_KEY = `${GROUP}/disrupted`;
export const UNREGISTERED_TAINT_KEY = `${GROUP}/unregistered`;
/** Put on a node Karpenter is disrupting, so nothing new schedules there. */
export const DISRUPTED_TAINT: Readonly<Taint> = Object.freeze({ key: DISRUPTED_TAINT_KEY, effect: 'NoSchedule' });
/** Put on a node at launch and removed once its NodeClaim has registered it. */
export const UNREGISTERED_TAINT: Readonly<Taint> = Object.freeze({ key: UNREGISTERED_TAINT_KEY, effect: 'NoExecute' });
/** The v1beta1 form of the disrupted taint (karpenter.sh/disruption=disrupting:NoSchedule). */
const LEGACY_DISRUPTING_TAINT: Readonly<Taint> = Object.freeze({ key: `${GROUP}/disruption`, value: 'disrupting', effect: 'NoSchedule' });
/**
 * Taints a node carries briefly while it starts; a node counts as initialised once they are gone.
 */
export const KNOWN_EPHEMERAL_TAINTS: readonly Readonly<Taint>[] = Object.freeze([
  Object.freeze({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }),
  Object.freeze({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }),
  Object.freeze({ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }),
  UNREGISTERED_TAINT,
]);
export const TERMINATION_FINALIZER = `${GROUP}/termination`;

/** Whether two taints are the same taint: equal key and effect (Kubernetes' MatchTaint). */
export function sameTaint(a: Readonly<Taint>, b: Readonly<Taint>): boolean {
  return a.key === b.key && a.effect === b.effect;
}

/** Whether a taint marks its node as being disrupted (the v1 taint or the v1beta1 one). */
export function isDisruptedTaint(taint: Readonly<Taint>): boolean {
  return sameTaint(taint, DISRUPTED_TAINT) || (sameTaint(taint, LEGACY_DISRUPTING_TAINT) && taint.value === 'disrupting');
}

// Well-known and restricted labels.
/**
 * Label keys the scheduler treats as node properties: a NodePool or pod may constrain them, and
 * instance types and offerings define their values. Everything else is a plain label.
 */
export const WELL_KNOWN_LABELS: ReadonlySet<string> = new Set([
  NODEPOOL_LABEL, ZONE_LABEL, REGION_LABEL, INSTANCE_TYPE_LABEL, ARCH_LABEL, OS_LABEL, CAPACITY_TYPE_LABEL,
  WINDOWS_BUILD_LABEL, AWS_ZONE_ID_LABEL, ...AWS_INSTANCE_LABELS, ...KWOK_INSTANCE_LABELS,
]);

export function isWellKnownLabel(key: string): boolean {
  return WELL_KNOWN_LABELS.has(key);
}

/**
 * Label domains reserved by the kubelet or by Karpenter (and its providers); a domain restricts its
 * subdomains too. Keys in them are allowed only when well known or under an exception domain.
 */
export const RESTRICTED_LABEL_DOMAINS: readonly string[] = ['kubernetes.io', 'k8s.io', GROUP, AWS_GROUP, KWOK_GROUP];
/** Subdomains of restricted domains that users may label freely (the kubelet lets nodes set them). */
export const LABEL_DOMAIN_EXCEPTIONS: readonly string[] = ['kops.k8s.io', 'node.kubernetes.io', 'node-restriction.kubernetes.io'];
/** Labels that nodewright sets itself and users may not: the node's hostname. */
export const RESTRICTED_LABELS: ReadonlySet<string> = new Set([HOSTNAME_LABEL]);

/** Deprecated label keys and the keys that replaced them. */
export const DEPRECATED_LABEL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'failure-domain.beta.kubernetes.io/zone': ZONE_LABEL,
  'failure-domain.beta.kubernetes.io/region': REGION_LABEL,
  'beta.kubernetes.io/arch': ARCH_LABEL,
  'beta.kubernetes.io/os': OS_LABEL,
  'beta.kubernetes.io/instance-type': INSTANCE_TYPE_LABEL,
});

/** The current key for a deprecated alias (failure-domain.beta.kubernetes.io/zone → topology.kubernetes.io/zone); other keys unchanged. */
export function normalizeLabelKey(key: string): string {
  // Own properties only: a key such as "constructor" or "toString" must not find Object.prototype's.
  return Object.hasOwn(DEPRECATED_LABEL_ALIASES, key) ? DEPRECATED_LABEL_ALIASES[key]! : key;
}

/** The domain (prefix) of a label key, or "" when it has none. */
export function labelDomain(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

// A plain suffix match, as Karpenter's CRD rules and webhook use: "examplek8s.io" counts as k8s.io.
function inDomain(domain: string, parent: string): boolean {
  return domain.endsWith(parent);
}

/**
 * Why a label key may not be used in a NodePool's labels or requirements, or undefined when it may.
 * Deprecated aliases are judged by the key they stand for. karpenter.sh/nodepool is well known but
 * set by nodewright itself, so callers that must refuse it check it separately.
 */
export function restrictedLabelReason(key: string): string | undefined {
  const normalized = normalizeLabelKey(key);
  if (WELL_KNOWN_LABELS.has(normalized)) return undefined;
  if (RESTRICTED_LABELS.has(normalized)) return `label "${key}" is restricted: nodewright sets it`;
  const domain = labelDomain(normalized);
  if (LABEL_DOMAIN_EXCEPTIONS.some((exception) => inDomain(domain, exception))) return undefined;
  const restricted = RESTRICTED_LABEL_DOMAINS.find((parent) => inDomain(domain, parent));
  if (restricted === undefined) return undefined;
  return `label domain "${restricted}" is restricted; use a well-known label (such as ${ZONE_LABEL}) or a label in your own domain`;
}

// Syntax (Kubernetes' IsQualifiedName and IsValidLabelValue).
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What is wrong with a label (or annotation, or taint) key; empty when it is a valid qualified name. */
export function labelKeyProblems(key: string): string[] {
  if (key === '') return ['must not be empty'];
  const parts = key.split('/');
  if (parts.length > 2) return [`"${key}" must be a name with an optional DNS subdomain prefix and one "/"`];
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
  const problems: string[] = [];
  if (prefix !== undefined) {
    if (prefix === '') problems.push(`prefix of "${key}" must not be empty`);
    else if (prefix.length > 253) problems.push(`prefix of "${key}" must be at most 253 characters`);
    else if (!DNS_SUBDOMAIN.test(prefix)) problems.push(`prefix "${prefix}" must be a lowercase DNS subdomain (a-z, 0-9, "-", ".")`);
  }
  if (name === '') problems.push(`name part of "${key}" must not be empty`);
  else if (name.length > 63) problems.push(`name part of "${key}" must be at most 63 characters`);
  else if (!NAME.test(name)) {
    problems.push(`name part "${name}" must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."`);
  }
  return problems;
}

/** What is wrong with a label value; empty when valid (at most 63 characters, may be empty). */
export function labelValueProblems(value: string): string[] {
  if (value === '') return [];
  if (value.length > 63) return [`value "${value.slice(0, 20)}…" must be at most 63 characters`];
  if (!NAME.test(value)) {
    return [`value "${value}" must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."`];
  }
  return [];
}
