/**
 * The terminal summary of a simulation: a heading and one aligned plain-text table, the
 * strategies side by side with their difference. No colour or escape codes, so it reads the same
 * in a terminal, a log file and the README.
 */
import type { SimulationResult } from '../result.js';
import { presentStrategies } from '../result.js';
import { formatSeconds } from './format.js';
import { comparisonRows } from './metrics.js';

/**
 * Renders the summary, ending with a newline. With both strategies a "difference" column
 * (nodewright − cluster-autoscaler) is added; notes follow the table.
 */
export function renderSummary(result: SimulationResult): string {
  const strategies = presentStrategies(result);
  const both = strategies.length === 2;
  const header = ['', ...strategies, ...(both ? ['difference'] : [])];
  const rows = comparisonRows(result).map((row) => [
    row.label,
    ...strategies.map((s) => row.values[s] ?? ''),
    ...(both ? [row.difference ?? ''] : []),
  ]);
  const heading = `Scenario ${result.scenario} (seed ${result.seed}, ${formatSeconds(result.horizonSeconds)} simulated)`;
  const body = strategies.length === 0 ? 'No strategy was run.\n' : table([header, ...rows]);
  const notes = result.notes.map((n) => `Note: ${n}\n`).join('');
  return `${heading}\n\n${body}${notes === '' ? '' : `\n${notes}`}`;
}

/** First column left-aligned, the others right-aligned (they are all figures), two spaces apart. */
function table(lines: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const line of lines) line.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, width(cell)); });
  return lines
    .map((line) => line.map((cell, i) => {
      const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
      return i === 0 ? cell + pad : pad + cell;
    }).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** Display width: every code point of our figures and labels is one column wide. */
function width(text: string): number {
  return [...text].length;
}
