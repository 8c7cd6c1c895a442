/**
 * The set-up the operator's integration, chaos and benchmark runs share on a real control plane:
 * the CRDs installed and served, a pool of kwok nodes, pause pods, a Deployment as its controllers
 * would have made it, and the operator's options for a test that takes seconds.
 */
import type { ObjectMeta, OwnerReference, Pod, PodTemplateSpec } from '../apis/core.js';
import { generateCrds } from '../apis/crds/index.js';
import type { Disruption, NodePool } from '../apis/v1/types.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../cloudprovider/catalog/kwok.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import type { OperatorOptions } from '../operator/options.js';
import { parseOperatorOptions } from '../operator/options.js';
import type { ControlPlane, ControlPlaneOptions } from './control-plane.js';
import { startControlPlane } from './control-plane.js';
import type { PollOptions } from './cluster-waits.js';
import { appPods, until } from './cluster-waits.js';

/** The operator's flags that keep its servers on loopback, on ports the OS picks. */
export const LOOPBACK_FLAGS: readonly string[] = ['--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0'];

/** Short windows (registration, batch, disruption, validation) so a scale-up and a scale-down take seconds. */
export const QUICK_FLAGS: readonly string[] = [
  '--kwok-registration-delay', '1s', '--batch-idle-duration', '200ms', '--batch-max-duration', '2s',
  '--disruption-interval', '1s', '--consolidation-validation', '500ms',
];

/** A running control plane with the CRDs served, and an admin client of it. */
export interface CrdCluster {
  readonly cp: ControlPlane;
  readonly kube: RealKubeClient;
}

/**
 * Installs the generated CRDs with the admin kubeconfig and waits (30 s) until NodeClaims and
 * NodePools can be listed. @throws WaitTimeoutError, or the API error of an install.
 */
export async function installCrds(cp: ControlPlane, kube: RealKubeClient): Promise<void> {
  const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
  for (const { crd } of generateCrds()) {
    await api.request(`installing CRD ${crd.metadata.name}`, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
  }
  await until('the CRDs to be served', 30_000, async () => {
    try {
      await Promise.all([kube.list('NodeClaim'), kube.list('NodePool')]);
      return true;
    } catch (e) {
      return String(e);
    }
  });
}

/**
 * Starts a control plane and installs the CRDs. When that fails, what was started is stopped and the
 * error (ControlPlaneError, WaitTimeoutError or an API error) is thrown.
 */
export async function startCrdCluster(o: ControlPlaneOptions): Promise<CrdCluster> {
  const cp = await startControlPlane(o);
  const kube = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
  try {
    await installCrds(cp, kube);
  } catch (e) {
    kube.close();
    await cp.stop();
    throw e;
  }
  return { cp, kube };
}

/**
 * A pool named `default` of kwok nodes of 4 or 8 CPUs (so tens of 500m pods need several), with the
 * given disruption settings (none: the API defaults).
 */
export function kwokNodePool(disruption?: Disruption): NodePool {
  const template = {
    spec: {
      requirements: [{ key: KWOK_LABEL_INSTANCE_CPU, operator: 'In' as const, values: ['4', '8'] }],
      nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
    },
  };
  return { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'default' }, spec: disruption ? { template, disruption } : { template } };
}

/** Consolidated only once empty, a second after, all at once: nodes pods are still being bound to stay. */
export const WHEN_EMPTY: Readonly<Disruption> = Object.freeze({ consolidationPolicy: 'WhenEmpty', consolidateAfter: '1s', budgets: [{ nodes: '100%' }] });

/** The spec of a pause container requesting `cpu` and 256Mi. */
export function pauseSpec(cpu: string): NonNullable<Pod['spec']> {
  return { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu, memory: '256Mi' } } }] };
}

/** A pause pod labelled `app: <app>`, requesting `cpu` (default 500m) and 256Mi. */
export function pausePod(name: string, namespace: string, app: string, o: { cpu?: string; ownerReferences?: OwnerReference[] } = {}): Pod {
  const metadata: ObjectMeta = { name, namespace, labels: { app }, ...(o.ownerReferences ? { ownerReferences: o.ownerReferences } : {}) };
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: pauseSpec(o.cpu ?? '500m') };
}

/**
 * A Deployment `app` of `replicas` pause pods as the API server would hold it once its controllers
 * had run (none run here): the Deployment, its ReplicaSet `<app>-1` and the pods `<app>-1-<i>` it owns.
 */
export async function createDeployment(kube: RealKubeClient, namespace: string, app: string, replicas: number): Promise<void> {
  const template: PodTemplateSpec = { metadata: { labels: { app } }, spec: pauseSpec('500m') };
  const spec = { replicas, selector: { matchLabels: { app } }, template };
  const d = await kube.create('Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace }, spec });
  const rs = await kube.create('ReplicaSet', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name: `${app}-1`, namespace, labels: { app },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: app, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  });
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true };
  await Promise.all(Array.from({ length: replicas }, (_, i) => kube.create('Pod', pausePod(`${app}-1-${i}`, namespace, app, { ownerReferences: [owner] }))));
}

/**
 * Scales a Deployment made by {@link createDeployment} to zero as its controllers would (its pods
 * deleted) and waits `timeoutMs` for the pods to be gone. @throws WaitTimeoutError.
 */
export async function scaleDeploymentToZero(kube: RealKubeClient, namespace: string, app: string, timeoutMs: number, o: PollOptions = {}): Promise<void> {
  await kube.patch('Deployment', app, { spec: { replicas: 0 } }, namespace);
  await kube.patch('ReplicaSet', `${app}-1`, { spec: { replicas: 0 } }, namespace);
  await Promise.all((await appPods(kube, namespace, app)).map((p) => kube.delete('Pod', p.metadata.name!, namespace)));
  await until('the pods to be gone', timeoutMs, async () => {
    const left = (await appPods(kube, namespace, app)).length;
    return left === 0 ? true : `${left} pods left`;
  }, o);
}

/** The operator was given options it refused; the message has its answer. */
export class OperatorOptionsError extends Error {
  override readonly name = 'OperatorOptionsError';
}

/**
 * Options as `nodewright controller <args>` would parse them with KUBECONFIG set (and `env`).
 * @throws OperatorOptionsError when the flags are refused (or ask for help).
 */
export function operatorOptions(kubeconfigPath: string, args: readonly string[], env: Record<string, string> = {}): OperatorOptions {
  const r = parseOperatorOptions([...args], { ...env, KUBECONFIG: kubeconfigPath });
  if (r.kind !== 'options') throw new OperatorOptionsError(`parsing operator flags ${args.join(' ')}: ${JSON.stringify(r)}`);
  return r.options;
}
