import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WHY_NOT_DECISIONS as LOG } from './fixture.js';
import { Machines } from './machines.js';
import { explainNode } from './node.js';
import { explainPod } from './pod.js';
import { explainSavings, keptNodes } from './savings.js';

describe('why is this pod pending', () => {
  it('gives the span of its unschedulable records and the latest reason per NodePool, and says it never ran', () => {
    const a = explainPod(LOG, 'default/huge', 'nodewright', 1).text;
    assert.match(a, /0:00:01 \(×12, last at 0:19:00\) {2}unschedulable: no instance type in nodepool small is big enough: needs 100 cpu\n/);
    assert.match(a, /pending: it fit on no node and no NodePool could launch one for it, from 0:00:01 to 0:19:00 \(12 record\(s\)\)/);
    assert.match(a, /latest reason: no instance type in nodepool small is big enough: needs 100 cpu/);
    assert.match(a, /per NodePool \/ constraint:\n {6}- nodepool small: no instance type is big enough: needs 100 cpu\n {6}- nodepool gpu: its NodeClass is not ready/);
    assert.match(a, /then: no later decision places or moves it\. 1 pod\(s\) were still pending at the end of the run/);
    assert.doesNotMatch(a, /planned:/);
  });

  it('says when and on which node a pod held back by a limit ran later', () => {
    const a = explainPod(LOG, 'default/wave-a', 'nodewright').text;
    assert.match(a, /from 0:01:01 to 0:02:30 \(4 record\(s\)\)/);
    assert.match(a, /latest reason: nodepool small would exceed its limits \(cpu: 1 left\)/);
    assert.match(a, /then: it ran on ip-2 by 0:05:15, when consolidate-delete moved it off/);
    assert.equal(a.match(/then:/g)?.length, 1, 'the move is told once');
  });
});

describe('which node was the pod planned for, and why that instance type', () => {
  it('names the exact NodeClaim from the placements, its instance type clause and its own rejected alternatives', () => {
    const a = explainPod(LOG, 'default/wave-d', 'nodewright').text;
    assert.match(a, /planned: onto new NodeClaim small-y, launched at 0:01:01/);
    assert.match(a, /why: nodeclaim small-y \(nodepool small\): c-2x at \$0\.0543\/h, the cheapest of 6 compatible instance types, for 1 pod$/m);
    assert.match(a, /- c-2x-arm for small-y: \$0\.0600\/h, more than c-2x at \$0\.0543\/h/);
    assert.doesNotMatch(a, /c-16x-arm/, 'the other claim\'s alternative is left out');
    assert.match(a, /cost of the round: \$0\.0271\/h → \$0\.5158\/h/);
  });

  it('follows a pod moved by a replacement to the capacity it was planned onto again', () => {
    const a = explainPod(LOG, 'default/wave-b', 'nodewright').text;
    assert.match(a, /planned: onto existing or in-flight capacity \(small-z\) at 0:08:26, no new machine/);
    assert.doesNotMatch(a, /moved off/);
  });
});

describe('why has this node not been consolidated', () => {
  it('gives the PodDisruptionBudget that keeps it, with how long, and its pool\'s budget', () => {
    const a = explainNode(LOG, 'ip-1', 'nodewright');
    assert.equal(a.matched, true);
    assert.match(a.text, /0:00:30 \(×4, last at 0:15:00\) {2}not disrupting node ip-1\n {6}why: PodDisruptionBudget default\/web allows no disruption/);
    assert.match(a.text, /nodepool small: its disruption budget held disruptions back 2 time\(s\) from 0:02:10 to 0:04:30/);
    assert.match(a.text, /outcome: not consolidated; last reason \(0:00:30 to 0:15:00, 4 records\): PodDisruptionBudget default\/web/);
  });

  it('lists every reason a node was kept before it was consolidated, and the records left out', () => {
    const a = explainNode(LOG, 'ip-3', 'nodewright').text;
    assert.match(a, /0:02:10 {2}not consolidating node ip-3\n {6}why: pod default\/wave-b fits on no other node/);
    assert.match(a, /\(7 earlier record\(s\) with other reasons left out to keep the log small\)\n {2}0:08:20 {2}not consolidating node ip-3/);
    assert.match(a, /outcome: consolidated \(replaced\) at 0:08:25, \$0\.4344\/h → \$0\.0543\/h \(saves \$0\.3801\/h\)/);
  });

  it('says which causes are not recorded when nothing kept a node', () => {
    const a = explainNode(LOG, 'small-y', 'nodewright', new Machines(LOG, [{ nodeClaim: 'small-y', node: 'ip-9' }])).text;
    assert.match(a, /outcome: no decision disrupted it, and none recorded a reason for keeping it: .*consolidateAfter not yet elapsed/);
  });

  it('does not conclude anything from silence under a NodeClaim name it cannot link to its Node', () => {
    const a = explainNode(LOG, 'small-y', 'nodewright').text;
    assert.match(a, /outcome: no record under this NodeClaim name disrupted or kept it; such records name its Node \(see the note\)/);
  });
});

describe('what would consolidation save', () => {
  it('sums what it saved, the gap to the lower bound at the end, and the nodes still kept with why', () => {
    const end = { t: 1200, nodes: 3, costPerHour: 0.6, pendingPods: 1, runningPods: 9, cpuRequested: 1, cpuAllocatable: 2,
      memoryRequestedGiB: 1, memoryAllocatableGiB: 2, lowerBoundCostPerHour: 0.45 };
    const a = explainSavings(LOG, 'nodewright', end);
    assert.equal(a.matched, true);
    assert.match(a.text, /^nodewright: 2 consolidation decision\(s\) saved \$0\.4344\/h in total/);
    assert.match(a.text, /at the end \(0:20:00\): the nodes cost \$0\.6000\/h and the LP lower bound .* is \$0\.4500\/h, so consolidation could save at most \$0\.1500\/h more/);
    assert.match(a.text, /1 node\(s\) were still kept from consolidation by their last record:\n {2}ip-1 kept: PodDisruptionBudget default\/web allows no disruption of pod default\/web-0 now \(since 0:00:30, 4 records, the last at 0:15:00\)/);
    const atBound = explainSavings(LOG, 'nodewright', { ...end, costPerHour: 0.45 }).text;
    assert.match(atBound, /is \$0\.4500\/h: nothing more to save by consolidation\n/);
    const belowBound = explainSavings(LOG, 'nodewright', { ...end, costPerHour: 0.3 }).text;
    assert.match(belowBound, /nothing more to save by consolidation \(the nodes cost less than the bound because pods were still pending/);
  });

  it('counts a node as kept only while no later disruption took it', () => {
    assert.deepEqual(keptNodes(LOG).map((k) => k.node), ['ip-1']);
  });
});
