import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, SimulationResult } from '../result.js';
import { MAX_LOGGED_DECISIONS } from './decision-log.js';
import { syntheticResult } from './fixtures.js';
import { renderReport } from './html.js';
import { comparisonRows } from './metrics.js';

const EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;';
const EVIL_ESCAPED = '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;&amp;amp;';

/** The HTML of each chart figure, by its data-chart id. */
function figures(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<figure class="chart" data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/figure>/g)].map((m) => [m[1]!, m[2]!]));
}

describe('renderReport', () => {
  const result = syntheticResult();
  const html = renderReport(result);

  it('is one self-contained document that fetches nothing', () => {
    assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.equal(html.match(/<script>/g)?.length, 1, 'one inline script');
    assert.equal(html.match(/<style>/g)?.length, 1, 'one inline stylesheet');
    for (const external of [/<link\b/i, /<script [^>]*src=/i, /\ssrc=/i, /url\(/i, /@import/i, /https?:\/\//i]) {
      assert.doesNotMatch(html, external);
    }
    assert.match(html, /<title>nodewright simulation: burst<\/title>/);
  });

  it('has a comparison row per metric with both strategies and the difference', () => {
    const table = /<table class="comparison" id="comparison">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? '';
    assert.equal(body.match(/<tr/g)?.length, comparisonRows(result).length);
    assert.match(body, /<th scope="row">Total cost<\/th><td class="num better">\$3\.02<\/td><td class="num">\$8\.85<\/td><td class="num diff good">−\$5\.83 \(−66%\)<\/td>/);
  });

  it('draws four charts, each one svg whose series have points', () => {
    const charts = figures(html);
    assert.deepEqual([...charts.keys()], ['nodes', 'cost', 'pending', 'cpu']);
    for (const [id, figure] of charts) {
      assert.equal(figure.match(/<svg /g)?.length, 1, `chart ${id}`);
      const series = [...figure.matchAll(/data-series="([^"]+)"[^>]*data-t="([^"]*)"[^>]*d="([^"]*)"/g)];
      assert.deepEqual(series.map((s) => s[1]), id === 'cost' ? ['nodewright', 'cluster-autoscaler', 'lower bound'] : ['nodewright', 'cluster-autoscaler']);
      for (const [, name, ts, d] of series) {
        assert.ok(ts!.split(' ').length >= 2, `chart ${id}: ${name} changes over time`);
        assert.ok((d!.match(/[HV]/g) ?? []).length >= 3, `chart ${id}: ${name} has a drawn path`);
      }
    }
  });

  it('draws one lower bound per strategy when they disagree', () => {
    const ca = result.strategies['cluster-autoscaler']!;
    const samples = ca.series.samples.map((s) => ({ ...s, lowerBoundCostPerHour: s.lowerBoundCostPerHour + 0.5 }));
    const other = renderReport({ ...result, strategies: { ...result.strategies, 'cluster-autoscaler': { ...ca, series: { ...ca.series, samples } } } });
    const cost = figures(other).get('cost') ?? '';
    assert.deepEqual([...cost.matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]),
      ['nodewright', 'cluster-autoscaler', 'nodewright lower bound', 'cluster-autoscaler lower bound']);
  });

  it('lists every decision once, merged by time, with the filters for the kinds present', () => {
    const decisions = Object.values(result.strategies).flatMap((s) => s.decisions);
    const rows = [...html.matchAll(/<tr data-strategy="([^"]+)" data-kind="([^"]+)"><td class="time">([\d:]+)<\/td>/g)];
    assert.equal(rows.length, decisions.length);
    const seconds = rows.map((r) => r[3]!.split(':').map(Number).reduce((a, b) => a * 60 + b, 0));
    assert.deepEqual(seconds, [...seconds].sort((a, b) => a - b));
    const kinds = [...html.matchAll(/data-filter="kind"[\s\S]*?<\/div>/g)][0]?.[0] ?? '';
    assert.deepEqual([...kinds.matchAll(/data-value="([^"]+)"/g)].map((m) => m[1]),
      ['all', 'provision', 'consolidate-delete', 'interruption', 'scale-up', 'scale-down']);
    assert.match(html, /Showing 45 of 45 decisions/);
  });

  it('escapes every piece of text that comes from the result', () => {
    const nw = result.strategies.nodewright!;
    const hostile: SimulationResult = {
      ...result,
      scenario: EVIL,
      notes: [EVIL],
      strategies: {
        nodewright: {
          ...nw,
          instanceTypes: { [EVIL]: { nodeHours: 1, spotNodeHours: 1, cost: 1 } },
          decisions: [{ t: 5, strategy: 'nodewright', kind: 'provision', summary: EVIL, details: { why: EVIL, alternativesRejected: [EVIL], nodes: [EVIL], pods: [EVIL] } }],
        },
      },
    };
    const out = renderReport(hostile);
    assert.ok(!out.includes('<img') && !out.includes('alert(2)</script>'), 'no raw markup from the result');
    assert.equal(out.match(/<script>/g)?.length, 1);
    // Title, heading, note, instance type, summary, why, alternative, node, pod.
    assert.equal(out.split(EVIL_ESCAPED).length - 1, 9);
  });

  it('says when no strategy ran, and drops the difference column with one', () => {
    const none = renderReport({ ...result, strategies: {} });
    assert.match(none, /No strategy was run/);
    assert.doesNotMatch(none, /<svg /);
    const one = renderReport(syntheticResult({ strategies: ['nodewright'] }));
    assert.doesNotMatch(one, /Difference/);
    assert.equal(figures(one).size, 4);
  });

  it('keeps the first decisions when the log is too long for a page', () => {
    const nw = result.strategies.nodewright!;
    const many: Decision[] = Array.from({ length: MAX_LOGGED_DECISIONS + 7 }, (_, i) => ({
      t: i, strategy: 'nodewright', kind: 'provision', summary: `decision ${i}`, details: { why: 'test', alternativesRejected: [] },
    }));
    const out = renderReport({ ...result, strategies: { nodewright: { ...nw, decisions: many } } });
    assert.equal(out.match(/<tr data-strategy=/g)?.length, MAX_LOGGED_DECISIONS);
    assert.match(out, new RegExp(`The log has ${MAX_LOGGED_DECISIONS + 7} decisions; the first ${MAX_LOGGED_DECISIONS} are shown`));
    assert.ok(out.includes(`decision ${MAX_LOGGED_DECISIONS - 1}<`) && !out.includes(`decision ${MAX_LOGGED_DECISIONS}<`));
  });

  it('gives the same bytes for the same result', () => {
    assert.equal(renderReport(syntheticResult()), html);
  });
});
