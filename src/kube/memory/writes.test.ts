import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { VirtualClock } from '../../utils/clock.js';
import { KubeError } from '../errors.js';
import type { WatchEvent } from '../types.js';
import type { MemoryKubeClientOptions } from './memory-client.js';
import { MemoryKubeClient } from './memory-client.js';

function setup(opts: Partial<MemoryKubeClientOptions> = {}): { clock: VirtualClock; client: MemoryKubeClient } {
  const clock = new VirtualClock(Date.UTC(2024, 0, 1, 12, 0, 0, 500));
  return { clock, client: new MemoryKubeClient({ clock, freezeStored: true, ...opts }) };
}

const pod = (name: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c' }], ...extra },
});

const claim = (name: string): NodeClaim => ({
  metadata: { name },
  spec: { requirements: [], nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' } },
  status: { providerID: 'should-be-dropped' },
});

async function rejectsReason(p: Promise<unknown>, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KubeError, String(e));
    assert.equal(e.reason, reason, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** Everything a stream delivers until it ends (end it first, or this waits). */
async function collect<T>(stream: AsyncIterable<WatchEvent<T>>): Promise<WatchEvent<T>[]> {
  const out: WatchEvent<T>[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe('memory create', () => {
  it('sets server fields from the clock and the kind table', async () => {
    const { client } = setup();
    const p = await client.create('Pod', { ...pod('a'), metadata: { name: 'a' }, status: { phase: 'Running' } });
    assert.equal(p.metadata.namespace, 'default');
    assert.equal(p.metadata.creationTimestamp, '2024-01-01T12:00:00Z');
    assert.equal(p.metadata.generation, 1);
    assert.equal(p.apiVersion, 'v1');
    assert.equal(p.kind, 'Pod');
    assert.equal(p.status?.phase, 'Pending', 'a pod starts Pending whatever it was sent with');
    const nc = await client.create('NodeClaim', { ...claim('c'), metadata: { name: 'c', namespace: 'ignored' } });
    assert.equal(nc.status, undefined, 'custom resource status is dropped on create');
    assert.equal(nc.metadata.namespace, undefined);
    assert.equal(nc.apiVersion, 'karpenter.sh/v1');
    const node = await client.create('Node', { metadata: { name: 'n' }, status: { allocatable: { cpu: '4' } } });
    assert.equal(node.status?.allocatable?.cpu, '4', 'nodes register with their status');
  });

  it('refuses what the API server refuses', async () => {
    const { client } = setup();
    await rejectsReason(client.create('Pod', { ...pod('x'), metadata: { namespace: 'default' } }), 'Invalid', /name or metadata.generateName/);
    await rejectsReason(client.create('Pod', pod('Bad_Name')), 'Invalid', /RFC 1123/);
    await rejectsReason(client.create('Pod', { ...pod('x'), metadata: { name: 'x', namespace: 'Bad' } }), 'Invalid');
    await rejectsReason(client.create('Pod', { ...pod('x'), metadata: { name: 'x', resourceVersion: '5' } }), 'BadRequest');
    await rejectsReason(client.create('Pod', { metadata: { name: 'x' }, spec: { containers: [] } }), 'Invalid', /container/);
    await rejectsReason(client.create('Pod', { ...pod('x'), spec: { containers: [{ name: 'c' }], when: new Date() } as unknown as Pod['spec'] }), 'Invalid', /spec\.when/);
    const pdb = (spec: Record<string, unknown>) => ({ metadata: { name: 'b' }, spec }) as never;
    await rejectsReason(client.create('PodDisruptionBudget', pdb({ minAvailable: 1, maxUnavailable: 1, selector: {} })), 'Invalid', /both/);
    await rejectsReason(client.create('PodDisruptionBudget', pdb({ minAvailable: '50', selector: {} })), 'Invalid', /percentage/);
    await rejectsReason(client.create('PodDisruptionBudget', pdb({ maxUnavailable: 1, selector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] } })), 'Invalid', /selector/);
  });

  it('generates names from a cut prefix, never reusing a taken one', async () => {
    const { client } = setup({ seed: 42 });
    const long = 'x'.repeat(70);
    const a = await client.create('Pod', { ...pod(''), metadata: { generateName: long } });
    assert.equal(a.metadata.name?.length, 63);
    const first = await client.create('Pod', { ...pod(''), metadata: { generateName: 'web-' } });
    const replay = setup({ seed: 42 }).client;
    await replay.create('Pod', { ...pod(''), metadata: { generateName: long } });
    assert.equal((await replay.create('Pod', { ...pod(''), metadata: { generateName: 'web-' } })).metadata.name, first.metadata.name, 'same seed, same names');
    const names = new Set<string>();
    for (let i = 0; i < 300; i++) names.add((await client.create('Pod', { ...pod(''), metadata: { generateName: 'w-' } })).metadata.name!);
    assert.equal(names.size, 300);
  });
});

describe('memory update and patch', () => {
  it('bumps generation on spec changes only, and makes no version for a no-op', async () => {
    const { client } = setup();
    const created = await client.create('NodeClaim', claim('c'));
    const labelled = await client.patch('NodeClaim', 'c', { metadata: { labels: { a: 'b' } } });
    assert.equal(labelled.metadata.generation, 1);
    const status = await client.patchStatus('NodeClaim', 'c', { status: { providerID: 'aws:///i-1' } });
    assert.equal(status.metadata.generation, 1);
    const spec = await client.patch('NodeClaim', 'c', { spec: { expireAfter: '720h' } });
    assert.equal(spec.metadata.generation, 2);
    const w = client.watch('NodeClaim', { resourceVersion: labelled.metadata.resourceVersion! });
    const same = await client.patch('NodeClaim', 'c', { spec: { expireAfter: '720h' } });
    assert.equal(same.metadata.resourceVersion, spec.metadata.resourceVersion);
    const again = await client.update('NodeClaim', same);
    assert.equal(again.metadata.resourceVersion, spec.metadata.resourceVersion);
    client.faults.dropWatches();
    assert.deepEqual((await collect(w)).map((e) => e.type), ['MODIFIED', 'MODIFIED'], 'the status and spec writes; nothing for the no-ops');
    assert.notEqual(created.metadata.resourceVersion, spec.metadata.resourceVersion);
  });

  it('requires a resourceVersion to update a custom resource, not a built-in one', async () => {
    const { client } = setup();
    const nc = await client.create('NodeClaim', claim('c'));
    delete nc.metadata.resourceVersion;
    await rejectsReason(client.update('NodeClaim', nc), 'Invalid', /must be specified/);
    const p = await client.create('Pod', pod('p'));
    delete p.metadata.resourceVersion;
    p.metadata.labels = { unconditional: 'yes' };
    assert.equal((await client.update('Pod', p)).metadata.labels?.unconditional, 'yes');
  });

  it('keeps immutable metadata and refuses a different uid', async () => {
    const { client } = setup();
    const p = await client.create('Pod', pod('p'));
    const patched = await client.patch('Pod', 'p', { metadata: { uid: 'forged', creationTimestamp: '2000-01-01T00:00:00Z', generation: 99 } });
    assert.equal(patched.metadata.uid, p.metadata.uid);
    assert.equal(patched.metadata.creationTimestamp, p.metadata.creationTimestamp);
    assert.equal(patched.metadata.generation, 1);
    await rejectsReason(client.update('Pod', { ...p, metadata: { ...p.metadata, uid: 'other', resourceVersion: undefined } }), 'Conflict', /UID in precondition/);
  });

  it('lets a pod change only its mutable spec fields', async () => {
    const { client } = setup();
    await client.create('Pod', pod('p'));
    await rejectsReason(client.patch('Pod', 'p', { spec: { nodeName: 'n1' } }), 'Invalid', /binding subresource/);
    await rejectsReason(client.patch('Pod', 'p', { spec: { priority: 5 } }), 'Invalid', /spec\.priority/);
    const ok = await client.patch('Pod', 'p', { spec: { tolerations: [{ key: 'k', operator: 'Exists' }] } });
    assert.equal(ok.spec.tolerations?.length, 1);
  });

  it('rejects status patches for kinds without status and non-object patches', async () => {
    const { client } = setup();
    await client.create('StorageClass', { metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com' });
    await rejectsReason(client.patchStatus('StorageClass', 'gp3', {}), 'BadRequest', /no status subresource/);
    await client.create('Pod', pod('p'));
    await rejectsReason(client.patch('Pod', 'p', [] as never), 'BadRequest');
    await rejectsReason(client.patch('Pod', 'p', { metadata: { labels: { a: Number.POSITIVE_INFINITY } } } as never), 'Invalid');
  });
});

describe('memory NotFound', () => {
  it('names what was asked for, and leaves the stack trace limit as it found it', async () => {
    const { client } = setup();
    const limit = Error.stackTraceLimit;
    await rejectsReason(client.get('Pod', 'missing', 'team-a'), 'NotFound', /pods "missing" not found/);
    await assert.rejects(client.delete('NodeClaim', 'gone'), (e: unknown) => {
      assert.ok(e instanceof KubeError);
      assert.deepEqual(e.details, { kind: 'NodeClaim', name: 'gone' });
      assert.equal(e.code, 404);
      return true;
    });
    assert.equal(Error.stackTraceLimit, limit);
  });
});

describe('memory deletion', () => {
  it('deletes a bound pod gracefully and completes it as its kubelet would', async () => {
    const { clock, client } = setup();
    await client.create('Pod', pod('p', { nodeName: 'n1', terminationGracePeriodSeconds: 20 }));
    await client.delete('Pod', 'p');
    const terminating = await client.get('Pod', 'p');
    assert.equal(terminating.metadata.deletionGracePeriodSeconds, 20);
    assert.equal(terminating.metadata.deletionTimestamp, '2024-01-01T12:00:20Z');
    await client.delete('Pod', 'p', undefined, { gracePeriodSeconds: 60 }); // longer: ignored
    assert.equal((await client.get('Pod', 'p')).metadata.deletionGracePeriodSeconds, 20);
    await clock.step(19_999);
    assert.ok(await client.get('Pod', 'p'));
    await clock.step(1);
    await rejectsReason(client.get('Pod', 'p'), 'NotFound');
  });

  it('deletes at once a pod never bound or already finished, or when asked for grace 0', async () => {
    const { client } = setup();
    await client.create('Pod', pod('unbound'));
    await client.delete('Pod', 'unbound');
    await rejectsReason(client.get('Pod', 'unbound'), 'NotFound');
    await client.create('Pod', pod('done', { nodeName: 'n1' }));
    await client.patchStatus('Pod', 'done', { status: { phase: 'Succeeded' } });
    await client.delete('Pod', 'done');
    await rejectsReason(client.get('Pod', 'done'), 'NotFound');
    await client.create('Pod', pod('forced', { nodeName: 'n1' }));
    await client.delete('Pod', 'forced');
    await client.delete('Pod', 'forced', undefined, { gracePeriodSeconds: 0 });
    await rejectsReason(client.get('Pod', 'forced'), 'NotFound');
  });

  it('bounds shutdown by podShutdownMs, or leaves pods terminating without kubelet emulation', async () => {
    const fast = setup({ podShutdownMs: 2_000 });
    await fast.client.create('Pod', pod('p', { nodeName: 'n1' }));
    await fast.client.delete('Pod', 'p');
    await fast.clock.step(2_000);
    await rejectsReason(fast.client.get('Pod', 'p'), 'NotFound');
    const none = setup({ emulateKubelet: false });
    await none.client.create('Pod', pod('p', { nodeName: 'n1' }));
    await none.client.delete('Pod', 'p');
    await none.clock.step(3_600_000);
    assert.ok((await none.client.get('Pod', 'p')).metadata.deletionTimestamp);
  });

  it('keeps a pod with a finalizer after its grace period until the finalizer goes', async () => {
    const { clock, client } = setup();
    await client.create('Pod', { ...pod('p', { nodeName: 'n1' }), metadata: { name: 'p', finalizers: ['x/y'] } });
    await client.delete('Pod', 'p');
    await clock.step(30_000);
    const held = await client.get('Pod', 'p');
    assert.equal(held.metadata.deletionGracePeriodSeconds, 0);
    const w = client.watch<'Pod'>('Pod', { resourceVersion: held.metadata.resourceVersion! });
    await client.patch('Pod', 'p', { metadata: { finalizers: null } });
    await rejectsReason(client.get('Pod', 'p'), 'NotFound');
    const it = w[Symbol.asyncIterator]();
    const ev = (await it.next()).value as WatchEvent<Pod>;
    assert.equal(ev.type, 'DELETED', 'removing the last finalizer is one DELETED event');
    client.close();
  });
});
