/**
 * The lane a round's follow-up Events (Nominated on its new NodeClaims, FailedScheduling) are
 * written through: at most a few at once, and none started while a later round is creating its
 * NodeClaims. A round of 50 pods writes ~50 Events; sent all at once they open as many connections
 * and sit in the API server beside the next round's claim creates, and each claim create is a
 * pod's decision while an Event only reports one. Writes already in flight carry on; the held ones
 * start, in the order they were asked for, once the claims are answered.
 */

/** Event writes in flight at most (client-go's event broadcaster writes one at a time; a few keep a burst short). */
export const EVENT_WRITES_IN_FLIGHT = 8;

export class EventLane {
  readonly #width: number;
  readonly #waiting: (() => void)[] = [];
  #inFlight = 0;
  #holds = 0;

  /** @throws RangeError for a width below 1. */
  constructor(width = EVENT_WRITES_IN_FLIGHT) {
    if (!(width >= 1)) throw new RangeError(`event lane width must be >= 1, got ${width}`);
    this.#width = width;
  }

  /** Writes waiting for a slot or for a hold to end. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `write` once a slot is free and nothing holds the lane; answers what it answers. */
  async run<T>(write: () => Promise<T>): Promise<T> {
    // A write that waits is handed its slot by #next; one that does not takes it here.
    if (this.#holds > 0 || this.#inFlight >= this.#width || this.#waiting.length > 0) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#inFlight++;
    }
    try {
      return await write();
    } finally {
      this.#inFlight--;
      this.#next();
    }
  }

  /** Starts no write until `until` settles (holds may overlap; the lane opens when the last ends). */
  holdUntil(until: Promise<unknown>): void {
    this.#holds++;
    const release = (): void => {
      this.#holds--;
      this.#next();
    };
    until.then(release, release);
  }

  #next(): void {
    while (this.#holds === 0 && this.#inFlight < this.#width && this.#waiting.length > 0) {
      this.#inFlight++;
      this.#waiting.shift()!();
    }
  }
}
