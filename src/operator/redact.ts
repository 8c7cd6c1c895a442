/**
 * Keeps secrets out of logs: values under sensitive keys (tokens, passwords, authorization headers,
 * private keys, user data, ...) are replaced whole, and secret-looking text inside any string
 * (bearer tokens, PEM private keys, JWTs, AWS access key ids, signed-URL parameters) is masked.
 * Errors become plain objects (type, message, stack, code, cause) with the same treatment.
 */

export const REDACTED = '[REDACTED]';

/** Keys (compared without case, '-' and '_') whose values are never logged. */
const SENSITIVE_KEY = /authorization|cookie|token|password|passwd|secret|privatekey|clientkey|keydata|userdata|apikey|credential|certificateauthoritydata/;

const TEXT_RULES: readonly (readonly [RegExp, string])[] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/([?&;\s](?:[a-z0-9-]*token|x-amz-signature|x-amz-credential|signature|password|secret|api[-_]?key)=)[^&;\s"']+/gi, `$1${REDACTED}`],
  [/\b((?:password|passwd|secret|token|api[-_]?key)\s*[:=]\s*)(?!\[REDACTED\])[^\s,;"'}]+/gi, `$1${REDACTED}`],
];

const MAX_DEPTH = 8;

/** Whether a field name is one whose value must not be logged. */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/** The text with secret-looking parts masked. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TEXT_RULES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A copy of `value` safe to log: JSON-like data with sensitive keys masked, strings scrubbed,
 * Errors as plain objects, cycles as "[Circular]", binary data as a size, nesting cut at 8 levels.
 * Never throws; the input is not modified.
 */
export function redactValue(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

/** redactValue for a fields object. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return walk(fields, 0, new WeakSet()) as Record<string, unknown>;
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  seen.add(value);
  try {
    if (value instanceof Error) return errorObject(value, depth, seen);
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
    if (value instanceof Map) return walk(Object.fromEntries(value), depth, seen);
    if (value instanceof Set) return walk([...value], depth, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSensitiveKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : walk(v, depth + 1, seen);
    return out;
  } catch {
    return '[Unserializable]';
  } finally {
    seen.delete(value);
  }
}

function errorObject(e: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: e.name, message: scrubText(e.message) };
  if (e.stack) out.stack = scrubText(e.stack);
  // Typed errors carry their facts as own fields (KubeError code/reason, CloudProviderError retryable).
  for (const [k, v] of Object.entries(e)) {
    if (k === 'message' || k === 'stack' || k === 'cause') continue;
    out[k] = isSensitiveKey(k) ? REDACTED : walk(v, depth + 1, seen);
  }
  if (e.cause !== undefined) out.cause = walk(e.cause, depth + 1, seen);
  return out;
}
