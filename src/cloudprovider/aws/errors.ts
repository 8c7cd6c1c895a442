/**
 * AWS SDK errors read as what the provider acts on: the error code, the request id, whether a retry
 * may help (throttling, 5xx, network), whether the thing is gone, whether capacity ran out.
 */
import { CloudProviderError } from '../cloud-provider.js';

export interface AwsErrorInfo {
  /** The service's error code ("RequestLimitExceeded"), or the Node error code for network failures. */
  readonly code: string;
  readonly message: string;
  readonly requestId: string | undefined;
  /** HTTP status, when a reply came. */
  readonly status: number | undefined;
}

const THROTTLING_CODES = new Set([
  'RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled',
  'RequestThrottledException', 'TooManyRequestsException', 'SlowDown', 'EC2ThrottledException', 'PriorRequestNotComplete',
]);

const TRANSIENT_CODES = new Set([
  'InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'RequestTimeout', 'RequestTimeoutException',
  'TimeoutError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'NetworkingError',
]);

/**
 * Codes meaning "no capacity for this pool right now" (CreateFleet errors): the offering is marked
 * unavailable and the next cheapest is tried.
 */
export const INSUFFICIENT_CAPACITY_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity', 'MaxSpotInstanceCountExceeded', 'VcpuLimitExceeded', 'UnfulfillableCapacity',
  'Unsupported', 'InsufficientFreeAddressesInSubnet', 'ReservationCapacityExceeded', 'SpotMaxPriceTooLow',
]);

function field(e: object, key: string): unknown {
  return (e as Record<string, unknown>)[key];
}

/** Reads code, message, request id and status from anything thrown by an SDK call. */
export function awsErrorInfo(e: unknown): AwsErrorInfo {
  if (typeof e !== 'object' || e === null) return { code: 'Unknown', message: typeof e === 'string' ? e : JSON.stringify(e) ?? 'undefined', requestId: undefined, status: undefined };
  const metadata = field(e, '$metadata') as { httpStatusCode?: number; requestId?: string } | undefined;
  const nodeCode = field(e, 'code');
  const sdkCode = field(e, 'Code');
  const name = field(e, 'name');
  const code = typeof sdkCode === 'string' ? sdkCode
    : typeof nodeCode === 'string' ? nodeCode
      : typeof name === 'string' && name !== 'Error' ? name : 'Unknown';
  const message = field(e, 'message');
  return {
    code,
    message: typeof message === 'string' ? message : Object.prototype.toString.call(e),
    requestId: metadata?.requestId,
    status: metadata?.httpStatusCode,
  };
}

export const isThrottling = (info: AwsErrorInfo): boolean => THROTTLING_CODES.has(info.code);

/** Throttling, a 5xx reply, or a network failure: the same call may succeed later. */
export function isRetryable(info: AwsErrorInfo): boolean {
  return isThrottling(info) || TRANSIENT_CODES.has(info.code) || (info.status !== undefined && info.status >= 500);
}

/** The instance (or other resource) named does not exist. */
export const isNotFound = (info: AwsErrorInfo): boolean => /\.NotFound$|NotFoundException$/.test(info.code);

/**
 * A CloudProviderError for a failed call: "<what>: <code>: <message> (request id <id>)", retryable
 * for throttling and transient failures, carrying the request id and the SDK error as cause. A
 * CloudProviderError passes through unchanged.
 */
export function awsError(what: string, e: unknown): CloudProviderError {
  if (e instanceof CloudProviderError) return e;
  const info = awsErrorInfo(e);
  const id = info.requestId === undefined ? '' : ` (request id ${info.requestId})`;
  return new CloudProviderError(`${what}: ${info.code}: ${info.message}${id}`, {
    retryable: isRetryable(info),
    ...(info.requestId === undefined ? {} : { requestId: info.requestId }),
    cause: e,
  });
}
