import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UNREGISTERED_TAINT_KEY } from '../../apis/labels.js';
import { settle } from '../../controllers/runtime/quiescence.js';
import { createPods, group, harness, markUnschedulable, schedulePending, type } from './fixtures.js';

const M = type('m.xlarge', 4, 16, 0.2);

describe('ClusterAutoscalerModel scale-up', () => {
  it('scales up at the next scan after pods turn unschedulable, and knows the new nodes after the group cache refresh', async () => {
    const h = await harness({
      types: [M],
      groups: [group('workers', 'm.xlarge', { taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] })],
      sim: { launchDelay: { kind: 'fixed', ms: 2_000 }, registrationDelay: { kind: 'fixed', ms: 30_000 }, readyDelay: { kind: 'fixed', ms: 5_000 } },
    });
    await h.clock.step(5_000);
    const pods = await createPods(h.kube, 5, { cpu: '1', spec: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } });
    const pendingAt = h.t();
    await markUnschedulable(h.kube, pods, h.clock.now());

    // The observer's pass finds only brand-new pods and waits one scan for more.
    await h.stepUntil(30_000, () => h.decisions.length > 0, 500);
    const up = h.decisions[0]!;
    assert.equal(up.kind, 'scale-up');
    const delay = up.t - pendingAt;
    assert.ok(delay >= 2 && delay <= 10.5, `scale-up ${delay}s after the pods turned unschedulable`);
    assert.match(up.summary, /workers 0 → 2 \(2 × m\.xlarge on-demand\) for 5 pods/);
    assert.equal(h.model.groups()[0]!.desired, 2);
    const launched = h.cloud.instances();
    assert.equal(launched.length, 2);
    assert.deepEqual(launched.map((i) => i.zone).sort(), ['zone-a', 'zone-b'], 'instances balanced across zones');
    assert.deepEqual(launched.map((i) => i.requestedAt - h.epochMs), [up.t * 1000, up.t * 1000], "the group launched at once");

    // No second scale-up while the nodes are upcoming.
    await h.stepUntil(20_000);
    assert.equal(h.decisions.length, 1);

    // Registered 32 s after the launch; the autoscaler sees them within a minute.
    const registered = (): number => Math.max(...h.cloud.instances().map((i) => i.registeredAt ?? Infinity));
    assert.ok(await h.stepUntil(60_000, () => Number.isFinite(registered()), 1_000));
    const registeredAt = registered();
    assert.equal(h.model.groups()[0]!.registeredNodes, 0, 'not yet in the group cache');
    let knownAt: number | undefined;
    await h.stepUntil(120_000, () => {
      if (h.model.groups()[0]!.registeredNodes === 2) knownAt = h.clock.now();
      return knownAt !== undefined;
    }, 1_000);
    assert.ok(knownAt !== undefined && knownAt - registeredAt <= 60_000, `nodes known ${(knownAt! - registeredAt) / 1000}s after registering`);

    const nodes = (await h.kube.list('Node')).items;
    for (const n of nodes) {
      const keys = (n.spec?.taints ?? []).map((t) => t.key);
      assert.ok(!keys.includes(UNREGISTERED_TAINT_KEY), 'ASG nodes do not carry Karpenter\'s unregistered taint');
      assert.ok(keys.includes('dedicated'), 'ASG nodes carry the group\'s taints');
    }
    assert.equal(await schedulePending(h.kube, h.clock.now()), 5);
    await h.stepUntil(60_000);
    assert.equal(h.decisions.filter((d) => d.kind === 'scale-up').length, 1);
    assert.deepEqual(h.model.problems(), []);
    await h.stop();
  });
});

describe('ClusterAutoscalerModel lifecycle', () => {
  it('raises groups to their minimum size, and settles on the virtual clock', async () => {
    const h = await harness({ types: [M], groups: [group('base', 'm.xlarge', { minSize: 2 }), group('burst', 'm.xlarge')], start: false });
    h.model.start();
    assert.deepEqual(h.model.groups().map((g) => [g.name, g.desired]), [['base', 2], ['burst', 0]]);
    assert.equal(h.model.isIdle(), false, 'launching');
    const took = await settle(h.clock, [h.model], { limitMs: 10 * 60_000 });
    assert.ok(took > 0 && took < 60_000, `settled after ${took} ms`);
    assert.equal(h.model.isIdle(), true);
    assert.equal(h.model.isIdle(15_000), false, 'the next scan is due within 15 s');
    assert.equal(h.cloud.instances().length, 2);
    assert.throws(() => h.model.start(), /already/);
    await h.stop();
  });
});
