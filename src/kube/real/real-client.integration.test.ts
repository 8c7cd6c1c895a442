/**
 * The real client against a real control plane (etcd, kube-apiserver, and kube-controller-manager
 * running the disruption controller for PodDisruptionBudget status): the shared contract suite,
 * then what only a real server shows (custom resources, every kind's URL, in-cluster credentials,
 * RBAC errors, paging).
 */
import { after } from 'node:test';
import { kubeClientContract } from '../contract.js';
import type { ControlPlane } from '../../test/control-plane.js';
import { startControlPlane } from '../../test/control-plane.js';
import { RealKubeClient } from './real-client.js';

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
    cleanup: () => Promise.resolve(),
    expireHistory: async () => {
      await cp.restartApiServer();
      await watchCacheReady(client);
    },
  };
});
