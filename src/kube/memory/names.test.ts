import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NameGenerator } from './names.js';

describe('NameGenerator', () => {
  it('replays the same names and uids from the same seed, different ones from another', () => {
    const a = new NameGenerator(7);
    const b = new NameGenerator(7);
    const c = new NameGenerator(8);
    const seq = (g: NameGenerator): string[] => [g.suffix(), g.uid(), g.suffix()];
    const sa = seq(a);
    assert.deepEqual(sa, seq(b));
    assert.notDeepEqual(sa, seq(c));
  });
  it('makes API-server-shaped suffixes and v4-shaped uids', () => {
    const g = new NameGenerator(1);
    const suffixes = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const s = g.suffix();
      assert.match(s, /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      suffixes.add(s);
      assert.match(g.uid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.ok(suffixes.size > 990, 'suffixes rarely repeat');
  });
});
