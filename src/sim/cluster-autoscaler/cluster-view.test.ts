import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { keyOf } from '../../apis/core.js';
import type { Pod } from '../../apis/core.js';
import { node } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { ClusterView } from './cluster-view.js';
import { bindRunning, createPods, markUnschedulable } from './fixtures.js';
import { addingTaint, deletionCandidateTaint, toBeDeletedTaint, updateTaints } from './taints.js';

describe('cluster view', () => {
  it('tracks unschedulable pods, bound pods per node and a generation that moves only for what simulations see', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    let triggers = 0;
    const view = new ClusterView(kube, { clock, onUnschedulablePod: () => triggers++ });
    view.start();
    await kube.create('Node', { ...node('n1', { cpu: '4', memory: '16Gi' }), status: { ...node('n1').status, conditions: [{ type: 'Ready', status: 'True' }] } });
    await view.waitForSync();
    await clock.step(0);
    const [a, b] = await createPods(kube, 2, { cpu: '1', memory: '1Gi' });
    await markUnschedulable(kube, [a!, b!], clock.now());
    await clock.step(0);
    assert.equal(triggers, 2);
    assert.deepEqual(view.unschedulablePods().map((p) => p.metadata.name).sort(), [a!.metadata.name, b!.metadata.name].sort());
    await markUnschedulable(kube, [a!], clock.now());
    await clock.step(0);
    assert.equal(triggers, 2, 'a pod already unschedulable does not trigger again');

    await bindRunning(kube, a!, 'n1');
    await clock.step(0);
    const n1 = view.node('n1')!;
    assert.equal(view.unschedulablePods().length, 1);
    assert.deepEqual(n1.pods.map((p) => p.metadata.name), [a!.metadata.name]);
    assert.equal(n1.requests.cpu, 1000);
    assert.equal(n1.compact.allocatable.cpu, 3000);
    assert.ok(n1.ready && !n1.deleting);

    const g = view.generation;
    await updateTaints(kube, 'n1', addingTaint(deletionCandidateTaint(clock.now())));
    await clock.step(0);
    assert.equal(view.generation, g, 'the soft taint changes nothing a simulation sees');
    assert.equal(view.node('n1')!.node.spec?.taints?.length, 1, 'but the view has the new node');
    await updateTaints(kube, 'n1', addingTaint(toBeDeletedTaint(clock.now())));
    await clock.step(0);
    assert.ok(view.generation > g);
    assert.ok(view.node('n1')!.deleting && view.node('n1')!.solverNode.unschedulable);
    await view.stop();
    kube.close();
  });

  it('lists unschedulable pods oldest first, then by name, as they come, change and go', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const view = new ClusterView(kube, { clock });
    view.start();
    await kube.create('Node', node('n1', { cpu: '64', memory: '256Gi' }));
    await view.waitForSync();
    const pods: Pod[] = [];
    for (const [i, app] of ['web', 'api', 'web', 'db', 'api', 'web'].entries()) {
      pods.push(...await createPods(kube, 2, { cpu: '1', app }));
      if (i % 2 === 1) await clock.step(1_000);
    }
    const order = [5, 0, 9, 3, 11, 1, 7, 2, 10, 4, 8, 6];
    const expected = (left: readonly Pod[]): string[] => [...left]
      .sort((a, b) => (a.metadata.creationTimestamp! < b.metadata.creationTimestamp! ? -1 : a.metadata.creationTimestamp! > b.metadata.creationTimestamp! ? 1 : keyOf(a) < keyOf(b) ? -1 : 1))
      .map((p) => keyOf(p));
    const marked: Pod[] = [];
    for (const i of order) {
      await markUnschedulable(kube, [pods[i]!], clock.now());
      marked.push(pods[i]!);
      await clock.step(0);
      assert.deepEqual(view.unschedulablePods().map((p) => keyOf(p)), expected(marked));
    }
    const before = view.unschedulablePods();
    assert.equal(view.unschedulablePods(), before, 'the same array while nothing changed');
    await markUnschedulable(kube, [pods[3]!], clock.now() + 5_000);
    await clock.step(0);
    assert.notEqual(view.unschedulablePods(), before, 'an update of a listed pod gives a new list');
    assert.deepEqual(view.unschedulablePods().map((p) => keyOf(p)), expected(marked));
    await bindRunning(kube, pods[9]!, 'n1');
    await kube.delete('Pod', pods[0]!.metadata.name!, 'default', { gracePeriodSeconds: 0 });
    await clock.step(0);
    const left = marked.filter((p) => p !== pods[9] && p !== pods[0]);
    assert.deepEqual(view.unschedulablePods().map((p) => keyOf(p)), expected(left));
    await view.stop();
    kube.close();
  });
});
