import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimCloudProvider } from '../../cloudprovider/sim/sim-cloud-provider.js';
import type { CapacityWindow } from '../../cloudprovider/sim/capacity-windows.js';
import { VirtualClock } from '../../utils/clock.js';
import { AutoScalingGroup } from './asg.js';
import { group, type } from './fixtures.js';

const X = type('x.large', 2, 8, 0.1, 0.04);
const Y = type('y.large', 2, 8, 0.12, 0.03);

function setup(windows: CapacityWindow[] = [], spec = group('g', 'x.large')): { clock: VirtualClock; cloud: SimCloudProvider; asg: AutoScalingGroup } {
  const clock = new VirtualClock();
  const cloud = new SimCloudProvider({ clock, instanceTypes: [X, Y], seed: 1, launchDelay: { kind: 'fixed', ms: 1_000 }, capacityWindows: windows, unavailableOfferingTtlMs: 1_000 });
  const asg = new AutoScalingGroup(spec, { clock, cloud, retryMs: 30_000 });
  return { clock, cloud, asg };
}
const FOREVER = Date.UTC(2100, 0, 1);

describe('simulated auto scaling group', () => {
  it('launches to the desired capacity, balancing zones', async () => {
    const { clock, cloud, asg } = setup();
    asg.setDesired(4);
    assert.equal(asg.instances().length, 4);
    assert.ok(asg.isBusy());
    await clock.step(1_000);
    assert.deepEqual(asg.instances().map((i) => [i.state, i.zone]), [['in-service', 'zone-a'], ['in-service', 'zone-b'], ['in-service', 'zone-c'], ['in-service', 'zone-a']]);
    assert.equal(cloud.instances().length, 4);
    assert.ok(!asg.isBusy());
    assert.throws(() => asg.setDesired(-1), /integer >= 0/);
  });

  it('falls back to other zones, and for on-demand to its other types in order', async () => {
    const now = new VirtualClock().now();
    const { clock, asg } = setup([{ start: now, end: FOREVER, instanceType: 'x.large', zone: 'zone-a' }], group('g', 'x.large', { instanceTypes: ['x.large', 'y.large'], zones: ['zone-a'] }));
    asg.setDesired(1);
    await clock.step(1_000);
    assert.deepEqual(asg.instances().map((i) => [i.instanceType, i.zone]), [['y.large', 'zone-a']], 'second type after the first lacked capacity');
    const z = setup([{ start: now, end: FOREVER, zone: 'zone-a' }]);
    z.asg.setDesired(1);
    await z.clock.step(1_000);
    assert.deepEqual(z.asg.instances().map((i) => i.zone), ['zone-b']);
  });

  it('lets the cloud pick the cheapest type of a spot group', async () => {
    const { clock, asg } = setup([], group('g', 'x.large', { instanceTypes: ['x.large', 'y.large'], capacityType: 'spot' }));
    asg.setDesired(1);
    await clock.step(1_000);
    assert.deepEqual(asg.instances().map((i) => [i.instanceType, i.capacityType]), [['y.large', 'spot']]);
  });

  it('retries launches that failed until capacity comes back', async () => {
    const now = new VirtualClock().now();
    const { clock, asg, cloud } = setup([{ start: now, end: now + 45_000 }]);
    asg.setDesired(2);
    await clock.step(0);
    assert.equal(asg.instances().length, 0);
    assert.match(asg.lastFailure?.message ?? '', /InsufficientInstanceCapacity|no offering/);
    assert.ok(asg.isBusy(30_000) && !asg.isBusy(29_000), 'a retry is due in 30 s');
    await clock.step(30_000);
    assert.equal(asg.instances().length, 0, 'still short at 30 s');
    await clock.step(31_000);
    assert.equal(asg.instances().filter((i) => i.state === 'in-service').length, 2, 'launched at the retry after the window');
    assert.equal(asg.lastFailure, undefined);
    assert.equal(cloud.instances().length, 2);
  });

  it('terminates with a decrement, and replaces instances a spot interruption reclaims', async () => {
    const { clock, asg, cloud } = setup([], group('g', 'x.large', { capacityType: 'spot' }));
    asg.setDesired(2);
    await clock.step(1_000);
    const [first, second] = asg.instances();
    assert.equal(await asg.terminate(first!.providerID!, true), true);
    assert.equal(asg.desired, 1);
    assert.deepEqual(asg.instances().map((i) => i.name), [second!.name]);
    assert.equal(await asg.terminate(first!.providerID!, true), false, 'already gone');
    assert.ok(cloud.interrupt(second!.providerID!));
    await clock.step(120_000);
    await clock.step(1_000);
    const now = asg.instances();
    assert.equal(now.length, 1);
    assert.notEqual(now[0]!.name, second!.name, 'a replacement');
    assert.equal(now[0]!.state, 'in-service');
    assert.equal(asg.desired, 1);
    asg.stop();
  });
});
