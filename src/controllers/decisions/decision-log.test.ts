import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryKubeClient } from '../../kube/memory/memory-client.js';
import { VirtualClock } from '../../utils/clock.js';
import type { Decision, Logger } from '../context.js';
import { node } from '../../test/builders.js';
import { makeTestEnv } from '../../test/env.js';
import { DecisionLog, machineKindFromState } from './decision-log.js';
import type { PlacementDecision } from './placement.js';
import type { DecisionQuery } from './record-store.js';
import { DecisionStore } from './record-store.js';

function decision(o: Partial<Decision> & Pick<Decision, 'kind'>, time = 0): Decision {
  return { time, summary: `${o.kind} happened`, why: 'because', ...o };
}

function recordingLogger(lines: { level: string; message: string; fields: Record<string, unknown> }[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string): void => {
    lines.push({ level, message, fields });
  };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

async function settleWrites(clock: VirtualClock, log: DecisionLog): Promise<void> {
  for (let i = 0; i < 100 && !log.isIdle(); i++) await clock.step(0);
  assert.ok(log.isIdle());
}

describe('DecisionStore', () => {
  it('queries by pod, node, nodepool, kind and time, oldest first', () => {
    const s = new DecisionStore(100);
    s.add(decision({ kind: 'provision', pods: ['ns/a', 'ns/b'], nodes: ['c1'], nodePool: 'p' }, 10));
    s.add(decision({ kind: 'unschedulable', pods: ['ns/c'] }, 20));
    s.add(decision({ kind: 'empty', nodes: ['c1'], nodePool: 'p' }, 30));
    s.add(decision({ kind: 'provision', pods: ['ns/a'], nodes: ['c2'], nodePool: 'q' }, 40));
    assert.deepEqual(s.query({ pod: 'ns/a' }).map((d) => d.time), [10, 40]);
    assert.deepEqual(s.query({ node: 'c1' }).map((d) => d.time), [10, 30]);
    assert.deepEqual(s.query({ nodePool: 'p' }).map((d) => d.time), [10, 30]);
    assert.deepEqual(s.query({ kind: 'provision' }).map((d) => d.time), [10, 40]);
    assert.deepEqual(s.query({ kind: ['empty', 'unschedulable'] }).map((d) => d.time), [20, 30]);
    assert.deepEqual(s.query({ since: 20, until: 30 }).map((d) => d.time), [20, 30]);
    assert.deepEqual(s.query({ pod: 'ns/a', nodePool: 'q' }).map((d) => d.time), [40]);
    assert.deepEqual(s.query({ pod: 'ns/a', node: 'c1' }).map((d) => d.time), [10]);
    assert.deepEqual(s.query({ limit: 2 }).map((d) => d.time), [30, 40]);
    assert.deepEqual(s.query({ pod: 'ns/zzz' }), []);
  });

  it('indexes the pods and nodes of placements', () => {
    const s = new DecisionStore(10);
    const d: PlacementDecision = {
      ...decision({ kind: 'provision' }),
      placements: [{ node: 'claim-1', pods: ['ns/x'], launched: true }, { node: 'node-7', pods: ['ns/y'], launched: false }],
    };
    s.add(d);
    assert.equal(s.query({ pod: 'ns/y' }).length, 1);
    assert.equal(s.query({ node: 'node-7' }).length, 1);
    assert.equal(s.query({ node: 'node-7', pod: 'ns/x' }).length, 1, 'both are named by the one decision');
  });

  it('keeps only the last `capacity` records and lets their index entries go', () => {
    const s = new DecisionStore(50);
    for (let i = 0; i < 1_000; i++) s.add(decision({ kind: 'provision', pods: [`ns/p${i}`], nodes: [`c${i}`] }, i));
    assert.equal(s.size, 50);
    assert.equal(s.recorded, 1_000);
    const all = s.query();
    assert.equal(all.length, 50);
    assert.equal(all[0]!.time, 950);
    assert.deepEqual(s.query({ pod: 'ns/p10' }), []);
    assert.equal(s.query({ pod: 'ns/p999' }).length, 1);
    // Two indexes (pods, nodes) with at most ~2 × capacity live keys each, plus the kind.
    assert.ok(s.indexedKeys <= 4 * 50 + 1, `index holds ${s.indexedKeys} keys`);
  });

  it('answers every query as a filter over the kept records, whatever adds and queries interleave (randomised)', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const kinds = ['provision', 'empty', 'unschedulable'] as const;
    for (let round = 0; round < 20; round++) {
      const capacity = 1 + rand(12);
      const s = new DecisionStore(capacity);
      const all: Decision[] = [];
      for (let step = 0; step < 200; step++) {
        if (rand(3) > 0) {
          const d = decision({ kind: kinds[rand(3)]!, pods: [`ns/p${rand(5)}`], nodes: rand(2) ? [`n${rand(4)}`] : [], nodePool: rand(2) ? `pool${rand(2)}` : undefined }, step);
          s.add(d);
          all.push(d);
          continue;
        }
        const q: DecisionQuery = [{ pod: `ns/p${rand(5)}` }, { node: `n${rand(4)}` }, { nodePool: `pool${rand(2)}` }, { kind: kinds[rand(3)]! }, {}][rand(5)]!;
        const kept = all.slice(Math.max(0, all.length - capacity));
        const expected = kept.filter((d) => (q.pod === undefined || d.pods?.includes(q.pod)) && (q.node === undefined || d.nodes?.includes(q.node))
          && (q.nodePool === undefined || d.nodePool === q.nodePool) && (q.kind === undefined || d.kind === q.kind));
        assert.deepEqual(s.query(q), expected, `round ${round}, step ${step}, ${JSON.stringify(q)}`);
      }
    }
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new DecisionStore(0), RangeError);
  });
});

describe('DecisionLog', () => {
  it('writes a log line and Events on the NodePool and NodeClaims of a decision', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
    const log = new DecisionLog({ clock, kube, log: recordingLogger(lines) });
    log.record(decision({
      kind: 'provision', summary: 'launched 1 NodeClaim for 2 pods', why: 'm5.large is the cheapest of 4',
      nodes: ['default-abc'], pods: ['ns/a', 'ns/b'], nodePool: 'default', costPerHourBefore: 0, costPerHourAfter: 0.1,
      alternativesRejected: [{ option: 'nodepool gpu', reason: 'requirements exclude these pods' }],
    }));
    await settleWrites(clock, log);
    const events = (await kube.list('Event')).items;
    assert.deepEqual(events.map((e) => `${e.regarding?.kind}/${e.regarding?.name}`).sort(), ['NodeClaim/default-abc', 'NodePool/default']);
    assert.ok(events.every((e) => e.reason === 'ProvisioningDecision' && e.type === 'Normal'));
    assert.match(events[0]!.note ?? '', /launched 1 NodeClaim for 2 pods: m5.large is the cheapest of 4 Rejected: nodepool gpu/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'info');
    assert.equal(lines[0]!.fields['nodepool'], 'default');
    assert.equal(lines[0]!.fields['costPerHourAfter'], 0.1);
    assert.equal(log.size, 1);
  });

  it('writes events on pods only when the decision names no node or pool, and uses the resolver for node kinds', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const log = new DecisionLog({ clock, kube, silentKinds: [], machineKindOf: (n) => (n === 'ip-1' ? 'Node' : undefined) });
    log.record(decision({ kind: 'unschedulable', pods: ['team/web-1'] }));
    log.record(decision({ kind: 'disruption-blocked', nodes: ['ip-1', 'claim-9'] }));
    await settleWrites(clock, log);
    const events = (await kube.list('Event')).items;
    const seen = events.map((e) => `${e.type}:${e.reason}:${e.regarding?.kind}/${e.regarding?.namespace ?? ''}/${e.regarding?.name}`).sort();
    assert.deepEqual(seen, [
      'Warning:DisruptionBlocked:Node//ip-1',
      'Warning:DisruptionBlocked:Node//claim-9', // not a known NodeClaim, and not a provisioning decision
      'Warning:Unschedulable:Pod/team/web-1',
    ].sort());
  });

  it('records no Event for unschedulable decisions by default (provisioning writes FailedScheduling)', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const log = new DecisionLog({ clock, kube });
    log.record(decision({ kind: 'unschedulable', pods: ['ns/a'] }));
    await settleWrites(clock, log);
    assert.equal((await kube.list('Event')).items.length, 0);
    assert.equal(log.query({ pod: 'ns/a' }).length, 1);
  });

  it('bounds the Event rate and counts what it dropped', async () => {
    const clock = new VirtualClock();
    const kube = new MemoryKubeClient({ clock });
    const log = new DecisionLog({ clock, kube, eventBurst: 3, eventsPerSecond: 1 });
    for (let i = 0; i < 10; i++) log.record(decision({ kind: 'empty', nodes: [`n${i}`] }));
    await settleWrites(clock, log);
    assert.equal((await kube.list('Event')).items.length, 3);
    assert.equal(log.droppedEvents, 7);
    await clock.step(2_000);
    for (let i = 0; i < 5; i++) log.record(decision({ kind: 'empty', nodes: [`m${i}`] }));
    await settleWrites(clock, log);
    assert.equal((await kube.list('Event')).items.length, 5, 'two more tokens after two seconds');
    assert.equal(log.query().length, 15, 'every decision is kept whatever the event rate');
  });

  it('explains a pending pod: planned onto a claim, or unschedulable with the reason', () => {
    const clock = new VirtualClock();
    const log = new DecisionLog({ clock });
    assert.deepEqual(log.whyPending('ns/a'), { state: 'unknown' });
    log.record(decision({ kind: 'unschedulable', pods: ['ns/a'], why: 'nodepool default has reached its node limit' }, 1));
    const first = log.whyPending('ns/a');
    assert.equal(first.state, 'unschedulable');
    assert.equal(first.state === 'unschedulable' && first.reason, 'nodepool default has reached its node limit');
    assert.equal(log.plannedFor('ns/a'), undefined);
    const planned: PlacementDecision = {
      ...decision({ kind: 'provision', pods: ['ns/a', 'ns/b'], nodes: ['c1', 'c2'] }, 2),
      placements: [{ node: 'c1', pods: ['ns/b'], launched: true }, { node: 'c2', pods: ['ns/a'], launched: true }],
    };
    log.record(planned);
    const second = log.whyPending('ns/a');
    assert.equal(second.state, 'planned');
    assert.equal(second.state === 'planned' && second.node, 'c2');
    assert.deepEqual(log.plannedFor('ns/a'), { node: 'c2', launched: true, decision: planned });
    assert.equal(log.plannedFor('ns/b')?.node, 'c1');
  });

  it('says why a node was not consolidated until a later decision disrupts it', () => {
    const log = new DecisionLog({ clock: new VirtualClock() });
    assert.equal(log.whyNotConsolidated('n1'), undefined);
    log.record(decision({ kind: 'disruption-blocked', nodes: ['n1'], why: 'pod ns/db has karpenter.sh/do-not-disrupt' }, 1));
    log.record(decision({ kind: 'empty', nodes: ['n2'] }, 2));
    assert.equal(log.whyNotConsolidated('n1')?.why, 'pod ns/db has karpenter.sh/do-not-disrupt');
    log.record(decision({ kind: 'consolidate-delete', nodes: ['n1'] }, 3));
    assert.equal(log.whyNotConsolidated('n1'), undefined);
  });
});

describe('machineKindFromState', () => {
  it('tells Nodes from NodeClaims by what the cluster state knows', async () => {
    const env = await makeTestEnv();
    await env.kube.create('Node', node('n1'));
    await env.kube.create('NodeClaim', {
      apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { name: 'c1' },
      spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } },
    });
    await env.settle();
    const kindOf = machineKindFromState(env.state);
    assert.equal(kindOf('n1'), 'Node');
    assert.equal(kindOf('c1'), 'NodeClaim');
    assert.equal(kindOf('nope'), undefined);
    await env.stop();
  });
});
