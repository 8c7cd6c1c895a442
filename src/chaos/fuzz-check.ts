/**
 * The bookkeeping of the bad-input fuzz suites: runs one input through a parser or validator,
 * catching whatever it throws and timing it, and counts each broken promise by invariant ("crash",
 * "hang", "rejection-without-field", ...) with the first few offending inputs kept for the failure
 * message. Time comes from an injected `now` so the module stays free of ambient clocks.
 */

/** How long one input may take before it counts as a hang (generous: the machine is shared). */
export const DEFAULT_INPUT_BUDGET_MS = 500;
const KEEP_EXAMPLES = 5;

export interface FuzzViolation {
  readonly invariant: string;
  readonly target: string;
  readonly detail: string;
}

/** Counts inputs and violations per invariant; `violations` lists every invariant checked, zeros included. */
export class FuzzLedger {
  fuzzed = 0;
  readonly #counts = new Map<string, number>();
  readonly examples: FuzzViolation[] = [];
  readonly #now: () => number;
  readonly #budgetMs: number;

  /** `invariants` are reported with 0 when never violated. */
  constructor(invariants: readonly string[], now: () => number, budgetMs = DEFAULT_INPUT_BUDGET_MS) {
    for (const i of invariants) this.#counts.set(i, 0);
    this.#now = now;
    this.#budgetMs = budgetMs;
  }

  /** Records one violation of `invariant` (which need not have been declared). */
  violate(invariant: string, target: string, detail: string): void {
    this.#counts.set(invariant, (this.#counts.get(invariant) ?? 0) + 1);
    if (this.examples.length < KEEP_EXAMPLES * 4 && this.examples.filter((e) => e.invariant === invariant).length < KEEP_EXAMPLES) {
      this.examples.push({ invariant, target, detail: detail.length > 600 ? `${detail.slice(0, 600)}…` : detail });
    }
  }

  /**
   * Runs `fn` on one input: counts it, counts a "crash" (and returns `ok: false`) when it throws
   * (the targets promise never to throw for bad input), and a "hang" when it takes longer than the budget.
   */
  run<T>(target: string, input: unknown, fn: () => T): { ok: true; value: T } | { ok: false } {
    this.fuzzed++;
    return this.guard(target, input, fn);
  }

  /** As `run`, for a further step on an input already counted (e.g. converting what validated). */
  guard<T>(target: string, input: unknown, fn: () => T): { ok: true; value: T } | { ok: false } {
    const start = this.#now();
    try {
      const value = fn();
      return { ok: true, value };
    } catch (err) {
      this.violate('crash', target, `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\ninput: ${show(input)}`);
      return { ok: false };
    } finally {
      const took = this.#now() - start;
      if (took > this.#budgetMs) this.violate('hang', target, `took ${Math.round(took)} ms by the ledger clock\ninput: ${show(input)}`);
    }
  }

  /** Violation counts by invariant. */
  violations(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  /** The total of all violations. */
  total(): number {
    let n = 0;
    for (const v of this.#counts.values()) n += v;
    return n;
  }

  /** A multi-line account of the violations, for an assertion message. */
  report(): string {
    const counts = [...this.#counts].filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
    return `${counts}\n${this.examples.map((e) => `[${e.invariant}] ${e.target}: ${e.detail}`).join('\n---\n')}`;
  }
}

/** A short printable form of any input (JSON with non-JSON values spelled out), for messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value); // BigInts, cycles, objects without a prototype
  }
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
