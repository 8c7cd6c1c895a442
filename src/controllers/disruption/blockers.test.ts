import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { StateNode } from '../../state/state-node.js';
import { pod } from '../../test/builders.js';
import { doNotDisruptReason, doNotDisruptWindow, holdsAt, pdbBlockReason, PdbLookup, PdbVerdicts, podProtectedUntil } from './blockers.js';
import { disruptionCost, evictionCost, lifetimeRemaining } from './disruption-cost.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const running = (o: Parameters<typeof pod>[0] & { startedAt?: number } = {}): Pod => {
  const p = pod(o);
  p.metadata.creationTimestamp = new Date(T0).toISOString();
  p.status = { phase: 'Running', startTime: new Date(o.startedAt ?? T0).toISOString() };
  return p;
};

describe('do-not-disrupt', () => {
  it('"true" protects forever, a duration from the pod start, anything else not at all', () => {
    assert.equal(podProtectedUntil(running({ annotations: { 'karpenter.sh/do-not-disrupt': 'true' } }), T0), Infinity);
    const timed = running({ annotations: { 'karpenter.sh/do-not-disrupt': '30m' }, startedAt: T0 + 60_000 });
    assert.equal(podProtectedUntil(timed, T0 + 10 * 60_000), T0 + 31 * 60_000);
    assert.equal(podProtectedUntil(timed, T0 + 31 * 60_000), undefined, 'expired at start + 30m');
    assert.equal(podProtectedUntil(running({ annotations: { 'karpenter.sh/do-not-disrupt': 'maybe' } }), T0), undefined);
    assert.equal(podProtectedUntil(running({ annotations: { 'karpenter.sh/do-not-disrupt': 'false' } }), T0), undefined);
    assert.equal(podProtectedUntil(running(), T0), undefined);
  });

  it('honours the v1alpha5 do-not-evict annotation', () => {
    assert.equal(podProtectedUntil(running({ annotations: { 'karpenter.sh/do-not-evict': 'true' } }), T0), Infinity);
  });

  it('ignores pods that are finished or terminating', () => {
    const done = running({ annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    done.status = { phase: 'Succeeded' };
    assert.equal(podProtectedUntil(done, T0), undefined);
    const leaving = running({ annotations: { 'karpenter.sh/do-not-disrupt': 'true' } });
    leaving.metadata.deletionTimestamp = new Date(T0).toISOString();
    assert.equal(podProtectedUntil(leaving, T0), undefined);
  });

  it('names the node, the claim or the pod that blocks', () => {
    const base = { name: 'n1', nodeClaimName: 'c1', pods: [] as Pod[], node: { metadata: { name: 'n1' }, spec: {} }, nodeClaim: { metadata: { name: 'c1' }, spec: {} } };
    const view = (o: object): StateNode => ({ ...base, ...o } as unknown as StateNode);
    assert.equal(doNotDisruptReason(view({}), T0), undefined);
    assert.match(doNotDisruptReason(view({ node: { metadata: { name: 'n1', annotations: { 'karpenter.sh/do-not-disrupt': 'true' } } } }), T0)!, /^node n1 has/);
    assert.match(doNotDisruptReason(view({ nodeClaim: { metadata: { name: 'c1', annotations: { 'karpenter.sh/do-not-disrupt': 'true' } } } }), T0)!, /^nodeclaim c1 has/);
    const p = running({ name: 'web', annotations: { 'karpenter.sh/do-not-disrupt': '1h' } });
    assert.equal(doNotDisruptReason(view({ pods: [p] }), T0), 'pod default/web has karpenter.sh/do-not-disrupt until 2024-01-01T01:00:00.000Z');
  });

  it('holds an answer only until the first time-limited protection lapses', () => {
    const base = { name: 'n1', nodeClaimName: 'c1', node: { metadata: { name: 'n1' }, spec: {} }, nodeClaim: { metadata: { name: 'c1' }, spec: {} } };
    const short = running({ name: 'short', annotations: { 'karpenter.sh/do-not-disrupt': '10m' } });
    const long = running({ name: 'long', annotations: { 'karpenter.sh/do-not-disrupt': '1h' } });
    const v = { ...base, pods: [long, short] } as unknown as StateNode;
    let w = doNotDisruptWindow(v, T0);
    assert.equal(w.until, T0 + 10 * 60_000, 'the short protection lapses first');
    for (const at of [T0, T0 + 5 * 60_000, T0 + 10 * 60_000, T0 + 59 * 60_000, T0 + 60 * 60_000, T0 + 2 * 3_600_000]) {
      if (!holdsAt(w, at)) w = doNotDisruptWindow(v, at);
      assert.equal(w.reason, doNotDisruptReason(v, at), `at +${(at - T0) / 60_000}m`);
    }
    assert.equal(doNotDisruptWindow(v, T0 + 60 * 60_000).reason, undefined, 'both lapsed');
    assert.equal(holdsAt(w, T0 - 1), false, 'not before it was taken');
  });
});

describe('PodDisruptionBudgets', () => {
  const budget = (name: string, allowed: number | undefined): PodDisruptionBudget => ({
    metadata: { name, namespace: 'default' }, spec: {}, status: allowed === undefined ? undefined : { disruptionsAllowed: allowed },
  });

  it('blocks a pod whose budget allows no disruption, or that two budgets select', () => {
    const a = running({ name: 'a' });
    const b = running({ name: 'b' });
    assert.equal(pdbBlockReason([a, b], () => [budget('ok', 1)]), undefined);
    assert.match(pdbBlockReason([a, b], (p) => (p === b ? [budget('tight', 0)] : []))!, /PodDisruptionBudget default\/tight allows no disruption of pod default\/b/);
    assert.match(pdbBlockReason([a], () => [budget('x', 1), budget('y', 1)])!, /selected by 2 PodDisruptionBudgets \(default\/x, default\/y\)/);
    assert.match(pdbBlockReason([a], () => [budget('fresh', undefined)])!, /allows no disruption/, 'no status yet counts as none allowed');
  });

  it('skips pods that eviction would not touch (finished, terminating, static)', () => {
    const done = running({ name: 'done' });
    done.status = { phase: 'Failed' };
    const mirror = running({ name: 'mirror', ownerKind: 'Node' });
    assert.equal(pdbBlockReason([done, mirror], () => [budget('tight', 0)]), undefined);
  });
});

describe('PdbVerdicts', () => {
  const budget = (name: string, app: string, allowed: number | undefined): PodDisruptionBudget => ({
    metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app } } },
    status: allowed === undefined ? undefined : { disruptionsAllowed: allowed },
  });
  /** What a pass over these budgets would say without anything kept from earlier passes. */
  const fresh = (pdbs: readonly PodDisruptionBudget[], pods: readonly Pod[]): string | undefined => {
    const lookup = new PdbLookup(pdbs);
    return pdbBlockReason(pods, (p) => lookup.forPod(p));
  };
  const web1 = running({ name: 'web-1', labels: { app: 'web' } });
  const web2 = running({ name: 'web-2', labels: { app: 'web' } });
  const api = running({ name: 'api', labels: { app: 'api' } });
  const other = running({ name: 'other', labels: { app: 'other' } });
  const pods = [other, web1, api, web2];

  it('reads each pass\'s budget status, not the one the selectors were indexed with', () => {
    // The same pod list over passes whose budgets differ only in status: a verdict kept from an
    // earlier pass would be stale in every other step.
    const statuses: [number | undefined, number | undefined][] = [[1, 1], [0, 1], [1, 1], [1, 0], [0, 0], [undefined, 1], [2, 3]];
    for (const [w, a] of statuses) {
      const pdbs = [budget('web', 'web', w), budget('api', 'api', a)];
      assert.equal(PdbVerdicts.of(pdbs).reasonFor(pods), fresh(pdbs, pods), `web allows ${w}, api allows ${a}`);
    }
    assert.match(PdbVerdicts.of([budget('web', 'web', 0), budget('api', 'api', 0)]).reasonFor(pods)!, /default\/web allows no disruption of pod default\/web-1/, 'the first pod blocked');
  });

  it('notices a changed selector, a budget added or removed, and budgets in a new order', () => {
    const lists: PodDisruptionBudget[][] = [
      [budget('web', 'web', 0)],
      [budget('web', 'api', 0)],
      [budget('web', 'nothing', 0)],
      [budget('web', 'web', 1), budget('web-too', 'web', 1)],
      [budget('api', 'api', 0), budget('web', 'web', 0)],
      [budget('web', 'web', 0), budget('api', 'api', 0)],
      [],
    ];
    for (const pdbs of lists) {
      assert.equal(PdbVerdicts.of(pdbs).reasonFor(pods), fresh(pdbs, pods), pdbs.map((p) => `${p.metadata.name}:${JSON.stringify(p.spec.selector)}`).join(' '));
    }
  });

  it('blocks at a pod two budgets select only when no earlier pod is blocked', () => {
    const twice = running({ name: 'twice', labels: { app: 'web', tier: 'x' } });
    const tierBudget: PodDisruptionBudget = { metadata: { name: 'tier', namespace: 'default' }, spec: { selector: { matchLabels: { tier: 'x' } } }, status: { disruptionsAllowed: 5 } };
    const list = [api, web1, twice];
    for (const allowed of [0, 1]) {
      const pdbs = [budget('api', 'api', allowed), budget('web', 'web', 5), tierBudget];
      assert.equal(PdbVerdicts.of(pdbs).reasonFor(list), fresh(pdbs, list), `api allows ${allowed}`);
    }
    assert.match(PdbVerdicts.of([budget('api', 'api', 1), budget('web', 'web', 5), tierBudget]).reasonFor(list)!, /pod default\/twice is selected by 2 PodDisruptionBudgets \(default\/web, default\/tier\)/);
  });
});

describe('disruption cost', () => {
  it('is 1 per pod, moved by deletion cost and priority, clamped to [-10, 10]', () => {
    assert.equal(evictionCost(running()), 1);
    assert.equal(evictionCost(running({ annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(2 ** 27) } })), 2);
    assert.equal(evictionCost(running({ annotations: { 'controller.kubernetes.io/pod-deletion-cost': 'lots' } })), 1);
    assert.equal(evictionCost(running({ priority: 2 ** 25 })), 2);
    assert.equal(evictionCost(running({ priority: 1_000_000_000 })), 10);
    assert.equal(evictionCost(running({ annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(-(2 ** 31)) } })), -10);
  });

  it('scales with the fraction of the lifetime left', () => {
    const claim = (expireAfter: string): NodeClaim => ({
      metadata: { name: 'c', creationTimestamp: new Date(T0).toISOString() },
      spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' }, expireAfter },
    });
    assert.equal(lifetimeRemaining(claim('10h'), T0), 1);
    assert.equal(lifetimeRemaining(claim('10h'), T0 + 2.5 * 3_600_000), 0.75);
    assert.equal(lifetimeRemaining(claim('10h'), T0 + 20 * 3_600_000), 0);
    assert.equal(lifetimeRemaining(claim('Never'), T0 + 20 * 3_600_000), 1);
    assert.equal(disruptionCost([running(), running()], claim('10h'), T0 + 5 * 3_600_000), 1);
  });
});
