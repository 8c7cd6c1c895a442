import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyOf } from '../../apis/core.js';
import {
  DISRUPTED_TAINT_KEY, DO_NOT_DISRUPT_ANNOTATION, EXCLUDE_FROM_LOAD_BALANCERS_LABEL, NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION,
} from '../../apis/labels.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { findCondition } from '../nodeclaim/conditions.js';
import { nodeClaim, waitFor } from '../nodeclaim/fixtures.js';
import { harness } from './fixtures.js';

describe('termination', () => {
  it('drains in tier order, deletes the machine, then removes the finalizers and leaves nothing', async () => {
    const h = await harness();
    const { env } = h;
    const nodeName = await h.launch({ name: 'drain-1' });
    const launched = [
      await h.runningPod(nodeName, { name: 'app', graceSeconds: 5 }),
      await h.runningPod(nodeName, { name: 'app2', graceSeconds: 3 }),
      await h.runningPod(nodeName, { name: 'daemon', ownerKind: 'DaemonSet', graceSeconds: 5 }),
      await h.runningPod(nodeName, { name: 'critical', priorityClassName: 'system-cluster-critical', graceSeconds: 5 }),
      await h.runningPod(nodeName, { name: 'critical-daemon', priorityClassName: 'system-node-critical', ownerKind: 'DaemonSet', graceSeconds: 5 }),
      await h.runningPod(nodeName, { name: 'static', ownerKind: 'Node' }),
      await h.runningPod(nodeName, { name: 'tolerant', tolerations: [{ operator: 'Exists' }] }),
    ];
    assert.equal(env.state.podsOnNode(nodeName).length, launched.length);
    const started = new Map<string, number>();
    const gone = new Map<string, number>();
    const unsubscribe = env.state.subscribe((c) => {
      if (c.type !== 'Pod') return;
      const name = c.pod.metadata.name!;
      if (c.deleted) gone.set(name, env.clock.now());
      else if (c.pod.metadata.deletionTimestamp && !started.has(name)) started.set(name, env.clock.now());
    });
    const t0 = env.clock.now();
    await env.kube.delete('NodeClaim', 'drain-1');

    await waitFor(env.clock, 'tainted', () => env.state.node(nodeName)?.disrupted === true);
    const node = await env.kube.get('Node', nodeName);
    assert.ok(node.spec?.taints?.some((t) => t.key === DISRUPTED_TAINT_KEY && t.effect === 'NoSchedule'));
    assert.equal(node.metadata.labels?.[EXCLUDE_FROM_LOAD_BALANCERS_LABEL], 'true');

    const took = await h.waitGone('drain-1', nodeName);
    unsubscribe();
    const tiers = [['app', 'app2'], ['daemon'], ['critical'], ['critical-daemon']];
    for (let i = 1; i < tiers.length; i++) {
      const lastGone = Math.max(...tiers[i - 1]!.map((n) => gone.get(n)!));
      for (const n of tiers[i]!) assert.ok(started.get(n)! >= lastGone, `${n} evicted at ${started.get(n)! - t0} before tier ${i} was gone at ${lastGone - t0}`);
    }
    assert.ok(gone.get('app2')! - t0 < gone.get('app')! - t0, 'a tier is evicted together');
    assert.ok(!started.has('static') && !started.has('tolerant'), 'static and tolerating pods are not evicted');
    assert.ok(took >= 4 * 5_000, `four tiers of 5 s pods took ${took} ms`);
    assert.equal(h.termination.evictions.stats.evicted, 5);
    const machine = h.sim.instances().find((i) => i.claimName === 'drain-1')!;
    assert.ok(machine.terminationRequestedAt! >= gone.get('critical-daemon')!, 'the machine is deleted only after draining');
    assert.equal(env.kube.count('Node'), 0);
    assert.equal(env.kube.count('NodeClaim'), 0);
    await h.stop();
  });

  it('retries evictions refused by a PodDisruptionBudget with capped backoff until it allows', async () => {
    const h = await harness();
    const { env } = h;
    const nodeName = await h.launch({ name: 'pdb-1' });
    const web = await h.runningPod(nodeName, { name: 'web', labels: { app: 'web' }, graceSeconds: 1 });
    await env.kube.create('PodDisruptionBudget', {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await env.kube.delete('NodeClaim', 'pdb-1');
    await env.clock.step(60_000);
    const refused = h.termination.evictions.stats.refused;
    // 100 ms doubling to 10 s: 7 tries in the first 12.7 s, then one every 10 s.
    assert.ok(refused >= 8 && refused <= 14, `refused ${refused} times in a minute`);
    assert.ok(env.state.pod(keyOf(web)) !== undefined && !env.state.pod(keyOf(web))?.metadata.deletionTimestamp);
    assert.match(findCondition(h.claim('pdb-1'), ConditionTypes.Drained)?.message ?? '', /1 pod\(s\) left to drain/);
    assert.ok(env.state.node(nodeName), 'the node waits');

    await env.kube.patch('PodDisruptionBudget', 'web', { spec: { minAvailable: 0 } }, 'default');
    const allowedAt = env.clock.now();
    await waitFor(env.clock, 'evicted', () => env.state.pod(keyOf(web))?.metadata.deletionTimestamp !== undefined || !env.state.pod(keyOf(web)));
    assert.ok(env.clock.now() - allowedAt <= 10_000, 'retried within the 10 s cap');
    await h.waitGone('pdb-1', nodeName);
    await h.stop();
  });

  it('keeps do-not-disrupt pods until the terminationGracePeriod, then deletes them and finishes', async () => {
    const h = await harness();
    const { env } = h;
    const nodeName = await h.launch({ name: 'dnd-1', terminationGracePeriod: '10m' });
    const keep = await h.runningPod(nodeName, { name: 'keep', annotations: { [DO_NOT_DISRUPT_ANNOTATION]: 'true' }, graceSeconds: 30 });
    const other = await h.runningPod(nodeName, { name: 'other', graceSeconds: 1 });
    const t0 = env.clock.now();
    await env.kube.delete('NodeClaim', 'dnd-1');
    await waitFor(env.clock, 'other pod gone', () => !env.state.pod(keyOf(other)));
    assert.ok(env.clock.now() - t0 < 10_000);
    const annotated = Date.parse(h.claim('dnd-1')?.metadata.annotations?.[NODECLAIM_TERMINATION_TIMESTAMP_ANNOTATION] ?? '');
    assert.equal(annotated, Math.floor(t0 / 1000) * 1000 + 10 * 60_000);

    await env.clock.step(9 * 60_000);
    assert.ok(env.state.pod(keyOf(keep)) && !env.state.pod(keyOf(keep))?.metadata.deletionTimestamp, 'held at 9 min');
    assert.match(findCondition(h.claim('dnd-1'), ConditionTypes.Drained)?.message ?? '', /1 held by karpenter.sh\/do-not-disrupt/);

    await waitFor(env.clock, 'kept pod deleted', () => env.state.pod(keyOf(keep))?.metadata.deletionTimestamp !== undefined || !env.state.pod(keyOf(keep)));
    const deletedAt = env.clock.now() - t0;
    assert.ok(deletedAt >= 10 * 60_000 - 31_000 && deletedAt <= 10 * 60_000, `deleted ${deletedAt} ms after: its 30 s grace ends at the deadline`);
    const took = await h.waitGone('dnd-1', nodeName);
    assert.ok(env.clock.now() - t0 >= 10 * 60_000, 'the node outlived the deadline');
    assert.ok(took < 60_000);
    assert.equal(h.termination.evictions.stats.evicted, 1, 'the do-not-disrupt pod was never evicted');
    await h.stop();
  });

  it('without a terminationGracePeriod a do-not-disrupt pod holds the node', async () => {
    const h = await harness();
    const { env } = h;
    const nodeName = await h.launch({ name: 'dnd-2' });
    await h.runningPod(nodeName, { name: 'keep', annotations: { [DO_NOT_DISRUPT_ANNOTATION]: 'true' } });
    await env.kube.delete('NodeClaim', 'dnd-2');
    await env.clock.step(2 * 3_600_000);
    assert.ok(env.state.node(nodeName)?.deleting);
    assert.equal(h.sim.instances()[0]?.state, 'running');
    await h.stop();
  });

  it('deleting the Node deletes its claim and terminates the machine', async () => {
    const h = await harness();
    const nodeName = await h.launch({ name: 'node-del' });
    await h.runningPod(nodeName, { name: 'p', graceSeconds: 2 });
    await h.env.kube.delete('Node', nodeName);
    await waitFor(h.env.clock, 'claim deleting', () => h.claim('node-del')?.metadata.deletionTimestamp !== undefined);
    await waitFor(h.env.clock, 'instance terminating', () => findCondition(h.claim('node-del'), ConditionTypes.InstanceTerminating)?.status === 'True');
    assert.equal(findCondition(h.claim('node-del'), ConditionTypes.Drained)?.status, 'True');
    assert.ok(h.env.state.node(nodeName)?.node, 'the Node waits for its machine');
    await h.waitGone('node-del', nodeName);
    await h.stop();
  });

  it('a claim deleted before its Node registers terminates its machine and goes', async () => {
    const h = await harness();
    const { env } = h;
    await env.kube.create('NodeClaim', nodeClaim({ name: 'early' }));
    await env.clock.step(1_000); // launching: the machine is booting
    await env.kube.delete('NodeClaim', 'early');
    await h.waitGone('early', undefined);
    await env.clock.step(5 * 60_000);
    assert.equal(env.kube.count('Node'), 0, 'no Node registered for it');
    assert.deepEqual(h.sim.instances().map((i) => i.state), ['terminated']);
    await h.stop();
  });

  it('finds the claim through the Node owner reference when the cache cannot join them', async () => {
    const h = await harness({ sim: { nodeNames: 'ip' } }); // Node names apart from claim names, so the cache can tell them apart
    const { env } = h;
    const nodeName = await h.launch({ name: 'unjoined' });
    await env.kube.patchStatus('NodeClaim', 'unjoined', { status: { providerID: null } });
    await waitFor(env.clock, 'unjoined in the cache', () => env.state.node(nodeName)?.nodeClaimName === undefined);
    await env.kube.delete('Node', nodeName);
    await waitFor(env.clock, 'claim deleting', () => h.claim('unjoined')?.metadata.deletionTimestamp !== undefined);
    await h.waitGone('unjoined', nodeName);
    assert.deepEqual(h.sim.instances().map((i) => i.state), ['terminated']);
    await h.stop();
  });
});
