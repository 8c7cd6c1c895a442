/**
 * The drift hash of a NodePool: a digest of `spec.template` without its requirements (requirement
 * changes are judged by compatibility, not by hash). Nodewright stamps it on each NodeClaim in the
 * karpenter.sh/nodepool-hash annotation, with karpenter.sh/nodepool-hash-version, and a NodeClaim
 * whose hash differs from its NodePool's (same version) has drifted.
 */
import { createHash } from 'node:crypto';
import { DurationError, parseDuration } from '../../utils/duration.js';
import { NODEPOOL_HASH_ANNOTATION, NODEPOOL_HASH_VERSION_ANNOTATION } from '../labels.js';
import { withDefaults } from './defaults.js';
import type { NodePool } from './types.js';

/**
 * Version of the hashing scheme. Bump it whenever the hash of an unchanged NodePool would change
 * (a new hashed field, a changed default), so controllers re-stamp NodeClaims instead of reporting
 * drift. It differs from Karpenter's own ("v3") on purpose: after a migration from Karpenter the
 * NodeClaims carry Karpenter's hashes, which nodewright cannot reproduce, and a version mismatch makes
 * them re-stamped rather than all drifted at once.
 */
export const NODEPOOL_HASH_VERSION = 'nodewright-v1';

/**
 * The drift hash of a NodePool's template, as 16 hex digits. Stable across key order, list order
 * (lists are sets: taints [a, b] and [b, a] hash alike), empty versus absent fields ("" / [] / {}),
 * defaults (expireAfter absent or "720h") and duration spelling ("720h" or "43200m").
 * Requirements, disruption, limits and weight do not contribute.
 * @throws TypeError when the NodePool has no spec.template.spec (validate first).
 */
export function nodePoolHash(nodePool: NodePool): string {
  const template = withDefaults(nodePool).spec.template;
  const { requirements: _ignored, ...spec } = template.spec;
  const hashed = {
    metadata: template.metadata,
    spec: { ...spec, expireAfter: durationValue(spec.expireAfter), terminationGracePeriod: durationValue(spec.terminationGracePeriod) },
  };
  const digest = createHash('sha256').update(JSON.stringify(canonical(hashed) ?? null)).digest('hex');
  return digest.slice(0, 16);
}

/** The two annotations that record a NodePool's hash on its NodeClaims. */
export function nodePoolHashAnnotations(nodePool: NodePool): Record<string, string> {
  return { [NODEPOOL_HASH_ANNOTATION]: nodePoolHash(nodePool), [NODEPOOL_HASH_VERSION_ANNOTATION]: NODEPOOL_HASH_VERSION };
}

/** Milliseconds for a parseable duration, so equal durations hash alike; anything else as written. */
function durationValue(value: string | undefined): string | number | undefined {
  if (value === undefined) return undefined;
  try {
    const ms = parseDuration(value, { allowNever: true });
    return ms === Infinity ? 'Never' : ms;
  } catch (e) {
    if (e instanceof DurationError) return value;
    throw e;
  }
}

/**
 * A JSON value with object keys sorted, lists sorted and de-duplicated, and empty values (undefined,
 * null, "", [], {}) removed; undefined when the whole value is empty.
 */
function canonical(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    const items = new Map<string, unknown>();
    for (const item of value) {
      const c = canonical(item);
      if (c !== undefined) items.set(JSON.stringify(c), c);
    }
    if (items.size === 0) return undefined;
    return [...items.keys()].sort().map((k) => items.get(k));
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const c = canonical((value as Record<string, unknown>)[key]);
      if (c !== undefined) out[key] = c;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}
