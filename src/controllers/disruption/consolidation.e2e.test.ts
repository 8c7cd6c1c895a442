/** Consolidation through the whole controller: fake cloud, memory API server, virtual time. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pod } from '../../test/builders.js';
import { addMachine, disruptionEnv, drive } from './fixtures.js';

const KEEP = { 'karpenter.sh/do-not-disrupt': 'true' };

describe('consolidation end to end', () => {
  it('replaces a large node holding little with a cheaper one, and deletes it once the replacement initialises', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'big', type: 'large', pods: [{ name: 'a', cpu: '1', memory: '1Gi' }, { name: 'b', cpu: '500m', memory: '1Gi' }] });
    await env.settle();
    const report = await drive(env, ctrl.runPass());
    assert.equal(report.outcome, 'acted', report.reason);
    assert.equal(report.method, 'single-node-consolidation');
    assert.equal(report.command?.kind, 'consolidate-replace');
    const replacement = report.replacements![0]!;
    assert.deepEqual(await t.claims(), ['big', replacement].sort());
    const created = await env.kube.get('NodeClaim', replacement);
    assert.deepEqual(created.spec.requirements.find((r) => r.key === 'karpenter.sh/capacity-type'), { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] });
    assert.equal(created.metadata.labels?.['karpenter.sh/nodepool'], 'default');
    assert.ok(created.metadata.annotations?.['karpenter.sh/nodepool-hash']);
    assert.equal(created.metadata.ownerReferences?.[0]?.kind, 'NodePool');
    const decision = env.decisions.find((d) => d.kind === 'consolidate-replace')!;
    assert.equal(decision.costPerHourBefore, 0.4);
    assert.equal(decision.costPerHourAfter, 0.07, 'on-demand replaced by spot (pinned), the cheapest type that fits');
    assert.deepEqual(decision.pods, ['default/a', 'default/b']);
    assert.ok(env.state.node('big')!.disrupted && env.state.node('big')!.markedForDeletion, 'candidate tainted and marked');
    assert.ok(env.state.isNominated(replacement), 'replacement nominated');
    await env.settle([ctrl.orchestrator, t.life]);
    assert.deepEqual(await t.claims(), [replacement], 'old claim deleted after the replacement initialised');
    assert.deepEqual(t.life.errors, []);
    await t.stop();
  });

  it('does not replace when nothing cheaper fits, and says why once', async () => {
    const t = await disruptionEnv({ pool: (np) => void (np.spec.template.spec.requirements = [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }]) });
    const { env, ctrl } = t;
    await addMachine(env, { name: 'snug', type: 'small', pods: [{ name: 'a', cpu: '1500m', memory: '1Gi' }] });
    await env.settle();
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing');
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing');
    const blocked = env.decisions.filter((d) => d.kind === 'disruption-blocked');
    assert.equal(blocked.length, 1, JSON.stringify(blocked));
    assert.deepEqual(blocked[0]!.nodes, ['snug']);
    assert.match(blocked[0]!.why, /pod default\/a fits on no other node, and the cheapest instance type that holds them costs \$0\.1000\/h, not less than \$0\.1000\/h/);
    assert.deepEqual(await t.claims(), ['snug']);
    await t.stop();
  });

  it('deletes three underused nodes at once when their pods fit on a fourth (multi-node)', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'keeper', type: 'medium', nodeAnnotations: KEEP, pods: [{ name: 'k', cpu: '2', memory: '1Gi' }] });
    for (const n of ['n1', 'n2', 'n3']) await addMachine(env, { name: n, type: 'small', pods: [{ name: `${n}-p`, cpu: '500m', memory: '1Gi' }] });
    await env.settle();
    const report = await drive(env, ctrl.runPass());
    assert.equal(report.outcome, 'acted', report.reason);
    assert.equal(report.method, 'multi-node-consolidation');
    assert.equal(report.command?.kind, 'consolidate-delete');
    assert.deepEqual(report.command.candidates.map((c) => c.nodeName).sort(), ['n1', 'n2', 'n3']);
    await env.settle([ctrl.orchestrator]);
    assert.deepEqual(await t.claims(), ['keeper']);
    const d = env.decisions.find((x) => x.kind === 'consolidate-delete')!;
    assert.ok(Math.abs(d.costPerHourBefore! - 0.3) < 1e-9);
    assert.equal(d.costPerHourAfter, 0);
    await t.stop();
  });

  it('replaces three underused nodes with one cheaper node (multi-node)', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    for (const n of ['m1', 'm2', 'm3']) await addMachine(env, { name: n, type: 'medium', pods: [{ name: `${n}-p`, cpu: '1', memory: '1Gi' }] });
    await env.settle();
    const report = await drive(env, ctrl.runPass());
    assert.equal(report.outcome, 'acted', report.reason);
    assert.equal(report.method, 'multi-node-consolidation');
    assert.equal(report.command?.kind, 'consolidate-replace');
    assert.equal(report.command.candidates.length, 3);
    assert.equal(report.replacements?.length, 1);
    const d = env.decisions.find((x) => x.kind === 'consolidate-replace')!;
    assert.ok(Math.abs(d.costPerHourBefore! - 0.6) < 1e-9);
    assert.equal(d.costPerHourAfter, 0.14, 'one spot medium');
    assert.ok((d.alternativesRejected ?? []).length === 0 || d.alternativesRejected!.every((a) => a.reason.length > 0));
    await env.settle([ctrl.orchestrator, t.life]);
    assert.deepEqual(await t.claims(), report.replacements);
    await t.stop();
  });

  it('leaves nodes alone for do-not-disrupt on the node or on a pod, and PDBs that allow nothing', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'pinned', type: 'large', nodeAnnotations: KEEP, pods: [{ name: 'a', cpu: '100m' }] });
    await addMachine(env, { name: 'precious', type: 'large', pods: [{ name: 'b', cpu: '100m', annotations: KEEP }] });
    await addMachine(env, { name: 'guarded', type: 'large', pods: [{ name: 'c', cpu: '100m', labels: { app: 'db' } }] });
    await env.kube.create('PodDisruptionBudget', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } }, maxUnavailable: 0 } });
    await env.settle();
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing');
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing');
    const why = new Map(env.decisions.filter((d) => d.kind === 'disruption-blocked').map((d) => [d.nodes![0]!, d.why]));
    assert.equal(why.size, 3, 'one record per node, not one per pass');
    assert.match(why.get('pinned')!, /node pinned has karpenter.sh\/do-not-disrupt=true/);
    assert.match(why.get('precious')!, /pod default\/b has karpenter.sh\/do-not-disrupt=true/);
    assert.match(why.get('guarded')!, /PodDisruptionBudget default\/db allows no disruption of pod default\/c/);
    assert.deepEqual(await t.claims(), ['guarded', 'pinned', 'precious']);
    await t.stop();
  });

  it('a pod under two PDBs blocks its node', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'n', type: 'large', pods: [{ name: 'a', cpu: '100m', labels: { app: 'web', tier: 'front' } }] });
    for (const [name, key, value] of [['by-app', 'app', 'web'], ['by-tier', 'tier', 'front']] as const) {
      await env.kube.create('PodDisruptionBudget', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { [key]: value } }, maxUnavailable: 5 } });
    }
    await env.settle();
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing');
    assert.match(env.decisions.find((d) => d.kind === 'disruption-blocked')!.why, /selected by 2 PodDisruptionBudgets/);
    await t.stop();
  });

  it('waits for consolidateAfter since the last pod event', async () => {
    const t = await disruptionEnv({ consolidateAfter: '5m' });
    const { env, ctrl } = t;
    await addMachine(env, { name: 'big', type: 'large', pods: [{ name: 'a', cpu: '1' }] });
    await env.settle();
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing', 'just initialised');
    await env.clock.step(4 * 60_000);
    await env.kube.create('Pod', pod({ name: 'b', cpu: '1', nodeName: 'big' }));
    await env.settle();
    await env.clock.step(2 * 60_000);
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'nothing', 'a pod arrived 2 minutes ago');
    await env.clock.step(3 * 60_000);
    const r = await drive(env, ctrl.runPass());
    assert.equal(r.outcome, 'acted', r.reason);
    await t.stop();
  });

  it('abandons a consolidation when, during validation, a pending pod takes the room it counted on', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'keeper', type: 'medium', nodeAnnotations: KEEP, pods: [{ name: 'k', cpu: '1' }] });
    await addMachine(env, { name: 'n1', type: 'small', pods: [{ name: 'a', cpu: '1' }] });
    await env.settle();
    const pass = ctrl.runPass();
    await env.clock.step(5_000); // inside the 15 s validation delay
    await env.kube.create('Pod', pod({ name: 'newcomer', cpu: '3' }));
    await env.kube.patchStatus('Pod', 'newcomer', { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } });
    const report = await drive(env, pass);
    assert.equal(report.outcome, 'validation-failed');
    assert.match(report.reason!, /re-simulation/);
    const d = env.decisions.filter((x) => x.kind === 'disruption-blocked').at(-1)!;
    assert.match(d.summary, /abandoned multi-node-consolidation|abandoned single-node-consolidation/);
    assert.deepEqual(await t.claims(), ['keeper', 'n1']);
    assert.equal(env.state.node('n1')!.markedForDeletion, false);
    await t.stop();
  });

  it('rolls back when the replacement never initialises', async () => {
    const t = await disruptionEnv({ lifecycle: { hangs: () => true }, controller: { replacementTimeoutMs: 60_000 } });
    const { env, ctrl } = t;
    await addMachine(env, { name: 'big', type: 'large', pods: [{ name: 'a', cpu: '1' }] });
    await env.settle();
    const report = await drive(env, ctrl.runPass());
    assert.equal(report.command?.kind, 'consolidate-replace');
    await env.clock.step(61_000);
    await env.settle([ctrl.orchestrator]);
    assert.deepEqual(await t.claims(), ['big'], 'replacement deleted');
    const big = env.state.node('big')!;
    assert.equal(big.disrupted, false, 'untainted');
    assert.equal(big.markedForDeletion, false, 'unmarked');
    assert.match(env.decisions.at(-1)!.why, /did not initialise within 1m/);
    await t.stop();
  });

  it('rolls back when the replacement fails to launch', async () => {
    const t = await disruptionEnv({ lifecycle: { fails: () => true } });
    const { env, ctrl } = t;
    await addMachine(env, { name: 'big', type: 'large', pods: [{ name: 'a', cpu: '1' }] });
    await env.settle();
    assert.equal((await drive(env, ctrl.runPass())).outcome, 'acted');
    await env.settle([ctrl.orchestrator, t.life]);
    assert.deepEqual(await t.claims(), ['big']);
    assert.match(env.decisions.at(-1)!.why, /disappeared before initialising/);
    await t.stop();
  });

  it('removes a disrupted taint that no running command owns (left by a restart), so the node is a candidate again', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'big', type: 'large', pods: [{ name: 'a', cpu: '1' }] });
    await env.kube.patch('Node', 'big', { spec: { taints: [{ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }] } });
    await env.settle();
    assert.equal(env.state.node('big')!.disrupted, true);
    const first = await drive(env, ctrl.runPass());
    assert.equal(first.outcome, 'nothing', 'not a candidate while tainted');
    await env.settle();
    assert.equal(env.state.node('big')!.disrupted, false, 'untainted');
    assert.equal((await drive(env, ctrl.runPass())).command?.kind, 'consolidate-replace');
    await t.stop();
  });
});
