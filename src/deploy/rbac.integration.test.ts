/**
 * Least privilege, shown on a real kube-apiserver (RBAC on) with kube-scheduler: exactly the
 * chart's rendered ServiceAccount, ClusterRole, Roles and bindings and its CRDs are applied, and
 * the controller runs with that service account's token and the chart's environment (leader
 * election on): pending pods become kwok nodes and run, a deleted NodeClaim's node is drained
 * (evictions), scaling to zero removes every node, and with `binding: direct` the controller binds
 * pods itself (its scale-down is the same code as above, so it is not repeated); the API server refuses nothing the controller asks for, and refuses what the chart
 * does not grant.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { isAlreadyExists } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import { Operator } from '../operator/operator.js';
import { parseOperatorOptions } from '../operator/options.js';
import { appPods, readyNodeNames, since, untilAppRunning, untilNothingLeft } from '../test/cluster-waits.js';
import type { ControlPlane } from '../test/control-plane.js';
import { startControlPlane } from '../test/control-plane.js';
import { CHART_DIR, helmTemplate } from '../test/helm.js';
import { kwokNodePool, LOOPBACK_FLAGS, pausePod, QUICK_FLAGS, WHEN_EMPTY } from '../test/kwok-cluster.js';
import type { ManifestObject } from './fixtures.js';
import {
  capturingLogger, createManifest, deploymentEnv, ForbiddenRecorder, serviceAccountToken, tokenKubeconfig, until,
} from './fixtures.js';

const APP_NS = 'default';
const PODS = 20;
const RBAC_KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

interface Cluster { readonly cp: ControlPlane; readonly api: ApiTransport; readonly admin: RealKubeClient; readonly dir: string }
let cluster: Promise<Cluster> | undefined;

/** One control plane for the file, with the chart's CRDs (from its crds/ folder) installed and served. */
function sharedCluster(): Promise<Cluster> {
  cluster ??= (async () => {
    const cp = await startControlPlane({ scheduler: true });
    const dir = await mkdtemp(join(tmpdir(), 'nodewright-rbac-'));
    const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
    const crdDir = join(CHART_DIR, 'crds');
    for (const file of (await readdir(crdDir)).filter((f) => f.endsWith('.yaml'))) {
      await createManifest(api, parse(await readFile(join(crdDir, file), 'utf8')) as ManifestObject);
    }
    const admin = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    await until('the CRDs to be served', 30_000, () => Promise.all([admin.list('NodeClaim'), admin.list('NodePool')]).then(() => true, String));
    await admin.create('NodePool', kwokNodePool(WHEN_EMPTY));
    return { cp, api, admin, dir };
  })();
  return cluster;
}

after(async () => {
  const c = await cluster?.catch(() => undefined);
  c?.admin.close();
  await c?.cp.stop();
  if (c) await rm(c.dir, { recursive: true, force: true });
});

/** A controller installed as the chart would install it, with that release's service account. */
interface Release { readonly op: Operator; readonly recorder: ForbiddenRecorder; readonly logged: string[]; readonly client: RealKubeClient; readonly pod: string; readonly namespace: string }

/**
 * Renders the chart for a release, applies its RBAC objects as they are, and starts the controller
 * in-process with a token of the release's service account and the Deployment's environment (only
 * windows shortened and ports moved to loopback, by flags, which win over the environment).
 */
async function install(c: Cluster, name: string, namespace: string, set: string[] = []): Promise<Release> {
  const docs = await helmTemplate({ releaseName: name, namespace, set });
  for (const ns of [namespace, 'kube-node-lease']) {
    await createManifest(c.api, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
  }
  for (const obj of docs.filter((d) => RBAC_KINDS.includes(d.kind))) await createManifest(c.api, obj);
  const sa = docs.find((d) => d.kind === 'ServiceAccount')!.metadata.name;
  const kubeconfig = join(c.dir, `${name}.kubeconfig`);
  const token = await serviceAccountToken(c.api, namespace, sa);
  await writeFile(kubeconfig, tokenKubeconfig(c.cp.server, c.cp.caCert, `system:serviceaccount:${namespace}:${sa}`, token));
  const pod = `${name}-7d9f-abcde`;
  const parsed = parseOperatorOptions([
    ...LOOPBACK_FLAGS, '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms', ...QUICK_FLAGS,
  ], { ...deploymentEnv(docs, { name: pod, namespace }), KUBECONFIG: kubeconfig });
  assert.equal(parsed.kind, 'options');
  assert.equal(parsed.options.leaderElect, true, 'the chart turns leader election on');
  const client = RealKubeClient.fromSource({ kind: 'file', path: kubeconfig }, { requestTimeoutMs: parsed.options.kubeRequestTimeoutMs });
  const recorder = new ForbiddenRecorder(client);
  const logged: string[] = [];
  const op = new Operator({ options: parsed.options, kube: recorder, log: capturingLogger(logged) });
  await op.start();
  await until('the controller to take the Lease', 20_000, () => Promise.resolve(op.leading ? true : 'not leading'));
  const lease = await c.admin.get('Lease', parsed.options.leaderElectionName, namespace);
  assert.equal(lease.spec?.holderIdentity, pod, "the Lease is held in the release namespace under the pod's name");
  return { op, recorder, logged, client, pod, namespace };
}

async function uninstall(r: Release | undefined): Promise<void> {
  await r?.op.stop();
  r?.client.close();
}

function noneForbidden(r: Release): void {
  assert.deepEqual(r.recorder.forbidden, [], `the API server refused the controller:\n${r.logged.join('\n')}`);
  assert.deepEqual(r.logged.filter((l) => /forbidden|\b403\b/i.test(l)), []);
}

async function createPods(admin: RealKubeClient, app: string, schedulerName?: string): Promise<void> {
  await Promise.all(Array.from({ length: PODS }, (_, i) => {
    const pod = pausePod(`${app}-${i}`, APP_NS, app);
    return admin.create('Pod', schedulerName ? { ...pod, spec: { ...pod.spec, schedulerName } } : pod);
  }));
}

/** Waits until every pod of the app runs on a Ready kwok node with a NodeClaim; returns the node count. */
async function allRunning(admin: RealKubeClient, app: string): Promise<number> {
  const nodes = readyNodeNames((await untilAppRunning(admin, APP_NS, app, PODS, 40_000)).nodes, true).size;
  const claims = (await admin.list('NodeClaim')).items;
  assert.ok(claims.length >= 2 && claims.length === nodes, `one NodeClaim per node, several nodes (${claims.length} claims, ${nodes} nodes)`);
  return nodes;
}

/** Deletes the app's pods and waits until no pod, NodeClaim or Node is left. */
async function scaleToZero(admin: RealKubeClient, app: string): Promise<void> {
  await Promise.all((await appPods(admin, APP_NS, app)).map((p) => admin.delete('Pod', p.metadata.name!, APP_NS)));
  await untilNothingLeft(admin, 30_000, { namespace: APP_NS, app });
}

describe("the controller with exactly the chart's RBAC (default values: kube-scheduler binds)", () => {
  let c: Cluster;
  let r: Release | undefined;
  before(async () => {
    c = await sharedCluster();
    r = await install(c, 'nodewright', 'nodewright-system');
  });
  after(() => uninstall(r));

  it('is refused what the chart does not grant (the token really is the service account)', async () => {
    const probe = new ForbiddenRecorder(r!.client);
    await assert.rejects(probe.list('Deployment'), /forbidden/i);
    await assert.rejects(probe.create('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }), /forbidden/i);
    await assert.rejects(probe.bind({ metadata: { name: 'x', namespace: APP_NS } }, 'n'), /forbidden/i, 'no pods/binding with binding: scheduler');
    assert.equal(probe.forbidden.length, 3);
  });

  it(`provisions kwok nodes for ${PODS} pods that kube-scheduler binds and runs; nothing Forbidden`, async (t: TestContext) => {
    const t0 = performance.now();
    await createPods(c.admin, 'web');
    const nodes = await allRunning(c.admin, 'web');
    noneForbidden(r!);
    t.diagnostic(`${PODS} pods Running on ${nodes} kwok nodes ${since(t0)} ms after they were created`);
  });

  it('drains a node whose NodeClaim is deleted: its pods are evicted and the Node removed; nothing Forbidden', async (t: TestContext) => {
    const t0 = performance.now();
    const claim = (await c.admin.list('NodeClaim')).items.find((x) => x.status?.nodeName !== undefined);
    assert.ok(claim, 'a NodeClaim with a Node');
    const node = claim.status!.nodeName!;
    const onNode = (await appPods(c.admin, APP_NS, 'web')).filter((p) => p.spec?.nodeName === node).length;
    assert.ok(onNode > 0, `pods run on ${node}`);
    await c.admin.delete('NodeClaim', claim.metadata.name!);
    await until(`${node} drained and deleted`, 30_000, async () => {
      const [pods, nodes] = await Promise.all([appPods(c.admin, APP_NS, 'web'), c.admin.list('Node')]);
      const left = pods.filter((p) => p.spec?.nodeName === node).length;
      const exists = nodes.items.some((n) => n.metadata.name === node);
      return left === 0 && !exists ? true : `${left} pods still on ${node}; node ${exists ? 'still there' : 'gone'}`;
    });
    noneForbidden(r!);
    t.diagnostic(`${onNode} pods evicted and ${node} removed in ${since(t0)} ms`);
  });

  it('scales to zero: the nodes are drained and deleted, no NodeClaim or Node left; nothing Forbidden', async (t: TestContext) => {
    const t0 = performance.now();
    await scaleToZero(c.admin, 'web');
    noneForbidden(r!);
    t.diagnostic(`scaled to zero in ${since(t0)} ms`);
  });
});

describe("the controller with exactly the chart's RBAC (binding: direct)", () => {
  let c: Cluster;
  let r: Release | undefined;
  before(async () => {
    c = await sharedCluster();
    r = await install(c, 'direct', 'nodewright-direct', ['settings.binding=direct']);
  });
  after(() => uninstall(r));

  it(`binds ${PODS} pods itself (kube-scheduler does not serve their scheduler); nothing Forbidden`, async (t: TestContext) => {
    const t0 = performance.now();
    await createPods(c.admin, 'direct', 'not-kube-scheduler');
    const nodes = await allRunning(c.admin, 'direct');
    const bound = await appPods(c.admin, APP_NS, 'direct');
    assert.ok(bound.every((p) => p.spec?.nodeName), 'every pod is bound');
    noneForbidden(r!);
    t.diagnostic(`${PODS} pods bound directly and Running on ${nodes} nodes in ${since(t0)} ms`);
  });
});
