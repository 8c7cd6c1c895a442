import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureResult } from './fixture.js';
import { decisionsOf, parseResult, ResultFileError } from './load.js';

describe('parseResult', () => {
  it('reads back what simulate writes', () => {
    const r = fixtureResult();
    assert.deepEqual(parseResult(JSON.stringify(r), 'r.json'), r);
  });

  it('names the file for text that is not JSON, keeping the cause', () => {
    assert.throws(() => parseResult('{', 'r.json'), (e: unknown) =>
      e instanceof ResultFileError && /^r\.json is not valid JSON/.test(e.message) && e.cause instanceof SyntaxError);
  });

  it('names the path of the first bad field', () => {
    const r = JSON.parse(JSON.stringify(fixtureResult())) as { strategies: { nodewright: { decisions: Record<string, unknown>[] } } };
    r.strategies.nodewright.decisions[2]!['t'] = 'soon';
    assert.throws(() => parseResult(JSON.stringify(r), 'r.json'), /strategies\.nodewright\.decisions\[2\]\.t should be a number/);
    assert.throws(() => parseResult('[]', 'r.json'), /the top level should be an object/);
    assert.throws(() => parseResult('{"strategies":{"karpenter":{}}}', 'r.json'), /strategies\.karpenter/);
    assert.throws(() => parseResult('{"strategies":{"nodewright":{}}}', 'r.json'), /strategies\.nodewright\.decisions should be a list/);
  });

  it('orders decisions by time, stably', () => {
    const r = fixtureResult();
    const shuffled = { ...r, strategies: { nodewright: { ...r.strategies.nodewright!, decisions: [...r.strategies.nodewright!.decisions].reverse() } } };
    assert.deepEqual(decisionsOf(shuffled, 'nodewright').map((d) => d.t), r.strategies.nodewright!.decisions.map((d) => d.t));
    assert.deepEqual(decisionsOf(shuffled, 'cluster-autoscaler'), []);
  });
});
