import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_TYPE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { CloudProviderError, InsufficientCapacityError, NodeClassNotReadyError } from '../../cloudprovider/cloud-provider.js';
import type { FakeCloudProvider } from '../../cloudprovider/fake/fake-cloud-provider.js';
import type { SimCloudProvider } from '../../cloudprovider/sim/sim-cloud-provider.js';
import { UnavailableOfferings } from '../../cloudprovider/unavailable-offerings.js';
import { KubeError } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/types.js';
import { makeTestEnv } from '../../test/env.js';
import type { TestEnv } from '../../test/env.js';
import { TEST_ZONES } from '../../test/builders.js';
import type { ControllerContext } from '../context.js';
import { findCondition, isConditionTrue } from './conditions.js';
import { nodeClaim, testCatalog, waitFor } from './fixtures.js';
import { LAUNCH_TIMEOUT_MS } from './launch.js';
import { nodeClaimLifecycleController } from './lifecycle.js';

async function setup(cloud: 'sim' | 'fake', override: (env: TestEnv) => Partial<ControllerContext> = () => ({})) {
  const env = await makeTestEnv({ instanceTypes: testCatalog(), cloud });
  const ctx = { ...env.ctx, ...override(env) };
  const lifecycle = nodeClaimLifecycleController(ctx);
  lifecycle.start();
  return {
    env,
    ctx,
    stop: async () => {
      await lifecycle.stop();
      await env.stop();
    },
  };
}

/** The client, with NodeClaim status writes failing while `fail()` says so. */
function failingFirstStatusWrite(kube: KubeClient, fail: () => boolean): KubeClient {
  return new Proxy(kube, {
    get(target, prop) {
      if (prop === 'patchStatus') {
        return (...args: Parameters<KubeClient['patchStatus']>) => {
          if (args[0] === 'NodeClaim' && fail()) return Promise.reject(new KubeError('InternalError', `patching ${args[1]}: etcd timeout`));
          return target.patchStatus(...args);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function claimIn(env: TestEnv, name: string): NodeClaim | undefined {
  const sn = env.state.node(name);
  return sn?.nodeClaimName === name ? sn.nodeClaim : undefined;
}

const deleting = (env: TestEnv, name: string) => () => claimIn(env, name)?.metadata.deletionTimestamp !== undefined;

describe('nodeclaim.lifecycle launch', () => {
  it('on insufficient capacity marks the offerings unavailable in the shared cache and deletes the claim', async () => {
    // A cache of its own, apart from the sim's, so only the lifecycle controller can have marked it.
    let shared: UnavailableOfferings | undefined;
    const { env, stop } = await setup('sim', (e) => ({ unavailableOfferings: (shared = new UnavailableOfferings(e.clock)) }));
    const sim = env.cloud as SimCloudProvider;
    sim.addCapacityWindow({ start: env.clock.now(), end: env.clock.now() + 3_600_000, instanceType: 'small' });
    await env.kube.create('NodeClaim', nodeClaim({ name: 'pinned', types: ['small'] }));
    await waitFor(env.clock, 'claim deleted', deleting(env, 'pinned'));
    assert.deepEqual(shared!.marked().map((o) => `${o.instanceType}/${o.zone}/${o.capacityType}`).sort(),
      TEST_ZONES.map((z) => `small/${z}/on-demand`));
    const d = env.decisions.find((x) => x.kind === 'launch-failed');
    assert.match(d?.summary ?? '', /pinned could not launch: insufficient capacity/);
    assert.equal(d?.alternativesRejected?.length, 3);
    assert.equal(d?.nodePool, 'default');
    assert.equal(sim.instances().length, 0);
    const events = (await env.kube.list('Event')).items;
    assert.ok(events.some((e) => e.reason === 'InsufficientCapacity' && e.regarding?.name === 'pinned'));

    // A claim that also allows the next type launches on it: the rest of the offerings.
    await env.kube.create('NodeClaim', nodeClaim({ name: 'flexible', types: ['small', 'large'] }));
    await waitFor(env.clock, 'launched', () => isConditionTrue(claimIn(env, 'flexible'), ConditionTypes.Launched));
    assert.equal(claimIn(env, 'flexible')?.metadata.labels?.[INSTANCE_TYPE_LABEL], 'large');
    await stop();
  });

  it('retries a node class that is not ready, and launches once it is', async () => {
    const { env, stop } = await setup('fake');
    const fake = env.cloud as FakeCloudProvider;
    fake.failNext('create', new NodeClassNotReadyError('launching nodeclaim c: node class default has no subnets'), 3);
    await env.kube.create('NodeClaim', nodeClaim({ name: 'c' }));
    await waitFor(env.clock, 'not ready recorded', () => findCondition(claimIn(env, 'c'), ConditionTypes.Launched)?.reason === 'NodeClassNotReady');
    await waitFor(env.clock, 'launched', () => isConditionTrue(claimIn(env, 'c'), ConditionTypes.Launched));
    assert.equal(fake.callsTo('create').length, 4);
    assert.equal(fake.machines().length, 1);
    assert.equal(claimIn(env, 'c')?.status?.providerID, fake.machines()[0]?.status?.providerID);
    await stop();
  });

  it('gives up on a claim still failing with retryable errors at the launch timeout', async () => {
    const { env, stop } = await setup('fake');
    const fake = env.cloud as FakeCloudProvider;
    fake.failAlways('create', new CloudProviderError('launching nodeclaim t: RequestLimitExceeded', { retryable: true }));
    await env.kube.create('NodeClaim', nodeClaim({ name: 't' }));
    const took = await waitFor(env.clock, 'claim deleted', deleting(env, 't'), 60 * 60_000);
    assert.ok(took >= LAUNCH_TIMEOUT_MS && took <= LAUNCH_TIMEOUT_MS + 1_000, `deleted after ${took} ms`);
    // Tries at 0, 1, 3, 7, 15, 31, 63, 123, 183 and 243 s (1 s doubling, capped at a minute); at 300 s it gives up.
    assert.equal(fake.callsTo('create').length, 10);
    const d = env.decisions.find((x) => x.kind === 'launch-failed');
    assert.match(d?.summary ?? '', /not launched within 5m/);
    assert.match(d?.why ?? '', /RequestLimitExceeded/);
    await stop();
  });

  it('deletes the claim at once for an error the cloud says will not go away', async () => {
    const { env, stop } = await setup('fake');
    const fake = env.cloud as FakeCloudProvider;
    fake.failNext('create', new CloudProviderError('launching nodeclaim bad: InvalidParameterValue'));
    await env.kube.create('NodeClaim', nodeClaim({ name: 'bad' }));
    const took = await waitFor(env.clock, 'claim deleted', deleting(env, 'bad'));
    assert.ok(took < 1000);
    assert.equal(fake.callsTo('create').length, 1);
    await stop();
  });

  it('an insufficient-capacity error with nothing to mark still deletes the claim', async () => {
    const { env, stop } = await setup('fake');
    (env.cloud as FakeCloudProvider).failNext('create', new InsufficientCapacityError('launching nodeclaim none: nothing fits', []));
    await env.kube.create('NodeClaim', nodeClaim({ name: 'none' }));
    await waitFor(env.clock, 'claim deleted', deleting(env, 'none'));
    assert.equal(env.ctx.unavailableOfferings.marked().length, 0);
    await stop();
  });

  it('never creates again when writing the launch result failed', async () => {
    let statusWrites = 0;
    const { env, stop } = await setup('fake', (e) => ({ kube: failingFirstStatusWrite(e.kube, () => ++statusWrites === 1) }));
    const fake = env.cloud as FakeCloudProvider;
    await env.kube.create('NodeClaim', nodeClaim({ name: 'once' }));
    await waitFor(env.clock, 'launched', () => isConditionTrue(claimIn(env, 'once'), ConditionTypes.Launched));
    assert.ok(statusWrites >= 2, 'the first write failed and was retried');
    assert.equal(fake.callsTo('create').length, 1);
    await stop();
  });
});
