/**
 * Turns whatever a request through @kubernetes/client-node failed with into a KubeError: an
 * `ApiException {code, body}` carrying the API server's Status, the bare HTTP error its Watch
 * raises, or a transport failure (connection refused, TLS, DNS).
 */
import { ApiException } from '@kubernetes/client-node';
import type { KubeStatus } from '../errors.js';
import { KubeError, kubeErrorFromStatus } from '../errors.js';

const MAX_TEXT = 500;

/** The Status in an error body: JSON text or an already parsed object; plain text becomes the message. */
export function statusFromBody(body: unknown): KubeStatus {
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return {};
    try {
      return statusFromBody(JSON.parse(text) as unknown);
    } catch {
      return { message: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text };
    }
  }
  if (Buffer.isBuffer(body)) return statusFromBody(body.toString('utf8'));
  if (typeof body !== 'object' || body === null) return {};
  const s = body as Record<string, unknown>;
  const status: KubeStatus = {};
  if (typeof s.code === 'number') status.code = s.code;
  if (typeof s.reason === 'string') status.reason = s.reason;
  if (typeof s.message === 'string') status.message = s.message;
  if (typeof s.details === 'object' && s.details !== null) status.details = s.details;
  return status;
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A KubeError for a failed request; `doing` says what was being done ("getting Pod ns/web").
 * KubeErrors pass through unchanged. The HTTP code wins over a code in the body; failures that
 * never reached the server become reason 'Unknown' with the original error as `cause`.
 */
export function toKubeError(doing: string, err: unknown): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) {
    const status = statusFromBody(err.body);
    return kubeErrorFromStatus(doing, { ...status, code: err.code }, err);
  }
  const statusCode = httpStatusOf(err);
  if (statusCode !== undefined) {
    return kubeErrorFromStatus(doing, { code: statusCode, message: err instanceof Error ? err.message : String(err) }, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubeError('Unknown', `${doing}: ${message}`, {}, { cause: err });
}
