/**
 * Seeded API faults of the simulated cloud: a share of calls is throttled, fails with a 5xx or
 * times out, each as a retryable CloudProviderError, so controllers' retry paths get exercised.
 */
import type { Clock } from '../../utils/clock.js';
import type { Random } from '../../utils/random.js';
import { CloudProviderError } from '../cloud-provider.js';

export type ApiFaultKind = 'throttle' | '5xx' | 'timeout';
export const API_FAULT_KINDS: readonly ApiFaultKind[] = ['throttle', '5xx', 'timeout'];

export type SimApiMethod = 'create' | 'delete' | 'get' | 'list' | 'getInstanceTypes' | 'isDrifted';

export interface ApiFaultOptions {
  /** Probability that a call faults, in [0, 1]. */
  readonly rate: number;
  /** The kinds drawn from, equally likely; default all. */
  readonly kinds?: readonly ApiFaultKind[];
  /** The methods that may fault; default create, delete, get and list (the ones that call the cloud). */
  readonly methods?: readonly SimApiMethod[];
  /** How long a timed-out call hangs before it fails; default 30 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_METHODS: readonly SimApiMethod[] = ['create', 'delete', 'get', 'list'];

export class ApiFaults {
  readonly timeoutMs: number;
  readonly #rate: number;
  readonly #kinds: readonly ApiFaultKind[];
  readonly #methods: ReadonlySet<SimApiMethod>;
  readonly #random: Random;
  #requests = 0;

  /** @throws RangeError for a rate outside [0, 1], no kinds, or a negative timeout. */
  constructor(options: ApiFaultOptions | undefined, random: Random) {
    this.#rate = options?.rate ?? 0;
    this.#kinds = options?.kinds ?? API_FAULT_KINDS;
    this.#methods = new Set(options?.methods ?? DEFAULT_METHODS);
    this.timeoutMs = options?.timeoutMs ?? 30_000;
    this.#random = random;
    if (!(this.#rate >= 0 && this.#rate <= 1)) throw new RangeError(`API fault rate must be within [0, 1], got ${this.#rate}`);
    if (this.#kinds.length === 0) throw new RangeError('API fault kinds must not be empty');
    if (!(this.timeoutMs >= 0) || !Number.isFinite(this.timeoutMs)) throw new RangeError(`API fault timeoutMs must be >= 0, got ${this.timeoutMs}`);
  }

  /** The fault this call suffers, or undefined. Draws only when faults are on for the method. */
  roll(method: SimApiMethod): ApiFaultKind | undefined {
    if (this.#rate === 0 || !this.#methods.has(method)) return undefined;
    if (!this.#random.bool(this.#rate)) return undefined;
    return this.#random.pick(this.#kinds);
  }

  /**
   * Rolls the fault of a call to `method`.
   * @throws the throttling or 5xx error when the call is to fail at once.
   * @returns 'timeout' when the call is to hang and fail (see timeOut), undefined when it proceeds.
   */
  check(method: SimApiMethod, what: string): 'timeout' | undefined {
    const kind = this.roll(method);
    if (kind === 'throttle' || kind === '5xx') throw this.error(kind, what);
    return kind;
  }

  /** check() for calls without effects: on a timeout, hangs and fails at once. */
  async checkNow(clock: Clock, method: SimApiMethod, what: string): Promise<void> {
    if (this.check(method, what) === 'timeout') await this.timeOut(clock, what);
  }

  /** Waits timeoutMs on the clock, then throws the timeout error. */
  async timeOut(clock: Clock, what: string): Promise<never> {
    await clock.sleep(this.timeoutMs);
    throw this.error('timeout', what);
  }

  /** The retryable error a faulted call fails with; `what` says what was being done. */
  error(kind: ApiFaultKind, what: string): CloudProviderError {
    const requestId = `sim-request-${++this.#requests}`;
    switch (kind) {
      case 'throttle':
        return new CloudProviderError(`${what}: RequestLimitExceeded: request rate exceeded (simulated)`, { retryable: true, requestId });
      case '5xx':
        return new CloudProviderError(`${what}: InternalError: the cloud API answered 500 (simulated)`, { retryable: true, requestId });
      case 'timeout':
        return new CloudProviderError(`${what}: no answer within ${this.timeoutMs} ms (simulated timeout; the request may have taken effect)`, { retryable: true, requestId });
    }
  }
}
