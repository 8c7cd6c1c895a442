import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ChartSpec } from './chart.js';
import { CHART_BOX, changePoints, niceTicks, renderChart, timeTicks } from './chart.js';

const spec = (over: Partial<ChartSpec> = {}): ChartSpec => ({
  id: 'nodes',
  title: 'Nodes',
  yLabel: 'nodes',
  kind: 'count',
  tMax: 600,
  series: [
    { name: 'nodewright', color: '#0e7490', points: [[0, 2], [60, 2], [120, 5], [180, 5], [600, 3]] },
    { name: 'cluster-autoscaler', color: '#c2410c', points: [[0, 4], [300, 9]] },
  ],
  ...over,
});

/** The numbers of a path's d attribute, as [command, value] pairs (M's two values kept together). */
function commands(d: string): { cmd: string; values: number[] }[] {
  return [...d.matchAll(/([MHV])([-\d.,]+)/g)].map((m) => ({ cmd: m[1]!, values: m[2]!.split(',').map(Number) }));
}

describe('niceTicks', () => {
  it('runs from 0 to a round top above the maximum in steps of 1, 2 or 5 × 10^k', () => {
    assert.deepEqual(niceTicks(34, 'count'), [0, 10, 20, 30, 40]);
    assert.deepEqual(niceTicks(6.53, 'dollars'), [0, 2, 4, 6, 8]);
    assert.deepEqual(niceTicks(0.88, 'percent'), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(180, 'count'), [0, 50, 100, 150, 200]);
  });

  it('counts step by whole numbers and an empty chart still has an axis', () => {
    assert.deepEqual(niceTicks(2, 'count'), [0, 1, 2]);
    assert.deepEqual(niceTicks(0, 'count'), [0, 1]);
    assert.deepEqual(niceTicks(0, 'dollars'), [0, 0.01]);
  });

  it('always covers the maximum with at most eleven ticks', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.constantFrom('count', 'dollars', 'percent' as const), (max, kind) => {
      const ticks = niceTicks(max, kind);
      assert.equal(ticks[0], 0);
      assert.ok(ticks[ticks.length - 1]! >= max, `${ticks.join(',')} covers ${max}`);
      assert.ok(ticks.length >= 2 && ticks.length <= 11, `${ticks.length} ticks for ${max}`);
    }));
  });
});

describe('timeTicks', () => {
  it('picks a round interval', () => {
    assert.deepEqual(timeTicks(7200), [0, 900, 1800, 2700, 3600, 4500, 5400, 6300, 7200]);
    assert.deepEqual(timeTicks(86400).slice(0, 3), [0, 10800, 21600]);
    assert.equal(timeTicks(86400).length, 9);
    assert.deepEqual(timeTicks(300), [0, 60, 120, 180, 240, 300]);
  });
});

describe('changePoints', () => {
  it('keeps the first point and every point where the value changes', () => {
    assert.deepEqual(changePoints([[0, 1], [10, 1], [20, 2], [30, 2], [40, 1]]), [[0, 1], [20, 2], [40, 1]]);
    assert.deepEqual(changePoints([]), []);
  });
});

describe('renderChart', () => {
  it('draws one svg with a step path per series inside the plot, change points attached', () => {
    const html = renderChart(spec());
    assert.equal(html.match(/<svg /g)?.length, 1);
    const paths = [...html.matchAll(/<path class="series" data-series="([^"]+)" stroke="[^"]+" data-t="([^"]*)" data-v="([^"]*)" d="([^"]+)"\/>/g)];
    assert.deepEqual(paths.map((p) => p[1]), ['nodewright', 'cluster-autoscaler']);
    assert.equal(paths[0]![2], '0 120 600');
    assert.equal(paths[0]![3], '2 5 3');
    const { width, height, left, right, top, bottom } = CHART_BOX;
    for (const p of paths) {
      const cmds = commands(p[4]!);
      assert.equal(cmds[0]?.cmd, 'M');
      const xs = cmds.flatMap((c) => (c.cmd === 'M' ? [c.values[0]!] : c.cmd === 'H' ? c.values : []));
      const ys = cmds.flatMap((c) => (c.cmd === 'M' ? [c.values[1]!] : c.cmd === 'V' ? c.values : []));
      assert.ok(xs.every((x) => x >= left && x <= width - right), `x inside the plot: ${xs.join(' ')}`);
      assert.ok(ys.every((y) => y >= top && y <= height - bottom), `y inside the plot: ${ys.join(' ')}`);
      assert.equal(xs[xs.length - 1], width - right, 'the last value holds to the horizon');
    }
    // 9 nodes of a 0..10 axis sit 90% of the way up.
    const plotH = height - top - bottom;
    assert.ok(paths[1]![4]!.includes(`V${Math.round((top + plotH * 0.1) * 10) / 10}`));
  });

  it('collapses changes that fall on one drawn x into vertical strokes, keeping every value', () => {
    // 86,400 s over 568 drawn units: changes 10 s apart share an x.
    const points = Array.from({ length: 8641 }, (_, i) => [i * 10, i % 7] as const);
    const html = renderChart(spec({ tMax: 86400, series: [{ name: 'noisy', color: 'red', points }] }));
    const d = / d="([^"]+)"/.exec(html)?.[1] ?? '';
    const cmds = commands(d);
    assert.equal(cmds.filter((c) => c.cmd === 'V').length, 8640, 'one vertical per change');
    assert.ok(cmds.filter((c) => c.cmd === 'H').length <= 5681, 'at most one horizontal per drawn tenth of a unit');
    const ys = new Set(cmds.filter((c) => c.cmd === 'V').map((c) => c.values[0]));
    assert.equal(ys.size, 7, 'every level is still drawn');
  });

  it('has a caption, a legend entry per series, axis ticks and labels', () => {
    const html = renderChart(spec({ series: [...spec().series, { name: 'lower bound', color: '#64748b', dashed: true, points: [] }] }));
    assert.match(html, /<figcaption><h3>Nodes<\/h3>/);
    assert.equal(html.match(/<li>/g)?.length, 3, 'an empty series is still in the legend');
    assert.equal(html.match(/<path /g)?.length, 2, 'but draws no path');
    assert.match(html, />0:05</);
    assert.match(html, />time since start \(h:mm\)</);
    assert.match(html, /rotate\(-90\)" text-anchor="middle">nodes</);
  });

  it('escapes series names and titles', () => {
    const html = renderChart(spec({ title: '<b>x</b>', series: [{ name: '"><script>', color: 'red', points: [[0, 1]] }] }));
    assert.ok(!html.includes('<script>') && !html.includes('<b>'));
    assert.ok(html.includes('data-series="&quot;&gt;&lt;script&gt;"'));
  });

  it('refuses a non-positive horizon and non-finite points', () => {
    assert.throws(() => renderChart(spec({ tMax: 0 })), RangeError);
    assert.throws(() => renderChart(spec({ series: [{ name: 'a', color: 'red', points: [[0, NaN]] }] })), /series a has a non-finite point/);
  });
});
