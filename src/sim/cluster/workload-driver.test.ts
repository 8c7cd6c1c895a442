import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { NODEPOOL_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { VirtualClock } from '../../utils/clock.js';
import { assertValid, loadScenario, parseScenario, replicasAt } from '../scenario/index.js';
import type { Scenario } from '../scenario/types.js';
import { NODE_GROUP_LABEL } from './annotations.js';
import { EmbeddedCluster } from './embedded-cluster.js';
import type { InitialNodeOwnership } from './initial-nodes.js';
import { controllerOf, isPodReady, podStage } from './pod-facts.js';

const MIN = 60_000;

function scenarioFrom(yaml: string): Scenario {
  return assertValid(parseScenario(yaml, 'test.yaml'));
}

/** A small synthetic scenario; `workload` is the YAML under `workload:` (indented two spaces). */
function synthetic(workload: string, o: { seed?: number; nodes?: string; startDelay?: string } = {}): Scenario {
  return scenarioFrom(`
name: driver-test
seed: ${o.seed ?? 5}
horizon: 3h
cluster:
  catalog:
    name: synthetic
    types:
      - {name: small, cpu: "2", memory: 8Gi, price: 0.1, overhead: {cpu: "0", memory: "0"}}
      - {name: large, cpu: "8", memory: 32Gi, price: 0.4, overhead: {cpu: "0", memory: "0"}}
  zones: [zone-a, zone-b]
  podStartDelay: ${o.startDelay ?? '2s'}
  nodePools:
    - metadata: {name: default}
      spec:
        template:
          metadata: {labels: {team: web}}
          spec:
            nodeClassRef: {group: sim.nodewright.dev, kind: SimNodeClass, name: default}
            requirements:
              - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
  initialNodes:
${o.nodes ?? '    - {instanceType: large, count: 2, nodePool: default}'}
workload:
${workload}`);
}

interface Run {
  clock: VirtualClock;
  kube: MemoryKubeClient;
  cluster: EmbeddedCluster;
  /** Steps to scenario time `ms` (from t = 0). */
  at(ms: number): Promise<void>;
  pods(filter?: (p: Pod) => boolean): Promise<Pod[]>;
  stop(): Promise<void>;
}

async function run(scenario: Scenario, ownership: InitialNodeOwnership = 'nodepool'): Promise<Run> {
  const clock = new VirtualClock(scenario.startEpochMs);
  const kube = new MemoryKubeClient({ clock, seed: 1 });
  const cluster = new EmbeddedCluster({ clock, kube, scenario, initialNodes: { ownership } });
  await cluster.start();
  const t0 = clock.now();
  return {
    clock, kube, cluster,
    at: (ms) => clock.advanceTo(t0 + ms).then(() => undefined),
    pods: async (filter = () => true) => (await kube.list('Pod')).items.filter(filter),
    async stop() {
      await cluster.stop();
      kube.close();
    },
  };
}

const ownedBy = (kind: string, prefix: string) => (p: Pod): boolean => {
  const c = controllerOf(p);
  return c?.kind === kind && c.name.startsWith(prefix);
};
const active = (p: Pod): boolean => podStage(p) !== 'finished' && podStage(p) !== 'terminating';

describe('WorkloadDriver', () => {
  it("follows the burst scenario's replica schedule, with owner references and zoned StatefulSet pods", async () => {
    const r = await run(assertValid(await loadScenario('examples/burst.yaml')));
    const workers = async (): Promise<number> => (await r.pods((p) => ownedBy('ReplicaSet', 'worker-')(p) && active(p))).length;
    await r.at(10 * MIN - 1);
    assert.equal(await workers(), 0);
    const web = await r.pods(ownedBy('ReplicaSet', 'web-'));
    assert.equal(web.length, 6);
    assert.ok(web.every((p) => podStage(p) === 'running'));
    const db = await r.pods(ownedBy('StatefulSet', 'db'));
    const nodes = new Map((await r.kube.list('Node')).items.map((n) => [n.metadata.name, n.metadata.labels?.[ZONE_LABEL]]));
    assert.deepEqual(db.map((p) => [p.metadata.name, nodes.get(p.spec.nodeName)]).sort(),
      [['db-0', 'us-east-1a'], ['db-1', 'us-east-1b'], ['db-2', 'us-east-1c']]);
    const agents = await r.pods(ownedBy('DaemonSet', 'node-agent'));
    assert.equal(agents.length, 3);
    for (const [at, count] of [[10 * MIN + 1, 500], [50 * MIN + 1, 250], [70 * MIN + 1, 100], [90 * MIN + 1, 0]] as const) {
      await r.at(at);
      assert.equal(await workers(), count, `workers at ${at / MIN} min`);
      assert.equal(r.cluster.driver.deployment('worker')!.wanted, count);
    }
    const rs = (await r.kube.list('ReplicaSet')).items.find((x) => x.metadata.name?.startsWith('worker-'));
    assert.equal(rs?.spec.replicas, 0);
    assert.equal(rs?.metadata.ownerReferences?.[0]?.kind, 'Deployment');
    assert.equal(r.cluster.errorCount(), 0);
    await r.stop();
  });

  it('replaces an evicted pod at once with a new pending one, as a ReplicaSet does', async () => {
    const r = await run(synthetic(`
  deployments:
    - {name: web, pod: {requests: {cpu: "1"}}, replicas: 3}
  podDisruptionBudgets:
    - {name: web, selector: {matchLabels: {app: web}}, maxUnavailable: 1}`));
    await r.at(MIN);
    const [victim] = await r.pods(ownedBy('ReplicaSet', 'web-'));
    await r.kube.evict(victim!);
    await r.clock.step(0);
    const now = await r.pods(ownedBy('ReplicaSet', 'web-'));
    assert.equal(now.filter(active).length, 3);
    assert.ok(now.some((p) => p.metadata.uid === victim!.metadata.uid && p.metadata.deletionTimestamp), 'the evicted pod is terminating');
    await r.at(2 * MIN);
    const settled = await r.pods(ownedBy('ReplicaSet', 'web-'));
    assert.equal(settled.length, 3);
    assert.ok(settled.every((p) => podStage(p) === 'running' && p.metadata.uid !== victim!.metadata.uid));
    await r.stop();
  });

  it('scales down unscheduled, then pending, then the newest running pods first', async () => {
    const r = await run(synthetic(`
  deployments:
    - name: web
      pod: {requests: {cpu: "3"}}
      replicas: [{at: 0s, count: 3}, {at: 5m, count: 6}, {at: 10m, count: 4}, {at: 15m, count: 2}]`, { nodes: '    - {instanceType: large, count: 2, nodePool: default, zone: zone-a}' }));
    await r.at(5 * MIN - 1);
    const first = new Set((await r.pods(ownedBy('ReplicaSet', 'web-'))).map((p) => p.metadata.uid));
    assert.equal(first.size, 3);
    await r.at(6 * MIN);
    const six = await r.pods(ownedBy('ReplicaSet', 'web-'));
    assert.deepEqual(six.map(podStage).sort(), ['running', 'running', 'running', 'running', 'unscheduled', 'unscheduled']);
    await r.at(10 * MIN + 1);
    const four = (await r.pods(ownedBy('ReplicaSet', 'web-'))).filter(active);
    assert.deepEqual(four.map(podStage), ['running', 'running', 'running', 'running']);
    await r.at(15 * MIN + 1);
    const two = (await r.pods(ownedBy('ReplicaSet', 'web-'))).filter(active);
    assert.equal(two.length, 2);
    assert.ok(two.every((p) => first.has(p.metadata.uid)), 'the two kept are among the oldest');
    await r.stop();
  });

  it('runs a job parallelism at a time until its completions succeed, replacing an evicted pod', async () => {
    const r = await run(synthetic(`
  jobs:
    - {name: batch, start: 1m, parallelism: 2, completions: 5, duration: 10m, pod: {requests: {cpu: "1"}}}`));
    await r.at(MIN - 1);
    assert.equal((await r.pods()).length, 0);
    await r.at(2 * MIN);
    let pods = await r.pods(ownedBy('Job', 'batch'));
    assert.equal(pods.length, 2);
    await r.kube.evict(pods[0]!);
    await r.at(3 * MIN);
    pods = await r.pods(ownedBy('Job', 'batch'));
    assert.equal(pods.filter(active).length, 2);
    let most = 0;
    for (let t = 3; t <= 60; t++) {
      await r.at(t * MIN);
      most = Math.max(most, (await r.pods((p) => ownedBy('Job', 'batch')(p) && active(p))).length);
    }
    assert.equal(most, 2);
    const job = r.cluster.driver.job('batch')!;
    assert.equal(job.succeeded, 5);
    assert.ok(job.completedAt !== undefined);
    const done = await r.pods((p) => ownedBy('Job', 'batch')(p) && p.status?.phase === 'Succeeded');
    assert.equal(done.length, 5);
    const object = await r.kube.get('Job', 'batch');
    assert.equal((object as unknown as { status: { conditions: { type: string }[] } }).status.conditions[0]?.type, 'Complete');
    assert.equal((await r.pods((p) => ownedBy('Job', 'batch')(p) && active(p))).length, 0);
    await r.stop();
  });

  it('starts StatefulSet ordinals in order, each in its volume zone', async () => {
    const r = await run(synthetic(`
  statefulSets:
    - {name: db, replicas: 2, start: 1m, pod: {requests: {cpu: "1"}}, volume: {size: 10Gi, zones: [zone-b, zone-a]}}`, { startDelay: '30s' }));
    await r.at(MIN + 10_000);
    assert.deepEqual((await r.pods()).map((p) => p.metadata.name), ['db-0']);
    await r.at(3 * MIN);
    const pods = await r.pods();
    const zoneOf = new Map((await r.kube.list('Node')).items.map((n) => [n.metadata.name, n.metadata.labels?.[ZONE_LABEL]]));
    assert.deepEqual(pods.map((p) => [p.metadata.name, zoneOf.get(p.spec.nodeName), isPodReady(p)]).sort(), [['db-0', 'zone-b', true], ['db-1', 'zone-a', true]]);
    const pvc = await r.kube.get('PersistentVolumeClaim', 'data-db-0');
    assert.equal(pvc.status?.phase, 'Bound');
    await r.stop();
  });

  it('labels initial nodes for their NodePool, their node group, or neither', async () => {
    const s = synthetic('  deployments: []');
    for (const [ownership, check] of [
      ['nodepool', (l: Record<string, string>) => l[NODEPOOL_LABEL] === 'default' && l.team === 'web' && l[NODE_GROUP_LABEL] === undefined],
      ['node-group', (l: Record<string, string>) => l[NODEPOOL_LABEL] === undefined && l[NODE_GROUP_LABEL] === 'default-on-demand'],
      ['none', (l: Record<string, string>) => l[NODEPOOL_LABEL] === undefined && l[NODE_GROUP_LABEL] === undefined],
    ] as const) {
      const r = await run(s, ownership);
      const nodes = (await r.kube.list('Node')).items;
      assert.deepEqual(nodes.map((n) => n.metadata.name), ['initial-0', 'initial-1']);
      for (const n of nodes) {
        assert.ok(check(n.metadata.labels ?? {}), `${ownership}: ${JSON.stringify(n.metadata.labels)}`);
        assert.equal(n.metadata.labels?.['node.kubernetes.io/instance-type'], 'large');
        assert.equal(n.status?.allocatable?.cpu, '8');
      }
      assert.deepEqual(nodes.map((n) => n.metadata.labels?.[ZONE_LABEL]), ['zone-a', 'zone-b']);
      await r.stop();
    }
  });

  it('is deterministic for a seed: same pods, same times; another seed draws other times', async () => {
    const workload = `
  deployments:
    - name: web
      pod: {requests: {cpu: "1"}}
      replicas: [{at: 0s, count: 4}, {at: 10m, count: 12}, {at: 40m, count: 2}]
  jobs:
    - {name: batch, start: 5m, parallelism: 3, completions: 6, duration: {type: lognormal, median: 5m, sigma: 0.5}, pod: {requests: {cpu: "1"}}}`;
    const trace = async (seed: number): Promise<string[]> => {
      const r = await run(synthetic(workload, { seed, startDelay: '{type: lognormal, median: 3s, sigma: 0.6}' }));
      await r.at(90 * MIN);
      const out = [...r.cluster.metrics!.podTimings()].map((t) => `${t.name}@${t.createdAt}>${t.runningAt ?? '-'}>${t.goneAt ?? '-'}`);
      await r.stop();
      return out;
    };
    const a = await trace(5);
    assert.equal(a.length, 18); // 12 web pods at most, 6 job pods
    assert.deepEqual(await trace(5), a);
    assert.notDeepEqual(await trace(6), a);
  });

  it('replays examples/diurnal.yaml for 24 h on a fixed set of large nodes', async () => {
    const base = assertValid(await loadScenario('examples/diurnal.yaml'));
    const zones = base.cluster.zones;
    const initialNodes = Array.from({ length: 12 }, (_, i) => ({
      name: `big-${i}`, instanceType: 'm6i.8xlarge', zone: zones[i % zones.length]!, capacityType: 'on-demand' as const,
      nodePool: 'general', labels: {}, taints: [],
    }));
    const scenario = { ...base, cluster: { ...base.cluster, initialNodes } };
    const r = await run(scenario);
    const web = base.workload.deployments.find((d) => d.name === 'web')!;
    // Five minutes after each of these hours, the last step (every 10 min) has long been running.
    for (const hour of [2, 9, 14, 20, 23]) {
      const t = hour * 3_600_000 + 5 * MIN;
      await r.at(t);
      const running = await r.pods((p) => ownedBy('ReplicaSet', 'web-')(p) && podStage(p) === 'running');
      assert.equal(running.length, replicasAt(web.replicas, t), `web at ${hour} h 5 min`);
    }
    await r.at(24 * 3_600_000);
    assert.equal(r.cluster.driver.job('nightly-report')!.succeeded, 400);
    const waits = r.cluster.metrics!.podWaitsMs();
    assert.ok(waits.length > 600 && Math.max(...waits) < 5_000, `${waits.length} pods, longest wait ${Math.max(...waits)} ms`);
    assert.equal(r.cluster.metrics!.samples.length, 24 * 360 + 1);
    assert.equal(r.cluster.metrics!.sample().pendingPods, 0);
    assert.equal(r.cluster.errorCount(), 0);
    await r.stop();
  });
});
