import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Taint } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import { pod, solverNode } from '../../test/builders.js';
import { addResources, subtractResources } from '../../utils/resources.js';
import type { ViewNode } from './view-node.js';
import { PdbTracker, SCALE_DOWN_DISABLED_ANNOTATION } from './drainability.js';
import { planUnneeded, utilizationOf } from './scale-down-planner.js';

function view(name: string, cpu: string, pods: Pod[], o: { ready?: boolean; deleting?: boolean; annotations?: Record<string, string>; taints?: Taint[]; key?: string } = {}): ViewNode {
  const sn = solverNode(name, { cpu, memory: '16Gi', bound: pods, taints: o.taints });
  const requests = addResources(...sn.pods.map(podRequests));
  const daemonSetRequests = addResources(...sn.pods.filter((p) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet').map(podRequests));
  return {
    node: { metadata: { name, annotations: o.annotations }, spec: {}, status: {} }, name, ready: o.ready ?? true, deleting: o.deleting ?? false,
    allocatable: sn.allocatable, pods: sn.pods, requests, daemonSetRequests, antiAffinityPods: 0,
    solverNode: { ...sn, unschedulable: o.deleting ?? false },
    compact: { ...sn, unschedulable: o.deleting ?? false, pods: [], allocatable: subtractResources(sn.allocatable, requests) },
    schedulingKey: o.key ?? name,
  };
}
const rs = (cpu: string, name?: string): Pod => pod({ cpu, memory: '1Gi', ownerKind: 'ReplicaSet', name });
const input = (nodes: ViewNode[], o: Partial<Parameters<typeof planUnneeded>[0]> = {}): Parameters<typeof planUnneeded>[0] => ({
  nodes, groupOf: () => 'g', previouslyUnneeded: [], threshold: 0.5, ignoreDaemonSetsUtilization: false, maxNewNonEmpty: 30,
  rules: { skipNodesWithLocalStorage: true, skipNodesWithSystemPods: true }, pdbs: new PdbTracker([]), ...o,
});

describe('scale-down planning', () => {
  it('measures utilisation as max(cpu, memory) requested over allocatable', () => {
    const u = utilizationOf(view('n', '4', [rs('1'), pod({ cpu: '1', memory: '10Gi', ownerKind: 'DaemonSet' })]), false);
    assert.deepEqual(u, { cpu: 0.5, memory: 11 / 16, max: 11 / 16 });
    assert.deepEqual(utilizationOf(view('n', '4', [rs('1'), pod({ cpu: '1', memory: '10Gi', ownerKind: 'DaemonSet' })]), true).max, 0.25);
  });

  it('finds nodes below the threshold whose pods fit elsewhere, one after the other', () => {
    const nodes = [
      view('busy', '4', [rs('2'), rs('1')]), // 75%: not a candidate, 1 cpu free
      view('a', '4', [rs('1', 'pa')]), // 25%
      view('b', '4', [rs('1', 'pb')]), // 25%
      view('empty', '4', []),
    ];
    const plan = planUnneeded(input(nodes));
    // Lowest utilisation first: empty goes; a's pod takes busy's last cpu (the first node with
    // room); then b's pod has nowhere left, as a and empty are gone.
    assert.deepEqual(plan.unneeded.map((u) => u.name), ['empty', 'a']);
    assert.deepEqual([...plan.unneeded[1]!.destinations].map(([p, n]) => [p.metadata.name, n]), [['pa', 'busy']]);
    assert.match(plan.notRemovable.get('b')!, /its 1 pods do not all fit on other nodes/);
    assert.equal(plan.unneeded[0]!.pods.length, 0);
  });

  it('skips deleting, unmanaged and scale-down-disabled nodes, and says why others are kept', () => {
    const nodes = [
      view('host', '8', []),
      view('gone', '4', [rs('1')], { deleting: true }),
      view('mine', '4', [rs('1')], { annotations: { [SCALE_DOWN_DISABLED_ANNOTATION]: 'true' } }),
      view('theirs', '4', [rs('1')]),
      view('bare', '4', [pod({ cpu: '1' })]),
      view('huge', '4', [rs('1900m')]),
    ];
    const plan = planUnneeded(input(nodes, { groupOf: (v) => (v.name === 'theirs' ? undefined : 'g'), threshold: 0.5 }));
    assert.deepEqual(plan.unneeded.map((u) => u.name).sort(), ['host', 'huge']);
    assert.match(plan.notRemovable.get('mine')!, /scale-down-disabled/);
    assert.match(plan.notRemovable.get('bare')!, /no controller/);
    const tight = planUnneeded(input([view('x', '2', [rs('900m')]), view('y', '2', [rs('900m')])], { threshold: 0.5 }));
    assert.equal(tight.unneeded.length, 1, 'the second node has nowhere left to put its pod');
    assert.match([...tight.notRemovable.values()][0]!, /do not all fit on other nodes/);
  });

  it('simulates at most maxNewNonEmpty non-empty nodes that were not unneeded before', () => {
    const nodes = [view('host', '16', []), view('a', '4', [rs('1')]), view('b', '4', [rs('1')]), view('c', '4', [rs('1')])];
    const plan = planUnneeded(input(nodes, { maxNewNonEmpty: 1, previouslyUnneeded: ['c'] }));
    assert.deepEqual(plan.unneeded.map((u) => u.name), ['c', 'host', 'a']);
  });

  it('follows hints while the hinted node is unchanged and has room', () => {
    const moving = rs('1', 'm');
    const nodes = () => [view('a-first', '4', []), view('b-hinted', '4', [rs('2')]), view('cand', '4', [moving])];
    const hints = (key: string) => new Map([['cand', new Map([[moving.metadata.uid!, { node: 'b-hinted', key }]])]]);
    const dest = (plan: ReturnType<typeof planUnneeded>): string | undefined =>
      [...plan.unneeded.find((u) => u.name === 'cand')?.destinations ?? []].find(([p]) => p.metadata.name === 'm')?.[1];
    // a-first is empty and also a candidate; keep it from being removed so that it stays a destination.
    const keep = (v: ViewNode): string | undefined => (v.name === 'a-first' ? undefined : 'g');
    assert.equal(dest(planUnneeded(input(nodes(), { groupOf: keep }))), 'a-first', 'first fit without hints');
    const hinted = planUnneeded(input(nodes(), { groupOf: keep, hints: hints('b-hinted') }));
    assert.equal(dest(hinted), 'b-hinted');
    assert.deepEqual([...hinted.unneeded.find((u) => u.name === 'cand')!.hints.values()], [{ node: 'b-hinted', key: 'b-hinted' }]);
    assert.equal(dest(planUnneeded(input(nodes(), { groupOf: keep, hints: hints('changed') }))), 'a-first', 'a changed node is simulated again');
    const full = [view('a-first', '4', []), view('b-hinted', '4', [rs('3500m')]), view('cand', '4', [moving])];
    assert.equal(dest(planUnneeded(input(full, { groupOf: keep, hints: hints('b-hinted') }))), 'a-first', 'no room left where the hint points');
  });

  it('looks past the first destinations with room when they refuse the pods', () => {
    const taint: Taint = { key: 'dedicated', value: 'x', effect: 'NoSchedule' };
    const nodes = [
      ...Array.from({ length: 10 }, (_, i) => view(`a${i}`, '4', [rs('3')], { taints: [taint] })),
      view('open', '4', [rs('3')]),
      view('cand', '8', [rs('1', 'm')]),
    ];
    const plan = planUnneeded(input(nodes, { groupOf: (v) => (v.name === 'cand' ? 'g' : undefined) }));
    assert.equal(plan.unneeded[0]?.destinations.values().next().value, 'open');
  });

  it('simulates with every pod on the nodes when placement depends on other pods', () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    const solo = (name: string): Pod => ({ ...rs('1', name), metadata: { ...rs('1', name).metadata, labels: { app: 'solo' } }, spec: { ...rs('1', name).spec, affinity: anti } });
    const nodes = [view('host', '8', [solo('s1')]), view('cand', '8', [solo('s2')])];
    const plan = planUnneeded(input(nodes, { groupOf: (v) => (v.name === 'cand' ? 'g' : undefined), clusterHasRequiredAntiAffinity: true }));
    assert.deepEqual(plan.unneeded, [], 'the only other node already runs a pod it must avoid');
    const plain = [view('host', '8', [rs('1')]), view('cand', '8', [rs('1')])];
    assert.equal(planUnneeded(input(plain, { groupOf: (v) => (v.name === 'cand' ? 'g' : undefined) })).unneeded.length, 1);
  });
});
