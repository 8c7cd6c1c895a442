/**
 * A whole embedded cluster for controller tests: a VirtualClock, the memory API server, a cloud
 * (simulated by default, or the fake), the cluster state fed by informers, and a controller context
 * whose decisions are kept in an array. Tests add controllers and call `settle`.
 */
import type { InstanceType } from '../cloudprovider/types.js';
import { FakeCloudProvider } from '../cloudprovider/fake/fake-cloud-provider.js';
import { SimCloudProvider } from '../cloudprovider/sim/sim-cloud-provider.js';
import type { SimCloudProviderOptions } from '../cloudprovider/sim/options.js';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { DEFAULT_CONTROLLER_OPTIONS, silentLogger, type ControllerContext, type ControllerOptions, type Decision } from '../controllers/context.js';
import type { Quiescent } from '../controllers/runtime/reconciler.js';
import { settle } from '../controllers/runtime/quiescence.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { ClusterState } from '../state/cluster-state.js';
import { ClusterStateInformers } from '../state/informers.js';
import { VirtualClock } from '../utils/clock.js';

export interface TestEnvOptions {
  instanceTypes?: readonly InstanceType[];
  /** "sim" (default): machines register Nodes after delays; "fake": no Nodes, calls recorded. */
  cloud?: 'sim' | 'fake';
  sim?: Partial<SimCloudProviderOptions>;
  options?: Partial<ControllerOptions>;
}

export interface TestEnv {
  clock: VirtualClock;
  kube: MemoryKubeClient;
  cloud: SimCloudProvider | FakeCloudProvider;
  state: ClusterState;
  informers: ClusterStateInformers;
  decisions: Decision[];
  ctx: ControllerContext;
  /** Steps virtual time until the informers and every given controller are idle. */
  settle(targets?: readonly Quiescent[], limitMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function makeTestEnv(o: TestEnvOptions = {}): Promise<TestEnv> {
  const clock = new VirtualClock();
  const kube = new MemoryKubeClient({ clock });
  const instanceTypes = o.instanceTypes ?? kwokCatalog();
  const cloud = o.cloud === 'fake'
    ? new FakeCloudProvider({ instanceTypes, clock })
    : new SimCloudProvider({ clock, instanceTypes, kube, seed: 1, ...o.sim });
  const state = new ClusterState({ clock });
  const informers = new ClusterStateInformers(kube, state, { clock });
  informers.start();
  const decisions: Decision[] = [];
  const ctx: ControllerContext = {
    clock,
    kube,
    cloud,
    state,
    options: { ...DEFAULT_CONTROLLER_OPTIONS, ...o.options },
    log: silentLogger,
    decisions: { record: (d) => decisions.push(d) },
    unavailableOfferings: cloud.unavailableOfferings,
  };
  while (!state.synced) await clock.step(0);
  return {
    clock,
    kube,
    cloud,
    state,
    informers,
    decisions,
    ctx,
    settle: (targets = [], limitMs) => settle(clock, targets, { limitMs }),
    async stop() {
      await informers.stop();
      kube.close();
    },
  };
}
