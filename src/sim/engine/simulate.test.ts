import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../scenario/index.js';
import { STRATEGY_FACTORIES } from '../strategies/index.js';
import { simulate } from './simulate.js';

const text = readFileSync(new URL('../scenario/testdata/base.yaml', import.meta.url), 'utf8');

function scenario() {
  const { scenario: s, problems } = parseScenario(text, 'base.yaml');
  assert.deepEqual(problems, []);
  return s!;
}

describe('simulate (nodewright on the embedded cluster)', () => {
  it('runs every pod, bills the machines it launched, and stays above the lower bound', async () => {
    const result = await simulate(scenario(), { strategies: ['nodewright'], factories: STRATEGY_FACTORIES, wallNow: () => 0 });
    const r = result.strategies.nodewright!;
    assert.equal(result.scenario, 'base');
    assert.equal(r.pendingAtEnd, 0);
    assert.ok(r.podWaitSeconds.count >= 20, `pods that ran: ${r.podWaitSeconds.count}`);
    assert.ok(r.totalCost > 0 && r.lowerBoundCost > 0);
    assert.ok(r.totalCost >= r.lowerBoundCost, `cost ${r.totalCost} under its lower bound ${r.lowerBoundCost}`);
    assert.ok(r.peakNodes >= 2);
    assert.ok(r.decisions.some((d) => d.kind === 'provision'), 'the scale-up to 20 replicas launched nodes');
    assert.ok(r.series.samples.length > 100);
    const billed = Object.values(r.instanceTypes).reduce((s, u) => s + u.cost, 0);
    assert.ok(Math.abs(billed - r.totalCost) < 1e-6, `instance mix $${billed} = total $${r.totalCost}`);
  });

  it('gives the same result for the same scenario and seed', async () => {
    const run = async () => JSON.stringify(await simulate(scenario(), { strategies: ['nodewright'], factories: STRATEGY_FACTORIES, wallNow: () => 0 }));
    assert.equal(await run(), await run());
  });
});
