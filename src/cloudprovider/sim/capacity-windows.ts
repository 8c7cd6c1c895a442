/**
 * Windows of insufficient capacity: while one is open, launching on a matching offering fails as
 * EC2's InsufficientInstanceCapacity would.
 */
import type { CapacityType } from '../types.js';

/** From `start` (inclusive) to `end` (exclusive), epoch ms; an absent selector matches everything. */
export interface CapacityWindow {
  readonly start: number;
  readonly end: number;
  readonly instanceType?: string;
  readonly zone?: string;
  readonly capacityType?: CapacityType;
}

export class CapacityWindows {
  readonly #windows: CapacityWindow[] = [];

  /** @throws RangeError unless start and end are finite with start < end. */
  add(window: CapacityWindow): void {
    if (!Number.isFinite(window.start) || !Number.isFinite(window.end) || window.start >= window.end) {
      throw new RangeError(`capacity window must have finite start < end, got [${window.start}, ${window.end})`);
    }
    this.#windows.push({ ...window });
  }

  /** Whether the offering lacks capacity at time `at`. */
  isShort(instanceType: string, zone: string, capacityType: string, at: number): boolean {
    return this.#windows.some((w) =>
      at >= w.start && at < w.end
      && (w.instanceType === undefined || w.instanceType === instanceType)
      && (w.zone === undefined || w.zone === zone)
      && (w.capacityType === undefined || w.capacityType === capacityType));
  }

  /** Forgets windows that ended by `now` (a long simulation adds many). */
  prune(now: number): void {
    for (let i = this.#windows.length - 1; i >= 0; i--) if (this.#windows[i]!.end <= now) this.#windows.splice(i, 1);
  }

  get size(): number {
    return this.#windows.length;
  }
}
