/**
 * Line charts over time as inline SVG: axes with "nice" ticks, grid lines, labels, one path per
 * series drawn as a step function (a sample holds until the next one, as the cluster's state does).
 * The legend is HTML beside the SVG. Each path also carries its change points in `data-t`/`data-v`
 * for the report's hover read-out.
 */
import { escapeHtml } from './escape.js';
import { formatClock } from './format.js';

export interface ChartSeries {
  readonly name: string;
  /** A CSS colour. */
  readonly color: string;
  readonly dashed?: boolean;
  /** [t seconds, value], ordered by t. */
  readonly points: readonly (readonly [number, number])[];
}

/** How the y values read: whole counts, dollars per hour, or fractions shown as percentages. */
export type ValueKind = 'count' | 'dollars' | 'percent';

export interface ChartSpec {
  /** A stable id, used as `data-chart`. */
  readonly id: string;
  readonly title: string;
  readonly yLabel: string;
  readonly kind: ValueKind;
  /** The x axis runs from 0 to here (the horizon, seconds). */
  readonly tMax: number;
  readonly series: readonly ChartSeries[];
}

/** The SVG's coordinate box; it scales to the page width. */
export const CHART_BOX = { width: 640, height: 260, left: 58, right: 14, top: 14, bottom: 44 } as const;

/**
 * A `<figure>` with a caption, an HTML legend and exactly one `<svg>`. Series with no points are
 * listed in the legend but draw no path. All text is escaped.
 * @throws RangeError if tMax is not positive or a point is not finite.
 */
export function renderChart(spec: ChartSpec): string {
  if (!(spec.tMax > 0)) throw new RangeError(`chart ${spec.id}: the time axis needs a positive length, got ${spec.tMax}`);
  for (const s of spec.series) {
    for (const [t, v] of s.points) {
      if (!Number.isFinite(t) || !Number.isFinite(v)) throw new RangeError(`chart ${spec.id}: series ${s.name} has a non-finite point (${t}, ${v})`);
    }
  }
  const { width, height, left, right, top, bottom } = CHART_BOX;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const yMax = Math.max(0, ...spec.series.flatMap((s) => s.points.map(([, v]) => v)));
  const yTicks = niceTicks(yMax, spec.kind);
  const yTop = yTicks[yTicks.length - 1] ?? 1;
  const x = (t: number): number => left + (Math.min(Math.max(t, 0), spec.tMax) / spec.tMax) * plotW;
  const y = (v: number): number => top + plotH - (v / yTop) * plotH;

  const grid = yTicks.map((v) => `<line class="grid" x1="${left}" x2="${width - right}" y1="${r(y(v))}" y2="${r(y(v))}"/>`
    + `<text class="tick" x="${left - 8}" y="${r(y(v))}" text-anchor="end" dominant-baseline="middle">${escapeHtml(formatTick(v, spec.kind))}</text>`).join('');
  const xAxis = timeTicks(spec.tMax).map((t) => `<line class="axis" x1="${r(x(t))}" x2="${r(x(t))}" y1="${top + plotH}" y2="${top + plotH + 5}"/>`
    + `<text class="tick" x="${r(x(t))}" y="${top + plotH + 18}" text-anchor="middle">${formatClock(t)}</text>`).join('');
  const paths = spec.series.filter((s) => s.points.length > 0).map((s) => {
    const changes = changePoints(s.points);
    return `<path class="series${s.dashed === true ? ' dashed' : ''}" data-series="${escapeHtml(s.name)}" stroke="${escapeHtml(s.color)}"`
      + ` data-t="${changes.map(([t]) => r(t)).join(' ')}" data-v="${changes.map(([, v]) => round(v, 6)).join(' ')}"`
      + ` d="${stepPath(changes, spec.tMax, x, y)}"/>`;
  }).join('');
  const legend = spec.series.map((s) => `<li><span class="swatch${s.dashed === true ? ' dashed' : ''}" style="border-color:${escapeHtml(s.color)}"></span>${escapeHtml(s.name)}</li>`).join('');
  const label = `${spec.title}: ${spec.series.map((s) => s.name).join(', ')} over time`;

  return `<figure class="chart" data-chart="${escapeHtml(spec.id)}" data-kind="${spec.kind}">`
    + `<figcaption><h3>${escapeHtml(spec.title)}</h3><ul class="legend">${legend}</ul></figcaption>`
    + `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(label)}" data-left="${left}" data-right="${width - right}" data-tmax="${spec.tMax}">`
    + `<g class="grid-lines">${grid}</g>`
    + `<line class="axis" x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}"/>`
    + `<g class="x-ticks">${xAxis}</g>`
    + `<text class="axis-label" x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">time since start (h:mm)</text>`
    + `<text class="axis-label" transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`
    + `<g class="plot">${paths}</g>`
    + `<line class="cursor" x1="0" x2="0" y1="${top}" y2="${top + plotH}" visibility="hidden"/>`
    + '</svg><div class="readout" hidden></div></figure>';
}

/** The points where the value changes (the first point always kept): a step function's corners. */
export function changePoints(points: readonly (readonly [number, number])[]): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  for (const p of points) if (out.length === 0 || out[out.length - 1]?.[1] !== p[1]) out.push(p);
  return out;
}

function stepPath(changes: readonly (readonly [number, number])[], tMax: number, x: (t: number) => number, y: (v: number) => number): string {
  const [first, ...rest] = changes;
  if (first === undefined) return '';
  let atX = r(x(first[0]));
  let d = `M${atX},${r(y(first[1]))}`;
  for (const [t, v] of rest) {
    // Changes within one drawn x collapse into vertical strokes, so long runs stay small files
    // and still show every spike.
    const nextX = r(x(t));
    if (nextX !== atX) d += `H${nextX}`;
    atX = nextX;
    d += `V${r(y(v))}`;
  }
  const endX = r(x(tMax));
  return endX === atX ? d : `${d}H${endX}`;
}

/**
 * Y ticks from 0 to a round top ≥ max: steps of 1, 2 or 5 × 10^k, about five of them; counts
 * step by whole numbers, percentages by at least 1%.
 */
export function niceTicks(max: number, kind: ValueKind): number[] {
  const minStep = kind === 'count' ? 1 : kind === 'percent' ? 0.01 : 0.01;
  const target = Math.max(max, minStep) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(target));
  const step = Math.max(minStep, ([1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= target) ?? 10 * magnitude));
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; i * step <= top + step * 1e-9; i++) ticks.push(round(i * step, 10));
  return ticks;
}

/** Time ticks at a round interval giving 4 to 12 ticks from 0 to tMax. */
export function timeTicks(tMax: number): number[] {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400];
  const step = steps.find((s) => tMax / s <= 10) ?? Math.ceil(tMax / 10 / 86400) * 86400;
  const ticks: number[] = [];
  for (let t = 0; t <= tMax + 1e-9; t += step) ticks.push(t);
  return ticks;
}

function formatTick(v: number, kind: ValueKind): string {
  switch (kind) {
    case 'count': return String(v);
    case 'dollars': return `$${v >= 10 || Number.isInteger(v) ? String(round(v, 1)) : v.toFixed(2)}`;
    case 'percent': return `${round(v * 100, 1)}%`;
  }
}

function r(v: number): string {
  return String(round(v, 1));
}

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}
