import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EC2NodeClass, EC2NodeClassStatus } from '../apis/ec2nodeclass/types.js';
import { MemoryKubeClient } from '../kube/memory/memory-client.js';
import { formatKubeTime, VirtualClock } from '../utils/clock.js';
import { isNotFound } from '../kube/errors.js';
import { carryTransitionTimes, NODE_CLASS_FINALIZER, NodeClassStatusLoop } from './ec2nodeclass-status.js';

function nodeClass(name: string): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name },
    spec: { subnetSelectorTerms: [{ tags: { a: 'b' } }], securityGroupSelectorTerms: [{ tags: { a: 'b' } }], amiSelectorTerms: [{ alias: 'al2023@latest' }], instanceProfile: 'p' },
  };
}

describe('NodeClassStatusLoop', () => {
  it('writes resolved statuses, keeps transition times while a condition holds, and skips unchanged ones', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    await kube.create('EC2NodeClass', nodeClass('a'));
    await kube.create('EC2NodeClass', nodeClass('broken'));
    let subnets = 0;
    const problems: string[] = [];
    const loop = new NodeClassStatusLoop({
      kube, clock, onProblem: (p) => problems.push(p),
      status: (nc): Promise<EC2NodeClassStatus> => {
        if (nc.metadata.name === 'broken') return Promise.reject(new Error('EC2 is down'));
        const ready = subnets > 0 ? 'True' : 'False';
        return Promise.resolve({
          subnets: Array.from({ length: subnets }, (_, i) => ({ id: `subnet-${i}`, zone: 'z' })),
          conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'Ready' : 'NotReady', message: '', lastTransitionTime: formatKubeTime(clock.now()) }],
        });
      },
    });
    assert.equal(await loop.syncOnce(), 1);
    assert.deepEqual(problems, ['updating the status of EC2NodeClass broken: EC2 is down']);
    const first = (await kube.get('EC2NodeClass', 'a')).status!;
    assert.equal(first.conditions![0]!.status, 'False');
    await clock.advanceTo(clock.now() + 60_000);
    assert.equal(await loop.syncOnce(), 0, 'same status, later time: nothing written');
    subnets = 1;
    assert.equal(await loop.syncOnce(), 1);
    const second = (await kube.get('EC2NodeClass', 'a')).status!;
    assert.deepEqual(second.subnets, [{ id: 'subnet-0', zone: 'z' }]);
    assert.equal(second.conditions![0]!.status, 'True');
    assert.notEqual(second.conditions![0]!.lastTransitionTime, first.conditions![0]!.lastTransitionTime);
    kube.close();
  });

  it('runs on the clock until stopped', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    await kube.create('EC2NodeClass', nodeClass('a'));
    let calls = 0;
    const loop = new NodeClassStatusLoop({ kube, clock, intervalMs: 1000, status: () => { calls++; return Promise.resolve({}); } });
    loop.start();
    await clock.advanceTo(clock.now() + 2500);
    await loop.stop();
    const seen = calls;
    assert.equal(seen, 3, 'at 0, 1 s and 2 s');
    await clock.advanceTo(clock.now() + 5000);
    assert.equal(calls, seen);
    kube.close();
  });
});

describe('NodeClassStatusLoop finalizer', () => {
  it('adds the finalizer where needed; on deletion waits for NodeClaims, cleans up, and lets the node class go', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const withRole = nodeClass('role');
    withRole.spec = { ...withRole.spec, role: 'NodeRole' };
    delete withRole.spec.instanceProfile;
    await kube.create('EC2NodeClass', withRole);
    await kube.create('EC2NodeClass', nodeClass('plain'));
    await kube.create('NodeClaim', {
      apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { name: 'claim-1' },
      spec: { requirements: [], nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'role' } },
    });
    const finalized: string[] = [];
    const problems: string[] = [];
    let failFinalize = true;
    const statuses: string[] = [];
    const loop = new NodeClassStatusLoop({
      kube, clock, onProblem: (p) => problems.push(p),
      status: (nc) => { statuses.push(nc.metadata.name ?? ''); return Promise.resolve({}); },
      finalizer: {
        name: NODE_CLASS_FINALIZER,
        needs: (nc) => nc.spec.role !== undefined,
        finalize: (nc) => {
          if (failFinalize) return Promise.reject(new Error('IAM is down'));
          finalized.push(nc.metadata.name ?? '');
          return Promise.resolve();
        },
      },
    });
    await loop.syncOnce();
    assert.deepEqual((await kube.get('EC2NodeClass', 'role')).metadata.finalizers, [NODE_CLASS_FINALIZER]);
    assert.equal((await kube.get('EC2NodeClass', 'plain')).metadata.finalizers, undefined, 'nothing to clean up: no finalizer');

    await kube.delete('EC2NodeClass', 'role');
    statuses.length = 0;
    await loop.syncOnce();
    assert.ok((await kube.get('EC2NodeClass', 'role')).metadata.deletionTimestamp, 'kept while a NodeClaim uses it');
    assert.deepEqual(finalized, []);
    assert.deepEqual(statuses, ['plain'], 'no status (and so no instance profile) for a node class being deleted');

    await kube.delete('NodeClaim', 'claim-1');
    await loop.syncOnce();
    assert.match(problems.at(-1) ?? '', /EC2NodeClass role: IAM is down/);
    assert.ok((await kube.get('EC2NodeClass', 'role')).metadata.deletionTimestamp, 'kept while the cleanup fails');

    failFinalize = false;
    await loop.syncOnce();
    assert.deepEqual(finalized, ['role']);
    await assert.rejects(kube.get('EC2NodeClass', 'role'), (e: unknown) => isNotFound(e), 'gone once the finalizer is removed');
    kube.close();
  });
});

describe('carryTransitionTimes', () => {
  it('keeps the old time only where the status is unchanged', () => {
    const prev: EC2NodeClassStatus = { conditions: [{ type: 'A', status: 'True', reason: 'x', message: '', lastTransitionTime: 'old' }, { type: 'B', status: 'True', reason: 'x', message: '', lastTransitionTime: 'old' }] };
    const next: EC2NodeClassStatus = { conditions: [{ type: 'A', status: 'True', reason: 'x', message: '', lastTransitionTime: 'new' }, { type: 'B', status: 'False', reason: 'y', message: '', lastTransitionTime: 'new' }] };
    assert.deepEqual(carryTransitionTimes(prev, next).conditions!.map((c) => c.lastTransitionTime), ['old', 'new']);
  });
});
