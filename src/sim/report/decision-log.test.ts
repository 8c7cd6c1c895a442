import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LoggedDecision, SimulationResult } from '../result.js';
import { MAX_LOGGED_WHY_NOT, renderDecisionLog } from './decision-log.js';
import { syntheticResult } from './fixtures.js';

const base = syntheticResult({ strategies: ['nodewright'] });
const withLog = (decisions: LoggedDecision[]): SimulationResult =>
  ({ ...base, strategies: { nodewright: { ...base.strategies.nodewright!, decisions } } });
const pending = (t: number, extra: Partial<LoggedDecision> = {}): LoggedDecision => ({
  t, strategy: 'nodewright', kind: 'unschedulable', summary: `pod default/p${t} fits on no node`,
  details: { why: 'no instance type is big enough', alternativesRejected: ['nodepool small: too small'], pods: [`default/p${t}`] }, ...extra,
});

describe('renderDecisionLog', () => {
  it('shows why-not records with a filter for their kind, how often they repeated and what was left out', () => {
    const html = renderDecisionLog(withLog([pending(1, { repeats: { count: 12, lastT: 3600 }, omittedBefore: 3 })]));
    assert.match(html, /data-kind="unschedulable"/);
    assert.match(html, /<button type="button" data-value="unschedulable"/);
    assert.match(html, /pod default\/p1 fits on no node <span class="muted">\(×12\)<\/span>/);
    assert.match(html, /Repeated:<\/strong> 12 times, the last at 1:00:00/);
    assert.match(html, /3 earlier record\(s\) with other reasons left out/);
  });

  it('caps the why-not records so the actions after many of them are still drawn', () => {
    const log: LoggedDecision[] = Array.from({ length: MAX_LOGGED_WHY_NOT + 50 }, (_, i) => pending(i));
    log.push({ t: 1e6, strategy: 'nodewright', kind: 'provision', summary: 'the late launch', details: { why: 'x', alternativesRejected: [] } });
    const html = renderDecisionLog(withLog(log));
    assert.equal(html.match(/<tr data-strategy=/g)?.length, MAX_LOGGED_WHY_NOT + 1);
    assert.match(html, /the late launch/);
    assert.match(html, new RegExp(`The log has ${MAX_LOGGED_WHY_NOT + 51} decisions; the first ${MAX_LOGGED_WHY_NOT + 1} are shown here \\(at most ${MAX_LOGGED_WHY_NOT} records of what was not done\\)`));
  });
});
