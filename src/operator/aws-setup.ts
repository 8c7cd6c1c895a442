/**
 * `--cloud-provider aws`: the AWS cloud provider built from the controller's flags, reading
 * EC2NodeClasses from the API server; while this replica leads, their statuses kept current (and
 * the instance profiles made for their roles deleted with them), and (with --interruption-queue,
 * a queue URL or name) an SQS interruption source polled.
 */
import type { EC2NodeClass } from '../apis/ec2nodeclass/types.js';
import type { AwsCloudProviderOptions, NodeClassSource } from '../cloudprovider/aws/aws-cloud-provider.js';
import { AwsCloudProvider } from '../cloudprovider/aws/aws-cloud-provider.js';
import type { AwsConnection } from '../cloudprovider/aws/clients.js';
import { sqsClient } from '../cloudprovider/aws/clients.js';
import { isQueueUrl, QueueNotFoundError, resolveQueueUrl } from '../cloudprovider/aws/interruption/queue-url.js';
import { SqsInterruptionSource } from '../cloudprovider/aws/interruption/sqs-source.js';
import type { Retrier } from '../cloudprovider/aws/retry.js';
import { DEFAULT_RETRY_POLICY, retrier } from '../cloudprovider/aws/retry.js';
import type { InterruptionMessage, InterruptionSource } from '../controllers/interruption/source.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeClient } from '../kube/types.js';
import type { Clock } from '../utils/clock.js';
import type { CloudProviderEnv, CloudProviderSetup, Runnable } from './cloud-providers.js';
import { CloudProviderSetupError } from './cloud-providers.js';
import { NODE_CLASS_FINALIZER, NodeClassStatusLoop } from './ec2nodeclass-status.js';
import type { OperatorOptions } from './options.js';

type SqsClient = ReturnType<typeof sqsClient>;

/** How long an EC2NodeClass read from the API server is reused before it is read again. */
export const NODE_CLASS_CACHE_TTL_MS = 5_000;

/** The settings the aws provider cannot run without, each with its flag and variable. */
const REQUIRED = [
  ['awsRegion', '--aws-region', 'AWS_REGION'],
  ['clusterEndpoint', '--cluster-endpoint', 'CLUSTER_ENDPOINT'],
  ['clusterCABundle', '--cluster-ca-bundle', 'CLUSTER_CA_BUNDLE'],
  ['kubernetesVersion', '--kubernetes-version', 'KUBERNETES_VERSION'],
] as const;

export interface AwsSettings {
  readonly connection: AwsConnection;
  readonly cluster: AwsCloudProviderOptions['cluster'];
  readonly kubernetesVersion: string;
}

/**
 * The aws settings from the options.
 * @throws CloudProviderSetupError naming every missing setting's flag and environment variable.
 */
export function awsSettings(o: OperatorOptions): AwsSettings {
  const missing = REQUIRED.filter(([key]) => o[key] === undefined).map(([, flag, env]) => `${flag} (or ${env})`);
  if (missing.length > 0 || o.awsRegion === undefined || o.clusterEndpoint === undefined || o.clusterCABundle === undefined || o.kubernetesVersion === undefined) {
    throw new CloudProviderSetupError(`--cloud-provider aws: missing required settings: ${missing.join(', ')}`);
  }
  return {
    connection: { region: o.awsRegion, ...(o.awsEndpointUrl === undefined ? {} : { endpoint: o.awsEndpointUrl }) },
    cluster: {
      name: o.clusterName, endpoint: o.clusterEndpoint, certificateAuthority: o.clusterCABundle,
      ...(o.clusterCidr === undefined ? {} : { cidr: o.clusterCidr }),
    },
    kubernetesVersion: o.kubernetesVersion,
  };
}

/**
 * EC2NodeClasses read through the KubeClient, each reused for a short while on the clock so a
 * provisioning pass does not read the same object once per claim. Absent ones are not cached.
 */
export class KubeNodeClassSource implements NodeClassSource {
  readonly #kube: KubeClient;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { at: number; value: Promise<EC2NodeClass> }>();

  constructor(kube: KubeClient, clock: Clock, ttlMs = NODE_CLASS_CACHE_TTL_MS) {
    this.#kube = kube;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /** @returns undefined when the node class does not exist. @throws KubeError for other API failures (not cached). */
  async get(name: string): Promise<EC2NodeClass | undefined> {
    const now = this.#clock.now();
    let hit = this.#cache.get(name);
    if (hit === undefined || now - hit.at >= this.#ttlMs) {
      hit = { at: now, value: this.#kube.get('EC2NodeClass', name) };
      this.#cache.set(name, hit);
      const entry = hit;
      entry.value.catch(() => { if (this.#cache.get(name) === entry) this.#cache.delete(name); });
    }
    try {
      return structuredClone(await hit.value);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}

/** What LeaderInterruptionSource needs of a queue poller (SqsInterruptionSource). */
export interface QueuePoller {
  subscribe(handler: (message: InterruptionMessage) => void): () => void;
  stop(): Promise<void>;
}

/**
 * An InterruptionSource whose SQS queue is attached while this replica leads: handlers subscribed
 * before (or across) terms are carried over to the current queue poller.
 */
export class LeaderInterruptionSource implements InterruptionSource {
  readonly name = 'sqs';
  readonly #handlers = new Map<(m: InterruptionMessage) => void, (() => void) | undefined>();
  #queue: QueuePoller | undefined;

  subscribe(handler: (message: InterruptionMessage) => void): () => void {
    this.#handlers.set(handler, this.#queue?.subscribe(handler));
    return () => {
      this.#handlers.get(handler)?.();
      this.#handlers.delete(handler);
    };
  }

  /** Starts delivering from `queue` to every handler. */
  attach(queue: QueuePoller): void {
    this.#queue = queue;
    for (const h of this.#handlers.keys()) this.#handlers.set(h, queue.subscribe(h));
  }

  /** Stops the current queue's polling. */
  async detach(): Promise<void> {
    const queue = this.#queue;
    this.#queue = undefined;
    for (const [h, unsubscribe] of this.#handlers) {
      unsubscribe?.();
      this.#handlers.set(h, undefined);
    }
    await queue?.stop();
  }
}

/** Test seams: static credentials, fewer instance types, shorter retries. */
export type AwsSetupOverrides = Partial<Omit<AwsCloudProviderOptions, 'clock' | 'cluster' | 'kubernetesVersion' | 'nodeClasses' | 'region' | 'endpoint'>> & {
  /** SQS long-polling wait (default 20 s). */
  readonly sqsWaitTimeSeconds?: number;
};

/**
 * The aws provider for `nodewright controller`.
 * @throws CloudProviderSetupError for missing settings or cluster settings that cannot go into user data.
 */
export function awsSetup(env: CloudProviderEnv, overrides: AwsSetupOverrides = {}): CloudProviderSetup {
  const { options, kube, clock } = env;
  const settings = awsSettings(options);
  const log = env.log.child({ provider: 'aws' });
  const { sqsWaitTimeSeconds, ...providerOverrides } = overrides;
  const connection: AwsConnection = { ...settings.connection, ...(overrides.credentials === undefined ? {} : { credentials: overrides.credentials }) };
  let provider: AwsCloudProvider;
  try {
    provider = new AwsCloudProvider({
      ...providerOverrides, ...connection, clock, cluster: settings.cluster, kubernetesVersion: settings.kubernetesVersion,
      nodeClasses: new KubeNodeClassSource(kube, clock),
    });
  } catch (e) {
    throw new CloudProviderSetupError(`--cloud-provider aws: ${(e as Error).message}`, { cause: e });
  }
  const queue = options.interruptionQueue;
  const sqs: SqsClient | undefined = queue === undefined ? undefined : sqsClient(connection);
  const interruptions = queue === undefined ? undefined : new LeaderInterruptionSource();
  const retry = retrier(clock, overrides.retry ?? DEFAULT_RETRY_POLICY, overrides.random);
  let queueUrl: Promise<string> | undefined;
  return {
    provider,
    unavailableOfferings: provider.unavailableOfferings,
    ...(interruptions === undefined ? {} : { interruptions }),
    leaderRunnables: (): Runnable[] => {
      const statusLoop = new NodeClassStatusLoop({
        kube, clock, status: (nc) => provider.nodeClassStatus(nc), onProblem: (problem, err) => log.warn({ err }, problem),
        finalizer: { name: NODE_CLASS_FINALIZER, needs: (nc) => nc.spec.role !== undefined, finalize: (nc) => provider.finalizeNodeClass(nc) },
      });
      const runnables: Runnable[] = [{ name: 'aws.ec2nodeclass-status', start: () => statusLoop.start(), stop: () => statusLoop.stop() }];
      if (sqs === undefined || interruptions === undefined || queue === undefined) return runnables;
      runnables.push({
        name: 'aws.interruption-queue',
        start: async () => {
          const attempt = queueUrl ?? queueUrlOf(sqs, retry, queue);
          queueUrl = attempt;
          attempt.catch(() => { if (queueUrl === attempt) queueUrl = undefined; });
          const url = await attempt;
          interruptions.attach(new SqsInterruptionSource({
            sqs, queueUrl: url, clock, providerIDs: (ids) => provider.providerIDsOf(ids),
            ...(sqsWaitTimeSeconds === undefined ? {} : { waitTimeSeconds: sqsWaitTimeSeconds }),
            onProblem: (problem) => log.warn({ queue: url }, problem),
          }));
          log.info({ queue: url }, 'polling the interruption queue');
        },
        stop: () => interruptions.detach(),
      });
      return runnables;
    },
    close: () => {
      sqs?.destroy();
    },
  };
}

/**
 * The interruption queue's URL: a URL as it is, a queue name looked up with SQS GetQueueUrl.
 * @throws CloudProviderSetupError naming the flag when the queue does not exist or the text is
 *   neither; CloudProviderError when SQS keeps failing.
 */
export async function queueUrlOf(sqs: SqsClient, retry: Retrier, queue: string): Promise<string> {
  if (isQueueUrl(queue)) return queue;
  try {
    return await resolveQueueUrl(sqs, retry, queue);
  } catch (e) {
    if (!(e instanceof QueueNotFoundError)) throw e;
    throw new CloudProviderSetupError(`--interruption-queue (or INTERRUPTION_QUEUE): ${e.message}; give the queue's name or URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)`, { cause: e });
  }
}
