import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  INITIALIZED_LABEL, INSTANCE_TYPE_LABEL, NODEPOOL_LABEL, REGISTERED_LABEL, TERMINATION_FINALIZER, UNREGISTERED_TAINT_KEY,
} from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import type { SimCloudProvider } from '../../cloudprovider/sim/sim-cloud-provider.js';
import { makeTestEnv } from '../../test/env.js';
import type { TestEnv } from '../../test/env.js';
import { findCondition, isConditionTrue } from './conditions.js';
import { nodeClaim, testCatalog, waitFor } from './fixtures.js';
import { nodeClaimLifecycleController } from './lifecycle.js';

async function setup(sim: Parameters<typeof makeTestEnv>[0] = {}): Promise<{ env: TestEnv; sim: SimCloudProvider; stop: () => Promise<void> }> {
  const env = await makeTestEnv({ instanceTypes: testCatalog(), ...sim });
  const lifecycle = nodeClaimLifecycleController(env.ctx);
  lifecycle.start();
  return {
    env,
    sim: env.cloud as SimCloudProvider,
    stop: async () => {
      await lifecycle.stop();
      await env.stop();
    },
  };
}

function claimIn(env: TestEnv, name: string): NodeClaim | undefined {
  const sn = env.state.node(name);
  return sn?.nodeClaimName === name ? sn.nodeClaim : undefined;
}

describe('nodeclaim.lifecycle', () => {
  it('launches once, registers the Node and initialises it', async () => {
    const { env, sim, stop } = await setup();
    await env.kube.create('NodeClaim', nodeClaim({
      name: 'default-a', annotations: { 'example.com/team': 'web' },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
    }));

    await waitFor(env.clock, 'launched', () => isConditionTrue(claimIn(env, 'default-a'), ConditionTypes.Launched));
    let claim = claimIn(env, 'default-a')!;
    assert.ok(claim.status?.providerID?.startsWith('sim://'));
    assert.equal(claim.metadata.labels?.[INSTANCE_TYPE_LABEL], 'small', 'the cheapest type that fits');
    assert.ok(claim.status?.capacity?.cpu !== undefined && claim.status.allocatable !== undefined && claim.status.imageID);
    assert.deepEqual(claim.metadata.finalizers, [TERMINATION_FINALIZER]);

    await waitFor(env.clock, 'registered', () => isConditionTrue(claimIn(env, 'default-a'), ConditionTypes.Registered));
    claim = claimIn(env, 'default-a')!;
    const node = await env.kube.get('Node', claim.status!.nodeName!);
    assert.equal(node.spec?.providerID, claim.status?.providerID);
    assert.equal(node.metadata.labels?.[REGISTERED_LABEL], 'true');
    assert.equal(node.metadata.labels?.[NODEPOOL_LABEL], 'default');
    assert.equal(node.metadata.annotations?.['example.com/team'], 'web');
    assert.ok(!node.spec?.taints?.some((t) => t.key === UNREGISTERED_TAINT_KEY), 'unregistered taint removed');
    assert.ok(node.spec?.taints?.some((t) => t.key === 'dedicated' && t.value === 'web'));
    assert.deepEqual(node.metadata.finalizers, [TERMINATION_FINALIZER]);
    assert.deepEqual(node.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]), [['NodeClaim', 'default-a', claim.metadata.uid]]);

    await waitFor(env.clock, 'initialized', () => isConditionTrue(claimIn(env, 'default-a'), ConditionTypes.Initialized));
    claim = claimIn(env, 'default-a')!;
    assert.equal(findCondition(claim, ConditionTypes.Ready)?.status, 'True');
    assert.equal((await env.kube.get('Node', claim.status!.nodeName!)).metadata.labels?.[INITIALIZED_LABEL], 'true');
    assert.equal(sim.instances().length, 1, 'exactly one machine');
    assert.ok(env.state.node('default-a')?.initialized);
    await stop();
  });

  it('waits for startup taints to go before initialising, and never puts them back', async () => {
    const { env, stop } = await setup();
    await env.kube.create('NodeClaim', nodeClaim({
      name: 'agent-1', startupTaints: [{ key: 'example.com/agent-not-ready', effect: 'NoSchedule' }], requests: { cpu: '1' },
    }));
    await waitFor(env.clock, 'ready', () => findCondition(claimIn(env, 'agent-1'), ConditionTypes.Ready)?.status === 'True');
    assert.equal(findCondition(claimIn(env, 'agent-1'), ConditionTypes.Initialized)?.reason, 'StartupTaintsExist');
    const nodeName = claimIn(env, 'agent-1')!.status!.nodeName!;
    assert.ok((await env.kube.get('Node', nodeName)).spec?.taints?.some((t) => t.key === 'example.com/agent-not-ready'), 'startup taint synced onto the node');
    await env.clock.step(10 * 60_000);
    assert.ok(!isConditionTrue(claimIn(env, 'agent-1'), ConditionTypes.Initialized));

    await env.kube.patch('Node', nodeName, { spec: { taints: [] } });
    await waitFor(env.clock, 'initialized', () => isConditionTrue(claimIn(env, 'agent-1'), ConditionTypes.Initialized));
    const node = await env.kube.get('Node', nodeName);
    assert.equal(node.metadata.labels?.[INITIALIZED_LABEL], 'true');
    assert.deepEqual(node.spec?.taints, []);
    await stop();
  });

  it('mirrors the Node going not ready onto the claim', async () => {
    const { env, stop } = await setup();
    await env.kube.create('NodeClaim', nodeClaim({ name: 'default-r' }));
    await waitFor(env.clock, 'initialized', () => isConditionTrue(claimIn(env, 'default-r'), ConditionTypes.Initialized));
    const nodeName = claimIn(env, 'default-r')!.status!.nodeName!;
    await env.kube.patchStatus('Node', nodeName, { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'kubelet stopped posting' }] } });
    await waitFor(env.clock, 'not ready', () => findCondition(claimIn(env, 'default-r'), ConditionTypes.Ready)?.status === 'Unknown');
    assert.equal(findCondition(claimIn(env, 'default-r'), ConditionTypes.Ready)?.message, 'kubelet stopped posting');
    await stop();
  });

  it('deletes a claim whose Node never registers, at the registration timeout and not before', async () => {
    const { env, sim, stop } = await setup({ sim: { registrationFailure: 1 } });
    await env.kube.create('NodeClaim', nodeClaim({ name: 'default-lost' }));
    await waitFor(env.clock, 'launched', () => isConditionTrue(claimIn(env, 'default-lost'), ConditionTypes.Launched));
    const created = Date.parse((await env.kube.get('NodeClaim', 'default-lost')).metadata.creationTimestamp!);
    await waitFor(env.clock, 'deletion', () => claimIn(env, 'default-lost')?.metadata.deletionTimestamp !== undefined, 20 * 60_000);
    assert.equal(env.clock.now() - created, env.ctx.options.registrationTimeoutMs);
    const d = env.decisions.find((x) => x.kind === 'launch-failed');
    assert.match(d?.summary ?? '', /did not register a node within 15m/);
    assert.deepEqual(d?.nodes, ['default-lost']);
    assert.equal(sim.instances().length, 1);
    await stop();
  });
});
