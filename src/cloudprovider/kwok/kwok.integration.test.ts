/**
 * The kwok provider and its node agent on a real kube-apiserver: the cloud provider contract, then
 * what only a real server shows (the Node keeps the status it registers with, Lease MicroTimes are
 * accepted, pods bound to kwok nodes run, graceful deletions complete, nothing is left behind).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Node, Pod } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { eventually, podSpec } from '../../kube/contract-support.js';
import { isNotFound } from '../../kube/errors.js';
import { RealKubeClient } from '../../kube/real/real-client.js';
import type { ControlPlane } from '../../test/control-plane.js';
import { startControlPlane } from '../../test/control-plane.js';
import { nodePool } from '../../test/builders.js';
import { RealClock } from '../../utils/clock.js';
import { kwokCatalog } from '../catalog/kwok.js';
import { cloudProviderContract } from '../contract.js';
import { KwokCloudProvider } from './kwok-cloud-provider.js';
import { KwokNodeAgent, NODE_LEASE_NAMESPACE } from './node-agent.js';

let plane: Promise<ControlPlane> | undefined;
const controlPlane = (): Promise<ControlPlane> => (plane ??= startControlPlane());

after(async () => {
  const cp = await plane?.catch(() => undefined);
  await cp?.stop();
});

const clock = new RealClock();
let seq = 0;
function claim(o: { requirements?: NodeClaim['spec']['requirements']; requests?: Record<string, string> } = {}): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: `it-${++seq}`, labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: {
      requirements: o.requirements ?? [],
      nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      ...(o.requests ? { resources: { requests: o.requests } } : {}),
    },
  };
}

async function client(): Promise<RealKubeClient> {
  const cp = await controlPlane();
  return RealKubeClient.fromSource({ kind: 'file', path: cp.kubeconfigPath });
}

const found = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((e: unknown) => { if (isNotFound(e)) return undefined; throw e; });

cloudProviderContract('kwok (kube-apiserver)', async () => {
  const kube = await client();
  const kwok = new KwokCloudProvider({ kube, clock, clusterName: 'contract', registrationDelayMs: 0, instanceTypes: kwokCatalog({ cpus: [1, 2, 4] }) });
  return {
    provider: kwok,
    nodePool: nodePool(),
    makeClaim: (o = {}) => claim({ requirements: o.requirements, requests: o.requests as Record<string, string> | undefined }),
    unknownProviderID: 'kwok://test-zone-a/nothing-here',
    cleanup: () => {
      kwok.close();
      kube.close();
      return Promise.resolve();
    },
  };
});

describe('kwok nodes on kube-apiserver', () => {
  it('register with their status, turn Ready with Lease heartbeats, run their pods, and leave nothing behind', async () => {
    const kube = await client();
    const problems: Error[] = [];
    const kwok = new KwokCloudProvider({ kube, clock, clusterName: 'agent', registrationDelayMs: 200, instanceTypes: kwokCatalog({ cpus: [2] }) });
    const agent = new KwokNodeAgent({ kube, clock, clusterName: 'agent', heartbeatIntervalMs: 500, retryMs: 200, onProblem: (e) => problems.push(e) });
    agent.start();
    try {
      const launched = await kwok.create(claim());
      const name = launched.metadata.name!;
      const node = await eventually('the Node to be Ready', async () => {
        const n: Node | undefined = await found(kube.get('Node', name));
        return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      });
      assert.equal(node.spec?.providerID, launched.status?.providerID);
      assert.deepEqual(node.status?.capacity, launched.status?.capacity, 'the API server kept the registered capacity');
      await eventually('the not-ready taint the API server added to be lifted', async () => {
        const n = await kube.get('Node', name);
        return JSON.stringify(n.spec?.taints) === JSON.stringify([{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }]) ? true : undefined;
      });

      const lease = await eventually('the node Lease', () => found(kube.get('Lease', name, NODE_LEASE_NAMESPACE)));
      assert.match(lease.spec.renewTime!, /\.\d{6}Z$/);
      await eventually('a later heartbeat', async () => {
        const l = await kube.get('Lease', name, NODE_LEASE_NAMESPACE);
        return l.spec.renewTime !== lease.spec.renewTime ? l : undefined;
      });

      await kube.create('Pod', podSpec('runs', 'default', {}, name));
      await kube.create('Pod', podSpec('stays', 'default', {}, name));
      await eventually('the pods to run', async () => {
        const pods = await Promise.all(['runs', 'stays'].map((p) => kube.get('Pod', p, 'default')));
        return pods.every((p: Pod) => p.status?.phase === 'Running') ? true : undefined;
      });
      await kube.delete('Pod', 'runs', 'default');
      await eventually('the graceful deletion to complete', async () => ((await found(kube.get('Pod', 'runs', 'default'))) ? undefined : true));

      await kwok.delete(launched);
      await eventually('the node, its pods and its Lease to be gone', async () => {
        const left = await Promise.all([found(kube.get('Node', name)), found(kube.get('Pod', 'stays', 'default')), found(kube.get('Lease', name, NODE_LEASE_NAMESPACE))]);
        return left.every((x) => x === undefined) ? true : undefined;
      });
      assert.deepEqual(await kwok.list(), []);
      assert.deepEqual(problems, []);
    } finally {
      await agent.stop();
      kwok.close();
      kube.close();
    }
  });
});
