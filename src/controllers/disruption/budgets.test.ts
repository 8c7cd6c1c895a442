import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { withDefaults } from '../../apis/v1/defaults.js';
import type { Budget } from '../../apis/v1/types.js';
import type { StateNode } from '../../state/state-node.js';
import { nodePool } from '../../test/builders.js';
import type { BudgetState } from './budgets.js';
import { budgetLimit, budgetMapping, budgetNodes, describeBudget, isBudgetActive, poolNodeCounts } from './budgets.js';
import { BudgetGate } from './method-context.js';
import type { Candidate, PoolInfo } from './types.js';

const at = (iso: string): number => Date.parse(iso);

describe('budgetNodes', () => {
  it('takes counts as they are and rounds percentages up', () => {
    assert.equal(budgetNodes('3', 10), 3);
    assert.equal(budgetNodes('0', 10), 0);
    assert.equal(budgetNodes('10%', 10), 1);
    assert.equal(budgetNodes('10%', 11), 2);
    assert.equal(budgetNodes('10%', 1), 1);
    assert.equal(budgetNodes('0%', 50), 0);
    assert.equal(budgetNodes('100%', 7), 7);
    assert.equal(budgetNodes('10%', 0), 0);
  });

  it('allows nothing for a value that is neither', () => {
    assert.equal(budgetNodes('ten', 10), 0);
    assert.equal(budgetNodes('-1', 10), 0);
  });

  it('a percentage is never below the exact share and less than one node above it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 5000 }), (pct, total) => {
      const n = budgetNodes(`${pct}%`, total);
      return n >= (pct * total) / 100 && n < (pct * total) / 100 + 1;
    }));
  });
});

describe('budget windows and reasons', () => {
  const business: Budget = { nodes: '0', schedule: '0 9 * * mon-fri', duration: '8h' };

  it('a scheduled budget is active only inside its window (UTC)', () => {
    assert.equal(isBudgetActive(business, at('2024-01-02T08:59:00Z')), false); // Tuesday, before 09:00
    assert.equal(isBudgetActive(business, at('2024-01-02T09:00:00Z')), true);
    assert.equal(isBudgetActive(business, at('2024-01-02T16:59:59Z')), true);
    assert.equal(isBudgetActive(business, at('2024-01-02T17:00:00Z')), false); // the window has closed
    assert.equal(isBudgetActive(business, at('2024-01-06T10:00:00Z')), false); // Saturday
    assert.equal(isBudgetActive({ nodes: '1' }, at('2024-01-06T10:00:00Z')), true);
  });

  it('the most restrictive active budget for the reason wins; none active means no limit', () => {
    const budgets: Budget[] = [{ nodes: '50%' }, business, { nodes: '1', reasons: ['Drifted'] }];
    const tuesday10 = at('2024-01-02T10:00:00Z');
    const saturday = at('2024-01-06T10:00:00Z');
    assert.deepEqual(budgetLimit(budgets, 'Underutilized', 10, tuesday10), { limit: 0, budget: business });
    assert.equal(budgetLimit(budgets, 'Underutilized', 10, saturday).limit, 5);
    assert.equal(budgetLimit(budgets, 'Drifted', 10, saturday).limit, 1);
    assert.equal(budgetLimit([{ nodes: '0', reasons: ['Empty'] }], 'Drifted', 10, saturday).limit, Infinity);
    assert.equal(budgetLimit([business], 'Empty', 10, saturday).limit, Infinity);
  });

  it('treats a schedule that does not parse as active (restrictive)', () => {
    assert.equal(isBudgetActive({ nodes: '0', schedule: 'not cron', duration: '1h' }, 0), true);
  });
});

describe('budgetMapping', () => {
  const view = (name: string, o: Partial<StateNode> & { ready?: boolean } = {}): StateNode => ({
    name, nodePool: 'default', managed: true, initialized: true, markedForDeletion: false,
    node: { metadata: { name }, spec: {}, status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] } },
    ...o,
  } as StateNode);
  const pools = (budgets: Budget[]): Map<string, PoolInfo> => {
    const np = nodePool();
    np.spec.disruption = { budgets };
    return new Map([['default', { name: 'default', nodePool: withDefaults(np), instanceTypes: [], typesByName: new Map() }]]);
  };

  it('counts managed initialised nodes, and those marked, deleting or not Ready against the budget', () => {
    const nodes = [
      view('a'), view('b'), view('c'), view('d'), view('e'), view('f'), view('g'), view('h'),
      view('marked', { markedForDeletion: true }),
      view('notready', { ready: false }),
      view('uninitialised', { initialized: false }),
      view('unmanaged', { managed: false }),
      view('other-pool', { nodePool: 'other' }),
    ];
    const b = budgetMapping(nodes, pools([{ nodes: '30%' }]), 'Underutilized', 0).get('default')!;
    assert.equal(b.total, 10);
    assert.equal(b.disrupting, 2);
    assert.equal(b.limit, 3);
    assert.equal(b.allowed, 1);
    assert.match(describeBudget(b), /nodes=30% allows 3 of 10 nodes at a time for Underutilized, and 2 are being disrupted now/);
    assert.equal(budgetMapping(nodes, pools([{ nodes: '1' }]), 'Empty', 0).get('default')!.allowed, 0);
  });

  it('counts a list from the last one it counted as it would from scratch', () => {
    const first = [view('a'), view('b', { ready: false }), view('c'), view('d', { nodePool: 'other' })];
    const second = [view('a2', { markedForDeletion: true }), first[1]!, view('c2', { initialized: false }), first[3]!];
    const counted = (nodes: StateNode[]): unknown => {
      const c = poolNodeCounts(nodes);
      return [[...c.total].sort(), [...c.disrupting].sort()];
    };
    counted(first);
    const carried = counted(second);
    counted([]);
    assert.deepEqual(carried, counted(second));
    assert.deepEqual(carried, [[['default', 2], ['other', 1]], [['default', 2]]]);
  });

  it('counts lists that gain, lose and change machines as it would from scratch', () => {
    fc.assert(fc.property(
      fc.array(fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('drop', 'add', 'change', 'keep') }), { maxLength: 6 }), { minLength: 1, maxLength: 8 }),
      (steps) => {
        let nodes: StateNode[] = Array.from({ length: 6 }, (_, k) => view(`m${k}`));
        let next = 6;
        const variant = (k: number): Partial<StateNode> & { ready?: boolean } =>
          [{}, { ready: false }, { markedForDeletion: true }, { initialized: false }, { nodePool: 'other' }, { managed: false }][k % 6]!;
        const scratch = (list: readonly StateNode[]): unknown => {
          const total = new Map<string, number>();
          const disrupting = new Map<string, number>();
          for (const n of list) {
            if (!n.managed || !n.initialized || n.nodePool === undefined) continue;
            total.set(n.nodePool, (total.get(n.nodePool) ?? 0) + 1);
            const ready = n.node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
            if (n.markedForDeletion || !ready) disrupting.set(n.nodePool, (disrupting.get(n.nodePool) ?? 0) + 1);
          }
          return [[...total].sort(), [...disrupting].sort()];
        };
        poolNodeCounts(nodes);
        for (const edits of steps) {
          nodes = [...nodes];
          for (const { at, op } of edits) {
            const k = nodes.length === 0 ? 0 : at % nodes.length;
            if (op === 'drop' && nodes.length > 0) nodes.splice(k, 1);
            else if (op === 'add') nodes.splice(at % 2 === 0 ? nodes.length : k, 0, view(`m${next++}`, variant(at)));
            else if (op === 'change' && nodes.length > 0) nodes[k] = view(nodes[k]!.name, variant(at));
          }
          const c = poolNodeCounts(nodes);
          assert.deepEqual([[...c.total].sort(), [...c.disrupting].sort()], scratch(nodes));
        }
      },
    ), { numRuns: 300 });
  });

  it('gives pools with no node a budget too', () => {
    const b = budgetMapping([], pools([{ nodes: '10%' }]), 'Empty', 0).get('default')!;
    assert.deepEqual([b.total, b.allowed], [0, 0]);
  });
});

describe('BudgetGate', () => {
  const state = (nodePool: string, allowed: number): BudgetState =>
    ({ nodePool, reason: 'Underutilized', total: 10, disrupting: 0, limit: allowed, budget: { nodes: String(allowed) }, allowed });
  const candidate = (pool: string): Candidate => ({ nodePoolName: pool } as Candidate);

  it('tells a budget closed from the start from one the method used up itself', () => {
    const gate = new BudgetGate(new Map([['paced', state('paced', 1)], ['closed', state('closed', 0)]]));
    assert.equal(gate.take(candidate('paced')), true);
    assert.equal(gate.take(candidate('paced')), false);
    assert.equal(gate.allows(candidate('closed')), false);
    assert.deepEqual(gate.blocked.map((b) => b.nodePool).sort(), ['closed', 'paced']);
    assert.deepEqual(gate.closed.map((b) => b.nodePool), ['closed']);
  });
});
