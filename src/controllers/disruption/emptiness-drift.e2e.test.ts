/** Emptiness, drift and their budgets through the whole controller on virtual time. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodePool } from '../../apis/v1/types.js';
import type { FakeCloudProvider } from '../../cloudprovider/fake/fake-cloud-provider.js';
import type { DisruptionEnv } from './fixtures.js';
import { addMachine, disruptionEnv, drive } from './fixtures.js';

async function emptyNodes(t: DisruptionEnv, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await addMachine(t.env, { name: `e${i}`, type: 'small', pods: [{ name: `ds-${i}`, cpu: '100m', ownerKind: 'DaemonSet' }] });
  }
  await t.env.settle();
}

async function passAndSettle(t: DisruptionEnv): Promise<Awaited<ReturnType<DisruptionEnv['ctrl']['runPass']>>> {
  const r = await drive(t.env, t.ctrl.runPass());
  await t.env.settle([t.ctrl.orchestrator, t.life]);
  return r;
}

async function editPool(t: DisruptionEnv, edit: (np: NodePool) => void): Promise<void> {
  const np = await t.env.kube.get('NodePool', 'default');
  edit(np);
  await t.env.kube.update('NodePool', np);
  await t.env.settle();
}

describe('emptiness', () => {
  it('deletes empty nodes (DaemonSet pods aside) as a count budget allows, pass after pass', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '2' }] });
    await emptyNodes(t, 5);
    const first = await passAndSettle(t);
    assert.equal(first.command?.kind, 'empty');
    assert.equal(first.command.candidates.length, 2);
    assert.equal((await t.claims()).length, 3);
    const budgetRecords = t.env.decisions.filter((d) => d.kind === 'disruption-blocked' && d.nodePool === 'default' && !d.nodes);
    assert.equal(budgetRecords.length, 1);
    assert.match(budgetRecords[0]!.why, /nodes=2 allows 2 of 5 nodes at a time for Empty, and 0 are being disrupted now/);
    await passAndSettle(t);
    await passAndSettle(t);
    assert.deepEqual(await t.claims(), []);
    const d = t.env.decisions.find((x) => x.kind === 'empty')!;
    assert.equal(d.costPerHourBefore, 0.2);
    assert.equal(d.costPerHourAfter, 0);
    await t.stop();
  });

  it('rounds a percentage budget up and counts nodes already being disrupted', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '40%' }] });
    await emptyNodes(t, 5);
    t.env.state.markForDeletion('e5');
    const r = await passAndSettle(t);
    assert.equal(r.command?.candidates.length, 1, '40% of 5 = 2, one already being disrupted');
    await t.stop();
  });

  it('honours a budget window: none during it, all after it closes', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '0', schedule: '0 9 * * *', duration: '8h' }] });
    await t.env.clock.advanceTo(Date.parse('2024-01-01T10:00:00Z'));
    await emptyNodes(t, 3);
    assert.equal((await passAndSettle(t)).outcome, 'nothing');
    assert.match(t.env.decisions.at(-1)!.why, /nodes=0 \(window 0 9 \* \* \* for 8h\) allows 0 of 3 nodes at a time for Empty/);
    await t.env.clock.advanceTo(Date.parse('2024-01-01T17:00:00Z'));
    const r = await passAndSettle(t);
    assert.equal(r.command?.candidates.length, 3);
    await t.stop();
  });

  it('a budget limited to Empty does not hold back drift', async () => {
    const t = await disruptionEnv({ budgets: [{ nodes: '0', reasons: ['Empty'] }] });
    await emptyNodes(t, 2);
    assert.equal((await passAndSettle(t)).outcome, 'nothing');
    await editPool(t, (np) => void (np.spec.template.metadata = { labels: { team: 'a' } }));
    const r = await passAndSettle(t);
    assert.equal(r.method, 'drift');
    assert.equal(r.command?.candidates.length, 2, 'empty drifted nodes go together');
    assert.match(r.command.why, /NodePoolDrifted/);
    await t.stop();
  });

  it('WhenEmpty deletes empty nodes but never consolidates busy ones', async () => {
    const t = await disruptionEnv({ policy: 'WhenEmpty' });
    await addMachine(t.env, { name: 'busy', type: 'large', pods: [{ name: 'a', cpu: '100m' }] });
    await emptyNodes(t, 1);
    const r = await passAndSettle(t);
    assert.equal(r.command?.kind, 'empty');
    assert.equal((await passAndSettle(t)).outcome, 'nothing');
    assert.deepEqual(await t.claims(), ['busy']);
    await t.stop();
  });
});

describe('drift', () => {
  it('replaces drifted nodes one at a time within the budget after a NodePool template change', async () => {
    // On-demand only, so no spot replacement makes consolidation worth it before the change.
    const onDemand = [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }];
    const t = await disruptionEnv({ budgets: [{ nodes: '1' }], pool: (np) => void (np.spec.template.spec.requirements = onDemand) });
    for (const n of ['d1', 'd2', 'd3']) await addMachine(t.env, { name: n, type: 'small', pods: [{ name: `${n}-p`, cpu: '1500m' }] });
    await t.env.settle();
    assert.equal((await passAndSettle(t)).outcome, 'nothing', 'nothing to do before the change');
    await editPool(t, (np) => void (np.spec.template.spec.taints = [{ key: 'dedicated', value: 'x', effect: 'PreferNoSchedule' }]));
    const originals = new Set(['d1', 'd2', 'd3']);
    const replaced: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await drive(t.env, t.ctrl.runPass());
      assert.equal(r.method, 'drift', r.reason);
      assert.equal(r.command?.candidates.length, 1);
      assert.equal(r.replacements?.length, 1);
      replaced.push(r.command.candidates[0]!.nodeName);
      const busy = t.env.state.nodes().filter((n) => originals.has(n.name) && n.managed && n.markedForDeletion);
      assert.equal(busy.length, 1, 'never more than the budget at once');
      assert.equal((await drive(t.env, t.ctrl.runPass())).outcome, 'nothing', 'budget used up while the first is in flight');
      await t.env.settle([t.ctrl.orchestrator, t.life]);
    }
    assert.deepEqual(replaced.sort(), ['d1', 'd2', 'd3']);
    const left = await t.claims();
    assert.equal(left.length, 3);
    assert.ok(left.every((c) => !originals.has(c)));
    const created = await t.env.kube.get('NodeClaim', left[0]!);
    assert.deepEqual(created.spec.taints, [{ key: 'dedicated', value: 'x', effect: 'PreferNoSchedule' }], 'replacements carry the new template');
    assert.equal((await passAndSettle(t)).outcome, 'nothing', 'replacements are not drifted');
    assert.ok(t.env.decisions.some((d) => d.kind === 'disruption-blocked' && /for Drifted/.test(d.why)));
    await t.stop();
  });

  it('sees requirements the nodes no longer satisfy, and drift the cloud reports', async () => {
    const t = await disruptionEnv();
    await addMachine(t.env, { name: 'a', type: 'small', pods: [{ name: 'q', cpu: '100m' }] });
    await addMachine(t.env, { name: 'b', type: 'medium', pods: [{ name: 'p', cpu: '100m' }] });
    await t.env.settle();
    await editPool(t, (np) => void (np.spec.template.spec.requirements = [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['medium', 'large'] }]));
    const r = await passAndSettle(t);
    assert.equal(r.method, 'drift');
    assert.deepEqual(r.command?.candidates.map((c) => c.nodeName), ['a']);
    assert.match(r.command.why, /RequirementsDrifted/);
    (t.env.cloud as FakeCloudProvider).setDrifted(t.env.state.node('b')!.providerID!, 'ImageDrift');
    // The cloud's verdict from the first pass is cached for 5 minutes.
    await t.env.clock.step(5 * 60_000);
    const r2 = await drive(t.env, t.ctrl.runPass());
    assert.equal(r2.method, 'drift');
    assert.match(r2.command!.why, /ImageDrift/);
    await t.stop();
  });

  it('asks the cloud again about a machine that stopped being a candidate and came back', async () => {
    const t = await disruptionEnv({ policy: 'WhenEmpty' });
    await addMachine(t.env, { name: 'a', type: 'small', pods: [{ name: 'q', cpu: '100m' }] });
    await addMachine(t.env, { name: 'b', type: 'small', pods: [{ name: 'p', cpu: '100m' }] });
    await t.env.settle();
    const annotate = async (value: string | undefined): Promise<void> => {
      const node = await t.env.kube.get('Node', 'b');
      node.metadata.annotations = value === undefined ? {} : { 'karpenter.sh/do-not-disrupt': value };
      await t.env.kube.update('Node', node);
      await t.env.settle();
    };
    assert.notEqual((await drive(t.env, t.ctrl.runPass())).method, 'drift', 'the cloud says neither drifted (cached for 5 minutes)');
    await annotate('true');
    await drive(t.env, t.ctrl.runPass());
    (t.env.cloud as FakeCloudProvider).setDrifted(t.env.state.node('b')!.providerID!, 'ImageDrift');
    await drive(t.env, t.ctrl.runPass());
    await annotate(undefined);
    const r = await drive(t.env, t.ctrl.runPass());
    assert.equal(r.method, 'drift', 'b was no candidate for a pass: what the cloud said of it was forgotten');
    assert.match(r.command!.why, /ImageDrift/);
    await t.stop();
  });
});
