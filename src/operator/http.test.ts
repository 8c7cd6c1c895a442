import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { CheckResult, HttpEndpointsOptions } from './http.js';
import { HttpEndpoints, HttpServeError } from './http.js';

function endpoints(o: Partial<HttpEndpointsOptions> = {}): { http: HttpEndpoints; setReady: (r: CheckResult) => void } {
  let ready: CheckResult = { ok: false, reason: 'the cluster state has not synced' };
  const http = new HttpEndpoints({
    host: '127.0.0.1',
    metricsPort: 0,
    healthProbePort: 0,
    metrics: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }),
    healthy: () => ({ ok: true }),
    ready: () => ready,
    ...o,
  });
  return { http, setReady: (r) => { ready = r; } };
}

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('HttpEndpoints', () => {
  it('serves /metrics on the metrics port and the probes on the health port', async () => {
    const { http, setReady } = endpoints();
    const ports = await http.start();
    try {
      assert.notEqual(ports.metrics, ports.health);
      assert.deepEqual(await get(ports.metrics, '/metrics'), { status: 200, body: 'up 1\n', type: 'text/plain; version=0.0.4' });
      assert.equal((await get(ports.health, '/healthz')).status, 200);
      assert.deepEqual(await get(ports.health, '/readyz'), { status: 503, body: 'not ok: the cluster state has not synced\n', type: 'text/plain; charset=utf-8' });
      setReady({ ok: true });
      assert.equal((await get(ports.health, '/readyz?verbose')).status, 200);
      assert.equal((await get(ports.health, '/metrics')).status, 404, 'metrics only on its own port');
      assert.equal((await get(ports.metrics, '/readyz')).status, 404);
      assert.equal((await get(ports.health, '/healthz', 'POST')).status, 405);
      assert.equal((await get(ports.health, '/healthz', 'HEAD')).status, 200);
    } finally {
      await http.stop();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${ports.metrics}/metrics`), 'closed after stop');
    await http.stop();
  });

  it('serves everything on one server when both ports are the same, and reports a failing metrics source as 500', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const { http } = endpoints({ metricsPort: port, healthProbePort: port, metrics: () => Promise.reject(new Error('collector broke')) });
    const ports = await http.start();
    try {
      assert.deepEqual(ports, { metrics: port, health: port });
      assert.equal((await get(port, '/healthz')).status, 200);
      assert.deepEqual(await get(port, '/metrics'), { status: 500, body: 'error: collector broke\n', type: 'text/plain; charset=utf-8' });
    } finally {
      await http.stop();
    }
  });

  it('fails to start with the port named when it is taken, leaving nothing open', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const { http } = endpoints({ healthProbePort: port });
      await assert.rejects(http.start(), (e: unknown) => {
        assert.ok(e instanceof HttpServeError);
        assert.match(e.message, new RegExp(`^serving health probe on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
        return true;
      });
      assert.throws(() => http.ports);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
