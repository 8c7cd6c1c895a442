/**
 * Least privilege, shown on a real kube-apiserver (RBAC on) with kube-scheduler: exactly the
 * chart's rendered ServiceAccount, ClusterRole, Roles and bindings and its CRDs are applied, and
 * the controller runs with that service account's token and the chart's environment (leader
 * election on): pending pods become kwok nodes and run, a deleted NodeClaim's node is drained
 * (evictions), scaling to zero removes every node, and the API server refuses nothing the
 * controller asks for, while it refuses what the chart does not grant.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import type { Pod, PodTemplateSpec } from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../cloudprovider/catalog/kwok.js';
import type { Logger } from '../controllers/context.js';
import { isAlreadyExists } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import { Operator } from '../operator/operator.js';
import { parseOperatorOptions } from '../operator/options.js';
import type { ControlPlane } from '../test/control-plane.js';
import { startControlPlane } from '../test/control-plane.js';
import type { Rendered } from '../test/helm.js';
import { CHART_DIR, helmTemplate } from '../test/helm.js';
import type { ManifestObject } from './fixtures.js';
import { createManifest, ForbiddenRecorder, serviceAccountToken, tokenKubeconfig } from './fixtures.js';

const RELEASE_NS = 'nodewright-system';
const APP_NS = 'default';
const PODS = 20;
const APP = 'web';
const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | string>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (typeof v !== 'string') return v;
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}`);
    await sleep(100);
  }
}

/** Warnings and errors the controller logged (the test shows them if anything was refused). */
function capturingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (f, m) => void lines.push(`warn ${m} ${JSON.stringify(f, (_, v: unknown) => (v instanceof Error ? v.message : v))}`),
    error: (f, m) => void lines.push(`error ${m} ${JSON.stringify(f, (_, v: unknown) => (v instanceof Error ? v.message : v))}`),
    child: () => log,
  };
  return log;
}

/** The chart's container environment for a pod of this name, field references resolved. */
function chartEnv(docs: readonly Rendered[], podName: string): Record<string, string> {
  const d = docs.find((x) => x.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[] } } };
  };
  const env: Record<string, string> = {};
  for (const e of d.spec.template.spec.containers[0]!.env) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    env[e.name] = e.value ?? (path === 'metadata.name' ? podName : path === 'metadata.namespace' ? RELEASE_NS : assert.fail(`env ${e.name}`));
  }
  return env;
}

function kwokPool(): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'default' },
    spec: {
      template: { spec: {
        requirements: [{ key: KWOK_LABEL_INSTANCE_CPU, operator: 'In', values: ['4', '8'] }],
        nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      } },
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1s', budgets: [{ nodes: '100%' }] },
    },
  };
}

const template: PodTemplateSpec = {
  metadata: { labels: { app: APP } },
  spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] },
};
const appPods = async (kube: RealKubeClient): Promise<Pod[]> => (await kube.list('Pod', { namespace: APP_NS, labelSelector: { matchLabels: { app: APP } } })).items;
const since = (t0: number): number => Math.round(performance.now() - t0);

describe("the controller on a real API server with exactly the chart's RBAC", () => {
  let cp: ControlPlane | undefined;
  let admin: RealKubeClient | undefined;
  let real: RealKubeClient | undefined;
  let recorder: ForbiddenRecorder;
  let op: Operator | undefined;
  let dir: string | undefined;
  const logged: string[] = [];

  before(async () => {
    const docs = await helmTemplate({ namespace: RELEASE_NS });
    cp = await startControlPlane({ scheduler: true });
    dir = await mkdtemp(join(tmpdir(), 'nodewright-rbac-'));
    const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
    for (const ns of [RELEASE_NS, 'kube-node-lease']) {
      await createManifest(api, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch((e: unknown) => {
        if (!isAlreadyExists(e)) throw e;
      });
    }
    const crdDir = join(CHART_DIR, 'crds');
    for (const file of (await readdir(crdDir)).filter((f) => f.endsWith('.yaml'))) {
      await createManifest(api, parse(await readFile(join(crdDir, file), 'utf8')) as ManifestObject);
    }
    const rbac = docs.filter((d) => RBAC_KINDS.includes(d.kind));
    for (const obj of rbac) await createManifest(api, obj);
    admin = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    await until('the CRDs to be served', 30_000, async () => {
      try {
        await Promise.all([admin!.list('NodeClaim'), admin!.list('NodePool')]);
        return true;
      } catch (e) {
        return String(e);
      }
    });

    const sa = docs.find((d) => d.kind === 'ServiceAccount')!.metadata.name;
    const token = await serviceAccountToken(api, RELEASE_NS, sa);
    const kubeconfig = join(dir, 'nodewright.kubeconfig');
    await writeFile(kubeconfig, tokenKubeconfig(cp.server, cp.caCert, `system:serviceaccount:${RELEASE_NS}:${sa}`, token));
    const parsed = parseOperatorOptions([
      // Test-speed windows and loopback ports; everything else is the chart's environment.
      '--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0',
      '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms',
      '--kwok-registration-delay', '1s', '--batch-idle-duration', '200ms', '--batch-max-duration', '2s',
      '--disruption-interval', '1s', '--consolidation-validation', '500ms',
    ], { ...chartEnv(docs, 'nodewright-7d9f-abcde'), KUBECONFIG: kubeconfig });
    assert.equal(parsed.kind, 'options');
    assert.equal(parsed.options.leaderElect, true, 'the chart turns leader election on');
    real = RealKubeClient.fromSource({ kind: 'file', path: kubeconfig }, { requestTimeoutMs: parsed.options.kubeRequestTimeoutMs });
    recorder = new ForbiddenRecorder(real);
    op = new Operator({ options: parsed.options, kube: recorder, log: capturingLogger(logged) });
    await op.start();
  });

  after(async () => {
    await op?.stop();
    real?.close();
    admin?.close();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const noneForbidden = (): void => {
    assert.deepEqual(recorder.forbidden, [], `the API server refused the controller:\n${logged.join('\n')}`);
    assert.deepEqual(logged.filter((l) => /forbidden|\b403\b/i.test(l)), []);
  };

  it('is refused what the chart does not grant (the token really is the service account)', async () => {
    const probe = new ForbiddenRecorder(real!);
    await assert.rejects(probe.list('Deployment'), /forbidden/i);
    await assert.rejects(probe.create('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }), /forbidden/i);
    assert.equal(probe.forbidden.length, 2);
  });

  it(`leads, provisions kwok nodes for ${PODS} pods that kube-scheduler binds and runs, and nothing is Forbidden`, async (t: TestContext) => {
    await until('the controller to take the Lease', 20_000, () => Promise.resolve(op!.leading ? true : 'not leading'));
    await admin!.create('NodePool', kwokPool());
    const t0 = performance.now();
    await Promise.all(Array.from({ length: PODS }, (_, i) => admin!.create('Pod', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `${APP}-${i}`, namespace: APP_NS, labels: { app: APP } }, spec: template.spec,
    })));
    const nodes = await until(`${PODS} pods Running on Ready kwok nodes`, 40_000, async () => {
      const [pods, all] = await Promise.all([appPods(admin!), admin!.list('Node')]);
      const ready = new Set(all.items.filter((n) => n.spec?.providerID?.startsWith('kwok://')
        && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name!));
      const running = pods.filter((p) => p.status?.phase === 'Running' && ready.has(p.spec?.nodeName ?? ''));
      return running.length === PODS ? ready.size : `${running.length}/${pods.length} running, ${ready.size}/${all.items.length} nodes ready`;
    });
    const claims = (await admin!.list('NodeClaim')).items;
    assert.ok(claims.length >= 2 && claims.length === nodes, `${PODS} pods of 500m on nodes of at most 8 CPUs: one NodeClaim per node (${claims.length} claims, ${nodes} nodes)`);
    const lease = await admin!.get('Lease', 'nodewright-leader-election', RELEASE_NS);
    assert.equal(lease.spec?.holderIdentity, 'nodewright-7d9f-abcde', "the Lease is held under the chart's pod-name identity");
    noneForbidden();
    t.diagnostic(`${PODS} pods Running on ${nodes} kwok nodes ${since(t0)} ms after they were created`);
  });

  it('drains a node whose NodeClaim is deleted: its pods are evicted and the Node removed, nothing Forbidden', async (t: TestContext) => {
    const t0 = performance.now();
    const claim = (await admin!.list('NodeClaim')).items.find((c) => c.status?.nodeName !== undefined);
    assert.ok(claim, 'a NodeClaim with a Node');
    const node = claim.status!.nodeName!;
    const onNode = (await appPods(admin!)).filter((p) => p.spec?.nodeName === node).length;
    assert.ok(onNode > 0, `pods run on ${node}`);
    await admin!.delete('NodeClaim', claim.metadata.name!);
    await until(`${node} drained and deleted`, 30_000, async () => {
      const [pods, nodes] = await Promise.all([appPods(admin!), admin!.list('Node')]);
      const left = pods.filter((p) => p.spec?.nodeName === node).length;
      const exists = nodes.items.some((n) => n.metadata.name === node);
      return left === 0 && !exists ? true : `${left} pods still on ${node}; node ${exists ? 'still there' : 'gone'}`;
    });
    noneForbidden();
    t.diagnostic(`${onNode} pods evicted and ${node} removed in ${since(t0)} ms`);
  });

  it('scales to zero: the nodes are drained and deleted, no NodeClaim or Node left, and nothing is Forbidden', async (t: TestContext) => {
    const t0 = performance.now();
    await Promise.all((await appPods(admin!)).map((p) => admin!.delete('Pod', p.metadata.name!, APP_NS)));
    await until('every NodeClaim and Node to be gone', 30_000, async () => {
      const [claims, nodes, pods] = await Promise.all([admin!.list('NodeClaim'), admin!.list('Node'), appPods(admin!)]);
      return claims.items.length + nodes.items.length + pods.length === 0 ? true
        : `${pods.length} pods, ${claims.items.length} NodeClaims, ${nodes.items.length} Nodes`;
    });
    noneForbidden();
    t.diagnostic(`scaled to zero in ${since(t0)} ms`);
  });
});
