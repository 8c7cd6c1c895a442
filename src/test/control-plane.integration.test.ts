import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlPlaneError, startControlPlane } from './control-plane.js';
import type { ControlPlane } from './control-plane.js';

interface Reply { status: number; body: Record<string, unknown> }
interface Credentials { ca: string; cert?: string; key?: string }

/** One JSON request over HTTPS; `creds` without cert/key is an anonymous client. */
function call(server: string, creds: Credentials, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, server), {
      method,
      ...creds,
      timeout: 10_000,
      headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

interface PodCondition { type: string; status: string; reason?: string; message?: string }

describe('control plane (real etcd, kube-apiserver, kube-scheduler)', () => {
  let cp: ControlPlane;
  let admin: Credentials;

  before(async () => {
    cp = await startControlPlane({ scheduler: true });
    admin = { ca: cp.caCert, cert: cp.clientCert, key: cp.clientKey };
  });
  after(async () => {
    await cp?.stop();
  });

  it('serves the admin over TLS from a CA it made, and RBAC forbids an anonymous client', async () => {
    assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const version = await call(cp.server, admin, 'GET', '/version');
    assert.equal(version.status, 200);
    assert.equal(version.body.gitVersion, 'v1.34.12');
    const anonymous = await call(cp.server, { ca: cp.caCert }, 'GET', '/api/v1/namespaces');
    assert.equal(anonymous.status, 403, JSON.stringify(anonymous.body));
  });

  it('writes a kubeconfig whose embedded credentials reach the server', async () => {
    const config = JSON.parse(readFileSync(cp.kubeconfigPath, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const decode = (b64: string): string => Buffer.from(b64, 'base64').toString();
    const cluster = config.clusters[0]!.cluster;
    const user = config.users[0]!.user;
    assert.equal(cluster.server, cp.server);
    const creds = {
      ca: decode(cluster['certificate-authority-data']),
      cert: decode(user['client-certificate-data']),
      key: decode(user['client-key-data']),
    };
    const review = await call(cp.server, creds, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'create', resource: 'nodes' } },
    });
    assert.equal(review.status, 201, JSON.stringify(review.body));
    assert.equal((review.body.status as { allowed: boolean }).allowed, true);
  });

  it('creates a namespace and a pod, and kube-scheduler marks the pod Unschedulable (no nodes)', async () => {
    const ns = await call(cp.server, admin, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cp-test' },
    });
    assert.equal(ns.status, 201, JSON.stringify(ns.body));
    const pod = await call(cp.server, admin, 'POST', '/api/v1/namespaces/cp-test/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'waiting' },
      spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1', resources: { requests: { cpu: '1' } } }] },
    });
    assert.equal(pod.status, 201, JSON.stringify(pod.body));

    let scheduled: PodCondition | undefined;
    for (let i = 0; i < 300 && scheduled === undefined; i++) {
      const got = await call(cp.server, admin, 'GET', '/api/v1/namespaces/cp-test/pods/waiting');
      assert.equal(got.status, 200);
      const conditions = ((got.body.status as { conditions?: PodCondition[] }).conditions) ?? [];
      scheduled = conditions.find((c) => c.type === 'PodScheduled');
      if (scheduled === undefined) await sleep(100);
    }
    assert.ok(scheduled, 'kube-scheduler set no PodScheduled condition within 30 s');
    assert.equal(scheduled.status, 'False');
    assert.equal(scheduled.reason, 'Unschedulable');
    assert.match(scheduled.message ?? '', /no nodes available to schedule pods/);
  });

  it('stop() ends the processes and removes the temporary directory', async () => {
    const dir = dirname(cp.kubeconfigPath);
    assert.ok(existsSync(dir));
    await cp.stop();
    assert.equal(existsSync(dir), false);
    await assert.rejects(call(cp.server, admin, 'GET', '/readyz'), /ECONNREFUSED/);
    await cp.stop(); // idempotent
  });
});

describe('control plane start-up failure', () => {
  it('rejects with the failing component and its log tail, and leaves no temporary directory', async () => {
    const leftovers = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('nodewright-cp-'));
    const before = new Set(leftovers());
    await assert.rejects(startControlPlane({ apiserverArgs: ['--no-such-flag=1'] }), (err: unknown) => {
      assert.ok(err instanceof ControlPlaneError);
      assert.match(err.message, /kube-apiserver ended \(exit code 1\) before https:\/\/127\.0\.0\.1:\d+\/readyz was healthy/);
      assert.match(err.message, /unknown flag: --no-such-flag/);
      return true;
    });
    assert.deepEqual(leftovers().filter((n) => !before.has(n)), []);
  });

  it('passes schedulerArgs to kube-scheduler', async () => {
    await assert.rejects(startControlPlane({ scheduler: true, schedulerArgs: ['--feature-gates=NoSuchGate=true'] }), (err: unknown) => {
      assert.ok(err instanceof ControlPlaneError);
      assert.match(err.message, /^kube-scheduler ended \(exit code 1\)/);
      assert.match(err.message, /NoSuchGate/);
      return true;
    });
  });
});
