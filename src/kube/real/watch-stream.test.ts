import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { KubeObject, Pod } from '../../apis/core.js';
import { isGone, KubeError } from '../errors.js';
import type { WatchEvent } from '../types.js';
import { FakeApiServer, status } from './fixtures.js';
import { RealKubeClient } from './real-client.js';
import type { StartWatch } from './watch-stream.js';
import { watchStream } from './watch-stream.js';

const line = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;
const podObj = (name: string, rv: string): unknown => ({ kind: 'Pod', apiVersion: 'v1', metadata: { name, namespace: 'ns', resourceVersion: rv } });
const describeEvent = (e: WatchEvent<KubeObject>): string => (e.type === 'BOOKMARK' ? `BOOKMARK ${e.resourceVersion}` : `${e.type} ${e.object.metadata.name ?? ''}`);

function stream(res: ServerResponse, chunks: string[], then: 'end' | 'destroy' | 'hold'): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  for (const c of chunks) res.write(c);
  if (then === 'end') res.end();
  // Only once what was written has left, so the client sees an established stream break.
  if (then === 'destroy') res.write('', () => setTimeout(() => res.socket?.destroy(), 20));
}

async function collect<T extends KubeObject>(it: AsyncIterable<WatchEvent<T>>): Promise<{ events: string[]; error?: unknown }> {
  const events: string[] = [];
  try {
    for await (const e of it) events.push(describeEvent(e));
    return { events };
  } catch (error) {
    return { events, error };
  }
}

describe('watch streams (fake API server)', () => {
  let server: FakeApiServer;
  let client: RealKubeClient;
  beforeEach(async () => {
    server = await FakeApiServer.start();
    client = new RealKubeClient(server.kubeConfig());
  });
  afterEach(() => server.close());

  it('asks for the watch with its options and delivers events, bookmarks, then a normal end', async () => {
    server.handler = () => ({ raw: (res) => stream(res, [
      line('ADDED', podObj('a', '11')), line('MODIFIED', { metadata: { name: 'a', resourceVersion: '12' } }),
      line('SOMETHING-NEW', {}), line('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '13' } }), line('DELETED', podObj('a', '14')),
    ], 'end') });
    const seen: WatchEvent<Pod>[] = [];
    for await (const e of client.watch('Pod', {
      namespace: 'ns', resourceVersion: '10', allowBookmarks: true, timeoutSeconds: 30,
      labelSelector: { matchLabels: { app: 'x' } }, fieldSelector: { 'spec.nodeName': 'n1' },
    })) seen.push(e);
    assert.deepEqual(seen.map(describeEvent), ['ADDED a', 'MODIFIED a', 'BOOKMARK 13', 'DELETED a']);
    const modified = seen[1]!;
    assert.ok(modified.type === 'MODIFIED');
    assert.equal(modified.object.kind, 'Pod', 'kind filled in');
    const req = server.requests[0]!;
    assert.equal(req.path, '/api/v1/namespaces/ns/pods');
    assert.deepEqual(Object.fromEntries(req.query), {
      watch: 'true', resourceVersion: '10', allowWatchBookmarks: 'true', timeoutSeconds: '30', labelSelector: 'app=x', fieldSelector: 'spec.nodeName=n1',
    });
  });

  it('leaves out the options not given', async () => {
    server.handler = () => ({ raw: (res) => stream(res, [], 'end') });
    await collect(client.watch('Node'));
    assert.deepEqual(Object.fromEntries(server.requests[0]!.query), { watch: 'true' });
  });

  it('throws Gone with code 410 on an ERROR event for an expired version', async () => {
    server.handler = () => ({ raw: (res) => stream(res, [
      line('ADDED', podObj('a', '11')),
      line('ERROR', { kind: 'Status', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 1 (200)' }),
      line('ADDED', podObj('late', '12')),
    ], 'hold') });
    const { events, error } = await collect(client.watch('Pod', { namespace: 'ns', resourceVersion: '1' }));
    assert.deepEqual(events, ['ADDED a'], 'nothing after the error');
    assert.ok(isGone(error), String(error));
    assert.equal(error.code, 410);
    assert.match(error.message, /^watching Pod in ns: too old resource version/);
  });

  it('throws the HTTP status when the watch is refused', async () => {
    server.handler = () => status(403, 'Forbidden', 'pods is forbidden');
    const { error } = await collect(client.watch('Pod'));
    assert.ok(error instanceof KubeError, String(error));
    assert.equal(error.reason, 'Forbidden');
    assert.equal(error.code, 403);
  });

  it('throws reason Unknown when nothing listens', async () => {
    const kc = server.kubeConfig();
    await server.close();
    const { error } = await collect(new RealKubeClient(kc).watch('Pod'));
    assert.ok(error instanceof KubeError && error.reason === 'Unknown', String(error));
    server = await FakeApiServer.start(); // for afterEach
  });

  it('ends normally when an established connection drops', async () => {
    server.handler = () => ({ raw: (res) => stream(res, [line('ADDED', podObj('a', '11'))], 'destroy') });
    assert.deepEqual(await collect(client.watch('Pod')), { events: ['ADDED a'] });
  });

  it('ends normally on abort and when the consumer stops, closing the connection', async () => {
    let closed = 0;
    server.handler = () => ({ raw: (res, req) => {
      req.socket.on('close', () => closed++);
      stream(res, [line('ADDED', podObj('a', '11'))], 'hold');
    } });
    const ac = new AbortController();
    const it = client.watch('Pod', { signal: ac.signal })[Symbol.asyncIterator]();
    assert.equal(describeEvent((await it.next()).value as WatchEvent<Pod>), 'ADDED a');
    const pending = it.next();
    ac.abort();
    assert.deepEqual(await pending, { done: true, value: undefined });

    for await (const _ of client.watch('Pod')) break;
    for (let i = 0; i < 100 && closed < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closed, 2, 'both connections closed');
  });
});

describe('watch streams (fake starter)', () => {
  const req = (signal?: AbortSignal) => ({ doing: 'watching', path: '/p', query: {}, decode: (o: unknown) => o as Pod, ...(signal ? { signal } : {}) });

  it('does not start when the signal is already aborted', async () => {
    let started = 0;
    const start: StartWatch = () => { started++; return Promise.resolve(new AbortController()); };
    const ac = new AbortController();
    ac.abort();
    assert.deepEqual(await collect(watchStream(start, req(ac.signal))), { events: [] });
    assert.equal(started, 0);
  });

  it('ends at once on abort while connecting, and aborts the connection once it is made', async () => {
    const controller = new AbortController();
    let connect = (): void => {};
    const start: StartWatch = () => new Promise((resolve) => (connect = () => resolve(controller)));
    const ac = new AbortController();
    const it = watchStream(start, req(ac.signal))[Symbol.asyncIterator]();
    const first = it.next();
    ac.abort();
    assert.deepEqual(await first, { done: true, value: undefined });
    connect();
    await new Promise((r) => setImmediate(r));
    assert.equal(controller.signal.aborted, true);
  });

  it('reports an error once; later reads see a plain end', async () => {
    const start: StartWatch = (_p, _q, onEvent) => {
      onEvent('ERROR', { code: 500, reason: 'InternalError', message: 'boom' });
      return Promise.resolve(new AbortController());
    };
    const it = watchStream(start, req())[Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e: unknown) => e instanceof KubeError && e.reason === 'InternalError' && e.message === 'watching: boom');
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });
});
