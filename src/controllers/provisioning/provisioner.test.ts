import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NODEPOOL_HASH_ANNOTATION, NODEPOOL_HASH_VERSION_ANNOTATION, NODEPOOL_LABEL } from '../../apis/labels.js';
import { nodePoolHash } from '../../apis/v1/hash.js';
import type { Pod } from '../../apis/core.js';
import type { NodePool } from '../../apis/v1/types.js';
import { daemonSet, instanceType, node, nodePool, pod } from '../../test/builders.js';
import type { KubeClient } from '../../kube/types.js';
import { makeTestEnv, type TestEnv } from '../../test/env.js';
import type { ControllerOptions } from '../context.js';
import { placementsOf } from '../decisions/placement.js';
import { launchAndRegister, nodeClaims, pendingPod } from './fixtures.js';
import { EVENT_WRITES_IN_FLIGHT } from './event-lane.js';
import { Provisioner } from './provisioner.js';

const SMALL = instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 });
const MEDIUM = instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2 });
const LARGE = instanceType('large', { cpu: '8', memory: '16Gi', price: 0.4 });
const CATALOGUE = [LARGE, SMALL, MEDIUM];

async function setup(pools: NodePool[] = [nodePool()], options: Partial<ControllerOptions> = {}): Promise<{ env: TestEnv; prov: Provisioner }> {
  const env = await makeTestEnv({ instanceTypes: CATALOGUE, options });
  for (const p of pools) await env.kube.create('NodePool', p);
  await env.settle();
  const prov = new Provisioner(env.ctx);
  prov.start();
  return { env, prov };
}

async function events(env: TestEnv, reason: string): Promise<string[]> {
  return (await env.kube.list('Event')).items.filter((e) => e.reason === reason).map((e) => `${e.regarding?.name}: ${e.note}`).sort();
}

/** A test env with a NodePool and a 2-cpu Node "existing", and a gate to hold client calls behind. */
async function withExistingNode(): Promise<{ env: TestEnv; gate: Promise<void>; release: () => void }> {
  const env = await makeTestEnv({ instanceTypes: CATALOGUE });
  await env.kube.create('NodePool', nodePool());
  await env.kube.create('Node', node('existing', { cpu: '2', memory: '4Gi' }));
  await env.settle();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { env, gate, release };
}

/**
 * The client, but its `method` waits for `gate` on the calls `hold` picks (a busy API server).
 * The client keeps #private state: its methods must run on it, not on the proxy.
 */
function holding<M extends 'create' | 'recordEvent'>(kube: KubeClient, method: M, hold: (...args: Parameters<KubeClient[M]>) => boolean, gate: Promise<void>): KubeClient {
  return new Proxy(kube, {
    get: (target, key) => {
      const v = Reflect.get(target, key) as unknown;
      if (key === method) {
        const f = (v as (...a: Parameters<KubeClient[M]>) => Promise<unknown>).bind(target);
        return async (...args: Parameters<KubeClient[M]>) => {
          if (hold(...args)) await gate;
          return f(...args);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('Provisioner', () => {
  it('creates a NodeClaim of the right shape for pods kube-scheduler marked Unschedulable', async () => {
    const np = nodePool({ labels: { team: 'web' }, taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }], startupTaints: [{ key: 'init', effect: 'NoSchedule' }] });
    np.spec.template.metadata!.annotations = { owner: 'sre' };
    np.spec.template.spec.terminationGracePeriod = '1h';
    const { env, prov } = await setup([np]);
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }];
    await pendingPod(env, { name: 'a', cpu: '1', memory: '1Gi', tolerations });
    await pendingPod(env, { name: 'b', cpu: '500m', memory: '1Gi', tolerations });
    await pendingPod(env, { name: 'not-marked', cpu: '1', unschedulable: false });
    await env.settle([prov]);

    const [claim, ...more] = await nodeClaims(env);
    assert.ok(claim);
    assert.equal(more.length, 0);
    const name = claim.metadata.name!;
    assert.match(name, /^default-[a-z0-9]+$/);
    assert.deepEqual(claim.metadata.labels, { team: 'web', [NODEPOOL_LABEL]: 'default' });
    assert.deepEqual(claim.metadata.annotations, {
      owner: 'sre', [NODEPOOL_HASH_ANNOTATION]: nodePoolHash(np), [NODEPOOL_HASH_VERSION_ANNOTATION]: 'nodewright-v1',
    });
    assert.deepEqual(claim.metadata.ownerReferences, [{ apiVersion: 'karpenter.sh/v1', kind: 'NodePool', name: 'default', uid: (await env.kube.get('NodePool', 'default')).metadata.uid, blockOwnerDeletion: true }]);
    assert.deepEqual(claim.spec.taints, np.spec.template.spec.taints);
    assert.deepEqual(claim.spec.startupTaints, np.spec.template.spec.startupTaints);
    assert.equal(claim.spec.expireAfter, '720h');
    assert.equal(claim.spec.terminationGracePeriod, '1h');
    assert.deepEqual(claim.spec.nodeClassRef, np.spec.template.spec.nodeClassRef);
    const types = claim.spec.requirements.find((r) => r.key === 'node.kubernetes.io/instance-type');
    assert.deepEqual(types, { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small', 'medium', 'large'] }, 'cheapest first');
    assert.ok(claim.spec.requirements.some((r) => r.key === NODEPOOL_LABEL && r.operator === 'In' && r.values?.[0] === 'default'));
    assert.deepEqual(claim.spec.resources?.requests, { cpu: '1500m', memory: '2Gi', pods: '2' });

    assert.ok(env.state.isNominated(name), 'the claim is nominated so disruption leaves it alone');
    assert.deepEqual(await events(env, 'Nominated'), [`a: Pod should schedule on: nodeclaim/${name}`, `b: Pod should schedule on: nodeclaim/${name}`]);
    const [d, ...others] = env.decisions;
    assert.equal(others.length, 0);
    assert.equal(d?.kind, 'provision');
    assert.equal(d?.summary, 'launched 1 NodeClaim for 2 pods');
    assert.match(d?.why ?? '', new RegExp(`nodeclaim ${name} \\(nodepool default\\): small at \\$0\\.1000/h, the cheapest of 3 compatible instance types, for 2 pods`));
    assert.deepEqual(d?.alternativesRejected?.[0], { option: `medium for ${name}`, reason: '$0.2000/h, more than small at $0.1000/h' });
    assert.equal(d?.costPerHourBefore, 0);
    assert.equal(d?.costPerHourAfter, 0.1);
    assert.deepEqual(placementsOf(d), [{ node: name, pods: ['default/a', 'default/b'], launched: true }]);
    assert.equal(prov.rounds.length, 1);
    assert.ok(typeof prov.overheadMs === 'number' && prov.overheadMs >= 0 && Number.isFinite(prov.overheadMs));
    assert.ok((prov.rounds[0]!.overheadWallMs ?? -1) >= 0);
    await prov.stop();
    await env.stop();
  });

  it('waits for the idle window to pass without a new pod before solving', async () => {
    const { env, prov } = await setup();
    const t0 = env.clock.now();
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.clock.step(600);
    await pendingPod(env, { name: 'b', cpu: '1' });
    await env.clock.step(900); // 1.5 s after the first pod, 0.9 s after the last
    assert.equal((await nodeClaims(env)).length, 0, 'the window is still open');
    await env.settle([prov]);
    assert.equal(prov.rounds.length, 1);
    assert.equal(prov.rounds[0]!.startedAt - t0, 1_600);
    assert.equal(prov.rounds[0]!.pods, 2);
    assert.equal((await nodeClaims(env)).length, 1);
    await prov.stop();
    await env.stop();
  });

  it('closes the window at the max duration however busy, and picks up the rest in the next one', async () => {
    const { env, prov } = await setup([nodePool()], { batchIdleMs: 1_000, batchMaxMs: 5_000 });
    const t0 = env.clock.now();
    for (let i = 0; i < 8; i++) {
      await pendingPod(env, { name: `p${i}`, cpu: '1' });
      await env.clock.step(800);
    }
    await env.settle([prov]);
    assert.deepEqual(prov.rounds.map((r) => [r.startedAt - t0, r.pods]), [[5_000, 7], [6_600, 1]]);
    await prov.stop();
    await env.stop();
  });

  it('does not plan a pod twice while its NodeClaim is in flight, and plans it again once the claim is gone', async () => {
    const { env, prov } = await setup();
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.settle([prov]);
    await pendingPod(env, { name: 'b', cpu: '1' });
    await env.settle([prov]);
    const claims = await nodeClaims(env);
    assert.equal(claims.length, 2);
    assert.deepEqual(prov.rounds.map((r) => [r.pods, r.nominated]), [[1, 0], [1, 1]]);
    assert.deepEqual(claims.map((c) => c.spec.resources?.requests?.['cpu']), ['1', '1']);

    const first = env.decisions.find((d) => d.kind === 'provision')!.nodes![0]!;
    await env.kube.delete('NodeClaim', first); // e.g. the launch failed for lack of capacity
    await env.settle([prov]);
    const after = await nodeClaims(env);
    assert.equal(after.length, 2);
    assert.ok(!after.some((c) => c.metadata.name === first));
    assert.deepEqual(prov.rounds.at(-1)!.pods, 1, 'only the pod whose claim went away is planned again');
    await prov.stop();
    await env.stop();
  });

  it('decides the next round before the informer shows the last round\'s claims, without planning their pods again', async () => {
    const { env, prov } = await setup([nodePool({ limits: { cpu: '5' } })]);
    await env.informers.stop(); // from here the state shows no NodeClaim: they are all "not seen yet"
    const marked = (name: string, cpu: string): Pod => ({
      ...pod({ name, cpu }), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] },
    });
    env.state.apply('Pod', marked('a', '1'));
    await env.settle([prov]);
    const [first] = await nodeClaims(env);
    assert.ok(first && env.state.node(first.metadata.name!) === undefined);
    env.state.apply('Pod', marked('b', '1'));
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 2);
    assert.deepEqual(prov.rounds.map((r) => [r.pods, r.nominated]), [[1, 0], [1, 1]], 'a stays planned on the unseen claim');
    assert.equal(prov.plan.of('default/a')?.target, first.metadata.name);
    env.state.apply('Pod', marked('c', '3'));
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 2, 'the two unseen claims count against the 5 cpu limit');
    assert.equal(prov.rounds.at(-1)!.unschedulable, 1);

    // Never shown (created and deleted again, say): given up after the seen timeout, their pods planned again.
    await env.clock.step(10_000);
    prov.trigger();
    await env.settle([prov]);
    assert.deepEqual([prov.rounds.at(-1)!.pods, prov.rounds.at(-1)!.nominated], [3, 0]);
    await prov.stop();
    await env.stop();
  });

  it('decides a round while the last one still writes its Events, and records decisions in round order', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', nodePool());
    await env.settle();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = 0;
    // Events are slow to write (a busy API server): the first round's hold until released.
    const kube = holding(env.kube, 'recordEvent', () => {
      held++;
      return true;
    }, gate);
    const prov = new Provisioner({ ...env.ctx, kube });
    prov.start();
    const steps = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await env.clock.step(100);
    };
    await pendingPod(env, { name: 'a', cpu: '1' });
    await steps();
    assert.equal(held, 1, 'the first round is decided and writing its Event');
    await pendingPod(env, { name: 'b', cpu: '1' });
    await steps();
    assert.equal((await nodeClaims(env)).length, 2, 'the second round did not wait for the first one\'s Events');
    assert.equal(prov.rounds.length, 2);
    assert.equal(held, 1, 'nor wrote its Events before the first one\'s were written');
    assert.equal(env.decisions.length, 1, 'nor recorded its decision');
    release();
    await env.settle([prov]);
    assert.deepEqual(env.decisions.map((d) => placementsOf(d)?.[0]?.pods), [['default/a'], ['default/b']]);
    assert.deepEqual((await events(env, 'Nominated')).map((e) => e.split(':')[0]), ['a', 'b']);
    await prov.stop();
    await env.stop();
  });

  it('nominates pods placed on existing room without waiting for the round\'s NodeClaim writes', async () => {
    const { env, gate, release } = await withExistingNode();
    // NodeClaim writes are slow (a busy API server): held until released.
    const kube = holding(env.kube, 'create', (kind) => kind === 'NodeClaim', gate);
    const prov = new Provisioner({ ...env.ctx, kube });
    prov.start();
    await pendingPod(env, { name: 'fits', cpu: '1' });
    await pendingPod(env, { name: 'big', cpu: '3' });
    for (let i = 0; i < 20; i++) await env.clock.step(100);
    assert.equal((await nodeClaims(env)).length, 0, 'the claim for big is still being written');
    assert.deepEqual(await events(env, 'Nominated'), ['fits: Pod should schedule on: node/existing']);
    release();
    await env.settle([prov]);
    const [claim] = await nodeClaims(env);
    assert.deepEqual(await events(env, 'Nominated'), [`big: Pod should schedule on: nodeclaim/${claim!.metadata.name}`, 'fits: Pod should schedule on: node/existing']);
    assert.equal(prov.rounds.length, 1);
    await prov.stop();
    await env.stop();
  });

  it('holds the previous round\'s Events back while a round writes its NodeClaims, a few in flight at most', async () => {
    const env = await makeTestEnv({ instanceTypes: CATALOGUE });
    await env.kube.create('NodePool', nodePool());
    await env.settle();
    let releaseEvents!: () => void;
    const eventsGate = new Promise<void>((r) => (releaseEvents = r));
    let releaseClaims!: () => void;
    const claimsGate = new Promise<void>((r) => (releaseClaims = r));
    let eventWrites = 0;
    // The first round's Events are slow (held until released); so is the second round's claim.
    const slowEvents = holding(env.kube, 'recordEvent', () => (eventWrites++, true), eventsGate);
    const kube = holding(slowEvents, 'create', (kind) => kind === 'NodeClaim' && eventWrites > 0, claimsGate);
    const prov = new Provisioner({ ...env.ctx, kube });
    prov.start();
    const steps = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await env.clock.step(100);
    };
    for (let i = 0; i < 10; i++) await pendingPod(env, { name: `first-${i}`, cpu: '7' });
    await steps();
    assert.equal(eventWrites, EVENT_WRITES_IN_FLIGHT, 'the first round\'s ten Events: a few in flight, the rest waiting');
    await pendingPod(env, { name: 'second', cpu: '7' });
    await steps();
    assert.equal((await nodeClaims(env)).length, 10, 'the second round\'s claim is being written');
    releaseEvents();
    await steps();
    assert.equal(eventWrites, EVENT_WRITES_IN_FLIGHT, 'the first round\'s waiting Events do not start while the claim is written');
    releaseClaims();
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 11);
    assert.equal((await events(env, 'Nominated')).length, 11);
    await prov.stop();
    await env.stop();
  });

  it('nominates a pod placed on existing room while the previous round still writes its Events', async () => {
    const { env, gate, release } = await withExistingNode();
    // The first round's Event (for big) is slow to write (a busy API server): held until released.
    const kube = holding(env.kube, 'recordEvent', (event) => event.regarding.name === 'big', gate);
    const prov = new Provisioner({ ...env.ctx, kube });
    prov.start();
    const steps = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await env.clock.step(100);
    };
    await pendingPod(env, { name: 'big', cpu: '3' });
    await steps();
    await pendingPod(env, { name: 'fits', cpu: '1' });
    await pendingPod(env, { name: 'also-big', cpu: '3' });
    await steps();
    assert.equal(prov.rounds.length, 2);
    assert.deepEqual(await events(env, 'Nominated'), ['fits: Pod should schedule on: node/existing'], 'not behind big\'s Event, and also-big\'s still follows it');
    release();
    await env.settle([prov]);
    assert.deepEqual((await events(env, 'Nominated')).map((e) => e.split(':')[0]), ['also-big', 'big', 'fits']);
    await prov.stop();
    await env.stop();
  });

  it('keeps room on a claim in flight for its DaemonSet pods', async () => {
    const { env, prov } = await setup();
    await env.kube.create('DaemonSet', daemonSet({ name: 'agent', cpu: '500m' }));
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.settle([prov]);
    const [first] = await nodeClaims(env);
    assert.equal(first?.spec.resources?.requests?.['cpu'], '1500m', 'the pod plus the DaemonSet');
    await pendingPod(env, { name: 'b', cpu: '500m' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 2, 'b does not take the room kept for the DaemonSet pod');
    // Launched as a small (2 cpu) but not initialised yet: a 500m pod now fits beside a and the agent.
    await launchAndRegister(env, first.metadata.name!, CATALOGUE, { instanceType: 'small', initialized: false });
    await pendingPod(env, { name: 'c', cpu: '500m' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 2);
    assert.equal(prov.plan.of('default/c')?.target, first.metadata.name);
    await prov.stop();
    await env.stop();
  });

  it('respects NodePool limits, counting claims in flight, and says why the rest wait', async () => {
    const { env, prov } = await setup([nodePool({ limits: { cpu: '4' } })]);
    await pendingPod(env, { name: 'a', cpu: '3' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 1);
    await pendingPod(env, { name: 'b', cpu: '3' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 1, 'the in-flight claim uses the whole cpu limit');
    const why = env.decisions.find((d) => d.kind === 'unschedulable');
    assert.deepEqual(why?.pods, ['default/b']);
    assert.match(why?.why ?? '', /nodepool default .*limit/);
    assert.deepEqual(why?.alternativesRejected?.map((a) => a.option), ['nodepool default']);
    const failed = await events(env, 'FailedScheduling');
    assert.equal(failed.length, 1);
    assert.match(failed[0]!, /^b: Failed to schedule pod, nodepool default/);
    // Looked at again later: the same reason is not recorded twice.
    await env.clock.step(61_000);
    await env.settle([prov]);
    assert.equal(prov.rounds.length, 3);
    assert.equal(env.decisions.filter((d) => d.kind === 'unschedulable').length, 1);
    await prov.stop();
    await env.stop();
  });

  it('skips an invalid NodePool and keeps launching from the valid ones', async () => {
    const broken = nodePool({ name: 'broken', weight: 100 });
    broken.spec.template.spec.requirements = [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small'], minValues: 2 }];
    const { env, prov } = await setup([broken, nodePool({ name: 'good', weight: 1 })]);
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.settle([prov]);
    const claims = await nodeClaims(env);
    assert.deepEqual(claims.map((c) => c.metadata.labels?.[NODEPOOL_LABEL]), ['good']);
    const d = env.decisions.find((x) => x.kind === 'provision')!;
    const rejected = d.alternativesRejected?.find((a) => a.option === 'nodepool broken');
    assert.match(rejected?.reason ?? '', /^invalid: .*minValues/);
    assert.deepEqual(prov.rounds[0]!.skippedPools.map((s) => s.name), ['broken']);
    await prov.stop();
    await env.stop();
  });

  it('plans pods onto existing room before launching, and nominates that node', async () => {
    const { env, prov } = await setup();
    await env.kube.create('Node', node('existing', { cpu: '4', memory: '16Gi' }));
    await pendingPod(env, { name: 'a', cpu: '1' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 0);
    assert.deepEqual(await events(env, 'Nominated'), ['a: Pod should schedule on: node/existing']);
    const d = env.decisions.find((x) => x.kind === 'provision');
    assert.equal(d?.summary, 'placed 1 pod on existing or in-flight capacity');
    assert.ok(env.state.isNominated('existing'));
    await prov.stop();
    await env.stop();
  });

  it('provisions for the pods of a node being disrupted', async () => {
    const { env, prov } = await setup();
    await env.kube.create('Node', node('old', { cpu: '2', memory: '4Gi' }));
    await env.kube.create('Pod', pod({ name: 'on-old', cpu: '1', nodeName: 'old' }));
    await env.settle([prov]);
    assert.equal(prov.rounds.length, 0);
    await env.kube.patch('Node', 'old', { spec: { taints: [{ key: 'karpenter.sh/disrupted', effect: 'NoSchedule' }] } });
    await env.settle([prov]);
    const claims = await nodeClaims(env);
    assert.equal(claims.length, 1);
    assert.deepEqual(placementsOf(env.decisions.at(-1)!)?.[0]?.pods, ['default/on-old']);
    await prov.stop();
    await env.stop();
  });

  it('with direct binding, plans unbound pods nobody marked Unschedulable', async () => {
    const { env, prov } = await setup([nodePool()], { binding: 'direct' });
    await pendingPod(env, { name: 'a', cpu: '1', unschedulable: false });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 1);
    assert.equal(prov.plan.of('default/a')?.target, (await nodeClaims(env))[0]!.metadata.name);
    await prov.stop();
    await env.stop();
  });

  it('looks again at unschedulable pods when a NodePool spec changes', async () => {
    const { env, prov } = await setup([nodePool({ requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small'] }] })]);
    await pendingPod(env, { name: 'big', cpu: '3' });
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 0);
    assert.equal(env.decisions.filter((d) => d.kind === 'unschedulable').length, 1);
    const np = await env.kube.get('NodePool', 'default');
    np.spec.template.spec.requirements = [];
    await env.kube.update('NodePool', np);
    await env.settle([prov]);
    assert.equal((await nodeClaims(env)).length, 1);
    await prov.stop();
    await env.stop();
  });
});
