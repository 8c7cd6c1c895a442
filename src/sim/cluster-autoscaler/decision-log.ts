/**
 * The Cluster Autoscaler model's decision log, in the report's shape (result.ts `Decision`):
 * times in seconds since the start of the scenario, strategy "cluster-autoscaler".
 */
import type { Clock } from '../../utils/clock.js';
import type { Decision, DecisionDetails } from '../result.js';

export type CaDecisionKind = 'scale-up' | 'scale-down';

/** Most pod and node names kept in one entry (the counts are in the summary). */
export const MAX_NAMES_PER_DECISION = 50;

export class DecisionLog {
  readonly #clock: Clock;
  readonly #epochMs: number;
  readonly #entries: Decision[] = [];
  readonly #sink: ((d: Decision) => void) | undefined;

  /** @param epochMs the instant that is t = 0 of the scenario. */
  constructor(clock: Clock, epochMs: number, sink?: (d: Decision) => void) {
    this.#clock = clock;
    this.#epochMs = epochMs;
    this.#sink = sink;
  }

  /** Records an entry at the current time and passes it to the sink. */
  record(kind: CaDecisionKind, summary: string, details: DecisionDetails): Decision {
    const d: Decision = {
      t: (this.#clock.now() - this.#epochMs) / 1000,
      strategy: 'cluster-autoscaler',
      kind,
      summary,
      details: {
        ...details,
        ...(details.nodes ? { nodes: details.nodes.slice(0, MAX_NAMES_PER_DECISION) } : {}),
        ...(details.pods ? { pods: details.pods.slice(0, MAX_NAMES_PER_DECISION) } : {}),
      },
    };
    this.#entries.push(d);
    this.#sink?.(d);
    return d;
  }

  /** Every entry so far, oldest first. */
  entries(): readonly Decision[] {
    return this.#entries;
  }
}

/** "3 × m5.xlarge" / "1 × m5.xlarge". */
export function countOf(n: number, what: string): string {
  return `${n} × ${what}`;
}

/** "12m30s" for a duration in ms. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${sec > 0 || s === 0 ? `${sec}s` : ''}`;
}
