/**
 * Two operators on a real kube-apiserver, as two replicas of the Deployment would run: the Lease
 * (with the API server's MicroTime rules) elects one, the other takes over when it stops or stops
 * renewing, and the leader's kwok launches register and turn Ready.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { generateCrds } from '../apis/crds/index.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { silentLogger } from '../controllers/context.js';
import { eventually } from '../kube/contract-support.js';
import { KubeError } from '../kube/errors.js';
import { loadKubeConfig } from '../kube/real/config.js';
import { RealKubeClient } from '../kube/real/real-client.js';
import { ApiTransport } from '../kube/real/transport.js';
import type { KubeClient } from '../kube/types.js';
import type { ControlPlane } from '../test/control-plane.js';
import { startControlPlane } from '../test/control-plane.js';
import type { ControllerRegistration } from './controllers.js';
import { Operator } from './operator.js';
import { parseOperatorOptions } from './options.js';

let plane: Promise<ControlPlane> | undefined;
/** One control plane with nodewright's CRDs installed and served. */
const controlPlane = (): Promise<ControlPlane> => (plane ??= (async () => {
  const cp = await startControlPlane();
  const api = new ApiTransport(loadKubeConfig({ kind: 'file', path: cp.kubeconfigPath }));
  for (const { crd } of generateCrds()) {
    await api.request(`installing CRD ${crd.metadata.name}`, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: crd });
  }
  const kube = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
  await eventually('the CRDs to be served', async () => {
    try {
      await Promise.all([kube.list('NodeClaim'), kube.list('NodePool')]);
      return true;
    } catch {
      return undefined;
    }
  });
  kube.close();
  return cp;
})());

after(async () => {
  const cp = await plane?.catch(() => undefined);
  await cp?.stop();
});

/** A client that can be cut off from the API server, as a partitioned or frozen replica would be. */
function partitionable(kube: KubeClient): { client: KubeClient; cut: () => void } {
  let cut = false;
  const client = new Proxy(kube, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const call = (...args: unknown[]): unknown => (value as (...a: unknown[]) => unknown).apply(target, args);
      const failure = (): KubeError => new KubeError('Timeout', 'partitioned');
      // watch returns a stream, not a promise: a cut one fails when read.
      if (prop === 'watch') {
        return (...args: unknown[]): unknown => (cut ? (async function* failing() { await Promise.resolve(); yield* []; throw failure(); })() : call(...args));
      }
      return (...args: unknown[]): unknown => (cut ? Promise.reject(failure()) : call(...args));
    },
  });
  return { client, cut: () => { cut = true; } };
}

describe('operators on kube-apiserver', () => {
  it('elect one leader over a real Lease and fail over when it stops, then when it stops renewing', async () => {
    const cp = await controlPlane();
    const acting: string[] = [];
    const recorder = (who: string): ControllerRegistration => ({
      name: 'test.recorder',
      build: () => ({ start: () => { acting.push(`+${who}`); }, stop: () => { acting.push(`-${who}`); return Promise.resolve(); } }),
    });
    const reader = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    const cutOff = RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
    /** Without `kube`, the operator builds its own client from KUBECONFIG, as in production. */
    const make = (who: string, kube?: KubeClient): Operator => {
      const r = parseOperatorOptions([
        '--cloud-provider', 'kwok', '--bind-address', '127.0.0.1', '--metrics-port', '0', '--health-probe-port', '0',
        '--leader-election-namespace', 'default', '--leader-election-identity', who, '--kwok-registration-delay', '0s',
        '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '250ms',
      ], { KUBECONFIG: cp.kubeconfigPath });
      assert.equal(r.kind, 'options');
      return new Operator({ options: r.options, ...(kube ? { kube } : {}), log: silentLogger, controllers: [recorder(who)] });
    };
    const a = make('a');
    const b = make('b');
    let c: Operator | undefined;
    try {
      const ports = await a.start();
      await eventually('a to lead', () => Promise.resolve(a.running.includes('test.recorder') ? true : undefined));
      await b.start();
      const ready = await fetch(`http://127.0.0.1:${ports.health}/readyz`);
      assert.equal(ready.status, 200);
      const lease = await reader.get('Lease', 'nodewright-leader-election', 'default');
      assert.equal(lease.spec.holderIdentity, 'a');
      assert.match(lease.spec.renewTime!, /\.\d{6}Z$/);

      const claim: NodeClaim = {
        metadata: { name: 'int-1', labels: { 'karpenter.sh/nodepool': 'default' } },
        spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' } },
      };
      await a.ctx.cloud.create(claim);
      await eventually('the kwok node to be Ready in the leader\'s cache', () => Promise.resolve(
        a.state.node('int-1')?.node?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? true : undefined,
      ));

      await a.stop();
      await eventually('b to take over', () => Promise.resolve(b.running.includes('test.recorder') ? true : undefined));
      assert.deepEqual(acting, ['+a', '-a', '+b']);

      // c joins through a client that can be cut off; once it leads, it freezes and d must take over.
      const { client, cut } = partitionable(cutOff);
      c = make('c', client);
      await c.start();
      await b.stop();
      await eventually('c to take over', () => Promise.resolve(c!.running.includes('test.recorder') ? true : undefined));
      const d = make('d');
      await d.start();
      cut();
      const cutAt = Date.now();
      await eventually('d to take over from the frozen c', () => Promise.resolve(d.running.includes('test.recorder') ? true : undefined));
      assert.ok(Date.now() - cutAt < 3_000 + 2 * 250 + 1_000, `took over within the lease duration (${Date.now() - cutAt} ms)`);
      assert.deepEqual(acting, ['+a', '-a', '+b', '-b', '+c', '-c', '+d'], 'c stepped down before d started');
      assert.equal(await c.done, 'lost-leadership');
      await d.stop();
    } finally {
      await Promise.all([a.stop(), b.stop(), c?.stop()]);
      reader.close();
      cutOff.close();
    }
  });
});
