/**
 * Every setting of `nodewright controller`, parsed once from flags and environment variables (a
 * flag wins over its variable, which wins over the default) into one typed, validated object.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ControllerOptions } from '../controllers/context.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../controllers/context.js';
import { formatDuration } from '../utils/duration.js';
import type { FlagSources, FlagValues } from './flags.js';
import {
  boolFlag, durationFlag, enumFlag, formatHelp, intFlag, optionalStringFlag, OptionsError, parseFlags, portFlag, stringFlag,
} from './flags.js';

export { OptionsError } from './flags.js';

export const CLOUD_PROVIDERS = ['aws', 'kwok'] as const;
export type CloudProviderName = (typeof CLOUD_PROVIDERS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const d = DEFAULT_CONTROLLER_OPTIONS;
const KUBE = 'Kubernetes API';
const CLOUD = 'Cloud provider';
const PROVISIONING = 'Provisioning';
const DISRUPTION = 'Disruption and garbage collection';
const ELECTION = 'Leader election';
const SERVING = 'Metrics, health and logs';

/** A name that is safe in labels, tags and Lease names. */
const checkName = (v: string): string | undefined =>
  /^[a-z0-9A-Z]([-a-z0-9A-Z_.]{0,61}[a-z0-9A-Z])?$/.test(v) ? undefined : `invalid name "${v}" (1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric)`;

const checkUrl = (v: string): string | undefined => {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:' ? undefined : `invalid URL "${v}" (need http:// or https://)`;
  } catch {
    return `invalid URL "${v}"`;
  }
};

/** An SQS queue: its URL, or its name (resolved with GetQueueUrl when leadership starts). */
const checkQueue = (v: string): string | undefined =>
  /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(v) ? undefined : checkUrl(v) === undefined ? undefined : `invalid queue "${v}" (need an SQS queue URL, or a queue name of 1-80 letters, digits, '-' or '_', optionally ending in .fifo)`;

const checkNonEmpty = (v: string): string | undefined => (v.trim() === '' ? 'must not be empty' : undefined);

const checkBase64 = (v: string): string | undefined =>
  /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 ? undefined : 'must be base64 (of the PEM bundle)';

const checkCidr = (v: string): string | undefined =>
  /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/.test(v) ? undefined : `invalid CIDR "${v}"`;

const checkMinorVersion = (v: string): string | undefined =>
  /^1\.\d{1,3}$/.test(v) ? undefined : `invalid Kubernetes version "${v}" (need major.minor, e.g. "1.31")`;

/** The flag table: the single source of the parser, the typed object and --help. */
export const OPERATOR_FLAGS = {
  kubeconfig: optionalStringFlag('kubeconfig', 'KUBECONFIG', {
    section: KUBE, placeholder: '<path>', defaultText: '(in-cluster service account)', check: checkNonEmpty,
    description: 'Kubeconfig file to reach the API server (its current context). With several colon-separated paths, the first is used.',
  }),
  kubeContext: optionalStringFlag('kube-context', 'KUBE_CONTEXT', {
    section: KUBE, placeholder: '<name>', defaultText: "(the kubeconfig's current context)", check: checkNonEmpty,
    description: 'Context of the kubeconfig to use.',
  }),
  kubeRequestTimeoutMs: durationFlag('kube-request-timeout', 'KUBE_REQUEST_TIMEOUT', '30s', {
    section: KUBE, min: 1, description: 'An API request (not a watch) without an answer after this long fails.',
  }),
  cloudProvider: enumFlag('cloud-provider', 'CLOUD_PROVIDER', CLOUD_PROVIDERS, undefined, {
    section: CLOUD, description: 'Where machines come from: aws (EC2) or kwok (Node objects only, for tests and demos).',
  }),
  clusterName: stringFlag('cluster-name', 'CLUSTER_NAME', d.clusterName, {
    section: CLOUD, placeholder: '<name>', check: checkName,
    description: 'Name of the cluster: tags machines, scopes garbage collection and names the node class.',
  }),
  clusterEndpoint: optionalStringFlag('cluster-endpoint', 'CLUSTER_ENDPOINT', {
    section: CLOUD, placeholder: '<url>', defaultText: '(none; required for aws)', check: checkUrl,
    description: 'API server URL that new nodes join (aws user data).',
  }),
  clusterCABundle: optionalStringFlag('cluster-ca-bundle', 'CLUSTER_CA_BUNDLE', {
    section: CLOUD, placeholder: '<base64>', defaultText: '(none; required for aws)', check: checkBase64,
    description: "Base64 of the cluster's CA bundle (PEM) that new nodes trust (aws user data).",
  }),
  clusterCidr: optionalStringFlag('cluster-cidr', 'CLUSTER_CIDR', {
    section: CLOUD, placeholder: '<cidr>', defaultText: "(none: nodeadm's default)", check: checkCidr,
    description: 'Service CIDR of the cluster, from which nodes derive the cluster DNS address (aws user data).',
  }),
  kubernetesVersion: optionalStringFlag('kubernetes-version', 'KUBERNETES_VERSION', {
    section: CLOUD, placeholder: '<major.minor>', defaultText: '(none; required for aws)', check: checkMinorVersion,
    description: 'Kubernetes version of the cluster ("1.31"): which EKS-optimised AMIs an alias selects (aws only).',
  }),
  awsRegion: optionalStringFlag('aws-region', 'AWS_REGION', {
    section: CLOUD, placeholder: '<region>', defaultText: '(none; required for aws)', check: checkNonEmpty,
    description: 'AWS region of the cluster (aws only).',
  }),
  awsEndpointUrl: optionalStringFlag('aws-endpoint-url', 'AWS_ENDPOINT_URL', {
    section: CLOUD, placeholder: '<url>', defaultText: "(the services' public endpoints)", check: checkUrl,
    description: 'One endpoint for every AWS service called (EC2, SQS, Pricing): a local API server such as moto (aws only).',
  }),
  interruptionQueue: optionalStringFlag('interruption-queue', 'INTERRUPTION_QUEUE', {
    section: CLOUD, placeholder: '<url|name>', defaultText: '(none: interruption handling off)', check: checkQueue,
    description: 'URL or name of the SQS queue receiving spot interruption, rebalance and instance state events (aws only).',
  }),
  kwokRegistrationDelayMs: durationFlag('kwok-registration-delay', 'KWOK_REGISTRATION_DELAY', '5s', {
    section: CLOUD, description: 'How long after launch a kwok node registers its Node object (kwok only).',
  }),
  kwokNodeAgent: boolFlag('kwok-node-agent', 'KWOK_NODE_AGENT', true, {
    section: CLOUD, description: "Run nodewright's own agent that keeps kwok nodes Ready and runs their pods; off when the KWOK controller manages them (kwok only).",
  }),
  binding: enumFlag('binding', 'BINDING', ['scheduler', 'direct'] as const, d.binding, {
    section: PROVISIONING, description: 'scheduler: kube-scheduler binds pods to the new nodes; direct: nodewright binds the pods it planned.',
  }),
  batchIdleMs: durationFlag('batch-idle-duration', 'BATCH_IDLE_DURATION', formatDuration(d.batchIdleMs), {
    section: PROVISIONING, min: 1, description: 'A provisioning batch closes after this long without a new pending pod.',
  }),
  batchMaxMs: durationFlag('batch-max-duration', 'BATCH_MAX_DURATION', formatDuration(d.batchMaxMs), {
    section: PROVISIONING, min: 1, description: 'A provisioning batch closes after this long in any case.',
  }),
  ignorePreferences: boolFlag('ignore-preferences', 'IGNORE_PREFERENCES', d.ignorePreferences, {
    section: PROVISIONING, description: 'Plan with preferred affinities and ScheduleAnyway spreads ignored.',
  }),
  registrationTimeoutMs: durationFlag('registration-timeout', 'REGISTRATION_TIMEOUT', formatDuration(d.registrationTimeoutMs), {
    section: PROVISIONING, min: 1, description: 'A NodeClaim whose Node has not registered after this long is deleted.',
  }),
  unavailableOfferingTtlMs: durationFlag('unavailable-offering-ttl', 'UNAVAILABLE_OFFERING_TTL', formatDuration(d.unavailableOfferingTtlMs), {
    section: PROVISIONING, min: 1, description: 'Offerings that failed for lack of capacity are not tried again for this long.',
  }),
  disruptionIntervalMs: durationFlag('disruption-interval', 'DISRUPTION_INTERVAL', formatDuration(d.disruptionIntervalMs), {
    section: DISRUPTION, min: 1, description: 'Time between disruption passes (emptiness, expiry, drift, consolidation).',
  }),
  consolidationValidationMs: durationFlag('consolidation-validation', 'CONSOLIDATION_VALIDATION', formatDuration(d.consolidationValidationMs), {
    section: DISRUPTION, description: 'Consolidation checks its decision again after this long before acting.',
  }),
  spotToSpotConsolidation: boolFlag('spot-to-spot-consolidation', 'SPOT_TO_SPOT_CONSOLIDATION', d.spotToSpotConsolidation, {
    section: DISRUPTION, description: 'Replace a spot node with a cheaper spot node when at least 15 cheaper spot types fit (Karpenter: feature gate, off).',
  }),
  consolidationMaxReplacements: intFlag('consolidation-max-replacements', 'CONSOLIDATION_MAX_REPLACEMENTS', d.consolidationMaxReplacements, {
    section: DISRUPTION, min: 1, max: 10, placeholder: '<n>',
    description: 'Most new nodes single-node consolidation may replace one node with, when together they cost at most half of it (Karpenter: 1).',
  }),
  leakedInstanceGraceMs: durationFlag('leaked-instance-grace', 'LEAKED_INSTANCE_GRACE', formatDuration(d.leakedInstanceGraceMs), {
    section: DISRUPTION, description: 'Machines without a NodeClaim are terminated after this grace period.',
  }),
  leaderElect: boolFlag('leader-elect', 'LEADER_ELECT', true, {
    section: ELECTION, description: 'Only the replica holding the Lease acts; off: this process acts alone.',
  }),
  leaderElectionNamespace: stringFlag('leader-election-namespace', 'LEADER_ELECTION_NAMESPACE', 'kube-system', {
    section: ELECTION, placeholder: '<namespace>', check: checkName, description: 'Namespace of the leader election Lease.',
  }),
  leaderElectionName: stringFlag('leader-election-name', 'LEADER_ELECTION_NAME', 'nodewright-leader-election', {
    section: ELECTION, placeholder: '<name>', check: checkName, description: 'Name of the leader election Lease.',
  }),
  leaderElectionIdentity: stringFlag('leader-election-identity', 'LEADER_ELECTION_IDENTITY', () => `${hostname()}_${randomBytes(4).toString('hex')}`, {
    section: ELECTION, placeholder: '<id>', defaultText: '<hostname>_<random>', check: checkNonEmpty,
    description: 'This replica\'s name in the Lease (unique per replica).',
  }),
  leaseDurationMs: durationFlag('lease-duration', 'LEASE_DURATION', '15s', {
    section: ELECTION, min: 1000, description: 'How long standbys wait after the last renewal before taking over.',
  }),
  renewDeadlineMs: durationFlag('renew-deadline', 'RENEW_DEADLINE', '10s', {
    section: ELECTION, min: 1, description: 'The leader gives up leadership when it could not renew for this long (< lease duration).',
  }),
  retryPeriodMs: durationFlag('retry-period', 'RETRY_PERIOD', '2s', {
    section: ELECTION, min: 1, description: 'Time between attempts to acquire or renew the Lease (< renew deadline).',
  }),
  bindAddress: stringFlag('bind-address', 'BIND_ADDRESS', '0.0.0.0', {
    section: SERVING, placeholder: '<ip>', check: checkNonEmpty, description: 'Address the metrics and health servers listen on.',
  }),
  metricsPort: portFlag('metrics-port', 'METRICS_PORT', 8080, {
    section: SERVING, description: 'Port of the Prometheus /metrics endpoint (0: any free port).',
  }),
  healthProbePort: portFlag('health-probe-port', 'HEALTH_PROBE_PORT', 8081, {
    section: SERVING, description: 'Port of /healthz and /readyz (0: any free port; the metrics port: served together).',
  }),
  logLevel: enumFlag('log-level', 'LOG_LEVEL', LOG_LEVELS, 'info', {
    section: SERVING, description: 'Least severe level logged.',
  }),
};

/** The parsed settings. Durations are in ms. */
export type OperatorOptions = Readonly<FlagValues<typeof OPERATOR_FLAGS>>;

export type ParseResult =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'options'; readonly options: OperatorOptions; readonly sources: FlagSources<typeof OPERATOR_FLAGS> };

const USAGE = 'nodewright controller [flags]';
const PREAMBLE = [
  'Runs nodewright against a Kubernetes cluster: watches pending pods, launches and removes machines.',
  'Every flag can also be set through the environment variable shown; a flag on the command line wins.',
  'Durations are Go-style ("500ms", "10s", "1m30s").',
].join('\n');

/** The --help text of `nodewright controller`. */
export function operatorHelp(): string {
  return formatHelp(USAGE, PREAMBLE, OPERATOR_FLAGS);
}

/**
 * Parses the command line and environment once. `--help` (or `-h`) anywhere returns the help text.
 * @throws OptionsError naming the flag and the bad value ("--batch-idle-duration: invalid duration
 *   \"1x\" ..."), an unknown flag, a required setting left unset, or settings that contradict each
 *   other (lease duration > renew deadline > retry period; batch idle <= batch max).
 */
export function parseOperatorOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParseResult {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: operatorHelp() };
  const { values, sources } = parseFlags(OPERATOR_FLAGS, argv, env);
  const v = values;
  if (v.kubeconfig !== undefined) v.kubeconfig = v.kubeconfig.split(':').find((p) => p !== '') ?? v.kubeconfig;
  const fmt = formatDuration;
  if (v.batchIdleMs > v.batchMaxMs) {
    throw new OptionsError(`--batch-idle-duration (${fmt(v.batchIdleMs)}) must not exceed --batch-max-duration (${fmt(v.batchMaxMs)})`);
  }
  if (v.renewDeadlineMs >= v.leaseDurationMs) {
    throw new OptionsError(`--renew-deadline (${fmt(v.renewDeadlineMs)}) must be shorter than --lease-duration (${fmt(v.leaseDurationMs)})`);
  }
  if (v.retryPeriodMs >= v.renewDeadlineMs) {
    throw new OptionsError(`--retry-period (${fmt(v.retryPeriodMs)}) must be shorter than --renew-deadline (${fmt(v.renewDeadlineMs)})`);
  }
  return { kind: 'options', options: Object.freeze(v), sources };
}

/** The part of the options the controllers read. */
export function controllerOptionsFrom(o: OperatorOptions): ControllerOptions {
  return {
    binding: o.binding,
    batchIdleMs: o.batchIdleMs,
    batchMaxMs: o.batchMaxMs,
    unavailableOfferingTtlMs: o.unavailableOfferingTtlMs,
    registrationTimeoutMs: o.registrationTimeoutMs,
    disruptionIntervalMs: o.disruptionIntervalMs,
    consolidationValidationMs: o.consolidationValidationMs,
    leakedInstanceGraceMs: o.leakedInstanceGraceMs,
    spotToSpotConsolidation: o.spotToSpotConsolidation,
    consolidationMaxReplacements: o.consolidationMaxReplacements,
    ignorePreferences: o.ignorePreferences,
    clusterName: o.clusterName,
  };
}
