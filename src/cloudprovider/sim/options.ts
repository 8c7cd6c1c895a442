/** Options of the simulated cloud, their defaults and their checks. */
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import type { Seed } from '../../utils/random.js';
import type { InstanceType } from '../types.js';
import type { ApiFaultOptions } from './api-faults.js';
import type { CapacityWindow } from './capacity-windows.js';
import type { DelayDistribution } from './delay.js';
import { checkDelay } from './delay.js';
import type { SimInstanceRecord } from './instances.js';
import type { ScheduledInterruption } from './interruptions.js';

export interface SimCloudProviderOptions {
  clock: Clock;
  /** The catalogue (any InstanceType[]: ec2Catalog(), kwokCatalog(), ...). */
  instanceTypes: readonly InstanceType[];
  /** Where machines register their Node objects; without it no Nodes are made. */
  kube?: KubeClient;
  /** Seeds every random draw (default 1): the same seed and calls give the same run. */
  seed?: Seed;
  /** Region label for machines whose type has none. */
  region?: string;
  /** How long create takes, request to running machine; default 2 s. */
  launchDelay?: DelayDistribution;
  /** Running machine to its Node object; default 30 s. */
  registrationDelay?: DelayDistribution;
  /** Node object to Ready=True; default 5 s. */
  readyDelay?: DelayDistribution;
  /** Termination request to terminated machine and Node deleted; default 10 s. */
  shutdownDelayMs?: number;
  /** Machines whose kubelet never registers: a probability per machine, or a predicate. */
  registrationFailure?: number | ((machine: SimInstanceRecord) => boolean);
  /** Windows of insufficient capacity (more with addCapacityWindow). */
  capacityWindows?: readonly CapacityWindow[];
  /** Expected spot interruptions per spot machine-hour (Poisson); default 0. */
  spotInterruptionRatePerHour?: number;
  /** Interruptions at given times (more with scheduleInterruption). */
  scheduledInterruptions?: readonly ScheduledInterruption[];
  /** Seeded throttling, 5xx and timeouts. */
  apiFaults?: ApiFaultOptions;
  /** Node names: the claim's name (default) or an EC2-style private DNS name ("ip-10-0-1-5.<region>.compute.internal"). */
  nodeNames?: 'claim' | 'ip';
  /** The image new machines boot; default "sim-image-1" (change with setImage to cause drift). */
  imageID?: string;
  /** Instance types per launch request, cheapest first, as Karpenter's fleet request; default 60. */
  maxInstanceTypesPerLaunch?: number;
  /** How long an offering that ran out of capacity stays unavailable; default 3 min. */
  unavailableOfferingTtlMs?: number;
}

export const SIM_DEFAULTS = {
  launchDelay: { kind: 'fixed', ms: 2_000 },
  registrationDelay: { kind: 'fixed', ms: 30_000 },
  readyDelay: { kind: 'fixed', ms: 5_000 },
  shutdownDelayMs: 10_000,
  imageID: 'sim-image-1',
  maxInstanceTypesPerLaunch: 60,
} as const satisfies Partial<SimCloudProviderOptions>;

/**
 * Checks the options that construction does not check elsewhere.
 * @throws RangeError saying which option is wrong.
 */
export function checkSimOptions(o: SimCloudProviderOptions): void {
  if (o.launchDelay) checkDelay('launch', o.launchDelay);
  if (o.registrationDelay) checkDelay('registration', o.registrationDelay);
  if (o.readyDelay) checkDelay('ready', o.readyDelay);
  const nonNegative = (what: string, n: number | undefined): void => {
    if (n !== undefined && (!(n >= 0) || !Number.isFinite(n))) throw new RangeError(`sim cloud: ${what} must be a finite number >= 0, got ${n}`);
  };
  nonNegative('shutdownDelayMs', o.shutdownDelayMs);
  nonNegative('spotInterruptionRatePerHour', o.spotInterruptionRatePerHour);
  const failure = o.registrationFailure;
  if (typeof failure === 'number' && !(failure >= 0 && failure <= 1)) {
    throw new RangeError(`sim cloud: registrationFailure must be a probability within [0, 1], got ${failure}`);
  }
  const max = o.maxInstanceTypesPerLaunch;
  if (max !== undefined && (!Number.isSafeInteger(max) || max <= 0)) {
    throw new RangeError(`sim cloud: maxInstanceTypesPerLaunch must be a positive integer, got ${max}`);
  }
  const names = new Set<string>();
  for (const t of o.instanceTypes) {
    if (names.has(t.name)) throw new RangeError(`sim cloud: instance type "${t.name}" appears twice in the catalogue`);
    names.add(t.name);
  }
}
