/**
 * The AWS provider behind moto's fault proxy: insufficient capacity on chosen types, throttling,
 * 5xx before and after the request reached EC2, errors that are not worth retrying. After each,
 * the claim has at most one instance (none when the launch failed), checked on moto directly.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { NodeClaim } from '../../apis/v1/types.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { VirtualClock } from '../../utils/clock.js';
import { CloudProviderError, InsufficientCapacityError } from '../cloud-provider.js';
import { launchCandidates } from '../launch.js';
import { UnavailableOfferings } from '../unavailable-offerings.js';
import type { AwsWorld } from './fixtures.js';
import { awsClaim, awsNodePool, awsProvider, CLUSTER, ec2NodeClass, NodeClasses, startAwsWorld, ZONES } from './fixtures.js';

const world: Promise<AwsWorld> = startAwsWorld();
world.catch(() => undefined);
after(async () => {
  await (await world.catch(() => undefined))?.moto.stop();
});

const onDemand = { key: CAPACITY_TYPE_LABEL, operator: 'In' as const, values: ['on-demand'] };
const types = (...names: string[]) => ({ key: INSTANCE_TYPE_LABEL, operator: 'In' as const, values: names });

/** Live instances on moto (not through the proxy) tagged for the claim, or for the cluster. */
async function liveInstances(w: AwsWorld, claimName?: string): Promise<string[]> {
  const out = await w.ec2.send(new DescribeInstancesCommand({
    Filters: [
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      claimName === undefined ? { Name: `tag:kubernetes.io/cluster/${CLUSTER}`, Values: ['owned'] } : { Name: 'tag:karpenter.sh/nodeclaim', Values: [claimName] },
    ],
  }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
}

const launched: NodeClaim[] = [];

afterEach(async () => {
  const w = await world;
  w.moto.faults.clear();
  const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
  for (const c of launched.splice(0)) await provider.delete(c).catch(() => undefined);
});

describe('AWS provider behind the fault proxy', () => {
  it('insufficient capacity on every allowed type: InsufficientCapacityError with the offerings, marked unavailable for 3 minutes, nothing launched', async () => {
    const w = await world;
    const clock = new VirtualClock();
    const unavailable = new UnavailableOfferings(clock);
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()), { unavailableOfferings: unavailable });
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand, types('m5.large', 'm5.xlarge')] });
    w.moto.faults.noCapacity({ instanceTypes: ['m5.large', 'm5.xlarge'] });
    const fleetsBefore = w.moto.faults.seen('CreateFleet');
    const error = await provider.create(claim).then(() => assert.fail('expected InsufficientCapacityError'), (e: unknown) => e);
    assert.ok(error instanceof InsufficientCapacityError, String(error));
    assert.ok(error.message.includes(claim.metadata.name!), error.message);
    const failed = error.offerings.map((o) => `${o.instanceType}/${o.zone}/${o.capacityType}`).sort();
    assert.deepEqual(failed, ['m5.large', 'm5.xlarge'].flatMap((t) => ZONES.map((z) => `${t}/${z}/on-demand`)).sort());
    assert.deepEqual(await liveInstances(w, claim.metadata.name), [], 'nothing launched');
    assert.equal(w.moto.faults.last('CreateFleet')?.forwarded, false, 'every override failed: EC2 launched nothing');
    assert.equal(w.moto.faults.seen('CreateFleet') - fleetsBefore, 1);

    // Marked: they show as unavailable, and a retry fails at once without asking EC2.
    const listed = await provider.getInstanceTypes(awsNodePool());
    const m5large = listed.find((t) => t.name === 'm5.large')!;
    assert.ok(m5large.offerings.filter((o) => o.capacityType === 'on-demand').every((o) => !o.available));
    assert.ok(m5large.offerings.filter((o) => o.capacityType === 'spot').every((o) => o.available), 'spot was not tried');
    await assert.rejects(provider.create(claim), InsufficientCapacityError);
    assert.equal(w.moto.faults.seen('CreateFleet') - fleetsBefore, 1, 'no second CreateFleet while marked');

    // Three minutes later (and capacity back) the same claim launches, once.
    w.moto.faults.clear();
    await clock.step(3 * 60_000);
    const ok = await provider.create(claim);
    launched.push(ok);
    assert.deepEqual(await liveInstances(w, claim.metadata.name), [/i-[0-9a-f]+$/.exec(ok.status!.providerID!)![0]]);
  });

  it('insufficient capacity on the cheapest type only: the next cheapest launches and the failed offerings are marked', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand, { key: ZONE_LABEL, operator: 'In', values: ['us-east-1b'] }], requests: { cpu: '1' } });
    const candidates = launchCandidates(claim, await provider.getInstanceTypes(awsNodePool()));
    const cheapest = candidates[0]!.instanceType.name;
    const next = candidates.find((c) => c.instanceType.name !== cheapest)!;
    w.moto.faults.noCapacity({ instanceTypes: [cheapest] });
    const forwarded = w.moto.faults.forwarded('CreateFleet');
    const out = await provider.create(claim);
    launched.push(out);
    assert.equal(out.metadata.labels![INSTANCE_TYPE_LABEL], next.instanceType.name, `the next cheapest after ${cheapest}`);
    assert.equal(w.moto.faults.forwarded('CreateFleet') - forwarded, 1);
    assert.equal(w.moto.faults.last('CreateFleet')?.fault, 'insufficient-capacity');
    assert.ok(provider.unavailableOfferings.isUnavailable(cheapest, 'us-east-1b', 'on-demand'));
    assert.equal((await liveInstances(w, claim.metadata.name)).length, 1);
  });

  it('throttled CreateFleet is retried with backoff: one instance', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand] });
    await provider.getInstanceTypes(awsNodePool());
    w.moto.faults.failNext('CreateFleet', 'throttle', { times: 2 });
    const seen = w.moto.faults.seen('CreateFleet');
    const forwarded = w.moto.faults.forwarded('CreateFleet');
    const started = Date.now();
    launched.push(await provider.create(claim));
    assert.equal(w.moto.faults.seen('CreateFleet') - seen, 3, 'two throttled, then one through');
    assert.equal(w.moto.faults.forwarded('CreateFleet') - forwarded, 1);
    // Backoff: at least half of 20 ms, then of 40 ms (retry policy of the fixtures).
    assert.ok(Date.now() - started >= 30, 'it waited between tries');
    assert.equal((await liveInstances(w, claim.metadata.name)).length, 1);
  });

  it('throttling and 503s on the describe calls of a cold provider are retried', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    w.moto.faults.failNext('DescribeInstanceTypes', 'throttle');
    w.moto.faults.failNext('DescribeSubnets', 'unavailable');
    w.moto.faults.failNext('DescribeSpotPriceHistory', 'server-error');
    assert.ok((await provider.getInstanceTypes(awsNodePool())).length > 0);
    for (const action of ['DescribeInstanceTypes', 'DescribeSubnets', 'DescribeSpotPriceHistory']) {
      const calls = w.moto.faults.requests.filter((r) => r.action === action);
      assert.ok(calls.some((r) => r.fault !== undefined) && calls.at(-1)!.status === 200, `${action} failed once, then answered`);
    }
  });

  it('a 5xx after CreateFleet reached EC2 (lost reply): the retry finds the instance instead of launching again', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand] });
    await provider.getInstanceTypes(awsNodePool());
    w.moto.faults.failNext('CreateFleet', 'server-error', { afterForwarding: true, times: 5 });
    const forwarded = w.moto.faults.forwarded('CreateFleet');
    const out = await provider.create(claim);
    launched.push(out);
    assert.equal(w.moto.faults.forwarded('CreateFleet') - forwarded, 1, 'no second CreateFleet');
    const live = await liveInstances(w, claim.metadata.name);
    assert.equal(live.length, 1, 'one instance');
    assert.ok(out.status!.providerID!.endsWith(live[0]!), 'the one returned');
    assert.equal(out.metadata.labels![CAPACITY_TYPE_LABEL], 'on-demand');
  });

  it('5xx on every try before reaching EC2: a retryable error with the request id, nothing launched; a later create launches once', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand] });
    await provider.getInstanceTypes(awsNodePool());
    w.moto.faults.failNext('CreateFleet', 'server-error', { times: 4 });
    const error = await provider.create(claim).then(() => assert.fail('expected a failure'), (e: unknown) => e);
    assert.ok(error instanceof CloudProviderError && !(error instanceof InsufficientCapacityError), String(error));
    assert.equal(error.retryable, true);
    assert.match(error.requestId ?? '', /^fault-server-error-\d+$/);
    assert.ok(error.message.includes(error.requestId!) && error.message.includes('InternalError') && error.message.includes('after 4 tries'), error.message);
    assert.ok(error.message.includes(`launching nodeclaim ${claim.metadata.name!}`), error.message);
    assert.deepEqual(await liveInstances(w, claim.metadata.name), []);
    launched.push(await provider.create(claim));
    assert.equal((await liveInstances(w, claim.metadata.name)).length, 1);
  });

  it('an error not worth retrying fails at once with its code and request id', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand] });
    await provider.getInstanceTypes(awsNodePool());
    w.moto.faults.failNext('CreateFleet', 'unauthorized', { times: 3 });
    const seen = w.moto.faults.seen('CreateFleet');
    const error = await provider.create(claim).then(() => assert.fail('expected a failure'), (e: unknown) => e);
    assert.ok(error instanceof CloudProviderError, String(error));
    assert.equal(error.retryable, false);
    assert.match(error.message, /UnauthorizedOperation.*request id fault-unauthorized-\d+/);
    assert.equal(w.moto.faults.seen('CreateFleet') - seen, 1, 'tried once');
    assert.deepEqual(await liveInstances(w, claim.metadata.name), []);
  });

  it('concurrent creates of one claim share one launch, even with a slow CreateFleet', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand] });
    w.moto.faults.delay('CreateFleet', 300);
    const [a, b] = await Promise.all([provider.create(claim), provider.create(structuredClone(claim))]);
    launched.push(a);
    assert.equal(a.status!.providerID, b.status!.providerID);
    assert.equal((await liveInstances(w, claim.metadata.name)).length, 1);
  });

  it('a throttled TerminateInstances is retried: the instance is terminated', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool(), { requirements: [onDemand] });
    const out = await provider.create(claim);
    w.moto.faults.failNext('TerminateInstances', 'throttle', { times: 2 });
    w.moto.faults.failNext('DescribeInstances', 'server-error');
    await provider.delete(out);
    assert.deepEqual(await liveInstances(w, claim.metadata.name), []);
  });

  it('after all of the above no instance of the cluster is left running', async () => {
    const w = await world;
    assert.deepEqual(await liveInstances(w), []);
  });
});
