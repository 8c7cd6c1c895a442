import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../utils/clock.js';
import type { ControllerContext, Decision } from '../context.js';
import { BlockedLog } from './decisions.js';
import type { PassState } from './pass-state.js';
import { namesGone, PassRecorder } from './pass-recorder.js';
import type { StateNode } from '../../state/state-node.js';
import { Random } from '../../utils/random.js';

const made = (summary: string) => (): Decision => ({ time: 0, kind: 'disruption-blocked', summary, why: summary });

describe('BlockedLog', () => {
  it('records once per kind, subject and reason; clear and retain make it record again', () => {
    const out: string[] = [];
    const log = new BlockedLog((d) => out.push(d.summary));
    assert.equal(log.note('scan', 'a', 'pdb', made('a pdb')), true);
    assert.equal(log.note('scan', 'a', 'pdb', made('again')), false);
    assert.equal(log.note('drift', 'a', 'pdb', made('a drift')), true, 'kinds are apart');
    assert.equal(log.note('scan', 'a', 'dnd', made('a dnd')), true, 'a new reason records');
    log.clear('scan', 'a');
    assert.equal(log.note('scan', 'a', 'dnd', made('a dnd again')), true);
    log.note('scan', 'b', 'pdb', made('b pdb'));
    assert.equal(log.count('scan'), 2);
    assert.equal(log.size, 3);
    log.retain('scan', (s) => s === 'b');
    assert.equal(log.count('scan'), 1);
    assert.equal(log.count('drift'), 1, 'retain keeps the other kinds');
    assert.deepEqual(out, ['a pdb', 'a drift', 'a dnd', 'a dnd again', 'b pdb']);
  });

  it('shows the last reason per subject of a kind as notes, clears and retains change it', () => {
    const log = new BlockedLog(() => undefined);
    const scan = log.lastReasons('scan');
    assert.equal(scan.size, 0);
    log.note('scan', 'a', 'pdb', made('a pdb'));
    log.note('drift', 'b', 'dnd', made('b dnd'));
    assert.deepEqual([...scan], [['a', 'pdb']], 'live, and of its kind only');
    log.note('scan', 'a', 'dnd', made('a dnd'));
    assert.equal(scan.get('a'), 'dnd');
    log.clear('scan', 'a');
    assert.equal(scan.get('a'), undefined);
    assert.deepEqual([...log.lastReasons('drift')], [['b', 'dnd']]);
  });
});

interface FakePass {
  names: string[];
  version: number;
  blocked: string[];
  candidates: string[];
}

function passOf(p: FakePass): PassState {
  return {
    snapshot: { stateNodes: p.names.map((name) => ({ name })), machinesVersion: p.version },
    scan: {
      blocked: p.blocked.map((node) => ({ node, nodePool: 'default', reason: 'has do-not-disrupt' })),
      candidates: p.candidates.map((nodeName) => ({ nodeName })),
    },
    pools: new Map([['default', {}]]),
  } as unknown as PassState;
}

describe('PassRecorder', () => {
  function recorder(): { rec: PassRecorder; out: Decision[] } {
    const out: Decision[] = [];
    const ctx = { clock: new VirtualClock() } as unknown as ControllerContext;
    return { rec: new PassRecorder(ctx, new BlockedLog((d) => out.push(d))), out };
  }

  it('records a blocked node once while it stays, again once it was a candidate or left the cache', () => {
    const { rec, out } = recorder();
    rec.scanned(passOf({ names: ['a', 'b'], version: 1, blocked: ['a'], candidates: ['b'] }));
    rec.scanned(passOf({ names: ['a', 'b'], version: 1, blocked: ['a'], candidates: ['b'] }));
    assert.equal(out.length, 1);
    // Skipped for a transient reason (neither list): still remembered.
    rec.scanned(passOf({ names: ['a', 'b'], version: 1, blocked: [], candidates: ['b'] }));
    rec.scanned(passOf({ names: ['a', 'b'], version: 1, blocked: ['a'], candidates: ['b'] }));
    assert.equal(out.length, 1);
    rec.scanned(passOf({ names: ['a', 'b'], version: 1, blocked: [], candidates: ['a', 'b'] }));
    rec.scanned(passOf({ names: ['a', 'b'], version: 1, blocked: ['a'], candidates: ['b'] }));
    assert.equal(out.length, 2, 'a candidate in between: recorded again');
    rec.scanned(passOf({ names: ['b'], version: 2, blocked: [], candidates: ['b'] }));
    rec.scanned(passOf({ names: ['a', 'b'], version: 3, blocked: ['a'], candidates: ['b'] }));
    assert.equal(out.length, 3, 'left the cache in between: recorded again');
    assert.deepEqual(out.map((d) => d.nodes), [['a'], ['a'], ['a']]);
  });

  it('forgets budget blocks of pools that are gone', () => {
    const { rec, out } = recorder();
    const budget = { nodePool: 'default', reason: 'Empty', total: 3, disrupting: 0, limit: 0, budget: { nodes: '0' }, allowed: 0 } as const;
    const result = { command: undefined, rejections: [], budgetBlocked: [budget], timedOut: false };
    const pass = passOf({ names: [], version: 1, blocked: [], candidates: [] });
    rec.methodResult('emptiness', result, pass);
    rec.methodResult('emptiness', result, pass);
    assert.equal(out.length, 1);
    rec.scanned({ ...pass, pools: new Map() });
    rec.methodResult('emptiness', result, pass);
    assert.equal(out.length, 2);
    assert.match(out[1]!.summary, /nodepool default for Empty/);
  });
});

describe('PassRecorder clearing', () => {
  it('clears a node that is a candidate again while others stay blocked, however the blocked list repeats', () => {
    const out: Decision[] = [];
    const ctx = { clock: new VirtualClock() } as unknown as ControllerContext;
    const rec = new PassRecorder(ctx, new BlockedLog((d) => out.push(d)));
    const names = ['a', 'b', 'c'];
    rec.scanned(passOf({ names, version: 1, blocked: ['a', 'b'], candidates: ['c'] }));
    rec.scanned(passOf({ names, version: 1, blocked: ['a', 'b'], candidates: ['c'] }));
    assert.equal(out.length, 2, 'all subjects blocked again: nothing new');
    rec.scanned(passOf({ names, version: 1, blocked: ['a', 'a'], candidates: ['b', 'c'] }));
    rec.scanned(passOf({ names, version: 1, blocked: ['a', 'b'], candidates: ['c'] }));
    assert.deepEqual(out.slice(2).map((d) => d.nodes), [['b']], 'b was a candidate in between: recorded again');
  });
});

describe('namesGone', () => {
  const machines = (names: readonly string[]): StateNode[] => names.map((name) => ({ name }) as StateNode);

  it('names the machines of the first list the second lacks, wherever they moved', () => {
    const before = machines(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
    assert.deepEqual(namesGone(before, before), []);
    assert.deepEqual(namesGone(before, machines(['a', 'c', 'x', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'])), ['b']);
    assert.deepEqual(namesGone(before, machines(['l', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'a'])), [], 'moved, not gone');
    assert.deepEqual(namesGone(before, machines(['a', 'l'])), ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
    assert.deepEqual(namesGone(before, machines(['k', 'a'])), ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'l']);
    assert.deepEqual(namesGone(before, []), before.map((m) => m.name));
  });

  it('is the set difference for random lists, edits and repeats included', () => {
    const random = new Random(Number(process.env['NW_FC_SEED'] ?? 9));
    const int = (n: number): number => Math.floor(random.next() * n);
    for (let run = 0; run < 500; run++) {
      const before = Array.from({ length: int(40) }, () => `n${int(60)}`);
      const after = before.filter(() => random.next() < 0.9);
      for (let k = int(4); k > 0; k--) after.splice(int(after.length + 1), 0, `n${int(60)}`);
      for (let k = int(3); k > 0 && after.length > 0; k--) after.push(after.splice(int(after.length), 1)[0]!);
      const expected = [...new Set(before)].filter((n) => !after.includes(n)).sort();
      assert.deepEqual([...new Set(namesGone(machines(before), machines(after)))].sort(), expected, `${before.join(',')} -> ${after.join(',')}`);
    }
  });
});

describe('PassRecorder forgetting', () => {
  it('records a node again once it left the cache, however far the machines moved', () => {
    const out: Decision[] = [];
    const ctx = { clock: new VirtualClock() } as unknown as ControllerContext;
    const rec = new PassRecorder(ctx, new BlockedLog((d) => out.push(d)));
    const names = Array.from({ length: 30 }, (_, i) => `m${i}`);
    const blocked = ['m3', 'm20', 'm29'];
    rec.scanned(passOf({ names, version: 1, blocked, candidates: [] }));
    assert.equal(out.length, 3);
    // m20 leaves, the rest reverse; then all come back.
    const reversed = names.filter((n) => n !== 'm20').reverse();
    rec.scanned(passOf({ names: reversed, version: 2, blocked: ['m3', 'm29'], candidates: [] }));
    assert.equal(out.length, 3, 'the others are still remembered');
    rec.scanned(passOf({ names, version: 3, blocked, candidates: [] }));
    assert.deepEqual(out.slice(3).map((d) => d.nodes), [['m20']]);
    // Five leave at once (checked against a set of names), then come back.
    rec.scanned(passOf({ names: names.slice(0, 25), version: 4, blocked: ['m3', 'm20'], candidates: [] }));
    rec.scanned(passOf({ names, version: 5, blocked, candidates: [] }));
    assert.deepEqual(out.slice(4).map((d) => d.nodes), [['m29']]);
  });
});
