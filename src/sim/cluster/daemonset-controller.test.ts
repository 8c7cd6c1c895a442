import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Pod } from '../../apis/core.js';
import { node } from '../../test/builders.js';
import { daemonPodFits, DaemonSetStandIn } from './daemonset-controller.js';
import { controllerOf } from './pod-facts.js';
import type { TestCluster } from './testing.js';
import { testCluster } from './testing.js';

function ds(name: string, spec: Partial<DaemonSet['spec']['template']['spec']> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', resources: { requests: { cpu: '100m' } } }], ...spec } },
    },
  };
}

async function daemonPods(c: TestCluster, name: string): Promise<Pod[]> {
  return (await c.pods()).filter((p) => controllerOf(p)?.name === name && !p.metadata.deletionTimestamp);
}

async function setup(): Promise<{ c: TestCluster; d: DaemonSetStandIn }> {
  const c = await testCluster();
  const d = new DaemonSetStandIn({ view: c.view });
  return { c, d };
}

describe('DaemonSetStandIn', () => {
  it('runs one pod per matching node, bound to it, Ready or not', async () => {
    const { c, d } = await setup();
    await c.kube.create('Node', node('a'));
    await c.kube.create('Node', { ...node('b'), status: { ...node('b').status, conditions: [{ type: 'Ready', status: 'False' }] } });
    await c.kube.create('DaemonSet', ds('agent'));
    await c.step(0);
    await c.kube.create('Node', node('c'));
    await c.step(0);
    const pods = await daemonPods(c, 'agent');
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['a', 'b', 'c']);
    for (const p of pods) {
      assert.equal(controllerOf(p)?.kind, 'DaemonSet');
      assert.ok(p.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready'));
    }
    assert.ok(d.isIdle());
    d.stop();
    await c.stop();
  });

  it('skips nodes whose taints or labels it does not accept, and follows them when they change', async () => {
    const { c, d } = await setup();
    await c.kube.create('Node', node('tainted', { taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] }));
    await c.kube.create('Node', node('linux', { labels: { 'kubernetes.io/os': 'linux' } }));
    await c.kube.create('Node', node('windows', { labels: { 'kubernetes.io/os': 'windows' } }));
    await c.kube.create('DaemonSet', ds('linux-agent', { nodeSelector: { 'kubernetes.io/os': 'linux' } }));
    await c.kube.create('DaemonSet', ds('anywhere'));
    await c.step(0);
    assert.deepEqual((await daemonPods(c, 'linux-agent')).map((p) => p.spec.nodeName), ['linux']);
    assert.deepEqual((await daemonPods(c, 'anywhere')).map((p) => p.spec.nodeName).sort(), ['linux', 'windows']);
    // The taint goes (registration): the daemon pod follows.
    await c.kube.patch('Node', 'tainted', { spec: { taints: [] } });
    await c.step(0);
    assert.deepEqual((await daemonPods(c, 'anywhere')).map((p) => p.spec.nodeName).sort(), ['linux', 'tainted', 'windows']);
    // A NoExecute taint it does not tolerate evicts it.
    await c.kube.patch('Node', 'windows', { spec: { taints: [{ key: 'maintenance', effect: 'NoExecute' }] } });
    await c.step(0);
    assert.deepEqual((await daemonPods(c, 'anywhere')).map((p) => p.spec.nodeName).sort(), ['linux', 'tainted']);
    d.stop();
    await c.stop();
  });

  it('recreates a deleted daemon pod and deletes it with its node', async () => {
    const { c, d } = await setup();
    await c.kube.create('Node', node('n'));
    await c.kube.create('DaemonSet', ds('agent'));
    await c.step(0);
    const [first] = await daemonPods(c, 'agent');
    await c.kube.delete('Pod', first!.metadata.name!, 'kube-system', { gracePeriodSeconds: 0 });
    await c.step(0);
    const [second] = await daemonPods(c, 'agent');
    assert.ok(second);
    assert.notEqual(second.metadata.uid, first!.metadata.uid);
    await c.kube.delete('Node', 'n');
    await c.step(0);
    assert.deepEqual(await daemonPods(c, 'agent'), []);
    assert.equal((await c.pods()).length, 0);
    d.stop();
    await c.stop();
  });

  it('daemonPodFits: required node affinity, NoSchedule vs NoExecute, deleting nodes', () => {
    const affinity = ds('x', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['gpu'] }] }] } } } });
    assert.ok(daemonPodFits(affinity, node('g', { labels: { pool: 'gpu' } })));
    assert.ok(!daemonPodFits(affinity, node('c', { labels: { pool: 'cpu' } })));
    const noSchedule = node('t', { taints: [{ key: 'k', effect: 'NoSchedule' }] });
    assert.ok(!daemonPodFits(ds('y'), noSchedule, true));
    assert.ok(daemonPodFits(ds('y'), noSchedule, false), 'a running daemon pod stays on NoSchedule');
    assert.ok(daemonPodFits(ds('y', { tolerations: [{ operator: 'Exists' }] }), noSchedule, true));
    assert.ok(!daemonPodFits(ds('y'), { ...node('gone'), metadata: { ...node('gone').metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } }));
  });
});
