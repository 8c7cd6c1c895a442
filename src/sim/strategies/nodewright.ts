/**
 * nodewright in the simulator: its real controllers, over the embedded API server and the simulated
 * cloud, fed by the same informers and cluster state as on a real cluster. The scenario's NodePools
 * are created at the warm-up's start, and its initial nodes as NodeClaims pinned to their instance
 * type, zone and capacity type, so they are real, billed machines that nodewright manages.
 */
import type { NodePool } from '../../apis/v1/types.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { DEFAULT_CONTROLLER_OPTIONS, silentLogger, type ControllerContext } from '../../controllers/context.js';
import { DecisionLog, machineKindFromState } from '../../controllers/decisions/decision-log.js';
import { simInterruptionSource } from '../../controllers/interruption/source.js';
import { NodewrightControllers } from '../../controllers/nodewright.js';
import { buildNodeClaim } from '../../controllers/provisioning/nodeclaim-template.js';
import { ClusterState } from '../../state/cluster-state.js';
import { ClusterStateInformers } from '../../state/informers.js';
import { initialNodeObject } from '../cluster/initial-nodes.js';
import { resultDecisions } from '../explain/record.js';
import type { World } from '../engine/world.js';
import type { StrategyFactory, StrategyRun } from './strategy.js';

export const nodewrightStrategy: StrategyFactory = (world: World): StrategyRun => {
  const { clock, kube, cloud, scenario } = world;
  const state = new ClusterState({ clock });
  const informers = new ClusterStateInformers(kube, state, { clock });
  const log = new DecisionLog({ clock, kube, machineKindOf: machineKindFromState(state), capacity: 100_000 });
  const ctx: ControllerContext = {
    clock,
    kube,
    cloud,
    state,
    options: DEFAULT_CONTROLLER_OPTIONS,
    log: silentLogger,
    decisions: log,
    unavailableOfferings: cloud.unavailableOfferings,
  };
  // Disruption waits for t = 0: the initial nodes are empty during the warm-up and would go at once.
  const controllers = new NodewrightControllers(ctx, { interruptions: simInterruptionSource(cloud), holdDisruption: true });

  return {
    name: 'nodewright',
    async prepare() {
      const pools = new Map<string, NodePool>();
      for (const np of scenario.cluster.nodePools) pools.set(np.metadata.name ?? '', await kube.create('NodePool', np));
      informers.start();
      while (!state.synced) await clock.step(0);
      controllers.start();
      for (const spec of scenario.cluster.initialNodes) {
        const pool = spec.nodePool ? pools.get(spec.nodePool) : undefined;
        if (!pool) {
          await kube.create('Node', initialNodeObject(scenario, spec, { ownership: 'none' }, clock.now()));
          continue;
        }
        const pinned = [
          { key: INSTANCE_TYPE_LABEL, operator: 'In', values: [spec.instanceType] },
          { key: ZONE_LABEL, operator: 'In', values: [spec.zone] },
          { key: CAPACITY_TYPE_LABEL, operator: 'In', values: [spec.capacityType] },
        ];
        const claim = buildNodeClaim(pool, {
          hostname: spec.name, nodePool: spec.nodePool!, requirements: pinned, instanceTypeOptions: [], pods: [],
          requests: {}, daemonSetOverhead: {}, pricePerHour: 0,
        });
        await kube.create('NodeClaim', claim);
      }
    },
    begin: () => controllers.startDisruption(),
    isIdle: (h) => controllers.isIdle(h),
    async stop() {
      await controllers.stop();
      await informers.stop();
    },
    decisions: () => resultDecisions(log.query({}), world.t0),
  };
};
