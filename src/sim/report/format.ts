/**
 * Number formatting for the report and the terminal summary. Locale-independent (the same bytes on
 * every machine): "," thousands separators, "." decimals, a real minus sign for negatives.
 */

const MINUS = '\u2212';

/** 1234.5 → "1,234.50" with `decimals` places; −0 prints as "0". */
export function formatNumber(value: number, decimals = 0): string {
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole = '', fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const body = fraction === undefined ? grouped : `${grouped}.${fraction}`;
  return value < 0 && Number(fixed) !== 0 ? `${MINUS}${body}` : body;
}

/**
 * Dollars: "$3.02", "$1,204.10"; below a dollar with 4 decimals ("$0.1372") so hourly prices stay
 * readable, unless `decimals` is given.
 */
export function formatDollars(value: number, decimals?: number): string {
  const text = formatNumber(Math.abs(value), decimals ?? (Math.abs(value) < 1 && value !== 0 ? 4 : 2));
  return value < 0 ? `${MINUS}$${text}` : `$${text}`;
}

/** Seconds as a reader wants them: "4.2 s", "135 s", "1 h 05 m". */
export function formatSeconds(value: number): string {
  const abs = Math.abs(value);
  const sign = value < 0 ? MINUS : '';
  if (abs < 100) return `${sign}${formatNumber(abs, 1)} s`;
  if (abs < 3600) return `${sign}${formatNumber(abs, 0)} s`;
  const minutes = Math.round(abs / 60);
  return `${sign}${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

/** A fraction as a percentage: 0.8197 → "82.0%". */
export function formatPercent(fraction: number, decimals = 1): string {
  return `${formatNumber(fraction * 100, decimals)}%`;
}

/**
 * Time since the start of the scenario as a clock: "1:05" (h:mm), or "1:05:30" when `seconds`
 * is true or the time has seconds.
 */
export function formatClock(t: number, seconds = false): string {
  const total = Math.round(t);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const hm = `${h}:${String(m).padStart(2, '0')}`;
  return seconds || s !== 0 ? `${hm}:${String(s).padStart(2, '0')}` : hm;
}

/** A signed difference with its unit formatter: "+$1.20", "−35 s"; zero has no sign. */
export function signed(delta: number, format: (v: number) => string): string {
  const text = format(Math.abs(delta));
  if (text === format(0)) return text;
  return delta < 0 ? `${MINUS}${text}` : `+${text}`;
}
