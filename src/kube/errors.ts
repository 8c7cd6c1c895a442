/**
 * Typed API errors, shaped after the Kubernetes `Status` object (code + reason), so that callers
 * branch on `reason` whichever client raised them: the memory client throws them directly, the real
 * client converts the API server's Status with `kubeErrorFromStatus`.
 */

/** Status reasons nodewright distinguishes (metav1.StatusReason values). */
export type KubeErrorReason =
  | 'BadRequest'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'Forbidden'
  | 'TooManyRequests'
  | 'InternalError'
  | 'Timeout'
  | 'Unknown';

const CODES: Record<KubeErrorReason, number> = {
  BadRequest: 400,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  Timeout: 504,
  Unknown: 500,
};

export interface KubeErrorDetails {
  /** The kind and name the failed request was about, when known. */
  kind?: string;
  name?: string;
  namespace?: string;
  /** Machine-readable causes (the PodDisruptionBudget that blocked an eviction, a field that is invalid). */
  causes?: { reason?: string; message?: string; field?: string }[];
  /** Seconds the server suggests waiting before retrying (429). */
  retryAfterSeconds?: number;
}

/** An API request failed. `code` is the HTTP status, `reason` the Kubernetes StatusReason. */
export class KubeError extends Error {
  readonly code: number;
  readonly reason: KubeErrorReason;
  readonly details: KubeErrorDetails;

  constructor(reason: KubeErrorReason, message: string, details: KubeErrorDetails = {}, options?: ErrorOptions & { code?: number }) {
    super(message, options);
    this.name = 'KubeError';
    this.reason = reason;
    this.code = options?.code ?? CODES[reason];
    this.details = details;
  }
}

function hasReason(e: unknown, ...reasons: KubeErrorReason[]): e is KubeError {
  return e instanceof KubeError && reasons.includes(e.reason);
}

export const isNotFound = (e: unknown): e is KubeError => hasReason(e, 'NotFound');
export const isAlreadyExists = (e: unknown): e is KubeError => hasReason(e, 'AlreadyExists');
export const isConflict = (e: unknown): e is KubeError => hasReason(e, 'Conflict');
/** A watch asked for history that is no longer kept: relist, then watch from the new list. */
export const isGone = (e: unknown): e is KubeError => hasReason(e, 'Gone', 'Expired');
export const isTooManyRequests = (e: unknown): e is KubeError => hasReason(e, 'TooManyRequests');
export const isInvalid = (e: unknown): e is KubeError => hasReason(e, 'Invalid');

/** The metav1.Status an API server answers with on failure (the fields we read). */
export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: {
    name?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}

const REASONS = new Set<string>(Object.keys(CODES));
const BY_CODE: Record<number, KubeErrorReason> = {
  400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 410: 'Gone',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 504: 'Timeout',
};

/**
 * Converts an API server Status (or just an HTTP code) into a KubeError, keeping the server's code.
 * `doing` prefixes the message ("evicting pod ns/web-1").
 */
export function kubeErrorFromStatus(doing: string, status: KubeStatus, cause?: unknown): KubeError {
  const code = status.code ?? 500;
  const reason: KubeErrorReason = status.reason && REASONS.has(status.reason)
    ? status.reason as KubeErrorReason
    : (BY_CODE[code] ?? 'Unknown');
  const d = status.details ?? {};
  const details: KubeErrorDetails = {};
  if (d.kind !== undefined) details.kind = d.kind;
  if (d.name !== undefined) details.name = d.name;
  if (d.causes !== undefined) details.causes = d.causes;
  if (d.retryAfterSeconds !== undefined) details.retryAfterSeconds = d.retryAfterSeconds;
  return new KubeError(reason, `${doing}: ${status.message ?? `HTTP ${code}`}`, details, { code, cause });
}
