/**
 * One run's world: a virtual clock, the embedded API server (with evictions counted), and the
 * simulated cloud configured from the scenario. Each strategy replays the scenario in a world of
 * its own, so the two never share state but see the same cloud, delays and seed.
 */
import type { SimCloudProviderOptions } from '../../cloudprovider/sim/options.js';
import { SimCloudProvider } from '../../cloudprovider/sim/sim-cloud-provider.js';
import type { DelayDistribution } from '../../cloudprovider/sim/delay.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import type { EvictOptions, KubeClient, PodRef } from '../../kube/types.js';
import { VirtualClock } from '../../utils/clock.js';
import { stableHash32 } from '../../utils/random.js';
import type { Distribution, Scenario } from '../scenario/types.js';

/** Time the strategy gets before t = 0 to bring up the scenario's initial nodes. */
export const WARMUP_MS = 10 * 60_000;

export interface World {
  readonly scenario: Scenario;
  readonly clock: VirtualClock;
  /** The API server; `kube.evictions` counts successful evictions. */
  readonly kube: CountingKubeClient;
  readonly cloud: SimCloudProvider;
  /** Epoch ms of t = 0 (the scenario's start). */
  readonly t0: number;
  readonly end: number;
}

export interface CountingKubeClient extends KubeClient {
  readonly evictions: number;
  close(): void;
}

/** The memory API server with successful evictions counted (disruption's cost to workloads). */
function counting(inner: MemoryKubeClient): CountingKubeClient {
  let evictions = 0;
  const evict = async (pod: PodRef, opts?: EvictOptions): Promise<void> => {
    await inner.evict(pod, opts);
    evictions++;
  };
  // Every API call of every controller reads a method through the proxy: bind each one once.
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'evict') return evict;
      if (prop === 'evictions') return evictions;
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      let f = bound.get(prop);
      if (f === undefined) bound.set(prop, (f = (v as (...a: unknown[]) => unknown).bind(target)));
      return f;
    },
  }) as unknown as CountingKubeClient;
}

export function toDelay(d: Distribution): DelayDistribution {
  switch (d.kind) {
    case 'fixed':
      return { kind: 'fixed', ms: d.ms };
    case 'uniform':
      return { kind: 'uniform', minMs: d.minMs, maxMs: d.maxMs };
    case 'lognormal':
      return { kind: 'lognormal', medianMs: d.medianMs, sigma: d.sigma };
  }
}

/** The simulated cloud's settings for a scenario; times relative to t0. */
export function cloudOptions(scenario: Scenario, clock: VirtualClock, kube: KubeClient, t0: number): SimCloudProviderOptions {
  const c = scenario.cluster;
  return {
    clock,
    kube,
    instanceTypes: c.instanceTypes,
    seed: scenario.seed,
    launchDelay: toDelay(c.launchDelay),
    registrationDelay: toDelay(c.registrationDelay),
    readyDelay: { kind: 'fixed', ms: 0 },
    nodeNames: 'ip',
    spotInterruptionRatePerHour: c.interruptions.spotRatePerInstanceHour,
    capacityWindows: c.insufficientCapacity.flatMap((w) => w.instanceTypes.map((instanceType) => ({
      start: t0 + w.fromMs,
      end: t0 + w.untilMs,
      instanceType,
      ...(w.zone ? { zone: w.zone } : {}),
      ...(w.capacityType ? { capacityType: w.capacityType } : {}),
    }))),
    // The sim cloud filters by one type at most: a pattern naming several types interrupts any type.
    scheduledInterruptions: c.interruptions.scheduled.map((s) => ({
      at: t0 + s.atMs,
      count: s.count,
      ...(s.instanceTypePattern && s.instanceTypes.length === 1 ? { instanceType: s.instanceTypes[0]! } : {}),
      ...(s.zone ? { zone: s.zone } : {}),
    })),
  };
}

export function makeWorld(scenario: Scenario): World {
  const t0 = scenario.startEpochMs;
  const clock = new VirtualClock(t0 - WARMUP_MS);
  // Every watcher here is an informer, whose handlers must not modify what it hands them (its own
  // cache), so informers of one kind may share a copy of each change.
  const memory = new MemoryKubeClient({
    clock, shareWatchObjects: true, seed: typeof scenario.seed === 'number' ? scenario.seed : stableHash32(scenario.seed),
  });
  const kube = counting(memory);
  const cloud = new SimCloudProvider(cloudOptions(scenario, clock, memory, t0));
  return { scenario, clock, kube, cloud, t0, end: t0 + scenario.horizonMs };
}
