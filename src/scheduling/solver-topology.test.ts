/**
 * Solver: topology spread (zone and hostname, maxSkew, minDomains, whenUnsatisfiable, node
 * affinity and taint policies, matchLabelKeys) and pod affinity and anti-affinity in both
 * directions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { solve } from './solver.js';
import type { SolverNodePool, SolverResult } from './types.js';
import type { Pod, PodAffinityTerm, TopologySpreadConstraint } from '../apis/core.js';
import type { NodePool } from '../apis/v1/types.js';
import { claimValues, instanceType, nodePool, offeringZones, placements, pod, solverNode, type PodOptions } from '../test/builders.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const TYPES = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 }),
  instanceType('medium', { cpu: '4', memory: '8Gi', price: 0.2 }),
  instanceType('large', { cpu: '8', memory: '16Gi', price: 0.4 }),
];

function pool(np: NodePool = nodePool()): SolverNodePool {
  return { nodePool: np, instanceTypes: TYPES };
}
const zonesPool = (...zones: string[]): SolverNodePool => pool(nodePool({ requirements: [{ key: ZONE, operator: 'In', values: zones }] }));

function only<T>(xs: readonly T[]): T {
  assert.equal(xs.length, 1, `expected exactly one, got ${xs.length}`);
  return xs[0]!;
}

/** Pod name → zone, for pods on claims (whose zone must be decided) and on existing nodes. */
function zoneOf(r: SolverResult, nodes: readonly { name: string; labels: Readonly<Record<string, string>> }[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of r.newNodeClaims) {
    const zones = claimValues(c, ZONE);
    for (const p of c.pods) {
      assert.ok(zones?.length === 1, `${p.metadata.name ?? ''} is on a claim whose zone is not decided: ${JSON.stringify(zones)}`);
      out.set(p.metadata.name ?? '', zones[0]!);
    }
  }
  for (const e of r.existingNodes) {
    const zone = nodes.find((n) => n.name === e.node)?.labels[ZONE] ?? '?';
    for (const p of e.pods) out.set(p.metadata.name ?? '', zone);
  }
  return out;
}

function histogram(values: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

const spread = (key: string, maxSkew: number, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint =>
  ({ topologyKey: key, maxSkew, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra });

function webs(n: number, o: PodOptions = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => pod({ name: `web-${i}`, cpu: '500m', labels: { app: 'web' }, ...o }));
}

/** An existing node with no room left, so it only counts for topology. */
const fullNode = (name: string, zone: string, bound: Pod[] = [], taints = [] as { key: string; effect: string }[]): ReturnType<typeof solverNode> =>
  solverNode(name, { zone, bound, taints, cpu: '100m', unschedulable: true });

describe('solve: topology spread', () => {
  it('spreads over zones within maxSkew', () => {
    const r = solve({ pods: webs(7, { spread: [spread(ZONE, 1)] }), nodePools: [pool()] });
    assert.equal(r.unschedulable.length, 0);
    const counts = Object.values(histogram(zoneOf(r).values())).sort();
    assert.deepEqual(counts, [2, 2, 3]);
  });

  it('puts one pod per new node for a hostname spread with maxSkew 1', () => {
    const r = solve({ pods: webs(4, { spread: [spread(HOST, 1)] }), nodePools: [pool()] });
    assert.equal(r.newNodeClaims.length, 4);
    assert.equal(r.unschedulable.length, 0);
  });

  it('counts the matching pods already on nodes', () => {
    const nodes = [fullNode('old', 'zone-a', webs(2).map((p, i) => ({ ...p, metadata: { ...p.metadata, name: `old-${i}` } })))];
    const r = solve({ pods: webs(2, { spread: [spread(ZONE, 1)] }), nodePools: [zonesPool('zone-a', 'zone-b')], nodes });
    assert.deepEqual([...zoneOf(r).values()], ['zone-b', 'zone-b']);
  });

  it('rejects the nodes of a zone the spread refuses and still tries the nodes of other zones', () => {
    const bound = webs(2).map((p, i) => ({ ...p, metadata: { ...p.metadata, name: `old-${i}` } }));
    const nodes = [solverNode('a1', { zone: 'zone-a', bound }), solverNode('a2', { zone: 'zone-a' }), solverNode('b1', { zone: 'zone-b' })];
    const r = solve({ pods: webs(1, { spread: [spread(ZONE, 1)] }), nodePools: [pool()], nodes });
    assert.equal(placements(r).get('web-0'), 'b1');
  });

  it('with a zone and a hostname spread, does not take one node\'s rejection for its whole zone', () => {
    const bound = [pod({ name: 'old-web', cpu: '100m', labels: { app: 'web' } })];
    const nodes = [solverNode('a1', { zone: 'zone-a', bound }), solverNode('a2', { zone: 'zone-a' })];
    const r = solve({ pods: webs(1, { spread: [spread(ZONE, 5), spread(HOST, 1)] }), nodePools: [pool()], nodes });
    assert.equal(placements(r).get('web-0'), 'a2');
  });

  it('spreads within the pool zones around a matching pod in a zone the pool cannot launch in (Karpenter: 1, 2, 2)', () => {
    const nodes = [fullNode('old', 'zone-c', [pod({ name: 'old-web', cpu: '100m', labels: { app: 'web' } })])];
    const r = solve({ pods: webs(6, { cpu: '1100m', spread: [spread(ZONE, 1)] }), nodePools: [zonesPool('zone-a', 'zone-b')], nodes });
    assert.deepEqual(histogram(zoneOf(r).values()), { 'zone-a': 2, 'zone-b': 2 });
    assert.equal(r.unschedulable.length, 2);
  });

  it('with minDomains above the domains there are, treats the global minimum as 0', () => {
    const withMin = solve({ pods: webs(6, { spread: [spread(ZONE, 2, { minDomains: 3 })] }), nodePools: [zonesPool('zone-a', 'zone-b')] });
    assert.equal(withMin.unschedulable.length, 2);
    assert.deepEqual(histogram(zoneOf(withMin).values()), { 'zone-a': 2, 'zone-b': 2 });
    const without = solve({ pods: webs(6, { spread: [spread(ZONE, 2)] }), nodePools: [zonesPool('zone-a', 'zone-b')] });
    assert.equal(without.unschedulable.length, 0);
  });

  it('refuses a DoNotSchedule spread it cannot meet, and relaxes a ScheduleAnyway one', () => {
    const nodes = [fullNode('b-node', 'zone-b')];
    const strict = solve({ pods: webs(3, { spread: [spread(ZONE, 1)] }), nodePools: [zonesPool('zone-a')], nodes });
    assert.equal(strict.unschedulable.length, 2);
    assert.match(strict.unschedulable[0]!.reason, /topology|spread|zone/);
    const soft = solve({ pods: webs(3, { spread: [spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })] }), nodePools: [zonesPool('zone-a')], nodes });
    assert.equal(soft.unschedulable.length, 0);
  });

  it('honours a ScheduleAnyway spread while it can be met', () => {
    const r = solve({ pods: webs(3, { spread: [spread(ZONE, 1, { whenUnsatisfiable: 'ScheduleAnyway' })] }), nodePools: [pool()] });
    assert.deepEqual(histogram(zoneOf(r).values()), { 'zone-a': 1, 'zone-b': 1, 'zone-c': 1 });
  });

  it('counts only domains matching the pod node affinity under nodeAffinityPolicy Honor, all under Ignore', () => {
    const honor = solve({ pods: webs(2, { nodeSelector: { [ZONE]: 'zone-a' }, spread: [spread(ZONE, 1)] }), nodePools: [pool()] });
    assert.equal(honor.unschedulable.length, 0);
    const ignore = solve({ pods: webs(2, { nodeSelector: { [ZONE]: 'zone-a' }, spread: [spread(ZONE, 1, { nodeAffinityPolicy: 'Ignore' })] }), nodePools: [pool()] });
    assert.equal(ignore.unschedulable.length, 1);
  });

  it('leaves out domains of nodes whose taints the pod does not tolerate under nodeTaintsPolicy Honor', {}, () => {
    const nodes = [fullNode('tainted', 'zone-c', [], [{ key: 'dedicated', effect: 'NoSchedule' }])];
    const ignore = solve({ pods: webs(3, { spread: [spread(ZONE, 1)] }), nodePools: [zonesPool('zone-a', 'zone-b')], nodes });
    assert.equal(ignore.unschedulable.length, 1);
    const honor = solve({ pods: webs(3, { spread: [spread(ZONE, 1, { nodeTaintsPolicy: 'Honor' })] }), nodePools: [zonesPool('zone-a', 'zone-b')], nodes });
    assert.equal(honor.unschedulable.length, 0);
  });

  it('counts only pods with the same values of matchLabelKeys', () => {
    const v1 = [0, 1].map((i) => pod({ name: `v1-${i}`, cpu: '100m', labels: { app: 'web', hash: 'v1' } }));
    const nodes = [fullNode('old', 'zone-a', v1)];
    const v2 = (extra: Partial<TopologySpreadConstraint>): Pod[] => webs(2, { labels: { app: 'web', hash: 'v2' }, spread: [spread(ZONE, 1, extra)] });
    const plain = solve({ pods: v2({}), nodePools: [zonesPool('zone-a', 'zone-b')], nodes });
    assert.deepEqual([...zoneOf(plain).values()], ['zone-b', 'zone-b']);
    const keyed = solve({ pods: v2({ matchLabelKeys: ['hash'] }), nodePools: [zonesPool('zone-a', 'zone-b')], nodes });
    assert.deepEqual([...zoneOf(keyed).values()].sort(), ['zone-a', 'zone-b']);
  });
});

const term = (key: string, app: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ topologyKey: key, labelSelector: { matchLabels: { app } }, ...extra });
const affinity = (...terms: PodAffinityTerm[]): PodOptions['affinity'] => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const anti = (...terms: PodAffinityTerm[]): PodOptions['affinity'] => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const db = (name = 'db', namespace?: string): Pod => pod({ name, namespace, cpu: '100m', labels: { app: 'db' } });

describe('solve: pod affinity', () => {
  it('follows a matching pod to its zone', () => {
    const nodes = [fullNode('db-node', 'zone-b', [db()])];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: affinity(term(ZONE, 'db')) })], nodePools: [pool()], nodes });
    assert.deepEqual(claimValues(only(r.newNodeClaims), ZONE), ['zone-b']);
  });

  it('rejects a pod whose affinity matches no pod on an unlabelled node and then on labelled ones, without failing', () => {
    // The first rejection is on a node without the key's label: nothing is noted for later nodes.
    const nodes = [solverNode('unlabelled'), solverNode('a1', { zone: 'zone-a' }), solverNode('a2', { zone: 'zone-a' })];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: affinity(term(ZONE, 'db')) })], nodePools: [pool()], nodes });
    assert.deepEqual(r.unschedulable.map((u) => u.pod.metadata.name), ['p']);
  });

  it('joins a matching pod on its node, or fails when that node is full', () => {
    const roomy = [solverNode('db-node', { zone: 'zone-a', bound: [db()] })];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: affinity(term(HOST, 'db')) })], nodePools: [pool()], nodes: roomy });
    assert.equal(placements(r).get('p'), 'db-node');
    const full = [solverNode('db-node', { zone: 'zone-a', bound: [db()], cpu: '500m' })];
    const r2 = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: affinity(term(HOST, 'db')) })], nodePools: [pool()], nodes: full });
    assert.equal(r2.newNodeClaims.length, 0);
    assert.equal(r2.unschedulable.length, 1);
  });

  it('lets pods that select each other start together on one node or in one zone', () => {
    const host = solve({ pods: [0, 1, 2].map((i) => pod({ name: `c${i}`, cpu: '500m', labels: { app: 'cache' }, affinity: affinity(term(HOST, 'cache')) })), nodePools: [pool()] });
    assert.equal(only(host.newNodeClaims).pods.length, 3);
    const zone = solve({ pods: [0, 1, 2].map((i) => pod({ name: `c${i}`, cpu: '3', labels: { app: 'cache' }, affinity: affinity(term(ZONE, 'cache')) })), nodePools: [pool(nodePool({ requirements: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['medium'] }] }))] });
    assert.equal(zone.newNodeClaims.length, 3);
    assert.equal(new Set(zoneOf(zone).values()).size, 1);
  });

  it('follows a matching pod of the same batch, even one placed after it', {}, () => {
    const pods = [pod({ name: 'web', cpu: '2', affinity: affinity(term(HOST, 'db')) }), db()];
    const r = solve({ pods, nodePools: [pool()] });
    const where = placements(r);
    assert.equal(where.get('web'), where.get('db'));
    assert.notEqual(where.get('web'), 'unschedulable');
  });

  it('counts only pods of the term namespaces (its own by default)', () => {
    const nodes = [fullNode('db-node', 'zone-b', [db('db', 'other')])];
    const own = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: affinity(term(ZONE, 'db')) })], nodePools: [pool()], nodes });
    assert.equal(own.unschedulable.length, 1);
    const listed = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: affinity(term(ZONE, 'db', { namespaces: ['other'] })) })], nodePools: [pool()], nodes });
    assert.deepEqual(claimValues(only(listed.newNodeClaims), ZONE), ['zone-b']);
  });

  it('honours preferred affinity when it can, and relaxes it when it cannot', () => {
    const preferred = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term(ZONE, 'db') }] } };
    const nodes = [fullNode('db-node', 'zone-c', [db()])];
    const r = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: preferred })], nodePools: [pool()], nodes });
    assert.deepEqual(claimValues(only(r.newNodeClaims), ZONE), ['zone-c']);
    const alone = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: preferred })], nodePools: [pool()] });
    assert.equal(alone.unschedulable.length, 0);
    // Relaxed to no terms by the first fit, it is not placed a second time with the plain pods.
    assert.deepEqual(only(alone.newNodeClaims).pods.map((x) => x.metadata.name), ['p']);
  });
});

describe('solve: pod anti-affinity', () => {
  it('puts pods that repel each other on separate nodes', () => {
    const r = solve({ pods: webs(3, { affinity: anti(term(HOST, 'web')) }), nodePools: [pool()] });
    assert.equal(r.newNodeClaims.length, 3);
  });

  it('places one pod of a zonal self anti-affinity per batch while zones are undecided (late committal, as Karpenter)', () => {
    const r = solve({ pods: webs(4, { affinity: anti(term(ZONE, 'web')) }), nodePools: [pool()] });
    assert.equal(r.newNodeClaims.length, 1);
    assert.equal(r.unschedulable.length, 3);
  });

  it('places pods with zonal anti-affinity pinned to distinct zones, and keeps a later one out of all of them', () => {
    const pinned = ['zone-a', 'zone-b', 'zone-c'].map((z) => pod({ name: z, cpu: '2', labels: { app: 'web' }, nodeSelector: { [ZONE]: z }, affinity: anti(term(ZONE, 'web')) }));
    const r = solve({ pods: [...pinned, pod({ name: 'late', cpu: '500m', labels: { app: 'web' }, affinity: anti(term(ZONE, 'web')) })], nodePools: [pool()] });
    assert.equal(r.newNodeClaims.length, 3);
    assert.equal(only(r.unschedulable).pod.metadata.name, 'late');
  });

  it('keeps a plain pod out of every zone a pending pod with zonal anti-affinity might land in (Schrödinger)', () => {
    const anywhere = pod({ name: 'anywhere', cpu: '2', affinity: anti(term(ZONE, 'web')) });
    const r = solve({ pods: [anywhere, pod({ name: 'web', cpu: '100m', labels: { app: 'web' } })], nodePools: [pool()] });
    assert.equal(placements(r).get('web'), 'unschedulable');
    assert.notEqual(placements(r).get('anywhere'), 'unschedulable');
  });

  it('keeps a pod off the node and zone of a pod it repels', () => {
    const nodes = [solverNode('db-node', { zone: 'zone-a', bound: [db()] })];
    const host = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: anti(term(HOST, 'db')) })], nodePools: [pool()], nodes });
    assert.notEqual(placements(host).get('p'), 'db-node');
    const zone = solve({ pods: [pod({ name: 'p', cpu: '1', affinity: anti(term(ZONE, 'db')) })], nodePools: [pool()], nodes });
    assert.deepEqual(offeringZones(only(zone.newNodeClaims)), ['zone-b', 'zone-c']);
  });

  it('keeps a new pod away from an existing pod whose anti-affinity selects it (the inverse direction)', () => {
    const guard = pod({ name: 'guard', cpu: '100m', labels: { app: 'guard' }, affinity: anti(term(HOST, 'web')) });
    const nodes = [solverNode('guarded', { zone: 'zone-a', bound: [guard] })];
    const r = solve({ pods: [pod({ name: 'web', cpu: '1', labels: { app: 'web' } }), pod({ name: 'other', cpu: '1', labels: { app: 'api' } })], nodePools: [pool()], nodes });
    const where = placements(r);
    assert.equal(where.get('other'), 'guarded');
    assert.notEqual(where.get('web'), 'guarded');
    assert.notEqual(where.get('web'), 'unschedulable');
    const zoneGuard = pod({ name: 'guard', cpu: '100m', labels: { app: 'guard' }, affinity: anti(term(ZONE, 'web')) });
    const r2 = solve({ pods: [pod({ name: 'web', cpu: '1', labels: { app: 'web' } })], nodePools: [pool()], nodes: [fullNode('guarded', 'zone-a', [zoneGuard])] });
    assert.deepEqual(offeringZones(only(r2.newNodeClaims)), ['zone-b', 'zone-c']);
  });

  it('keeps a pending pod away from a pending pod whose anti-affinity selects it', () => {
    const guard = pod({ name: 'guard', cpu: '2', labels: { app: 'guard' }, affinity: anti(term(HOST, 'web')) });
    const r = solve({ pods: [guard, pod({ name: 'web', cpu: '1', labels: { app: 'web' } })], nodePools: [pool()] });
    const where = placements(r);
    assert.notEqual(where.get('web'), where.get('guard'));
    assert.equal(r.unschedulable.length, 0);
  });

  it('treats preferred anti-affinity as required while it can, and not at all under ignorePreferences', () => {
    const preferred = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term(HOST, 'web') }] } };
    assert.equal(solve({ pods: webs(3, { affinity: preferred }), nodePools: [pool()] }).newNodeClaims.length, 3);
    assert.equal(solve({ pods: webs(3, { affinity: preferred }), nodePools: [pool()], options: { ignorePreferences: true } }).newNodeClaims.length, 1);
  });

  it('relaxes preferred anti-affinity that cannot be met, and never enforces it in the inverse direction', {}, () => {
    const zonePref = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term(ZONE, 'web') }] } };
    // One zone, four pods that would rather not share it: all placed.
    assert.equal(solve({ pods: webs(4, { affinity: zonePref }), nodePools: [zonesPool('zone-a')] }).unschedulable.length, 0);
    // Karpenter's "should violate preferred pod anti-affinity on zone (inverse)".
    const pinned = ['zone-a', 'zone-b', 'zone-c'].map((z) => pod({ name: z, cpu: '2', nodeSelector: { [ZONE]: z }, affinity: zonePref }));
    const r = solve({ pods: [...pinned, pod({ name: 'web', cpu: '100m', labels: { app: 'web' } })], nodePools: [pool()] });
    assert.equal(r.unschedulable.length, 0);
  });
});
