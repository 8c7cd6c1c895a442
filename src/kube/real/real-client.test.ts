import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { VirtualClock } from '../../utils/clock.js';
import { KubeError } from '../errors.js';
import type { RecordedRequest } from './fixtures.js';
import { FakeApiServer, status } from './fixtures.js';
import { RealKubeClient } from './real-client.js';

const pod = (name: string, namespace?: string) => ({
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec: { containers: [{ name: 'c', image: 'i' }] },
});

describe('RealKubeClient requests (fake API server)', () => {
  let server: FakeApiServer;
  let client: RealKubeClient;
  const last = (): RecordedRequest => server.requests.at(-1)!;

  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = new RealKubeClient(server.kubeConfig(), { clock: new VirtualClock(Date.UTC(2025, 0, 2, 3, 4, 5, 678)) });
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  it('lists page by page with selectors, keeping the first page\'s version and filling in kind', async () => {
    server.handler = (req) => req.query.get('continue') === 'page2'
      ? { body: { metadata: { resourceVersion: '99' }, items: [{ metadata: { name: 'c' } }] } }
      : { body: { metadata: { resourceVersion: '42', continue: 'page2' }, items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] } };
    const paged = new RealKubeClient(server.kubeConfig(), { pageSize: 2 });
    const res = await paged.list('Pod', {
      namespace: 'ns', labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
      fieldSelector: { 'spec.nodeName': '' },
    });
    assert.deepEqual(res.items.map((p) => [p.metadata.name, p.apiVersion, p.kind]), [['a', 'v1', 'Pod'], ['b', 'v1', 'Pod'], ['c', 'v1', 'Pod']]);
    assert.equal(res.resourceVersion, '42');
    assert.equal(server.requests.length, 2);
    const first = server.requests[0]!;
    assert.equal(first.path, '/api/v1/namespaces/ns/pods');
    assert.equal(first.query.get('labelSelector'), 'app=web,tier notin (db)');
    assert.equal(first.query.get('fieldSelector'), 'spec.nodeName=');
    assert.equal(first.query.get('limit'), '2');
    assert.equal(first.query.get('continue'), null);
  });

  it('addresses all namespaces, cluster-scoped kinds and API groups', async () => {
    server.handler = () => ({ body: { metadata: { resourceVersion: '1' }, items: [] } });
    await client.list('Pod');
    await client.list('NodeClaim', { namespace: 'ignored' });
    await client.list('PodDisruptionBudget', { namespace: 'x' });
    assert.deepEqual(server.requests.map((r) => r.path), ['/api/v1/pods', '/apis/karpenter.sh/v1/nodeclaims', '/apis/policy/v1/namespaces/x/poddisruptionbudgets']);
  });

  it('creates with apiVersion, kind and the default namespace, and drops a namespace on cluster-scoped kinds', async () => {
    server.handler = (req) => ({ status: 201, body: req.body });
    const created = await client.create('Pod', pod('web'));
    assert.equal(last().method, 'POST');
    assert.equal(last().path, '/api/v1/namespaces/default/pods');
    assert.deepEqual(last().body, { apiVersion: 'v1', kind: 'Pod', ...pod('web', 'default') });
    assert.equal(created.metadata.namespace, 'default');
    await client.create('Node', { metadata: { name: 'n', namespace: 'oops' } });
    assert.equal(last().path, '/api/v1/nodes');
    assert.deepEqual(last().body, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } });
  });

  it('updates with PUT and refuses an object without a name before sending', async () => {
    server.handler = (req) => ({ body: req.body });
    await client.update('Deployment', { metadata: { name: 'd', namespace: 'ns', resourceVersion: '7' }, spec: { selector: {}, template: { spec: { containers: [] } } } });
    assert.equal(last().method, 'PUT');
    assert.equal(last().path, '/apis/apps/v1/namespaces/ns/deployments/d');
    const before = server.requests.length;
    await assert.rejects(client.update('Pod', pod('')), (e: unknown) => e instanceof KubeError && e.reason === 'Invalid');
    assert.equal(server.requests.length, before);
  });

  it('sends merge patches to the object and to its status subresource', async () => {
    await client.patch('Node', 'n1', { metadata: { labels: { a: null } } });
    assert.equal(last().method, 'PATCH');
    assert.equal(last().path, '/api/v1/nodes/n1');
    assert.equal(last().contentType, 'application/merge-patch+json');
    assert.deepEqual(last().body, { metadata: { labels: { a: null } } });
    await client.patchStatus('NodeClaim', 'c1', { status: { nodeName: 'n1' } });
    assert.equal(last().path, '/apis/karpenter.sh/v1/nodeclaims/c1/status');
    assert.equal(last().contentType, 'application/merge-patch+json');
  });

  it('refuses a selector the API cannot express as BadRequest, from list and from the watch stream', async () => {
    const labelSelector = { matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] };
    await assert.rejects(client.list('Pod', { labelSelector }), (e: unknown) => e instanceof KubeError && e.reason === 'BadRequest' && /^listing Pod: .*unknown operator "Gt"/.test(e.message));
    const it = client.watch('Pod', { labelSelector })[Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e: unknown) => e instanceof KubeError && e.reason === 'BadRequest' && /^watching Pod: /.test(e.message));
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    assert.equal(server.requests.length, 0);
  });

  it('refuses a status patch for a kind without status subresource, without a request', async () => {
    await assert.rejects(client.patchStatus('Lease', 'l', { spec: {} }, 'ns'), (e: unknown) => e instanceof KubeError && e.reason === 'BadRequest' && e.code === 400);
    assert.equal(server.requests.length, 0);
  });

  it('deletes with DeleteOptions carrying preconditions and the grace period', async () => {
    await client.delete('Pod', 'p', 'ns', { preconditions: { uid: 'u1', resourceVersion: '5' }, gracePeriodSeconds: 0 });
    assert.equal(last().method, 'DELETE');
    assert.equal(last().path, '/api/v1/namespaces/ns/pods/p');
    assert.deepEqual(last().body, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'u1', resourceVersion: '5' } });
  });

  it('binds through pods/binding with the pod uid, and evicts through pods/eviction', async () => {
    await client.bind({ metadata: { name: 'p', namespace: 'ns', uid: 'u1' } }, 'node-a');
    assert.equal(last().path, '/api/v1/namespaces/ns/pods/p/binding');
    assert.deepEqual(last().body, {
      apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
    });
    await client.evict({ metadata: { name: 'p', namespace: 'ns', uid: 'u1' } }, { gracePeriodSeconds: 30 });
    assert.equal(last().path, '/api/v1/namespaces/ns/pods/p/eviction');
    assert.deepEqual(last().body, {
      apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'ns' },
      deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: 'u1' } },
    });
  });

  it('records an events.k8s.io/v1 Event named after the object, MicroTime from the clock', async () => {
    const withInstance = new RealKubeClient(server.kubeConfig(), { clock: new VirtualClock(Date.UTC(2025, 0, 2, 3, 4, 5, 678)), reportingInstance: 'nodewright-7f9c' });
    await withInstance.recordEvent({ regarding: { kind: 'Node', name: 'node-a' }, type: 'Warning', reason: 'DisruptionBlocked', note: 'blocked' });
    assert.equal(last().path, '/apis/events.k8s.io/v1/namespaces/default/events');
    const ev = last().body as Record<string, unknown> & { metadata: { name: string; generateName?: string } };
    assert.equal(ev.eventTime, '2025-01-02T03:04:05.678000Z');
    assert.match(ev.metadata.name, /^node-a\.[0-9a-f]+$/);
    assert.equal(ev.metadata.generateName, undefined);
    assert.equal(ev.reportingController, 'nodewright');
    assert.equal(ev.reportingInstance, 'nodewright-7f9c');
    assert.equal(ev.action, 'DisruptionBlocked');
    await withInstance.recordEvent({ regarding: { kind: 'Node', name: 'node-a' }, type: 'Normal', reason: 'R', note: '' });
    assert.notEqual((last().body as { metadata: { name: string } }).metadata.name, ev.metadata.name, 'names are unique');
  });

  it('maps the server\'s Status to a KubeError that says what was being done', async () => {
    server.handler = () => status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', {
      causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }],
      retryAfterSeconds: 10,
    });
    const err = await client.evict({ metadata: { name: 'p', namespace: 'ns' } }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeError);
    assert.equal(err.reason, 'TooManyRequests');
    assert.equal(err.code, 429);
    assert.match(err.message, /^evicting pod ns\/p: Cannot evict pod/);
    assert.equal(err.details.retryAfterSeconds, 10);
    assert.equal(err.details.causes?.[0]?.reason, 'DisruptionBudget');
    server.handler = () => status(404, 'NotFound', 'pods "x" not found');
    await assert.rejects(client.get('Pod', 'x', 'ns'), (e: unknown) => e instanceof KubeError && e.reason === 'NotFound' && /^getting Pod ns\/x: pods "x" not found$/.test(e.message));
  });

  it('reuses one connection for sequential requests, until closed', async () => {
    for (let i = 0; i < 5; i++) await client.get('Node', `n${i}`);
    assert.equal(server.connections, 1);
    client.close();
    await client.get('Node', 'again');
    assert.equal(server.connections, 2);
  });

  it('fails with Timeout when the server does not answer in time', async () => {
    server.handler = () => ({ raw: () => { /* never answers */ } });
    const impatient = new RealKubeClient(server.kubeConfig(), { requestTimeoutMs: 100 });
    await assert.rejects(impatient.get('Node', 'n'), (e: unknown) => e instanceof KubeError && e.reason === 'Timeout' && /getting Node n: no answer/.test(e.message));
  });
});

describe('RealKubeClient without a server', () => {
  it('fails with reason Unknown and the transport error as cause', async () => {
    const server = await FakeApiServer.start();
    const kc = server.kubeConfig();
    await server.close();
    const client = new RealKubeClient(kc);
    const err = await client.get('Node', 'n').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof KubeError, String(err));
    assert.equal(err.reason, 'Unknown');
    assert.match(err.message, /^getting Node n: .*ECONNREFUSED/);
    assert.ok(err.cause instanceof Error);
  });
});
