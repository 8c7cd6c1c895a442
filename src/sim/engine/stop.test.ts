import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../scenario/index.js';
import { STRATEGY_FACTORIES } from '../strategies/index.js';
import type { StrategyFactory } from '../strategies/strategy.js';
import { simulate, SimulationError } from './simulate.js';

const text = readFileSync(new URL('../scenario/testdata/base.yaml', import.meta.url), 'utf8');

function scenario() {
  const { scenario: s, problems } = parseScenario(text, 'base.yaml');
  assert.deepEqual(problems, []);
  return s!;
}

/** The Cluster Autoscaler strategy, whose stop first waits `sleepMs` on the virtual clock (as a disruption pass in its validation wait does). */
const slowStop = (sleepMs: number): StrategyFactory => (world) => {
  const inner = STRATEGY_FACTORIES['cluster-autoscaler'](world);
  return { ...inner, stop: async () => { await world.clock.sleep(sleepMs); await inner.stop(); } };
};

describe('simulate stopping a strategy', () => {
  it('moves virtual time on while a strategy stops in the middle of a sleep on the clock', async () => {
    const factories = { ...STRATEGY_FACTORIES, 'cluster-autoscaler': slowStop(15_000) };
    const result = await simulate(scenario(), { strategies: ['cluster-autoscaler'], factories, wallNow: () => 0 });
    assert.ok(result.strategies['cluster-autoscaler']);
  });

  it('names a stop that never ends instead of hanging', async () => {
    const factories = { ...STRATEGY_FACTORIES, 'cluster-autoscaler': slowStop(2 * 3_600_000) };
    await assert.rejects(simulate(scenario(), { strategies: ['cluster-autoscaler'], factories, wallNow: () => 0 }), (e) => e instanceof SimulationError && /stopping cluster-autoscaler: still running/.test(e.message));
  });
});
