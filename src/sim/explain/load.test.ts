import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureResult, LINKED_MACHINES, WHY_NOT_DECISIONS } from './fixture.js';
import { decisionsOf, machinesOf, parseResult, ResultFileError } from './load.js';

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

  it('reads the why-not records back, and names a bad repeat count, placement or omitted count', () => {
    const r = fixtureResult();
    const withWhyNot = { ...r, strategies: { nodewright: { ...r.strategies.nodewright!, decisions: WHY_NOT_DECISIONS } } };
    assert.deepEqual(parseResult(JSON.stringify(withWhyNot), 'r.json'), withWhyNot);
    const bad = (patch: (d: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(withWhyNot)) as { strategies: { nodewright: { decisions: Record<string, unknown>[] } } };
      patch(copy.strategies.nodewright.decisions[0]!);
      return () => parseResult(JSON.stringify(copy), 'r.json');
    };
    assert.throws(bad((d) => { d['kind'] = 'pending'; }), /decisions\[0\]\.kind should be one of provision, .*unschedulable, disruption-blocked, launch-failed/);
    assert.throws(bad((d) => { d['repeats'] = { count: 1, lastT: 5 }; }), /decisions\[0\]\.repeats\.count should be a whole number of at least 2/);
    assert.throws(bad((d) => { d['repeats'] = { count: 3, lastT: 0 }; }), /decisions\[0\]\.repeats\.lastT should be a number of seconds, not before t/);
    assert.throws(bad((d) => { d['omittedBefore'] = 0; }), /decisions\[0\]\.omittedBefore should be a positive whole number/);
    assert.throws(bad((d) => { (d['details'] as Record<string, unknown>)['placements'] = [{ node: 'x', pods: ['a/b'] }]; }),
      /decisions\[0\]\.details\.placements\[0\]\.launched should be true or false/);
  });

  it('reads an optional machines list back, and names a bad field of it', () => {
    const r = fixtureResult();
    assert.deepEqual(machinesOf(r, 'nodewright'), [], 'a result without the list');
    const withMachines = { ...r, strategies: { ...r.strategies, nodewright: { ...r.strategies.nodewright!, machines: LINKED_MACHINES } } };
    const parsed = parseResult(JSON.stringify(withMachines), 'r.json');
    assert.deepEqual(machinesOf(parsed, 'nodewright'), LINKED_MACHINES);
    assert.deepEqual(machinesOf(parsed, 'cluster-autoscaler'), []);
    const bad = (machines: unknown) => () => parseResult(JSON.stringify({ ...r, strategies: { nodewright: { ...r.strategies.nodewright!, machines } } }), 'r.json');
    assert.throws(bad({}), /strategies\.nodewright\.machines should be a list/);
    assert.throws(bad([{ node: 'ip-1' }]), /strategies\.nodewright\.machines\[0\]\.nodeClaim should be a string/);
    assert.throws(bad([{ nodeClaim: 'a', pricePerHour: '0.1' }]), /machines\[0\]\.pricePerHour should be a number/);
    assert.throws(bad([{ nodeClaim: 'a', node: 7 }]), /machines\[0\]\.node should be a string/);
  });
});
