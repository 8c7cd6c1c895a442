/**
 * The scan carries what it learnt of each machine view from pass to pass (pool, price, when
 * consolidateAfter elapses, do-not-disrupt windows, budget hits, last pass's candidates). Over
 * random sequences of passes, where views, their order, the pools, the budgets and the time change
 * (now and then backwards), every carried scan must say what a scan of fresh copies of the same
 * views (nothing known of them) says.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { StateNode } from '../../state/state-node.js';
import { instanceType, nodePool, pod } from '../../test/builders.js';
import { Random } from '../../utils/random.js';
import { PdbVerdicts } from './blockers.js';
import type { CandidateScan } from './candidates.js';
import { CandidateScanner } from './candidates.js';
import type { PoolInfo } from './types.js';

const T0 = Date.parse('2025-01-06T00:00:00Z');
const MIN = 60_000;

/** A seeded stream of numbers in [0, 1), so a failure names its seed. */
function rng(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function randomPod(r: Rand, now: number): Pod {
  const dnd = pick(r, [undefined, undefined, undefined, 'true', '10m', '45m']);
  const p = pod({
    labels: { app: pick(r, ['web', 'api', 'batch']) },
    annotations: dnd === undefined ? undefined : { 'karpenter.sh/do-not-disrupt': dnd },
    priority: pick(r, [undefined, 0, 1000]),
    ownerKind: pick(r, ['ReplicaSet', 'ReplicaSet', 'DaemonSet']),
  });
  const started = now - Math.floor(r() * 60) * MIN;
  p.metadata.creationTimestamp = new Date(started).toISOString();
  p.status = { phase: 'Running', startTime: new Date(started).toISOString() };
  return p;
}

function claim(r: Rand, name: string, now: number): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim',
    metadata: { name, creationTimestamp: new Date(now - Math.floor(r() * 120) * MIN).toISOString() },
    spec: { requirements: [], nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' }, expireAfter: pick(r, [undefined, '3h', 'Never']) },
  };
}

/** A machine view with the fields the scan reads (a new object, as the cache hands out on any change). */
function randomView(r: Rand, i: number, now: number, pods?: readonly Pod[]): StateNode {
  const name = `n${i}`;
  const list = pods ?? Array.from({ length: Math.floor(r() * 4) }, () => randomPod(r, now));
  return {
    id: name, name, nodeName: name, nodeClaimName: r() < 0.95 ? `c${i}` : undefined, providerID: undefined,
    node: { apiVersion: 'v1', kind: 'Node', metadata: { name, creationTimestamp: new Date(T0 - 3_600_000).toISOString() } },
    nodeClaim: claim(r, `c${i}`, now),
    nodePool: pick(r, ['a', 'a', 'b', 'gone', undefined]),
    managed: r() < 0.95, registered: true, initialized: r() < 0.9, inFlight: false, deleting: false,
    markedForDeletion: r() < 0.05, disrupted: r() < 0.05, cordoned: false,
    nominatedUntil: r() < 0.05 ? now + 5 * MIN : undefined,
    lastPodEventMs: r() < 0.7 ? now - Math.floor(r() * 20) * MIN : undefined,
    labels: {
      'node.kubernetes.io/instance-type': pick(r, ['small', 'large', 'unknown']),
      'topology.kubernetes.io/zone': pick(r, ['test-zone-1', 'test-zone-2']),
      'karpenter.sh/capacity-type': 'on-demand',
    },
    taints: [], capacity: { cpu: 2000 }, allocatable: { cpu: 2000 }, requested: {}, daemonSetRequested: {},
    pods: list, daemonSetPods: [],
  };
}

function randomPool(r: Rand, name: string): PoolInfo {
  const np = nodePool({ name });
  np.spec.disruption = { ...np.spec.disruption, consolidateAfter: pick(r, ['0s', '5m', '15m', 'Never']) };
  const types = [instanceType('small', { price: pick(r, [0.1, 0.2]) }), instanceType('large', { price: 0.4 })];
  return { name, nodePool: withDefaults(np), instanceTypes: types, typesByName: new Map(types.map((t) => [t.name, t])) };
}

function budget(r: Rand, app: string): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: app, namespace: 'default' },
    spec: { selector: { matchLabels: { app } } },
    status: { disruptionsAllowed: pick(r, [0, 1, 1]) },
  };
}

/** What a scan says, with views named instead of compared by identity. */
function describeScan(scan: CandidateScan): unknown {
  return {
    candidates: scan.candidates.map(({ stateNode, reschedulablePods, pool, ...rest }) => ({
      ...rest, view: stateNode.name, pods: reschedulablePods.map((p) => p.metadata.name), pool: pool.name,
    })),
    blocked: scan.blocked,
  };
}

/** A copy of the view and its pod list: nothing carried is known of it. */
const fresh = (v: StateNode): StateNode => ({ ...v, pods: [...v.pods] });

describe('the carried candidate scan', () => {
  for (let seed = 1; seed <= 25; seed++) {
    it(`says what a fresh scan says, pass after pass (seed ${seed})`, () => {
      const r = rng(seed);
      let now = T0;
      let views = Array.from({ length: 60 }, (_, i) => randomView(r, i, now));
      let next = views.length;
      let pools = new Map([['a', randomPool(r, 'a')], ['b', randomPool(r, 'b')]]);
      let pdbs = [budget(r, 'web'), budget(r, 'api')];
      const scanner = new CandidateScanner();
      for (let pass = 0; pass < 40; pass++) {
        now += Math.floor(r() * 8) * MIN + pick(r, [0, 1, 999]);
        if (r() < 0.1) now -= Math.floor(r() * 30) * MIN; // a clock set back: protections lapsed since hold again
        views = views.map((v, i) => (r() < 0.15 ? randomView(r, i, now, r() < 0.5 ? v.pods : undefined) : v));
        if (r() < 0.2) views.splice(Math.floor(r() * views.length), 1);
        if (r() < 0.1) views.splice(Math.floor(r() * views.length), 1 + Math.floor(r() * 25)); // more than the walk looks ahead
        if (r() < 0.2) views.push(randomView(r, next++, now));
        if (r() < 0.1) views.splice(Math.floor(r() * views.length), 0, randomView(r, next++, now));
        if (r() < 0.1) views.splice(Math.floor(r() * views.length), 0, ...views.splice(Math.floor(r() * views.length), 1));
        if (r() < 0.1) views.reverse();
        if (r() < 0.2) pools = new Map(pools);
        if (r() < 0.1) {
          const name = pick(r, ['a', 'b']);
          pools.set(name, randomPool(r, name));
        }
        if (r() < 0.05) pools.delete(pick(r, ['a', 'b']));
        if (r() < 0.5) pdbs = pdbs.map((p) => ({ ...p, status: { disruptionsAllowed: pick(r, [0, 1]) } }));
        if (r() < 0.1) pdbs = r() < 0.5 ? [...pdbs, budget(r, 'batch')] : pdbs.slice(1);
        const carried = scanner.scan(views, pools, PdbVerdicts.of(pdbs), now);
        const scratch = new CandidateScanner().scan(views.map(fresh), pools, PdbVerdicts.of(pdbs), now);
        assert.deepEqual(describeScan(carried), describeScan(scratch), `seed ${seed}, pass ${pass}`);
      }
    });
  }
});

/** A view that counts how often its Node name is read (the scan reads it only to sort the view out). */
function counted(v: StateNode, reads: { n: number }): StateNode {
  const name = v.nodeName;
  return Object.defineProperty({ ...v }, 'nodeName', { get: () => (reads.n++, name), enumerable: true });
}

describe('what the carried scan reads', () => {
  it('sorts out no view it carries, whatever run of machines left before it', () => {
    const now = T0 + 60 * MIN;
    const r = rng(7);
    const reads = { n: 0 };
    // Every view is in pool a and may be disrupted but for its pods (do-not-disrupt, a budget).
    const views = Array.from({ length: 60 }, (_, i) => counted({
      ...randomView(r, i, now), nodePool: 'a', managed: true, initialized: true, markedForDeletion: false, disrupted: false, nominatedUntil: undefined,
    }, reads));
    const pools = new Map([['a', randomPool(r, 'a')]]);
    const pdbs = PdbVerdicts.of([{ ...budget(r, 'web'), status: { disruptionsAllowed: 0 } }]);
    const scanner = new CandidateScanner();
    const first = scanner.scan(views, pools, pdbs, now);
    assert.ok(first.candidates.length > 0 && first.blocked.length > 0, 'the setup has both candidates and blocked machines');
    reads.n = 0;
    const again = scanner.scan([...views.slice(0, 5), ...views.slice(30)], pools, pdbs, now);
    assert.ok(again.candidates.length >= 10, `machines after the run are candidates (${again.candidates.length})`);
    assert.equal(reads.n, again.blocked.length, 'the Node name is read once per blocked machine (sorted out each scan), never for a candidate');
  });
});
