/**
 * User data for AL2023 nodes: a MIME multi-part document whose last part is a nodeadm NodeConfig
 * (cluster name, API endpoint, CA, service CIDR, kubelet settings, node labels and taints), after
 * the parts of the node class's own user data. Labels and taints reach kubelet flags only once
 * they are checked against Kubernetes' syntax, kubelet settings are printable ASCII (YAML 1.1
 * parsers such as nodeadm's read U+2028 and U+0085 as line breaks, where our YAML 1.2 writer does
 * not), YAML is written by a serializer, and the MIME boundary is one no part contains, so no
 * label, taint or kubelet setting can add flags, keys, lines or MIME parts. Annotations never
 * reach user data.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Taint } from '../../apis/core.js';
import type { KubeletConfiguration } from '../../apis/ec2nodeclass/types.js';
import { labelDomain, labelKeyProblems, labelValueProblems } from '../../apis/labels.js';
import { CloudProviderError } from '../cloud-provider.js';

export interface ClusterInfo {
  readonly name: string;
  /** https://… of the API server. */
  readonly endpoint: string;
  /** Base64 of the cluster CA bundle (PEM). */
  readonly certificateAuthority: string;
  /** The service CIDR ("10.100.0.0/16"), for nodeadm's cluster DNS. */
  readonly cidr?: string;
}

export interface UserDataInput {
  readonly cluster: ClusterInfo;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly kubelet?: KubeletConfiguration;
  /** The node class's spec.userData. */
  readonly custom?: string;
}

/** The node's user data could not be built safely; nothing is launched. */
export class UserDataError extends CloudProviderError {
  constructor(message: string) {
    super(message, { retryable: false });
    this.name = 'UserDataError';
  }
}

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;
const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** @throws UserDataError naming the bad field when the cluster settings cannot go into user data. */
export function checkClusterInfo(cluster: ClusterInfo): ClusterInfo {
  if (!CLUSTER_NAME.test(cluster.name)) throw new UserDataError(`cluster name "${cluster.name}" must be 1-100 letters, digits, "-" or "_"`);
  let url: URL | undefined;
  try {
    url = new URL(cluster.endpoint);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' || /\s/.test(cluster.endpoint)) throw new UserDataError(`cluster endpoint "${cluster.endpoint}" must be an https URL`);
  if (!BASE64.test(cluster.certificateAuthority)) throw new UserDataError('cluster certificate authority must be base64 (of the PEM bundle)');
  if (cluster.cidr !== undefined && !CIDR.test(cluster.cidr)) throw new UserDataError(`cluster service CIDR "${cluster.cidr}" is not a CIDR`);
  return cluster;
}

/** Labels kubelet may set on its own node (the NodeRestriction admission plugin refuses the rest). */
function kubeletMaySet(key: string): boolean {
  const domain = labelDomain(key);
  const restricted = (d: string): boolean => domain === d || domain.endsWith(`.${d}`);
  if (!restricted('kubernetes.io') && !restricted('k8s.io')) return true;
  return restricted('node.kubernetes.io') || restricted('kubelet.kubernetes.io') || key === 'kubernetes.io/arch' || key === 'kubernetes.io/os'
    || key === 'node.kubernetes.io/instance-type' || key.startsWith('topology.kubernetes.io/');
}

/** The --node-labels value. @throws UserDataError for a key or value Kubernetes would refuse. */
export function nodeLabelsFlag(labels: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const key of Object.keys(labels).sort()) {
    const value = labels[key]!;
    const problems = [...labelKeyProblems(key), ...labelValueProblems(value)];
    if (problems.length > 0) throw new UserDataError(`refusing to put label ${JSON.stringify(key)} into user data: ${problems.join('; ')}`);
    if (kubeletMaySet(key)) parts.push(`${key}=${value}`);
  }
  return parts.join(',');
}

/** The --register-with-taints value. @throws UserDataError for a malformed taint. */
export function taintsFlag(taints: readonly Taint[]): string {
  return taints.map((t) => {
    const problems = [...labelKeyProblems(t.key), ...labelValueProblems(t.value ?? '')];
    if (!EFFECTS.has(t.effect)) problems.push(`effect ${JSON.stringify(t.effect)} must be NoSchedule, PreferNoSchedule or NoExecute`);
    if (problems.length > 0) throw new UserDataError(`refusing to put taint ${JSON.stringify(t.key)} into user data: ${problems.join('; ')}`);
    return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
  }).join(',');
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The kubelet settings, when every string in them (keys and values) is printable ASCII.
 * @throws UserDataError naming the field otherwise.
 */
export function checkKubeletStrings(kubelet: KubeletConfiguration): KubeletConfiguration {
  const check = (text: string, field: string): void => {
    if (!PRINTABLE_ASCII.test(text)) throw new UserDataError(`refusing to put kubelet.${field} into user data: ${JSON.stringify(text)} has characters other than printable ASCII`);
  };
  for (const [field, value] of Object.entries(kubelet) as [string, unknown][]) {
    if (typeof value === 'string') check(value, field);
    else if (Array.isArray(value)) value.forEach((v, i) => { if (typeof v === 'string') check(v, `${field}[${i}]`); });
    else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        check(key, `${field} key ${JSON.stringify(key)}`);
        if (typeof v === 'string') check(v, `${field}[${key}]`);
      }
    }
  }
  return kubelet;
}

/** The nodeadm NodeConfig document (YAML). @throws UserDataError for a bad label, taint or kubelet string. */
export function nodeConfig(input: UserDataInput): string {
  const k = input.kubelet === undefined ? undefined : checkKubeletStrings(input.kubelet);
  const config: Record<string, unknown> = {};
  if (k?.maxPods !== undefined) config.maxPods = k.maxPods;
  if (k?.podsPerCore !== undefined) config.podsPerCore = k.podsPerCore;
  if (k?.clusterDNS !== undefined) config.clusterDNS = k.clusterDNS;
  if (k?.systemReserved !== undefined) config.systemReserved = k.systemReserved;
  if (k?.kubeReserved !== undefined) config.kubeReserved = k.kubeReserved;
  if (k?.evictionHard !== undefined) config.evictionHard = k.evictionHard;
  if (k?.evictionSoft !== undefined) config.evictionSoft = k.evictionSoft;
  if (k?.evictionSoftGracePeriod !== undefined) config.evictionSoftGracePeriod = k.evictionSoftGracePeriod;
  if (k?.evictionMaxPodGracePeriod !== undefined) config.evictionMaxPodGracePeriod = k.evictionMaxPodGracePeriod;
  if (k?.imageGCHighThresholdPercent !== undefined) config.imageGCHighThresholdPercent = k.imageGCHighThresholdPercent;
  if (k?.imageGCLowThresholdPercent !== undefined) config.imageGCLowThresholdPercent = k.imageGCLowThresholdPercent;
  if (k?.cpuCFSQuota !== undefined) config.cpuCFSQuota = k.cpuCFSQuota;
  const labels = nodeLabelsFlag(input.labels);
  const taints = taintsFlag(input.taints);
  const flags = [...(labels ? [`--node-labels=${labels}`] : []), ...(taints ? [`--register-with-taints=${taints}`] : [])];
  const cluster = checkClusterInfo(input.cluster);
  return stringify({
    apiVersion: 'node.eks.aws/v1alpha1',
    kind: 'NodeConfig',
    spec: {
      cluster: {
        name: cluster.name,
        apiServerEndpoint: cluster.endpoint,
        certificateAuthority: cluster.certificateAuthority,
        ...(cluster.cidr === undefined ? {} : { cidr: cluster.cidr }),
      },
      kubelet: { config, flags },
    },
  });
}

interface Part { readonly headers: string; readonly body: string }

/** The parts of the node class's user data: those of a MIME document, or the whole text as one part. */
export function customParts(custom: string | undefined): Part[] {
  if (custom === undefined || custom.trim() === '') return [];
  const text = custom.replace(/\r\n/g, '\n');
  if (!/^MIME-Version:/i.test(text)) {
    const type = /^\s*apiVersion:\s*node\.eks\.aws\//m.test(text) ? 'application/node.eks.aws' : 'text/x-shellscript; charset="us-ascii"';
    return [{ headers: `Content-Type: ${type}`, body: text }];
  }
  const headerEnd = text.indexOf('\n\n');
  const boundary = /boundary="?([^";\n]+)"?/i.exec(headerEnd < 0 ? text : text.slice(0, headerEnd))?.[1];
  if (boundary === undefined) throw new UserDataError('spec.userData is a MIME document without a boundary in its Content-Type');
  const parts: Part[] = [];
  for (const chunk of text.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const body = chunk.replace(/^\n/, '');
    const split = body.indexOf('\n\n');
    if (split < 0) continue;
    parts.push({ headers: body.slice(0, split), body: body.slice(split + 2).replace(/\n$/, '') });
  }
  return parts;
}

/**
 * The whole user data (plain text, not yet base64). The boundary is derived from the content and
 * changed until no part contains it.
 * @throws UserDataError for a bad label, taint, cluster setting or MIME user data.
 */
export function al2023UserData(input: UserDataInput): string {
  const parts = [...customParts(input.custom), { headers: 'Content-Type: application/node.eks.aws', body: nodeConfig(input) }];
  const all = parts.map((p) => `${p.headers}\n${p.body}`).join('\n');
  let boundary = '';
  for (let i = 0; boundary === '' || all.includes(boundary); i++) {
    boundary = `nodewright-${createHash('sha256').update(`${i}\u0000${all}`).digest('hex').slice(0, 24)}`;
  }
  const lines = ['MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, ''];
  for (const p of parts) lines.push(`--${boundary}`, p.headers, '', p.body.replace(/\n$/, ''), '');
  lines.push(`--${boundary}--`, '');
  return lines.join('\n');
}
