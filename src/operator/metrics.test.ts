import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCloudProvider } from '../cloudprovider/fake/fake-cloud-provider.js';
import { NodeClaimNotFoundError } from '../cloudprovider/cloud-provider.js';
import { noopMetrics } from '../controllers/metrics.js';
import { nodePool } from '../test/builders.js';
import { VirtualClock } from '../utils/clock.js';
import { MeteredCloudProvider } from './metered-cloud-provider.js';
import { PromMetrics } from './metrics.js';

/** The sample lines of the exposition text for one metric name (exact name, any labels). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('PromMetrics', () => {
  it('exports Karpenter\'s metric names with their labels', async () => {
    const m = new PromMetrics({ version: '0.1.0' });
    m.nodeClaimCreated('default', 'provisioning');
    m.nodeClaimCreated('default', 'provisioning');
    m.nodeClaimTerminated('default', 'spot');
    m.schedulingDuration(0.2);
    m.disruptionDecision('delete', 'empty');
    m.cloudProviderCall('Create', 'kwok', 0.05, 'InsufficientCapacityError', 'nodeclaim.lifecycle');
    m.reconcile('nodeclaim.lifecycle', 'error', 0.01);
    m.setLeader('nodewright-leader-election', true);
    const text = await m.text();
    assert.deepEqual(samples(text, 'karpenter_nodeclaims_created_total'), ['karpenter_nodeclaims_created_total{nodepool="default",reason="provisioning"} 2']);
    assert.deepEqual(samples(text, 'karpenter_nodeclaims_terminated_total'), ['karpenter_nodeclaims_terminated_total{nodepool="default",capacity_type="spot"} 1']);
    assert.ok(samples(text, 'karpenter_scheduler_scheduling_duration_seconds_count').includes('karpenter_scheduler_scheduling_duration_seconds_count{controller="provisioner"} 1'));
    assert.deepEqual(samples(text, 'karpenter_voluntary_disruption_decisions_total'),
      ['karpenter_voluntary_disruption_decisions_total{decision="delete",reason="empty",consolidation_type=""} 1']);
    assert.deepEqual(samples(text, 'karpenter_cloudprovider_errors_total'),
      ['karpenter_cloudprovider_errors_total{controller="nodeclaim.lifecycle",method="Create",provider="kwok",error="InsufficientCapacityError"} 1']);
    assert.deepEqual(samples(text, 'controller_runtime_reconcile_errors_total'), ['controller_runtime_reconcile_errors_total{controller="nodeclaim.lifecycle"} 1']);
    assert.deepEqual(samples(text, 'leader_election_master_status'), ['leader_election_master_status{name="nodewright-leader-election"} 1']);
    assert.deepEqual(samples(text, 'karpenter_build_info'), ['karpenter_build_info{version="0.1.0"} 1']);
    assert.match(m.contentType, /^text\/plain/);
  });

  it('replaces a pod\'s and a node\'s series when they change and removes them when they go', async () => {
    const m = new PromMetrics();
    m.setPodState({ namespace: 'web', name: 'a', phase: 'Pending' });
    m.setPodState({ namespace: 'web', name: 'a', phase: 'Running', node: 'n1', nodePool: 'default' });
    m.setPodState({ namespace: 'web', name: 'b', phase: 'Pending' });
    let text = await m.text();
    assert.deepEqual(samples(text, 'karpenter_pods_state'), [
      'karpenter_pods_state{name="a",namespace="web",owner="",node="n1",nodepool="default",zone="",instance_type="",capacity_type="",phase="Running"} 1',
      'karpenter_pods_state{name="b",namespace="web",owner="",node="",nodepool="",zone="",instance_type="",capacity_type="",phase="Pending"} 1',
    ]);
    m.deletePodState('web', 'a');

    const node = { name: 'n1', nodePool: 'default', instanceType: 'c-4x-amd64-linux', capacityType: 'spot', zone: 'z', arch: 'amd64', os: 'linux' };
    m.setNodeResources(node, { cpu: 3900, memory: 1024 }, { cpu: 500 });
    m.setNodeResources({ ...node, capacityType: 'on-demand' }, { cpu: 4000 }, {});
    m.setNodePoolResources('default', { cpu: 8000 }, { cpu: 100_000 });
    text = await m.text();
    assert.equal(samples(text, 'karpenter_pods_state').length, 1);
    assert.deepEqual(samples(text, 'karpenter_nodes_allocatable'), [
      'karpenter_nodes_allocatable{node_name="n1",nodepool="default",instance_type="c-4x-amd64-linux",capacity_type="on-demand",zone="z",arch="amd64",os="linux",resource_type="cpu"} 4',
    ]);
    assert.deepEqual(samples(text, 'karpenter_nodepools_limit'), ['karpenter_nodepools_limit{nodepool="default",resource_type="cpu"} 100']);
    m.deleteNode('n1');
    m.deleteNodePool('default');
    text = await m.text();
    assert.deepEqual(samples(text, 'karpenter_nodes_allocatable'), []);
    assert.deepEqual(samples(text, 'karpenter_nodes_total_pod_requests'), []);
    assert.deepEqual(samples(text, 'karpenter_nodepools_usage'), []);
  });

  it('keeps registries apart, so two operators in one process do not collide', async () => {
    const a = new PromMetrics();
    const b = new PromMetrics();
    a.nodeCreated('x');
    assert.equal(samples(await b.text(), 'karpenter_nodes_created_total').length, 0);
  });
});

describe('MeteredCloudProvider', () => {
  it('times calls and counts errors by type, passing results and errors through', async () => {
    const clock = new VirtualClock();
    const calls: unknown[][] = [];
    const metrics = { ...noopMetrics, cloudProviderCall: (...args: unknown[]) => { calls.push(args); } };
    const inner = new FakeCloudProvider({ clock });
    const cloud = new MeteredCloudProvider(inner, metrics, clock);
    assert.equal(cloud.name, 'fake');
    assert.deepEqual(await cloud.getInstanceTypes(nodePool()), []);
    await assert.rejects(cloud.get('fake://nothing'), NodeClaimNotFoundError);
    assert.deepEqual(calls, [['GetInstanceTypes', 'fake', 0], ['Get', 'fake', 0, 'NodeClaimNotFoundError']]);
  });
});
