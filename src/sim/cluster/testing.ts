/**
 * A small embedded cluster for tests of the stand-ins (and of anything built on them): a
 * VirtualClock, the memory API server and a started ClusterView, with helpers to step time.
 */
import type { Pod } from '../../apis/core.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { VirtualClock } from '../../utils/clock.js';
import { ClusterView } from './cluster-view.js';

/** 2025-01-06T00:00:00Z: a Monday at midnight, where test runs start. */
export const TEST_EPOCH = Date.UTC(2025, 0, 6);

export interface TestCluster {
  readonly clock: VirtualClock;
  readonly kube: MemoryKubeClient;
  readonly view: ClusterView;
  /** Steps virtual time by `ms` (0: lets pending events and zero-delay timers run). */
  step(ms?: number): Promise<void>;
  /** All pods, from the API server. */
  pods(): Promise<Pod[]>;
  /** The pod from the API server. @throws KubeError NotFound. */
  pod(name: string, namespace?: string): Promise<Pod>;
  stop(): Promise<void>;
}

/** Starts the view on a fresh memory cluster and waits for its informers to sync. */
export async function testCluster(o: { start?: number; seed?: number } = {}): Promise<TestCluster> {
  const clock = new VirtualClock(o.start ?? TEST_EPOCH);
  const kube = new MemoryKubeClient({ clock, seed: o.seed ?? 1 });
  const view = new ClusterView({ clock, kube });
  view.start();
  while (!view.hasSynced()) await clock.step(0);
  return {
    clock,
    kube,
    view,
    async step(ms = 0) {
      await clock.step(ms);
    },
    async pods() {
      return (await kube.list('Pod')).items;
    },
    pod(name, namespace) {
      return kube.get('Pod', name, namespace);
    },
    async stop() {
      await view.stop();
      kube.close();
    },
  };
}
