import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LoggedDecision } from '../result.js';
import { LINKED_DECISIONS as L, LINKED_MACHINES as M } from './fixture.js';
import { Machines } from './machines.js';
import { explainNode } from './node.js';
import { explainPod } from './pod.js';
import { explainSavings } from './savings.js';

const nw = (t: number, kind: LoggedDecision['kind'], summary: string, details: Partial<LoggedDecision['details']> & { why: string }): LoggedDecision =>
  ({ t, strategy: 'nodewright', kind, summary, details: { alternativesRejected: [], ...details } });

/** The story lines, without the header that repeats the name asked for. */
const story = (text: string) => text.split('\n').slice(1).join('\n');

describe('Machines', () => {
  it('finds a machine by either name from the machines list, with its billed price', () => {
    const m = new Machines(L, M);
    assert.deepEqual(m.namesOf('ip-1'), ['ip-1', 'pool-a']);
    assert.deepEqual(m.namesOf('pool-a'), ['pool-a', 'ip-1']);
    assert.equal(m.get('ip-1'), m.get('pool-a'));
    assert.deepEqual(m.get('ip-1')?.price, { perHour: 0.096, source: 'billed' });
    assert.deepEqual(new Machines(L).namesOf('ip-1'), ['ip-1'], 'the records alone do not link pool-a and ip-1');
  });

  it('links the names an expiry or an interruption record gives, without a machines list', () => {
    const m = new Machines([
      nw(10, 'expire', 'deleting expired nodeclaim pool-e', { why: 'expireAfter ran out', nodes: ['ip-5'], costPerHourBefore: 0.2, costPerHourAfter: 0 }),
      nw(20, 'interruption', 'SpotInterruption of node ip-6: launched pool-z, deleting nodeclaim pool-y', {
        why: 'notice. It cost $0.3784/h.', nodes: ['ip-6', 'pool-z'], costPerHourBefore: 0.3784, costPerHourAfter: 0.3351 }),
    ]);
    assert.deepEqual(m.namesOf('pool-e'), ['pool-e', 'ip-5']);
    assert.deepEqual(m.namesOf('ip-6'), ['ip-6', 'pool-y']);
    assert.deepEqual(m.get('pool-y')?.price, { perHour: 0.3784, source: 'removal record' });
    assert.deepEqual(m.get('pool-z')?.price, { perHour: 0.3351, source: 'launch plan' }, 'the replacement, not the interrupted machine');
    assert.deepEqual(m.namesOf('pool-z'), ['pool-z']);
  });

  it('takes the billed price over a kept record\'s, that over a removal\'s, that over the launch plan\'s', () => {
    const launch = nw(1, 'provision', 'launched 1 NodeClaim for 1 pod', {
      why: 'nodeclaim c1 (nodepool p): m5.large at $0.0960/h, the cheapest of 2 compatible instance types, for 1 pod', nodes: ['c1'] });
    const kept = nw(2, 'disruption-blocked', 'not consolidating node n1', { why: 'no cheaper type', nodes: ['n1'], costPerHourBefore: 0.09 });
    const expire = nw(3, 'expire', 'deleting expired nodeclaim c1', { why: 'old', nodes: ['n1'], costPerHourBefore: 0.095 });
    assert.deepEqual(new Machines([launch]).get('c1')?.price, { perHour: 0.096, source: 'launch plan' });
    assert.equal(new Machines([launch]).get('c1')?.instanceType, 'm5.large');
    assert.deepEqual(new Machines([launch, expire]).get('n1')?.price, { perHour: 0.095, source: 'removal record' });
    assert.deepEqual(new Machines([launch, kept, expire]).get('c1')?.price, { perHour: 0.09, source: 'kept record' });
    assert.deepEqual(new Machines([launch, kept, expire], [{ nodeClaim: 'c1', node: 'n1', pricePerHour: 0.1 }]).get('n1')?.price,
      { perHour: 0.1, source: 'billed' });
  });
});

describe('a machine\'s whole story under either name', () => {
  const machines = new Machines(L, M);

  it('tells the same story for the NodeClaim and the Node: launch, registration, pods planned, kept', () => {
    const byNode = explainNode(L, 'ip-1', 'nodewright', machines).text;
    assert.equal(story(byNode), story(explainNode(L, 'pool-a', 'nodewright', machines).text));
    assert.match(byNode, /^node ip-1 \(nodewright\): 3 decision\(s\) mention it\n {2}machine: NodeClaim pool-a, Node ip-1; m5\.large, on-demand, us-east-1a, \$0\.0960\/h\n/);
    const order = ['0:01:00  launched: launched 2 NodeClaims', 'why: nodeclaim pool-a (nodepool default): m5.large', '0:01:30  registered as Node ip-1',
      '0:01:40  1 pod(s) planned onto it, as existing or in-flight capacity\n      why: 1 pod fit on ip-1', '0:10:00 (×3, last at 0:15:00)  not disrupting node ip-1', 'outcome: not consolidated; last reason (0:10:00 to 0:15:00, 3 records)'];
    const at = order.map((s) => byNode.indexOf(s));
    assert.ok(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)), `in this order: ${order.join(' | ')}\n${byNode}`);
    assert.doesNotMatch(byNode, /c5\.xlarge/, 'the other claim of the launch is left out');
  });

  it('tells a replaced machine\'s end under its NodeClaim name, and the replacement\'s start', () => {
    const replaced = explainNode(L, 'pool-b', 'nodewright', machines).text;
    assert.match(replaced, /0:11:40 {2}consolidated \(replaced\)/);
    assert.match(replaced, /0:12:40 {2}terminated/);
    assert.match(replaced, /outcome: consolidated \(replaced\) at 0:11:40, \$0\.1700\/h → \$0\.0208\/h/);
    const replacement = explainNode(L, 'ip-3', 'nodewright', machines).text;
    assert.match(replacement, /machine: NodeClaim pool-c, Node ip-3; t3\.small, spot/);
    assert.match(replacement, /0:11:40 {2}launched as the replacement/);
    assert.match(replacement, /outcome: no decision disrupted it/);
  });

  it('says when it cannot link the names, and shows what it has', () => {
    const a = explainNode(L, 'ip-1', 'nodewright').text;
    assert.match(a, /machine: Node ip-1\n {2}note: this result does not link this Node to a NodeClaim, so a NodeClaim's launch records are not shown/);
    assert.doesNotMatch(a, /launched:/);
    assert.match(explainNode(L, 'pool-a', 'nodewright').text, /machine: NodeClaim pool-a; m5\.large, \$0\.0960\/h, as planned at launch\n {2}note: .*Node it registered as/);
  });

  it('tells an interrupted machine apart from the replacement the interruption launched', () => {
    const log = [...L, nw(1000, 'interruption', 'SpotInterruption of node ip-3: launched pool-d, deleting nodeclaim pool-c', {
      why: 'spot notice. It cost $0.0208/h.', nodes: ['ip-3', 'pool-d'], costPerHourBefore: 0.0208, costPerHourAfter: 0.03 })];
    const interrupted = explainNode(log, 'pool-c', 'nodewright').text;
    assert.match(interrupted, /machine: NodeClaim pool-c, Node ip-3/);
    assert.match(interrupted, /outcome: interrupted at 0:16:40, \$0\.0208\/h, its replacement from \$0\.0300\/h/);
    const replacement = explainNode(log, 'pool-d', 'nodewright').text;
    assert.match(replacement, /launched as the replacement: SpotInterruption/);
    assert.match(replacement, /outcome: no record under this NodeClaim name disrupted or kept it/);
  });

  it('tells what the machines list knows of a machine no decision names', () => {
    const quiet = new Machines(L, [...M, { nodeClaim: 'pool-q', node: 'ip-q', instanceType: 'm5.large', pricePerHour: 0.096, launchedAt: -120, registeredAt: -60 }]);
    const a = explainNode(L, 'ip-q', 'nodewright', quiet);
    assert.equal(a.matched, true);
    assert.match(a.text, /^node ip-q \(nodewright\): 0 decision\(s\) mention it\n {2}machine: NodeClaim pool-q, Node ip-q; m5\.large, \$0\.0960\/h\n {2}−0:02:00 {2}running: .*\n {2}−0:01:00 {2}registered as Node ip-q\n/);
    assert.equal(explainNode(L, 'ip-q', 'nodewright').matched, false);
  });

  it('folds the records of other nodes that merely mention it into one entry', () => {
    const aside = (t: number, node: string) => nw(t, 'disruption-blocked', `not consolidating node ${node}`, {
      why: `not every pod would find a place: pod a/${node}: would schedule against uninitialized node pool-c`, nodes: [node] });
    const a = explainNode([...L, aside(710, 'ip-7'), aside(715, 'ip-8'), aside(720, 'ip-9')], 'pool-c', 'nodewright', machines).text;
    assert.match(a, /0:11:50 to 0:12:00 {2}named in 3 record\(s\) that kept 3 other node\(s\) \(ip-7, ip-8, ip-9\), e\.g\.:\n {6}not consolidating node ip-7: not every pod/);
    assert.doesNotMatch(a, /mentioned by/);
  });
});

describe('the pod story names both names of its machine', () => {
  const machines = new Machines(L, M);

  it('says which Node the NodeClaim it was planned onto became', () => {
    assert.match(explainPod(L, 'default/web-0', 'nodewright', undefined, machines).text, /planned: onto new NodeClaim pool-a \(became node ip-1\), launched at 0:01:00/);
    const moved = explainPod(L, 'default/web-1', 'nodewright', undefined, machines).text;
    assert.match(moved, /0:01:00 {2}provision: launched 2 NodeClaims for 2 pods\n {6}onto: new NodeClaim pool-b \(became node ip-2\)\n/);
    assert.match(moved, /0:11:41 {2}provision: placed 1 pod on existing or in-flight capacity\n {2}planned: onto existing or in-flight capacity \(pool-c, became node ip-3\) at 0:11:41/,
      'the last plan is told once, under planned:');
    assert.match(explainPod(L, 'default/web-2', 'nodewright', undefined, machines).text, /planned: onto existing or in-flight capacity \(ip-1, NodeClaim pool-a\) at 0:01:40/);
    assert.match(explainPod(L, 'default/web-0', 'nodewright').text, /planned: onto new NodeClaim pool-a, launched/, 'no link, no claim');
  });

  it('says when a pod planned onto an in-flight NodeClaim is planned again onto the Node it became', () => {
    const log = [...L, nw(120, 'provision', 'placed 1 pod on existing or in-flight capacity', { why: '1 pod fit on ip-1', nodes: [], pods: ['default/web-0'],
      placements: [{ node: 'ip-1', pods: ['default/web-0'], launched: false }] }),
    nw(130, 'provision', 'placed 1 pod on existing or in-flight capacity', { why: '1 pod fit on ip-2', nodes: [], pods: ['default/web-0'],
      placements: [{ node: 'ip-2', pods: ['default/web-0'], launched: false }] })];
    const a = explainPod(log, 'default/web-0', 'nodewright', undefined, new Machines(log, M)).text;
    assert.match(a, /onto: new NodeClaim pool-a \(became node ip-1\)\n/);
    assert.match(a, /onto: existing or in-flight capacity ip-1 \(NodeClaim pool-a\), the same machine as before, now registered\n/);
    assert.match(a, /planned: onto existing or in-flight capacity \(ip-2, NodeClaim pool-b\) at 0:02:10/);
    assert.doesNotMatch(explainPod(log, 'default/web-0', 'nodewright').text, /same machine/, 'not without the link');
  });
});

describe('savings name what each kept node costs', () => {
  it('gives the price from the machines list, and the total of the kept nodes', () => {
    const a = explainSavings(L, 'nodewright', undefined, new Machines(L, M)).text;
    assert.match(a, /1 node\(s\) were still kept from consolidation by their last record \(together \$0\.0960\/h\):\n {2}ip-1 \(\$0\.0960\/h\) kept: PodDisruptionBudget default\/web/);
    const unpriced = explainSavings(L, 'nodewright').text;
    assert.match(unpriced, /by their last record:\n {2}ip-1 kept: /, 'no price it does not know');
    assert.match(unpriced, /\(no price for 1 of them: no record gives one, and the result does not link these Nodes/);
    assert.doesNotMatch(a, /no price for/);
  });

  it('gives the price a launch record planned when the names are linked by the records, and says so', () => {
    const log = [...L.slice(0, 1), nw(500, 'disruption-blocked', 'not consolidating node ip-1', { why: 'no cheaper type', nodes: ['ip-1'] }),
      nw(2000, 'expire', 'deleting expired nodeclaim pool-b', { why: 'old', nodes: ['ip-2'] })];
    assert.match(explainSavings(log, 'nodewright', undefined, new Machines(log, [{ nodeClaim: 'pool-a', node: 'ip-1' }])).text,
      /ip-1 \(\$0\.0960\/h, as planned at launch\) kept: no cheaper type/);
  });
});
