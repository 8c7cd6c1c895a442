/** Delay distributions of the simulated cloud (launch, registration, readiness), sampled from a seeded Random. */
import type { Random } from '../../utils/random.js';

export type DelayDistribution =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** exp(N(ln medianMs, sigma)), optionally capped at maxMs: mostly near the median, with a long tail. */
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly sigma: number; readonly maxMs?: number };

const nonNegative = (n: number): boolean => Number.isFinite(n) && n >= 0;

/**
 * Checks a distribution's parameters.
 * @throws RangeError naming `what` when a bound is negative or not finite, min > max, the median is
 *   not positive or sigma is negative.
 */
export function checkDelay(what: string, d: DelayDistribution): void {
  const fail = (why: string): never => {
    throw new RangeError(`${what} delay (${d.kind}): ${why}`);
  };
  switch (d.kind) {
    case 'fixed':
      if (!nonNegative(d.ms)) fail(`ms must be a finite number >= 0, got ${d.ms}`);
      return;
    case 'uniform':
      if (!nonNegative(d.minMs) || !nonNegative(d.maxMs)) fail(`bounds must be finite numbers >= 0, got [${d.minMs}, ${d.maxMs}]`);
      if (d.minMs > d.maxMs) fail(`minMs ${d.minMs} is above maxMs ${d.maxMs}`);
      return;
    case 'lognormal':
      if (!(d.medianMs > 0) || !Number.isFinite(d.medianMs)) fail(`medianMs must be a positive finite number, got ${d.medianMs}`);
      if (!nonNegative(d.sigma)) fail(`sigma must be a finite number >= 0, got ${d.sigma}`);
      if (d.maxMs !== undefined && !nonNegative(d.maxMs)) fail(`maxMs must be a finite number >= 0, got ${d.maxMs}`);
  }
}

/** One delay in whole ms (>= 0). Fixed delays draw nothing, so they leave the stream untouched. */
export function sampleDelay(d: DelayDistribution, random: Random): number {
  switch (d.kind) {
    case 'fixed':
      return Math.round(d.ms);
    case 'uniform':
      return Math.round(d.minMs + (d.maxMs - d.minMs) * random.next());
    case 'lognormal': {
      const ms = random.lognormal(Math.log(d.medianMs), d.sigma);
      return Math.round(d.maxMs === undefined ? ms : Math.min(ms, d.maxMs));
    }
  }
}
