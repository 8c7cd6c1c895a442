/**
 * What the cache notes about machines beyond their API objects, keyed by Node or NodeClaim name
 * (so a note may come before the object is seen): nominations from the provisioner, marks for
 * deletion from disruption, and when a pod last arrived or left.
 */
import type { Clock } from '../utils/clock.js';

export class MachineNotes {
  readonly #clock: Clock;
  readonly #nominations = new Map<string, number>();
  readonly #marked = new Set<string>();
  readonly #lastPodEvent = new Map<string, number>();
  #version = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Moves on every nomination, mark, unmark and forget (not on pod events): while it stays, what
   * nominatedUntil and anyMarked answer for any names stays too, except that a nomination ends.
   */
  get version(): number {
    return this.#version;
  }

  /** Whether `nominate(name, untilMs)` would change anything. */
  extendsNomination(name: string, untilMs: number): boolean {
    return (this.#nominations.get(name) ?? -Infinity) < untilMs;
  }

  nominate(name: string, untilMs: number): void {
    this.#version++;
    this.#nominations.set(name, untilMs);
  }

  /** The latest nomination end among the names, if still in the future (expired ones are dropped). */
  nominatedUntil(names: readonly string[]): number | undefined {
    if (this.#nominations.size === 0) return undefined;
    const now = this.#clock.now();
    let best: number | undefined;
    for (const n of names) {
      const until = this.#nominations.get(n);
      if (until === undefined) continue;
      if (until <= now) this.#nominations.delete(n);
      else if (best === undefined || until > best) best = until;
    }
    return best;
  }

  isMarked(name: string): boolean {
    return this.#marked.has(name);
  }

  anyMarked(names: readonly string[]): boolean {
    if (this.#marked.size === 0) return false;
    for (const n of names) if (this.#marked.has(n)) return true;
    return false;
  }

  mark(name: string): void {
    this.#version++;
    this.#marked.add(name);
  }

  unmark(name: string): void {
    this.#version++;
    this.#marked.delete(name);
  }

  podEvent(nodeName: string): void {
    this.#lastPodEvent.set(nodeName, this.#clock.now());
  }

  lastPodEvent(nodeName: string): number | undefined {
    return this.#lastPodEvent.get(nodeName);
  }

  /** The machine left the cache: drop every note under these names. */
  forget(names: readonly (string | undefined)[]): void {
    this.#version++;
    for (const n of names) {
      if (n === undefined) continue;
      this.#nominations.delete(n);
      this.#marked.delete(n);
      this.#lastPodEvent.delete(n);
    }
  }
}
