import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision as ControllerDecision } from '../../controllers/context.js';
import type { PlacementDecision } from '../../controllers/decisions/placement.js';
import { blockedDecision } from '../../controllers/disruption/decisions.js';
import { unschedulableDecision } from '../../controllers/provisioning/explain-round.js';
import { pod } from '../../test/builders.js';
import { resultDecisions, toLoggedDecision } from './record.js';

const T0 = 1_700_000_000_000;

describe('resultDecisions', () => {
  it('keeps the unschedulable record provisioning writes, with its per-NodePool reasons, in seconds from the start', () => {
    const huge = pod({ name: 'huge', namespace: 'default' });
    const d = toLoggedDecision(unschedulableDecision(T0 + 61_000, huge, 'nodepool small: would exceed its limits (cpu: 1 left)', [{ name: 'gpu', reason: 'its NodeClass is not ready' }]), T0);
    assert.equal(d.kind, 'unschedulable');
    assert.equal(d.t, 61);
    assert.deepEqual(d.details.pods, ['default/huge']);
    assert.deepEqual(d.details.alternativesRejected, ['nodepool small: nodepool small: would exceed its limits (cpu: 1 left)', 'nodepool gpu: its NodeClass is not ready']);
  });

  it('keeps disruption-blocked records with their node and NodePool, and the placements of a provision', () => {
    const blocked = toLoggedDecision(blockedDecision(T0 + 30_000, { nodes: ['ip-1'], nodePool: 'default' }, 'not disrupting node ip-1', 'pod default/web-0 has karpenter.sh/do-not-disrupt'), T0);
    assert.deepEqual({ kind: blocked.kind, nodes: blocked.details.nodes, nodePool: blocked.details.nodePool }, { kind: 'disruption-blocked', nodes: ['ip-1'], nodePool: 'default' });
    const provision: PlacementDecision = {
      time: T0, kind: 'provision', summary: 'launched 2 NodeClaims for 3 pods', why: 'nodeclaim c1 (nodepool default): m5.large at $0.0960/h', nodes: ['c1', 'c2'],
      pods: ['a/x', 'a/y', 'a/z'], placements: [{ node: 'c1', pods: ['a/x'], launched: true }, { node: 'c2', pods: ['a/y', 'a/z'], launched: true }],
    };
    assert.deepEqual(toLoggedDecision(provision, T0).details.placements, provision.placements);
  });

  it('reads an empty-node deletion as a consolidation that says empty, as the report counts it', () => {
    const empty: ControllerDecision = { time: T0 + 5000, kind: 'empty', summary: 'deleting 1 node: ip-1', why: 'emptiness', nodes: ['ip-1'] };
    const d = toLoggedDecision(empty, T0);
    assert.equal(d.kind, 'consolidate-delete');
    assert.match(d.summary, /empty/);
  });

  it('folds a pod recorded unschedulable again and again into one entry', () => {
    const p = pod({ name: 'huge', namespace: 'default' });
    const log = Array.from({ length: 50 }, (_, i) => unschedulableDecision(T0 + i * 10_000, p, 'no instance type is big enough', []));
    const out = resultDecisions(log, T0);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.repeats, { count: 50, lastT: 490 });
  });
});
