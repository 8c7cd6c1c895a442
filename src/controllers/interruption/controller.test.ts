import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SimCloudProvider } from '../../cloudprovider/sim/sim-cloud-provider.js';
import { nodePool } from '../../test/builders.js';
import type { TestEnv } from '../../test/env.js';
import { makeTestEnv } from '../../test/env.js';
import { addMachine, drive, TEST_TYPES } from '../disruption/fixtures.js';
import { InterruptionController } from './controller.js';
import type { InterruptionMessage, InterruptionSource } from './source.js';
import { simInterruptionSource } from './source.js';

async function simEnv(): Promise<TestEnv> {
  const env = await makeTestEnv({ instanceTypes: TEST_TYPES });
  await env.kube.create('NodePool', nodePool());
  await env.settle();
  return env;
}

/** A source the test pushes messages into. */
function manualSource(): InterruptionSource & { push(m: InterruptionMessage): void } {
  let handler: ((m: InterruptionMessage) => void) | undefined;
  return {
    name: 'manual',
    subscribe(h) {
      handler = h;
      return () => void (handler = undefined);
    },
    push: (m) => handler?.(m),
  };
}

const claimNames = async (env: TestEnv): Promise<string[]> => (await env.kube.list('NodeClaim')).items.map((c) => c.metadata.name!).sort();

describe('interruption', () => {
  it('on a spot interruption: marks the offering unavailable, launches a replacement first, then deletes the claim', async () => {
    const env = await simEnv();
    const sim = env.cloud as SimCloudProvider;
    const launched = await drive(env, addMachine(env, { name: 'spotty', type: 'medium', zone: 'zone-b', capacityType: 'spot', pods: [{ name: 'a', cpu: '1500m' }, { name: 'b', cpu: '1500m' }] }));
    await env.settle();
    const ctrl = new InterruptionController(env.ctx, simInterruptionSource(sim));
    ctrl.start();
    const order: string[] = [];
    env.state.subscribe((c) => {
      if (c.type !== 'Node') return;
      const n = c.stateNode;
      if (n.name === 'spotty' && (n.deleting || n.nodeClaimName === undefined || c.deleted) && !order.includes('deleted spotty')) order.push('deleted spotty');
      if (n.nodeClaimName !== undefined && n.nodeClaimName !== 'spotty' && !order.includes('replacement')) order.push('replacement');
    });
    assert.equal(sim.interrupt(launched.status!.providerID!), true);
    await env.settle([ctrl]);
    assert.ok(env.ctx.unavailableOfferings.isUnavailable('medium', 'zone-b', 'spot'));
    const names = await claimNames(env);
    assert.equal(names.length, 1, `the interrupted claim is gone, its replacement exists: ${names.join(', ')}`);
    assert.notEqual(names[0], 'spotty');
    assert.deepEqual(order, ['replacement', 'deleted spotty']);
    const d = env.decisions.find((x) => x.kind === 'interruption')!;
    assert.match(d.summary, /^SpotInterruption of node spotty: launched default-/);
    assert.match(d.why, /Offering medium\/zone-b\/spot is marked unavailable/);
    assert.deepEqual(d.pods, ['default/a', 'default/b']);
    assert.equal(d.costPerHourBefore, 0.14);
    assert.ok(d.costPerHourAfter! > 0);
    const replacement = await env.kube.get('NodeClaim', names[0]!);
    assert.ok(Number.parseFloat(String(replacement.spec.resources?.requests?.cpu)) >= 3, 'sized for both pods');
    await ctrl.stop();
    await env.stop();
  });

  it('handles a redelivered notice once, launches nothing when the pods fit elsewhere, and only records rebalance recommendations', async () => {
    const env = await makeTestEnv({ cloud: 'fake', instanceTypes: TEST_TYPES });
    await env.kube.create('NodePool', nodePool());
    await env.settle();
    const roomy = await addMachine(env, { name: 'roomy', type: 'large' });
    const doomed = await addMachine(env, { name: 'doomed', type: 'small', capacityType: 'spot', pods: [{ name: 'a', cpu: '1' }] });
    await env.settle();
    const source = manualSource();
    const ctrl = new InterruptionController(env.ctx, source);
    ctrl.start();
    source.push({ id: 'r1', kind: 'RebalanceRecommendation', providerID: roomy.status!.providerID!, noticeAt: env.clock.now() });
    await env.settle([ctrl]);
    assert.deepEqual(await claimNames(env), ['doomed', 'roomy']);
    assert.match(env.decisions.at(-1)!.summary, /rebalance recommendation for roomy: no action/);
    const notice: InterruptionMessage = { id: 'm1', kind: 'SpotInterruption', providerID: doomed.status!.providerID!, noticeAt: env.clock.now(), terminateAt: env.clock.now() + 120_000 };
    source.push(notice);
    source.push(notice);
    await env.settle([ctrl]);
    source.push(notice);
    await env.settle([ctrl]);
    assert.deepEqual(await claimNames(env), ['roomy'], 'no replacement: the pod fits on roomy');
    const records = env.decisions.filter((d) => d.kind === 'interruption' && d.summary.startsWith('SpotInterruption'));
    assert.equal(records.length, 1);
    assert.match(records[0]!.summary, /its pods fit on existing nodes/);
    await ctrl.stop();
    await env.stop();
  });
});
