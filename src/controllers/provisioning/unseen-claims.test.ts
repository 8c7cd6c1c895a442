import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { HOSTNAME_LABEL, NODEPOOL_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { pod } from '../../test/builders.js';
import { ClusterState } from '../../state/cluster-state.js';
import { VirtualClock } from '../../utils/clock.js';
import { PlanBook } from './plan-book.js';
import { prepareRound } from './round-input.js';
import { UnseenClaims, unseenClaimNode } from './unseen-claims.js';

function claim(name: string, cpu = '2'): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim',
    metadata: { name, labels: { [NODEPOOL_LABEL]: 'default', team: 'web' } },
    spec: {
      requirements: [
        { key: ZONE_LABEL, operator: 'In', values: ['zone-a'] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small', 'large'] },
      ],
      nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      resources: { requests: { cpu, memory: '1Gi', pods: '2' } },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
    },
  };
}

function unschedulable(name: string, cpu = '1'): Pod {
  const p = pod({ name, cpu });
  return { ...p, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } };
}

function stateWith(clock: VirtualClock, pods: readonly Pod[]): ClusterState {
  const state = new ClusterState({ clock });
  for (const p of pods) state.apply('Pod', p);
  state.markSynced();
  return state;
}

describe('UnseenClaims', () => {
  it('keeps a created claim until the state shows it, or until the timeout', async () => {
    const clock = new VirtualClock();
    const state = stateWith(clock, []);
    const unseen = new UnseenClaims(state, clock, 1_000);
    unseen.start();
    unseen.add(claim('c1'));
    unseen.add(claim('c2'));
    assert.deepEqual(unseen.claims().map((c) => c.metadata.name), ['c1', 'c2']);
    state.apply('NodeClaim', claim('c1'));
    assert.equal(unseen.has('c1'), false, 'shown by the state');
    assert.equal(unseen.has('c2'), true);
    unseen.add(claim('c1'));
    assert.equal(unseen.has('c1'), false, 'not added once the state shows it');
    await clock.step(999);
    assert.equal(unseen.has('c2'), true);
    await clock.step(1);
    assert.equal(unseen.size, 0, 'never shown: dropped after the timeout');
    unseen.stop();
  });

  it('counts unseen claims against their NodePool: their requests and one node each', () => {
    const clock = new VirtualClock();
    const unseen = new UnseenClaims(stateWith(clock, []), clock, 1_000);
    const usage = new Map([['default', { cpu: 4000, nodes: 2 }], ['other', { cpu: 1000, nodes: 1 }]]);
    assert.equal(unseen.addUsage(usage), usage, 'nothing unseen: the same map');
    unseen.add(claim('c1', '2'));
    unseen.add(claim('c2', '500m'));
    const got = unseen.addUsage(usage);
    assert.equal(got.get('default')?.['cpu'], 6500);
    assert.equal(got.get('default')?.['nodes'], 4);
    assert.deepEqual(got.get('other'), { cpu: 1000, nodes: 1 });
    assert.deepEqual(usage.get('default'), { cpu: 4000, nodes: 2 }, 'the input is not changed');
    unseen.stop();
  });

  it('does not count a claim twice once the state shows it, even when not listening', () => {
    const clock = new VirtualClock();
    const state = stateWith(clock, []);
    const unseen = new UnseenClaims(state, clock, 1_000);
    unseen.add(claim('c1', '2'));
    state.apply('NodeClaim', claim('c1', '2'));
    assert.equal(unseen.has('c1'), true, 'not started: not told');
    assert.equal(unseen.addUsage(new Map([['default', { cpu: 2000, nodes: 1 }]])).get('default')?.['cpu'], 2000);
    unseen.stop();
  });

  it('shows an unseen claim to the solver as the state would before launch', () => {
    const n = unseenClaimNode(claim('c1'));
    assert.equal(n.name, 'c1');
    assert.deepEqual(n.labels, { [ZONE_LABEL]: 'zone-a', [NODEPOOL_LABEL]: 'default', team: 'web', [HOSTNAME_LABEL]: 'c1' });
    assert.deepEqual(n.taints, [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }]);
    assert.equal(n.allocatable['cpu'], 2000);
    assert.equal(n.inFlight, true);
    assert.equal(n.nodePool, 'default');
  });
});

describe('prepareRound with claims the state does not show yet', () => {
  it('keeps the plan on an unseen claim and offers it as capacity with its planned pods', () => {
    const clock = new VirtualClock();
    const [a, b, c] = [unschedulable('a'), unschedulable('b'), unschedulable('c')];
    const state = stateWith(clock, [a, b, c]);
    const plan = new PlanBook();
    plan.plan([a, b], 'c1', 0);
    plan.reserveDaemonOverhead('c1', { cpu: 500 });

    const input = prepareRound(state.snapshot(), plan, 'scheduler', [claim('c1', '3')]);
    assert.deepEqual(input.pods.map((p) => p.metadata.name), ['c'], 'a and b stay planned');
    assert.equal(input.nominated, 2);
    assert.deepEqual(input.renominated, []);
    const node = input.nodes.find((n) => n.name === 'c1');
    assert.deepEqual(node?.pods.map((p) => p.metadata.name), ['a', 'b'], 'they count there, for room and topology');
    assert.equal(node?.allocatable['cpu'], 2500, 'the DaemonSet reservation is kept off it');

    const without = prepareRound(state.snapshot(), plan, 'scheduler');
    assert.deepEqual(without.renominated.sort(), ['default/a', 'default/b'], 'not unseen and not in the state: the target is gone');
    assert.equal(without.pods.length, 3);
  });

  it('reads a claim from the state once it shows there, not twice', () => {
    const clock = new VirtualClock();
    const a = unschedulable('a');
    const state = stateWith(clock, [a]);
    state.apply('NodeClaim', claim('c1'));
    const plan = new PlanBook();
    plan.plan([a], 'c1', 0);
    const input = prepareRound(state.snapshot(), plan, 'scheduler', [claim('c1')]);
    assert.equal(input.nodes.filter((n) => n.name === 'c1').length, 1);
    assert.equal(input.nominated, 1);
  });
});
