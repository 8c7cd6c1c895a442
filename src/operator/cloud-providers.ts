/**
 * Cloud providers by name, as `--cloud-provider` selects them: each factory builds the provider
 * the controllers call and the helpers that must run only on the leader (the kwok node agent,
 * resuming kwok launches after a restart, polling the aws interruption queue).
 */
import { KwokCloudProvider } from '../cloudprovider/kwok/kwok-cloud-provider.js';
import { KwokNodeAgent } from '../cloudprovider/kwok/node-agent.js';
import type { CloudProvider } from '../cloudprovider/cloud-provider.js';
import type { UnavailableOfferings } from '../cloudprovider/unavailable-offerings.js';
import type { Logger } from '../controllers/context.js';
import type { InterruptionSource } from '../controllers/interruption/source.js';
import type { KubeClient } from '../kube/types.js';
import type { Clock } from '../utils/clock.js';
import { awsSetup } from './aws-setup.js';
import type { CloudProviderName, OperatorOptions } from './options.js';

/** Something started when this replica starts leading and stopped when it stops. */
export interface Runnable {
  readonly name: string;
  /** May be async (it is awaited before the next one starts); throwing aborts the start of leadership. */
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** What a factory is built with. */
export interface CloudProviderEnv {
  readonly options: OperatorOptions;
  readonly kube: KubeClient;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface CloudProviderSetup {
  readonly provider: CloudProvider;
  /** The provider's cache of offerings that failed for lack of capacity (shared with the controllers). */
  readonly unavailableOfferings: UnavailableOfferings;
  /** Interruption notices for the interruption controller (aws with --interruption-queue); absent: none. */
  readonly interruptions?: InterruptionSource;
  /** Fresh runnables for one term of leadership, started before the controllers. */
  leaderRunnables(): Runnable[];
  /** Releases timers and connections. */
  close(): void;
}

export type CloudProviderFactory = (env: CloudProviderEnv) => CloudProviderSetup;

/** Thrown when the chosen provider cannot be built. */
export class CloudProviderSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CloudProviderSetupError';
  }
}

/** The kwok provider, its launch recovery and (unless --kwok-node-agent=false) its node agent. */
export function kwokSetup(env: CloudProviderEnv): CloudProviderSetup {
  const { options, kube, clock } = env;
  const log = env.log.child({ provider: 'kwok' });
  const onProblem = (e: Error): void => log.warn({ err: e }, e.message);
  const provider = new KwokCloudProvider({
    kube, clock, clusterName: options.clusterName, registrationDelayMs: options.kwokRegistrationDelayMs,
    unavailableOfferingTtlMs: options.unavailableOfferingTtlMs, onProblem,
  });
  return {
    provider,
    unavailableOfferings: provider.unavailableOfferings,
    leaderRunnables: () => {
      const recover: Runnable = {
        name: 'kwok.recover',
        start: async () => {
          const resumed = await provider.recover();
          if (resumed > 0) log.info({ resumed }, `resumed ${resumed} kwok launches that had not registered`);
        },
        stop: () => Promise.resolve(),
      };
      if (!options.kwokNodeAgent) return [recover];
      const agent = new KwokNodeAgent({ kube, clock, clusterName: options.clusterName, onProblem });
      return [recover, { name: 'kwok.node-agent', start: () => agent.start(), stop: () => agent.stop() }];
    },
    close: () => provider.close(),
  };
}

export const CLOUD_PROVIDER_FACTORIES: Readonly<Record<CloudProviderName, CloudProviderFactory>> = {
  kwok: kwokSetup,
  aws: (env) => awsSetup(env),
};
