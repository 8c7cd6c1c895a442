import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CA_DECISIONS, NODEWRIGHT_DECISIONS } from './fixture.js';
import { explainNode } from './node.js';
import { explainPod } from './pod.js';
import { explainSavings, savingsOf } from './savings.js';
import { existingNodeOf, mentions } from './text.js';

describe('explainPod', () => {
  it('names the NodeClaim, the instance type clause for it, and its own rejected alternatives', () => {
    const a = explainPod(NODEWRIGHT_DECISIONS, 'default/api-0', 'nodewright');
    assert.equal(a.matched, true);
    assert.match(a.text, /planned: onto new NodeClaim pool-c, launched at 0:01:30/);
    assert.match(a.text, /why: nodeclaim pool-c \(nodepool default\): t3\.small at \$0\.0208\/h/);
    assert.match(a.text, /- t3\.medium for pool-c/);
  });

  it('says when the log cannot tell which of several NodeClaims a pod went to', () => {
    const a = explainPod(NODEWRIGHT_DECISIONS, 'batch/big-0', 'nodewright');
    assert.match(a.text, /one of the NodeClaims pool-a, pool-b .*does not keep which pod went to which/);
  });

  it('follows a pod moved by consolidation to where it was planned again', () => {
    const a = explainPod(NODEWRIGHT_DECISIONS, 'default/db-0', 'nodewright');
    assert.match(a.text, /0:10:00 {2}consolidate-delete/);
    assert.match(a.text, /planned: onto existing or in-flight capacity \(ip-10-0-0-2\) at 0:10:01/);
    assert.doesNotMatch(a.text, /moved off/);
  });

  it('says the pod was moved off when the last decision naming it is a disruption', () => {
    const a = explainPod(NODEWRIGHT_DECISIONS, 'default/web-1', 'nodewright');
    assert.match(a.text, /then: moved off node ip-10-0-0-3 at 0:20:00 by consolidate-replace/);
  });

  it('explains a Cluster Autoscaler scale-up for the pod', () => {
    const a = explainPod(CA_DECISIONS, 'default/web-0', 'cluster-autoscaler');
    assert.match(a.text, /the Cluster Autoscaler scaled up for it at 0:00:30/);
    assert.match(a.text, /- ng-c5/);
  });

  it('says clearly when no decision names the pod, with the pending count', () => {
    const a = explainPod(NODEWRIGHT_DECISIONS, 'default/web-9', 'nodewright', 2);
    assert.equal(a.matched, false);
    assert.match(a.text, /^no nodewright decision mentions pod default\/web-9; check the name .*Pods are named in decisions only when/);
    assert.match(a.text, /2 pod\(s\) were still pending/);
  });
});

describe('explainNode', () => {
  it('tells why a NodeClaim was launched, with its clause, cost and alternatives, and that nothing disrupted it', () => {
    const a = explainNode(NODEWRIGHT_DECISIONS, 'pool-a', 'nodewright');
    assert.match(a.text, /0:01:00 {2}launched: launched 2 NodeClaims/);
    assert.match(a.text, /why: nodeclaim pool-a \(nodepool default\): m5\.large/);
    assert.doesNotMatch(a.text, /c5\.xlarge/, 'the other claim\'s clause is left out');
    assert.match(a.text, /cost: \$0\.1000\/h → \$0\.3660\/h \(adds \$0\.2660\/h\)/);
    assert.match(a.text, /outcome: no record under this NodeClaim name disrupted or kept it; such records name its Node/);
  });

  it('tells when and why a node was consolidated, with the cost before and after', () => {
    const a = explainNode(NODEWRIGHT_DECISIONS, 'ip-10-0-0-1', 'nodewright');
    assert.match(a.text, /outcome: consolidated \(deleted\) at 0:10:00, \$0\.1000\/h → \$0\.00\/h \(saves \$0\.1000\/h\)/);
  });

  it('tells the replacement apart from the node it replaced', () => {
    assert.match(explainNode(NODEWRIGHT_DECISIONS, 'ip-10-0-0-3', 'nodewright').text, /outcome: consolidated \(replaced\) at 0:20:00/);
    const replacement = explainNode(NODEWRIGHT_DECISIONS, 'pool-d', 'nodewright').text;
    assert.match(replacement, /launched as the replacement/);
    assert.match(replacement, /outcome: no record under this NodeClaim name disrupted or kept it/);
  });

  it('gives the reason consolidation passed a node over, superseded by a later disruption', () => {
    const a = explainNode(NODEWRIGHT_DECISIONS, 'ip-10-0-0-2', 'nodewright');
    assert.match(a.text, /0:10:00 {2}not consolidated: pod default\/web-0 fits on no other node/);
    assert.match(a.text, /0:10:01 {2}pods planned onto it/);
    assert.match(a.text, /outcome: expired at 0:40:00/);
    const before = explainNode(NODEWRIGHT_DECISIONS.slice(0, -1), 'ip-10-0-0-2', 'nodewright');
    assert.match(before.text, /outcome: not consolidated; last reason \(0:10:00\): pod default\/web-0 fits on no other node/);
  });

  it('reports interruptions and Cluster Autoscaler scale-downs', () => {
    assert.match(explainNode(NODEWRIGHT_DECISIONS, 'ip-10-0-0-4', 'nodewright').text, /outcome: interrupted at 0:30:00/);
    assert.match(explainNode(CA_DECISIONS, 'node-3', 'cluster-autoscaler').text, /outcome: scaled down at 0:15:00/);
  });

  it('matches whole names only and says so when nothing matches', () => {
    const a = explainNode(NODEWRIGHT_DECISIONS, 'ip-10-0-0', 'nodewright');
    assert.equal(a.matched, false);
    assert.match(a.text, /^no nodewright decision mentions node ip-10-0-0; /);
  });
});

describe('savings', () => {
  it('sums before − after over consolidation decisions only', () => {
    const s = savingsOf(NODEWRIGHT_DECISIONS);
    assert.equal(s.decisions.length, 2);
    assert.ok(Math.abs(s.perHour - (0.1 + 0.0752)) < 1e-12);
    assert.match(explainSavings(NODEWRIGHT_DECISIONS, 'nodewright').text, /^nodewright: 2 consolidation decision\(s\) saved \$0\.1752\/h in total/);
  });

  it('counts the Cluster Autoscaler\'s scale-downs and says when nothing was consolidated', () => {
    assert.ok(Math.abs(savingsOf(CA_DECISIONS).perHour - 0.096) < 1e-12);
    const none = explainSavings(NODEWRIGHT_DECISIONS.slice(0, 2), 'nodewright');
    assert.equal(none.matched, false);
    assert.match(none.text, /nothing was consolidated/);
  });
});

describe('name matching', () => {
  it('finds names as whole words, at sentence ends too', () => {
    assert.equal(mentions('fit on node-1.', 'node-1'), true);
    assert.equal(mentions('fit on node-10', 'node-1'), false);
    assert.equal(mentions('ip-10-0-0-1.ec2.internal', 'ip-10-0-0-1'), false);
    assert.equal(existingNodeOf(NODEWRIGHT_DECISIONS[3]!), 'ip-10-0-0-2');
  });
});
