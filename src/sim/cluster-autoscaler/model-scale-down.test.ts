import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import type { Harness } from './fixtures.js';
import { bindRunning, createPods, group, harness, markUnschedulable, pdb, schedulePending, type, ZONES } from './fixtures.js';
import { DELETION_CANDIDATE_TAINT_KEY, TO_BE_DELETED_TAINT_KEY } from './taints.js';

const M = type('m.xlarge', 4, 16, 0.2);
const FAST = { launchDelay: { kind: 'fixed', ms: 1_000 }, registrationDelay: { kind: 'fixed', ms: 1_000 }, readyDelay: { kind: 'fixed', ms: 1_000 } } as const;
const MIN = 60_000;

/** A group "workers" with `count` ready nodes w-0, w-1, … and the model started. */
async function cluster(count: number, options = {}): Promise<Harness> {
  const h = await harness({ types: [M], groups: [group('workers', 'm.xlarge')], sim: FAST, start: false, options });
  const launched = h.model.launchInitialNodes(Array.from({ length: count }, (_, i) => ({
    name: `w-${i}`, instanceType: 'm.xlarge', zone: ZONES[i % 3]!, capacityType: 'on-demand' as const, nodeGroup: 'workers', labels: {}, taints: [],
  })));
  await h.clock.step(1_000);
  await launched;
  await h.clock.step(3_000);
  assert.equal((await h.kube.list('Node')).items.length, count);
  h.model.start();
  await h.clock.step(0);
  return h;
}

async function place(h: Harness, node: string, count: number, o: Parameters<typeof createPods>[2] = { cpu: '1' }): Promise<Pod[]> {
  const pods = await createPods(h.kube, count, o);
  for (const p of pods) await bindRunning(h.kube, p, node);
  return pods;
}

const nodeNames = async (h: Harness): Promise<string[]> => (await h.kube.list('Node')).items.map((n) => n.metadata.name!).sort();
const taintsOf = async (h: Harness, node: string): Promise<string[]> => ((await h.kube.get('Node', node)).spec?.taints ?? []).map((t) => t.key);

describe('ClusterAutoscalerModel scale-down', () => {
  it('removes an underutilised node after 10 minutes unneeded, empty nodes first and in bulk', async () => {
    const h = await cluster(3);
    await place(h, 'w-0', 3);
    const [moved] = await place(h, 'w-1', 1);
    const start = h.clock.now();
    await h.clock.step(10_000);
    assert.deepEqual(h.model.unneededNodes().map((u) => u.name).sort(), ['w-1', 'w-2']);
    assert.ok((await taintsOf(h, 'w-1')).includes(DELETION_CANDIDATE_TAINT_KEY), 'unneeded nodes get the soft taint');
    assert.ok(!(await taintsOf(h, 'w-0')).includes(DELETION_CANDIDATE_TAINT_KEY));

    await h.clock.advanceTo(start + 9 * MIN + 50_000);
    assert.equal(h.decisions.length, 0, 'nothing removed before 10 minutes unneeded');
    assert.deepEqual(await nodeNames(h), ['w-0', 'w-1', 'w-2']);

    await h.stepUntil(3 * MIN, () => h.decisions.length >= 2, 1_000);
    const [empty, drain] = h.decisions;
    assert.equal(empty!.kind, 'scale-down');
    assert.match(empty!.summary, /removed 1 empty node of workers/);
    assert.deepEqual(empty!.details.nodes, ['w-2']);
    assert.match(drain!.summary, /draining underutilised node w-1 of workers \(1 pods\)/);
    assert.match(drain!.details.why, /cpu 25%, memory 2% requested \(< 50%\)/);
    assert.ok(drain!.t - empty!.t >= 10, 'the drain waits --scale-down-delay-after-delete after the bulk delete');

    await h.stepUntil(2 * MIN);
    assert.deepEqual(await nodeNames(h), ['w-0']);
    await assert.rejects(h.kube.get('Pod', moved!.metadata.name!, 'default'), /not found/);
    assert.equal(h.model.groups()[0]!.desired, 1);
    const stats = h.model.stats();
    assert.equal(stats.removedEmpty, 1);
    assert.equal(stats.removedUnderutilized, 1);
    assert.equal(stats.evictions, 1);
    assert.deepEqual(h.model.problems(), []);
    await h.stop();
  });

  it('waits --scale-down-delay-after-add after a scale-up, and respects blockers', async () => {
    const h = await cluster(3);
    await place(h, 'w-0', 3);
    await place(h, 'w-1', 1);
    await place(h, 'w-2', 1, { cpu: '1', noController: true });
    const start = h.clock.now();
    await h.clock.advanceTo(start + 6 * MIN);
    const [big] = await createPods(h.kube, 1, { cpu: '3500m', app: 'big' });
    await markUnschedulable(h.kube, [big!], h.clock.now());
    await h.stepUntil(30_000, () => h.decisions.some((d) => d.kind === 'scale-up'));
    const up = h.decisions.find((d) => d.kind === 'scale-up')!;
    await h.stepUntil(MIN, async () => (await schedulePending(h.kube, h.clock.now())) > 0);

    // w-1 has been unneeded for 10 minutes at 10:00, but the scale-up holds scale-down off until up + 10 min.
    await h.clock.advanceTo(h.epochMs + (up.t + 9.5 * 60) * 1000);
    assert.ok(!h.decisions.some((d) => d.kind === 'scale-down'), 'no scale-down within 10 minutes of a scale-up');
    assert.ok(h.model.unneededNodes().some((u) => u.name === 'w-1'));
    assert.ok(!h.model.unneededNodes().some((u) => u.name === 'w-2'), 'a pod without a controller blocks its node');
    await h.stepUntil(2 * MIN, () => h.decisions.some((d) => d.kind === 'scale-down'));
    const down = h.decisions.find((d) => d.kind === 'scale-down')!;
    assert.deepEqual(down.details.nodes, ['w-1']);
    assert.ok(down.t - up.t >= 600 && down.t - up.t <= 620, `scale-down ${down.t - up.t}s after the scale-up`);
    await h.stop();
  });

  it('retries evictions refused by a PodDisruptionBudget, for up to 2 minutes', async () => {
    for (const relaxAfterMs of [30_000, undefined]) {
      const h = await cluster(2);
      await place(h, 'w-0', 2, { cpu: '1', app: 'db' });
      await place(h, 'w-1', 1, { cpu: '1', app: 'db' });
      await h.kube.create('PodDisruptionBudget', pdb('db', { maxUnavailable: 1 }));
      // The moment the drain is decided, the budget tightens: every eviction is refused (429).
      let drainAt: number | undefined;
      h.onDecision = (d) => {
        if (!d.summary.startsWith('draining')) return;
        drainAt = h.clock.now();
        void h.kube.patch('PodDisruptionBudget', 'db', { spec: { maxUnavailable: 0 } }, 'default');
      };
      await h.stepUntil(15 * MIN, () => drainAt !== undefined, 1_000);
      assert.ok(drainAt !== undefined);
      if (relaxAfterMs !== undefined) {
        await h.clock.advanceTo(drainAt + relaxAfterMs);
        await h.kube.patch('PodDisruptionBudget', 'db', { spec: { maxUnavailable: 1 } }, 'default');
        await h.stepUntil(2 * MIN);
        assert.deepEqual(await nodeNames(h), ['w-0'], 'the drain went through once the budget allowed it');
        assert.equal(h.model.stats().failedDrains, 0);
      } else {
        await h.clock.advanceTo(drainAt + 110_000);
        assert.ok((await taintsOf(h, 'w-1')).includes(TO_BE_DELETED_TAINT_KEY), 'still draining after 110 s');
        await h.stepUntil(MIN);
        const failed = h.decisions.find((d) => d.summary.includes('failed'));
        assert.ok(failed, 'the drain failed after 2 minutes');
        assert.match(failed.details.why, /disruption budget/i);
        const attempts = Number(/(\d+) eviction attempts were refused/.exec(failed.details.why)?.[1]);
        assert.ok(attempts >= 12 && attempts <= 13, `${attempts} refused eviction attempts, one every 10 s`);
        assert.deepEqual(await nodeNames(h), ['w-0', 'w-1']);
        assert.ok(!(await taintsOf(h, 'w-1')).includes(TO_BE_DELETED_TAINT_KEY), 'the hard taint is removed');
        assert.equal(h.model.stats().failedDrains, 1);
      }
      await h.stop();
    }
  });
});
