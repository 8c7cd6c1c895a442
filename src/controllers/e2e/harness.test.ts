/**
 * End-to-end harness, no tests of its own (named *.test.ts so it may use the sim/ stand-ins, as tests may): the embedded cluster on the simulated cloud with every nodewright
 * controller running, plus the embedded cluster's kubelet stand-in (bound pods become Running) and,
 * unless left out, its kube-scheduler stand-in (pods are marked Unschedulable and later bound by it).
 */
import type { Pod } from '../../apis/core.js';
import type { NodePool } from '../../apis/v1/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { ClusterView } from '../../sim/cluster/cluster-view.js';
import { KubeSchedulerStandIn } from '../../sim/cluster/kube-scheduler.js';
import { KubeletStandIn } from '../../sim/cluster/kubelet.js';
import { nodePool } from '../../test/builders.js';
import type { TestEnv, TestEnvOptions } from '../../test/env.js';
import { makeTestEnv } from '../../test/env.js';
import { Random } from '../../utils/random.js';
import type { ControllerOptions } from '../context.js';
import { NodewrightControllers } from '../nodewright.js';
import { waitFor, whileStepping } from '../nodeclaim/fixtures.js';

/** The simulated cloud (named through TestEnv). */
export type SimCloud = Extract<TestEnv['cloud'], { instances(): unknown }>;

export interface E2eOptions {
  instanceTypes?: readonly InstanceType[];
  sim?: TestEnvOptions['sim'];
  binding?: ControllerOptions['binding'];
  /** Run the kube-scheduler stand-in (default true). */
  scheduler?: boolean;
  /** Edits the NodePool "default" (consolidation off by default: WhenEmpty after 1 h). */
  pool?: (np: NodePool) => void;
}

export interface E2e {
  env: TestEnv;
  sim: SimCloud;
  pool: NodePool;
  controllers: NodewrightControllers;
  view: ClusterView;
  scheduler: KubeSchedulerStandIn | undefined;
  kubelet: KubeletStandIn;
  /** Pods from the API server. */
  pods(): Promise<Pod[]>;
  /** Steps virtual time until every pod in the API server is Running on a node; returns the time it took. */
  allRunning(n: number, limitMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** A pod as a workload controller creates it: no status yet (kube-scheduler has not looked at it). */
export function fresh(p: Pod): Pod {
  return { ...p, status: undefined };
}

/** Starts everything; the NodePool "default" is created before the controllers start. */
export async function e2e(o: E2eOptions = {}): Promise<E2e> {
  const env = await makeTestEnv({
    ...(o.instanceTypes ? { instanceTypes: o.instanceTypes } : {}),
    ...(o.sim ? { sim: o.sim } : {}),
    options: { binding: o.binding ?? 'scheduler' },
  });
  const np = nodePool();
  np.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1h' };
  o.pool?.(np);
  await env.kube.create('NodePool', np);
  await env.settle();
  const view = new ClusterView({ clock: env.clock, kube: env.kube });
  view.start();
  while (!view.hasSynced()) await env.clock.step(0);
  const scheduler = o.scheduler === false ? undefined : new KubeSchedulerStandIn({ view });
  const kubelet = new KubeletStandIn({ view, random: new Random(1) });
  const controllers = new NodewrightControllers(env.ctx);
  controllers.start();
  const pods = async (): Promise<Pod[]> => (await env.kube.list('Pod')).items;
  return {
    env, sim: env.cloud as SimCloud, pool: np, controllers, view, scheduler, kubelet, pods,
    allRunning: (n, limitMs = 30 * 60_000) => waitFor(env.clock, `${n} pods running`, () => view.stageCounts().running === n, limitMs),
    async stop() {
      scheduler?.stop();
      kubelet.stop();
      await whileStepping(env.clock, controllers.stop());
      await view.stop();
      await env.stop();
    },
  };
}
