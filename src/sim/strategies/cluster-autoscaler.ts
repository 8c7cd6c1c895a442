/**
 * The Cluster Autoscaler model in the simulator: Auto Scaling Groups on the same simulated cloud,
 * the scenario's initial nodes launched into their groups during the warm-up, and the model's loop
 * started at t = 0.
 */
import { ClusterAutoscalerModel } from '../cluster-autoscaler/index.js';
import { initialNodeObject } from '../cluster/initial-nodes.js';
import type { World } from '../engine/world.js';
import type { StrategyFactory, StrategyRun } from './strategy.js';

export const clusterAutoscalerStrategy: StrategyFactory = (world: World): StrategyRun => {
  const { clock, kube, cloud, scenario, t0 } = world;
  const model = new ClusterAutoscalerModel({
    clock,
    kube,
    cloud,
    instanceTypes: scenario.cluster.instanceTypes,
    nodeGroups: scenario.clusterAutoscaler.nodeGroups,
    epochMs: t0,
    seed: scenario.seed,
  });
  let launchFailure: unknown;
  return {
    name: 'cluster-autoscaler',
    async prepare() {
      for (const spec of scenario.cluster.initialNodes) {
        if (!spec.nodeGroup) await kube.create('Node', initialNodeObject(scenario, spec, { ownership: 'none' }, clock.now()));
      }
      // The launches finish on the clock, which the engine steps through the warm-up.
      model.launchInitialNodes(scenario.cluster.initialNodes).catch((err: unknown) => {
        launchFailure = err;
      });
      return Promise.resolve();
    },
    begin() {
      if (launchFailure !== undefined) {
        throw new Error(`launching the initial nodes of the node groups: ${launchFailure instanceof Error ? launchFailure.message : JSON.stringify(launchFailure)}`, { cause: launchFailure });
      }
      model.start();
    },
    isIdle: (h) => model.isIdle(h),
    stop: () => model.stop(),
    decisions: () => [...model.decisions()],
  };
};
