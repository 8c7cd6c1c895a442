/** Plain-text tables for terminal output: left-aligned text, right-aligned numbers. */

export type Cell = string | number;

export interface TableOptions {
  /** Columns (by index) to align right; by default the columns whose cells are all numbers. */
  readonly alignRight?: readonly number[];
  /** Spaces between columns (default 2). */
  readonly gap?: number;
}

/**
 * Renders a header row and rows as aligned columns, one line each, ending with a newline.
 * Numbers are printed with String(); format them first for fixed decimals.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const right = new Set(options.alignRight ?? header.map((_, i) => i).filter((i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number')));
  const gap = ' '.repeat(options.gap ?? 2);
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((c, i) => {
        const text = String(c);
        const w = width[i] ?? text.length;
        return right.has(i) ? text.padStart(w) : text.padEnd(w);
      })
      .join(gap)
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
