import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node } from '../../apis/core.js';
import { NODEPOOL_LABEL, TERMINATION_FINALIZER } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { node } from '../../test/builders.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import type { CloudProvider } from '../../cloudprovider/cloud-provider.js';
import type { FakeCloudProvider } from '../../cloudprovider/fake/fake-cloud-provider.js';
import { isConditionTrue } from '../nodeclaim/conditions.js';
import { nodeClaim, testCatalog, waitFor } from '../nodeclaim/fixtures.js';
import { ClusterState } from '../../state/cluster-state.js';
import { makeTestEnv } from '../../test/env.js';
import { harness } from '../termination/fixtures.js';
import { GarbageCollection, garbageCollector, MachineReader } from './garbage-collection.js';
import { VirtualClock } from '../../utils/clock.js';

async function setup(cloud: 'sim' | 'fake' = 'sim') {
  const h = await harness({ cloud });
  const gc = garbageCollector(h.env.ctx);
  gc.loop.start();
  return {
    h,
    gc: gc.collector,
    stop: async () => {
      await gc.loop.stop();
      await h.stop();
    },
  };
}

const GRACE = 5 * 60_000;

describe('gc', () => {
  it('deletes a machine with no NodeClaim after the grace period, and leaves claimed machines alone', async () => {
    const { h, gc, stop } = await setup();
    const { env, sim } = h;
    const keptNode = await h.launch({ name: 'kept' });
    const t0 = env.clock.now();
    // Launched straight through the cloud: no NodeClaim will ever name it.
    let ghost: NodeClaim | undefined;
    void env.cloud.create(nodeClaim({ name: 'ghost' })).then((c) => (ghost = c));
    await waitFor(env.clock, 'ghost launched', () => ghost !== undefined);
    const machine = () => sim.instances().find((i) => i.providerID === ghost!.status?.providerID)!;
    await env.clock.step(GRACE - 1_000);
    assert.equal(machine().state, 'running', 'still in its grace period');
    await waitFor(env.clock, 'ghost terminated', () => machine().state === 'terminated', 10 * 60_000);
    const deletedAfter = machine().terminationRequestedAt! - t0;
    // First seen by the next sweep (within 2 min), deleted by the first sweep a grace period later.
    assert.ok(deletedAfter >= GRACE && deletedAfter <= GRACE + 2 * 2 * 60_000 + 10_000, `deleted after ${deletedAfter} ms`);
    assert.equal(gc.stats.leakedInstances, 1);
    await waitFor(env.clock, 'its node gone', () => env.state.node('ghost') === undefined);
    assert.equal(sim.instances().find((i) => i.claimName === 'kept')?.state, 'running');
    assert.ok(env.state.node(keptNode)?.initialized);
    await stop();
  });

  it('deletes the machine and the Node left behind by a claim that was force-deleted', async () => {
    const { h, gc, stop } = await setup();
    const { env, sim } = h;
    const nodeName = await h.launch({ name: 'lost' });
    // Someone strips the finalizer and deletes the claim: nothing terminates the machine.
    await env.kube.patch('NodeClaim', 'lost', { metadata: { finalizers: null } });
    await env.kube.delete('NodeClaim', 'lost');
    await waitFor(env.clock, 'claim gone', () => !h.claim('lost'));
    await waitFor(env.clock, 'machine terminated', () => sim.instances()[0]?.state === 'terminated', 15 * 60_000);
    await waitFor(env.clock, 'node gone', () => env.state.node(nodeName) === undefined, 15 * 60_000);
    assert.equal(gc.stats.leakedInstances, 1);
    assert.equal(env.kube.count('Node'), 0);
    await stop();
  });

  it('deletes a NodeClaim whose machine vanished, and termination finishes it', async () => {
    const { h, gc, stop } = await setup('fake');
    const { env } = h;
    const fake = env.cloud as FakeCloudProvider;
    await env.kube.create('NodeClaim', nodeClaim({ name: 'vanishing' }));
    await waitFor(env.clock, 'launched', () => isConditionTrue(h.claim('vanishing'), ConditionTypes.Launched));
    await env.clock.step(60_000);
    assert.equal(gc.stats.vanishedClaims, 0);
    assert.ok(fake.vanish(h.claim('vanishing')!.status!.providerID!));
    await waitFor(env.clock, 'claim gone', () => !h.claim('vanishing'), 5 * 60_000);
    assert.equal(gc.stats.vanishedClaims, 1);
    assert.ok(!env.decisions.some((d) => d.kind === 'launch-failed'), 'not the registration timeout');
    assert.equal(env.kube.count('NodeClaim'), 0);
    await stop();
  });

  it('a machine the cloud takes back: its Node goes and takes the claim with it', async () => {
    const { h, stop } = await setup();
    const { env, sim } = h;
    const nodeName = await h.launch({ name: 'spot' });
    assert.ok(sim.interrupt(h.claim('spot')!.status!.providerID!));
    await h.waitGone('spot', nodeName, 10 * 60_000);
    assert.equal(env.kube.count('NodeClaim'), 0);
    assert.equal(env.kube.count('Node'), 0);
    assert.deepEqual(sim.instances().map((i) => i.state), ['terminated']);
    await stop();
  });

  it('deletes managed Nodes without a NodeClaim after the grace period, never unmanaged ones', async () => {
    const { h, gc, stop } = await setup();
    const { env } = h;
    const managed = node('stray', { labels: { [NODEPOOL_LABEL]: 'default' } });
    managed.metadata.finalizers = [TERMINATION_FINALIZER];
    await env.kube.create('Node', managed);
    await env.kube.create('Node', node('byo'));
    await env.clock.step(GRACE - 1_000);
    assert.ok(env.state.node('stray') && !env.state.node('stray')?.deleting);
    await waitFor(env.clock, 'stray gone', () => env.state.node('stray') === undefined, 10 * 60_000);
    assert.equal(gc.stats.orphanNodes, 1);
    await env.clock.step(60 * 60_000);
    assert.ok(env.state.node('byo') && !env.state.node('byo')?.deleting);
    await stop();
  });

  it('does nothing while the cluster state has not synced', async () => {
    const env = await makeTestEnv({ cloud: 'fake', instanceTypes: testCatalog() });
    const fake = env.cloud as FakeCloudProvider;
    await fake.create(nodeClaim({ name: 'unknown' }));
    const collector = new GarbageCollection({ ...env.ctx, state: new ClusterState({ clock: env.clock }), options: { ...env.ctx.options, leakedInstanceGraceMs: 1 } });
    await env.clock.step(1_000);
    await collector.reconcile();
    assert.equal(fake.callsTo('list').length, 0);
    assert.equal(fake.machines().length, 1);
    await new GarbageCollection({ ...env.ctx, options: { ...env.ctx.options, leakedInstanceGraceMs: 1 } }).reconcile();
    assert.equal(fake.machines().length, 0, 'the same sweep on the synced cache deletes it');
    await env.stop();
  });
});

describe('gc of a machine with no creation time', () => {
  it('times it from when a sweep first saw it unclaimed, afresh once it was claimed in between', async () => {
    const env = await makeTestEnv({ cloud: 'fake' });
    const state = new ClusterState({ clock: env.clock });
    state.markSynced();
    const machine = nodeClaim({ name: 'm' });
    machine.status = { providerID: 'pid-m' };
    const deleted: NodeClaim[] = [];
    // The fake cloud, listing the machine and recording deletes.
    const cloud = Object.assign(Object.create(env.cloud) as CloudProvider, {
      list: () => Promise.resolve([machine]),
      delete: (c: NodeClaim) => Promise.resolve(void deleted.push(c)),
    });
    const gc = new GarbageCollection({ ...env.ctx, state, cloud });
    await gc.reconcile();
    await env.clock.step(4 * 60_000);
    const claim = nodeClaim({ name: 'm' });
    claim.status = { providerID: 'pid-m' };
    state.apply('NodeClaim', claim);
    await gc.reconcile();
    await env.clock.step(2 * 60_000);
    state.remove('NodeClaim', claim);
    await gc.reconcile();
    assert.deepEqual(deleted, [], 'unclaimed again just now: its grace starts over');
    await env.clock.step(GRACE);
    await gc.reconcile();
    assert.deepEqual(deleted, [machine]);
    assert.equal(gc.stats.leakedInstances, 1);
    await env.stop();
  });
});

describe('ClusterState.machineRecord and MachineReader', () => {
  // Nodes and claims drawn from one small pool of names and providerIDs, so a Node may share its
  // name with another machine's claim, a claim may sit in a machine whose Node has another name,
  // and machines join, split and re-key as objects come and go.
  type Op = { kind: 'Node' | 'NodeClaim'; name: number; pid: number | null; remove: boolean };
  const opArb: fc.Arbitrary<Op> = fc.record({
    kind: fc.constantFrom('Node' as const, 'NodeClaim' as const),
    name: fc.integer({ min: 0, max: 3 }),
    pid: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    remove: fc.boolean(),
  });
  const names = ['m0', 'm1', 'm2', 'm3', 'other'];

  it('find the objects of the machine ClusterState.node finds and of every machine in order, after any joins and splits, read afresh or carried', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
      const state = new ClusterState({ clock: new VirtualClock() });
      // One reader for the whole run carries entries from read to read; a new one reads afresh.
      const carried = new MachineReader();
      const held = new Map<string, Node | NodeClaim>();
      for (const o of ops) {
        const name = `m${o.name}`;
        const key = `${o.kind}/${name}`;
        const providerID = o.pid === null ? undefined : `pid-${o.pid}`;
        if (o.remove) {
          const obj = held.get(key);
          if (obj === undefined) continue;
          held.delete(key);
          state.remove(o.kind, obj);
        } else if (o.kind === 'Node') {
          const n = node(name);
          n.spec = { ...n.spec, ...(providerID ? { providerID } : {}) };
          held.set(key, n);
          state.apply('Node', n);
        } else {
          const c = nodeClaim({ name });
          c.status = providerID ? { providerID } : {};
          held.set(key, c);
          state.apply('NodeClaim', c);
        }
        const records = [...state.machineRecords()];
        for (const machines of [new MachineReader().read(records), carried.read(records)]) {
          assert.equal(machines.length, records.length);
          assert.ok(machines.every((m, i) => m.node === records[i]!.node && m.nodeClaim === records[i]!.nodeClaim), 'the same objects');
        }
        for (const n of names) {
          const rec = state.machineRecord(n);
          const sn = state.node(n);
          assert.equal(rec === undefined, sn === undefined, `${n} found by both or neither after ${JSON.stringify(ops)}`);
          assert.equal(rec?.node, sn?.node, `${n}'s Node after ${JSON.stringify(ops)}`);
          assert.equal(rec?.nodeClaim, sn?.nodeClaim, `${n}'s NodeClaim after ${JSON.stringify(ops)}`);
          assert.equal(rec?.view(), sn, `${n}'s view after ${JSON.stringify(ops)}`);
        }
      }
    }), { numRuns: 300 });
  });
});
