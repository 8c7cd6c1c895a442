/**
 * Time as an injected dependency. Logic reads time and sets timers only through a `Clock`, so the
 * same code runs on wall time (`RealClock`) and on virtual time (`VirtualClock`), where tests and the
 * simulator step hours of cluster life in seconds, deterministically.
 *
 * This is the only module allowed to touch Date.now / setTimeout (lint enforces it).
 */

/** A source of time and timers. Times are epoch milliseconds. */
export interface Clock {
  /** Current time, epoch ms. */
  now(): number;
  /** Current time as ISO-8601 with milliseconds ("2024-01-01T00:00:00.000Z"). */
  nowIso(): string;
  /**
   * Resolves once `ms` have passed (immediately-due when ms <= 0, but still asynchronously).
   * Rejects with `signal.reason` (an AbortError if that is not an Error) if the signal aborts first
   * or is already aborted.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once after `ms` (negative counts as 0); returns a function that cancels it
   * (idempotent). @throws RangeError when `ms` is not a finite number.
   */
  setTimer(ms: number, fn: () => void): () => void;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`setting a timer: delay must be a finite number of ms, got ${ms}`);
  return Math.max(0, ms);
}

/** Thrown for misuse of a VirtualClock (stepping backwards, concurrent steps, never-idle runs). */
export class ClockError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClockError';
  }
}

/** formatKubeTime's last answer: writes made in the same virtual second share one. */
let lastKubeTime: { second: number; text: string } | undefined;

/** Kubernetes metav1.Time: RFC 3339 at second precision ("2024-01-01T00:00:00Z"). */
export function formatKubeTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (lastKubeTime?.second === second) return lastKubeTime.text;
  const text = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  lastKubeTime = { second, text };
  return text;
}

/** Kubernetes metav1.MicroTime: exactly six fractional digits, as the API server insists. */
export function formatMicroTime(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, -1)}000Z`;
}

/**
 * Parses an RFC 3339 timestamp (any fractional precision) to epoch ms.
 * @throws RangeError when the text is not a timestamp.
 */
export function parseKubeTime(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new RangeError(`parsing timestamp "${text}": not RFC 3339`);
  return ms;
}

/** The signal's reason when it is an Error (the usual case), else a standard AbortError. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/** Sleep on top of setTimer, shared by both clocks so abort handling is identical. */
function sleepWith(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(abortReason(signal!));
    };
    const cancel = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Node's setTimeout fires at once for delays above 2^31-1 ms (24.8 days): longer ones are chained. */
const MAX_NODE_TIMEOUT_MS = 2_147_483_647;

/** Wall-clock time and Node's timers. */
export class RealClock implements Clock {
  readonly #maxChunkMs: number;

  /** @param options.maxChunkMs longest single setTimeout (tests shorten it to exercise chaining). */
  constructor(options: { maxChunkMs?: number } = {}) {
    this.#maxChunkMs = Math.min(options.maxChunkMs ?? MAX_NODE_TIMEOUT_MS, MAX_NODE_TIMEOUT_MS);
  }

  now(): number {
    return Date.now();
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const deadline = this.now() + checkDelay(ms);
    let handle: ReturnType<typeof setTimeout>;
    const arm = (): void => {
      const left = Math.max(0, deadline - this.now());
      handle = left > this.#maxChunkMs ? setTimeout(arm, this.#maxChunkMs) : setTimeout(fn, left);
    };
    arm();
    return () => clearTimeout(handle);
  }
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  /** Position in the heap array; -1 once fired or cancelled. */
  index: number;
}

/** Min-heap on (at, seq) with O(log n) removal of any entry, so cancelled timers leave no garbage. */
class TimerHeap {
  readonly #items: Timer[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Timer | undefined {
    return this.#items[0];
  }

  push(t: Timer): void {
    t.index = this.#items.length;
    this.#items.push(t);
    this.#up(t.index);
  }

  remove(t: Timer): void {
    const i = t.index;
    if (i < 0) return;
    const last = this.#items.pop()!;
    t.index = -1;
    if (last === t) return;
    this.#items[i] = last;
    last.index = i;
    this.#up(i);
    this.#down(last.index);
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i]!;
    const b = this.#items[j]!;
    this.#items[i] = b;
    this.#items[j] = a;
    a.index = j;
    b.index = i;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.#items[i]!, this.#items[parent]!)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(this.#items[l]!, this.#items[m]!)) m = l;
      if (r < n && this.#less(this.#items[r]!, this.#items[m]!)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}

/** Lets every pending promise continuation run, however long the chain (a macrotask boundary). */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** 2024-01-01T00:00:00Z, the default start of virtual time. */
export const DEFAULT_VIRTUAL_EPOCH = Date.UTC(2024, 0, 1);

/**
 * Virtual time that moves only when stepped. Timers fire in deadline order, equal deadlines in the
 * order they were set; between two timers every pending promise continuation runs, so an async
 * chain woken by one timer can set the next and still be served within the same step.
 */
export class VirtualClock implements Clock {
  #now: number;
  readonly #heap = new TimerHeap();
  #seq = 0;
  #stepping = false;
  /** Guards against a chain that keeps re-arming zero-delay timers and never lets time move. */
  readonly #maxFiresPerInstant: number;

  constructor(startMs: number = DEFAULT_VIRTUAL_EPOCH, options: { maxFiresPerInstant?: number } = {}) {
    this.#now = startMs;
    this.#maxFiresPerInstant = options.maxFiresPerInstant ?? 1_000_000;
  }

  now(): number {
    return this.#now;
  }

  nowIso(): string {
    return new Date(this.#now).toISOString();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.#now + checkDelay(ms), seq: this.#seq++, fn, index: -1 };
    this.#heap.push(timer);
    return () => this.#heap.remove(timer);
  }

  /** Timers set and neither fired nor cancelled. */
  pendingTimers(): number {
    return this.#heap.size;
  }

  /** Deadline of the next timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#heap.peek()?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer due by then (including ones set while stepping).
   * Returns the number of timers fired.
   * @throws ClockError for a negative step or when another step is in progress; rethrows what a
   *   timer callback throws (time then stands at that timer's deadline).
   */
  step(ms: number): Promise<number> {
    if (!(ms >= 0)) return Promise.reject(new ClockError(`stepping virtual time by ${ms} ms: must be >= 0`));
    return this.#run(this.#now + ms, false);
  }

  /**
   * Moves time forward to the epoch-ms instant `t` (see step).
   * @throws ClockError when `t` is in the past.
   */
  advanceTo(t: number): Promise<number> {
    if (t < this.#now) {
      return Promise.reject(new ClockError(`advancing virtual time to ${new Date(t).toISOString()}: it is already ${this.nowIso()}`));
    }
    return this.#run(t, false);
  }

  /**
   * Fires timers, jumping time to each deadline, until none is pending. Returns the number fired.
   * @throws ClockError when timers are still pending after `limitMs` of virtual time (time then
   *   stands at the limit): something keeps re-arming, so "idle" will never come.
   */
  async runUntilIdle(limitMs: number = 24 * 3600_000): Promise<number> {
    const fired = await this.#run(this.#now + limitMs, true);
    if (this.#heap.size > 0) {
      throw new ClockError(
        `running virtual time until idle: ${this.#heap.size} timer(s) still pending after ${limitMs} ms ` +
        `(next at ${new Date(this.#heap.peek()!.at).toISOString()})`,
      );
    }
    return fired;
  }

  async #run(until: number, stopWhenIdle: boolean): Promise<number> {
    if (this.#stepping) throw new ClockError('stepping virtual time: another step is already in progress');
    this.#stepping = true;
    let fired = 0;
    let firedAtInstant = 0;
    try {
      await drainMicrotasks();
      for (;;) {
        const next = this.#heap.peek();
        if (!next || next.at > until) break;
        this.#heap.remove(next);
        if (next.at === this.#now) {
          if (++firedAtInstant > this.#maxFiresPerInstant) {
            throw new ClockError(`stepping virtual time: more than ${this.#maxFiresPerInstant} timers fired at ${this.nowIso()} without time moving`);
          }
        } else {
          firedAtInstant = 1;
          this.#now = next.at;
        }
        fired++;
        next.fn();
        await drainMicrotasks();
      }
      if (!stopWhenIdle || this.#heap.size > 0) this.#now = Math.max(this.#now, until);
      await drainMicrotasks();
      return fired;
    } finally {
      this.#stepping = false;
    }
  }
}
