/**
 * Duration distributions (launch and registration delays, job pod run times): read from the
 * scenario and sampled with the run's seeded Random.
 *
 * YAML: a bare duration ("20s") is fixed; otherwise a mapping tagged by `type`:
 *   {type: fixed, value: 20s} · {type: uniform, min: 10s, max: 30s} · {type: lognormal, median: 15s, sigma: 0.3}
 */
import type { Random } from '../../utils/random.js';
import { isMap } from '../../apis/manifests-checks.js';
import type { Reader } from './reader.js';
import type { Distribution } from './types.js';

const TYPES = ['fixed', 'uniform', 'lognormal'] as const;
/** sigma beyond this makes the tail absurd (e^(3·5) ≈ 3·10^6 × the median at 3 sigma). */
const MAX_SIGMA = 5;

/** A fixed distribution. */
export function fixed(ms: number): Distribution {
  return { kind: 'fixed', ms };
}

/**
 * Reads a distribution at `path`; undefined (with problems recorded) when it is malformed, and
 * `fallback` when it is absent.
 */
export function readDistribution(r: Reader, value: unknown, path: string, fallback: Distribution): Distribution | undefined {
  if (value === undefined || value === null) return fallback;
  if (!isMap(value)) {
    const ms = r.duration(value, path, true);
    return ms === undefined ? undefined : fixed(ms);
  }
  const kind = r.choice(value.type, `${path}.type`, TYPES, true);
  switch (kind) {
    case undefined:
      return undefined;
    case 'fixed': {
      const f = r.fields(value, path, ['type', 'value'])!;
      const ms = r.duration(f.get('value'), f.at('value'), true);
      return ms === undefined ? undefined : fixed(ms);
    }
    case 'uniform': {
      const f = r.fields(value, path, ['type', 'min', 'max'])!;
      const minMs = r.duration(f.get('min'), f.at('min'), true);
      const maxMs = r.duration(f.get('max'), f.at('max'), true);
      if (minMs === undefined || maxMs === undefined) return undefined;
      if (maxMs < minMs) {
        r.fail(f.at('max'), `must be at least min (${String(f.get('min'))}), got ${String(f.get('max'))}`);
        return undefined;
      }
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'lognormal': {
      const f = r.fields(value, path, ['type', 'median', 'sigma'])!;
      const medianMs = r.duration(f.get('median'), f.at('median'), true, false);
      const sigma = r.number(f.get('sigma'), f.at('sigma'), 0, MAX_SIGMA, true);
      return medianMs === undefined || sigma === undefined ? undefined : { kind: 'lognormal', medianMs, sigma };
    }
  }
}

/** One draw in milliseconds (≥ 0); a fixed distribution draws nothing from `random`. */
export function sampleDistribution(d: Distribution, random: Random): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + (d.maxMs - d.minMs) * random.next();
    case 'lognormal':
      return random.lognormal(Math.log(d.medianMs), d.sigma);
  }
}

/** The mean in milliseconds (for reports and sanity checks). */
export function meanOf(d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return (d.minMs + d.maxMs) / 2;
    case 'lognormal':
      return d.medianMs * Math.exp((d.sigma * d.sigma) / 2);
  }
}
