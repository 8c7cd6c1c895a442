/**
 * The real client against a real control plane (etcd, kube-apiserver, and kube-controller-manager
 * running the disruption controller for PodDisruptionBudget status): the shared contract suite,
 * then what only a real server shows (custom resources, every kind's URL, in-cluster credentials,
 * RBAC errors, paging).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { generateCrds } from '../../apis/crds/index.js';
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import type { ControlPlane } from '../../test/control-plane.js';
import { startControlPlane } from '../../test/control-plane.js';
import { kubeClientContract } from '../contract.js';
import { eventually, podSpec, rejectsWith, WatchReader } from '../contract-support.js';
import { formatMicroTime, RealClock } from '../../utils/clock.js';
import { isGone } from '../errors.js';
import { Informer } from '../informer.js';
import { ALL_KINDS } from '../kinds.js';
import { loadKubeConfig } from './config.js';
import { RealKubeClient } from './real-client.js';
import { ApiTransport } from './transport.js';

let plane: Promise<ControlPlane> | undefined;
/** One control plane for the whole file, started on first use. */
const controlPlane = (): Promise<ControlPlane> => (plane ??= startControlPlane({ controllerManager: true }));

after(async () => {
  const cp = await plane?.catch(() => undefined);
  await cp?.stop();
});

/** Waits until the restarted server serves pod watches from its cache (it answers 429 until then). */
async function watchCacheReady(client: RealKubeClient): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { resourceVersion } = await client.list('Pod', { namespace: 'default' });
      for await (const _ of client.watch('Pod', { namespace: 'default', resourceVersion, timeoutSeconds: 1 })) { /* drain */ }
      return;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

kubeClientContract('real (kube-apiserver)', async () => {
  const cp = await controlPlane();
  const client = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
  return {
    client,
    cleanup: () => Promise.resolve(client.close()),
    expireHistory: async () => {
      await cp.restartApiServer();
      await watchCacheReady(client);
    },
  };
});

const nodeClassRef = { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' };
const requirements = [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }];

describe('RealKubeClient on kube-apiserver', () => {
  let cp: ControlPlane;
  let client: RealKubeClient;
  before(async () => {
    cp = await controlPlane();
    client = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    // The project's CRDs, sent as plain JSON: client-node's typed CRD model would drop the
    // x-kubernetes-* keys it spells differently.
    const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
    for (const { crd } of generateCrds().filter((g) => g.crd.spec.group === 'karpenter.sh' || g.crd.spec.group === 'karpenter.k8s.aws')) {
      await api.request(`installing CRD ${crd.metadata.name}`, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
    }
    for (const kind of ['NodePool', 'NodeClaim', 'EC2NodeClass'] as const) {
      await eventually(`the ${kind} resource to be served`, () => client.list(kind).then(() => true, () => undefined));
    }
  });

  it('serves every kind of the kind table at the URL the client builds', async () => {
    for (const kind of ALL_KINDS) {
      const list = await client.list(kind, { namespace: 'default' });
      assert.ok(list.resourceVersion, `${kind} list has a resourceVersion`);
    }
  });

  it('writes NodePools and NodeClaims: status only through the subresource, updates need a resourceVersion', async () => {
    const pool: NodePool = { metadata: { name: 'general' }, spec: { template: { spec: { requirements, nodeClassRef } } } };
    const created = await client.create('NodePool', pool);
    assert.equal(created.kind, 'NodePool');
    assert.equal(created.spec.template.spec.nodeClassRef.name, 'default');
    await rejectsWith(client.update('NodePool', { ...pool, spec: { ...pool.spec, weight: 10 } }), 'Invalid', 422);
    const updated = await client.update('NodePool', { ...created, spec: { ...created.spec, weight: 10 } });
    assert.equal(updated.spec.weight, 10);

    const list = await client.list('NodeClaim');
    const w = new WatchReader(client.watch('NodeClaim', { resourceVersion: list.resourceVersion, labelSelector: { matchLabels: { 'karpenter.sh/nodepool': 'general' } } }));
    try {
      const claim: NodeClaim = {
        metadata: { generateName: 'general-', labels: { 'karpenter.sh/nodepool': 'general' } },
        spec: { requirements, nodeClassRef }, status: { nodeName: 'ignored' },
      };
      const c = await client.create('NodeClaim', claim);
      const name = c.metadata.name!;
      assert.equal(c.status, undefined, 'the status sent on create is dropped');
      const s = await client.patchStatus('NodeClaim', name, { status: { providerID: 'kwok://x', conditions: [{ type: 'Launched', status: 'True', reason: 'Launched', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] } });
      assert.equal(s.status?.providerID, 'kwok://x');
      const p = await client.patch('NodeClaim', name, { metadata: { annotations: { a: 'b' } }, status: { providerID: 'changed' } });
      assert.equal(p.status?.providerID, 'kwok://x', 'a patch of the main resource leaves status alone');
      await client.delete('NodeClaim', name);
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        const ev = await w.nextChange();
        seen.push(`${ev.type} ${ev.object.status?.providerID ?? '-'}`);
      }
      assert.deepEqual(seen, ['ADDED -', 'MODIFIED kwok://x', 'MODIFIED kwok://x', 'DELETED kwok://x']);
    } finally {
      await w.close();
      await client.delete('NodePool', 'general');
    }
  });

  it('answers 410 Expired when watching a custom resource from before its CRD (no restart needed)', async () => {
    const w = new WatchReader(client.watch('NodeClaim', { resourceVersion: '1' }));
    const err = await w.next('410').then(() => undefined, (e: unknown) => e);
    assert.ok(isGone(err), String(err));
    assert.equal(err.code, 410);
  });

  it('refuses a field selector the server does not support, from list and from watch', async () => {
    await rejectsWith(client.list('Node', { fieldSelector: { 'spec.nodeName': 'x' } }), 'BadRequest', 400);
    const err = await new WatchReader(client.watch('Node', { fieldSelector: { 'spec.nodeName': 'x' } })).next().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Error && 'code' in err && err.code === 400, String(err));
  });

  it('lists page by page as one snapshot a watch can continue from', async () => {
    const ns = 'paging';
    await client.create('Namespace', { metadata: { name: ns } });
    for (let i = 0; i < 5; i++) await client.create('Pod', podSpec(`p${i}`, ns));
    const paged = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath }, { pageSize: 2 });
    const list = await paged.list('Pod', { namespace: ns });
    assert.deepEqual(list.items.map((p) => p.metadata.name).sort(), ['p0', 'p1', 'p2', 'p3', 'p4']);
    const w = new WatchReader(client.watch('Pod', { namespace: ns, resourceVersion: list.resourceVersion }));
    try {
      await client.create('Pod', podSpec('p5', ns));
      const ev = await w.nextChange();
      assert.equal(`${ev.type} ${ev.object.metadata.name}`, 'ADDED p5');
    } finally {
      await w.close();
    }
  });

  it('deletes a bound pod gracefully, or at once with grace period 0', async () => {
    const ns = 'grace';
    await client.create('Namespace', { metadata: { name: ns } });
    await client.create('Pod', podSpec('slow', ns, {}, 'node-a'));
    await client.create('Pod', podSpec('fast', ns, {}, 'node-a'));
    await client.delete('Pod', 'slow', ns);
    const slow = await client.get('Pod', 'slow', ns);
    assert.ok(slow.metadata.deletionTimestamp);
    assert.equal(slow.metadata.deletionGracePeriodSeconds, 30);
    await client.delete('Pod', 'fast', ns, { gracePeriodSeconds: 0 });
    await rejectsWith(client.get('Pod', 'fast', ns), 'NotFound');
  });

  it('records Events with a six-digit MicroTime and the reporting instance', async () => {
    const events = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath }, { reportingInstance: 'nodewright-0' });
    await events.recordEvent({ regarding: { kind: 'Node', name: 'node-a', apiVersion: 'v1' }, type: 'Normal', reason: 'Registered', note: 'registered' });
    const e = (await client.list('Event', { namespace: 'default' })).items.find((x) => x.reason === 'Registered');
    assert.ok(e, 'event stored');
    const raw = e as typeof e & { eventTime?: string; reportingInstance?: string };
    assert.match(raw.eventTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(raw.reportingInstance, 'nodewright-0');
  });

  it('passes Lease MicroTimes through as written: six digits accepted, milliseconds refused', async () => {
    const renewTime = formatMicroTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const lease = await client.create('Lease', { metadata: { name: 'leader', namespace: 'default' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime } });
    assert.equal(lease.spec.renewTime, '2025-01-02T03:04:05.678000Z');
    const renewed = await client.patch('Lease', 'leader', { spec: { renewTime: formatMicroTime(Date.UTC(2025, 0, 2, 3, 4, 6)) } }, 'default');
    assert.equal(renewed.spec.renewTime, '2025-01-02T03:04:06.000000Z');
    const millis = '2025-01-02T03:04:07.000Z';
    await rejectsWith(client.patch('Lease', 'leader', { spec: { renewTime: millis } }, 'default'), 'Invalid', 422);
    await rejectsWith(client.update('Lease', { ...renewed, spec: { ...renewed.spec, renewTime: millis } }), 'BadRequest', 400);
  });

  it('keeps an Informer in step through a kube-apiserver restart', async () => {
    const ns = 'restart';
    await client.create('Namespace', { metadata: { name: ns } });
    const errors: string[] = [];
    const informer = new Informer(client, 'Pod', {
      clock: new RealClock(), listOptions: { namespace: ns }, backoff: { initialMs: 100, maxMs: 500 },
      onError: (e) => void errors.push(e.message),
    });
    informer.start();
    try {
      await informer.waitForSync();
      const names = (): string => informer.list().map((p) => p.metadata.name).sort().join(',');
      await client.create('Pod', podSpec('a', ns));
      await client.create('Pod', podSpec('b', ns));
      await eventually('a and b in the informer', () => Promise.resolve(names() === 'a,b' ? true : undefined));
      await cp.restartApiServer();
      await client.create('Pod', podSpec('c', ns));
      await client.delete('Pod', 'a', ns);
      await eventually('b and c in the informer', () => Promise.resolve(names() === 'b,c' ? true : undefined));
      const server = (await client.list('Pod', { namespace: ns })).items;
      assert.deepEqual(informer.list().map((p) => p.metadata.resourceVersion).sort(), server.map((p) => p.metadata.resourceVersion).sort());
      assert.ok(errors.length > 0, 'the outage was noticed');
    } finally {
      await informer.stop();
    }
  });

  it('runs in-cluster on a service-account token: Forbidden until RBAC allows', async () => {
    const admin = loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath });
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'nodewright' } } });
    const token = await core.createNamespacedServiceAccountToken({ name: 'nodewright', namespace: 'default', body: { spec: { audiences: [] } } });
    const prefix = mkdtempSync(join(tmpdir(), 'nodewright-sa-'));
    const sa = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), token.status?.token ?? '');
    writeFileSync(join(sa, 'ca.crt'), cp.caCert);
    const saved = [process.env.KUBERNETES_SERVICE_HOST, process.env.KUBERNETES_SERVICE_PORT];
    const url = new URL(cp.server);
    [process.env.KUBERNETES_SERVICE_HOST, process.env.KUBERNETES_SERVICE_PORT] = [url.hostname, url.port];
    try {
      const inCluster = RealKubeClient.fromSource({ kind: 'in-cluster', pathPrefix: prefix });
      const forbidden = await rejectsWith(inCluster.list('Node'), 'Forbidden', 403);
      assert.match(forbidden.message, /^listing Node: .*system:serviceaccount:default:nodewright/);
      await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({ body: {
        metadata: { name: 'nodewright-test' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'nodewright', namespace: 'default' }],
      } });
      await eventually('the binding to take effect', () => inCluster.list('Node').then(() => true, () => undefined));
    } finally {
      [process.env.KUBERNETES_SERVICE_HOST, process.env.KUBERNETES_SERVICE_PORT] = saved;
      if (saved[0] === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      if (saved[1] === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
