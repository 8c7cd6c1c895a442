import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Budget, NodePool } from '../../apis/v1/types.js';
import { nodePool } from '../../test/builders.js';
import type { TestEnv } from '../../test/env.js';
import { makeTestEnv } from '../../test/env.js';
import { DisruptionController } from './controller.js';
import { addMachine, drive, FakeLifecycle, TEST_TYPES } from './fixtures.js';

async function setup(o: { budgets?: Budget[]; consolidateAfter?: string; policy?: 'WhenEmpty' | 'WhenEmptyOrUnderutilized' } = {}): Promise<{ env: TestEnv; pool: NodePool; ctrl: DisruptionController; life: FakeLifecycle }> {
  const env = await makeTestEnv({ cloud: 'fake', instanceTypes: TEST_TYPES });
  const np = nodePool();
  np.spec.disruption = { consolidationPolicy: o.policy ?? 'WhenEmptyOrUnderutilized', consolidateAfter: o.consolidateAfter ?? '0s', budgets: o.budgets ?? [{ nodes: '100%' }] };
  const pool = await env.kube.create('NodePool', np);
  await env.settle();
  return { env, pool, ctrl: new DisruptionController(env.ctx), life: new FakeLifecycle(env, { initDelayMs: 20_000 }) };
}

const claims = async (env: TestEnv): Promise<string[]> => (await env.kube.list('NodeClaim')).items.map((c) => c.metadata.name!).sort();

describe('consolidation end to end', () => {
  it('replaces a large node holding little with a cheaper one, after its replacement initialises', async () => {
    const { env, ctrl, life } = await setup();
    await addMachine(env, { name: 'big', type: 'large', pods: [{ name: 'a', cpu: '1', memory: '1Gi' }, { name: 'b', cpu: '500m', memory: '1Gi' }] });
    await env.settle();
    ctrl.orchestrator.start();
    const report = await drive(env, ctrl.runPass());
    assert.equal(report.outcome, 'acted', report.reason);
    assert.equal(report.command?.kind, 'consolidate-replace');
    assert.equal(report.replacements?.length, 1);
    const replacement = report.replacements[0]!;
    assert.deepEqual(await claims(env), ['big', replacement].sort());
    const decision = env.decisions.find((d) => d.kind === 'consolidate-replace')!;
    assert.equal(decision.costPerHourBefore, 0.4);
    assert.equal(decision.costPerHourAfter, 0.07, 'on-demand node replaced by spot (pinned)');
    assert.ok(env.state.node('big')!.disrupted, 'candidate tainted');
    await env.settle([ctrl.orchestrator, life]);
    assert.deepEqual(await claims(env), [replacement]);
    assert.deepEqual(life.errors, []);
    await ctrl.stop();
    await env.stop();
  });
});
