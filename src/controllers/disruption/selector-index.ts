/**
 * Label selectors indexed by one of their matchLabels pairs, so finding the selectors that select a
 * pod costs about O(its labels) instead of O(selectors): at 100,000 pods and a few hundred PDBs or
 * spread selectors, the difference between milliseconds and seconds. Answers are exact: the index
 * only picks which selectors to run.
 */
import type { Labels, LabelSelector } from '../../apis/core.js';
import type { LabelPredicate } from '../../apis/selectors.js';
import { compileSelector } from '../../apis/selectors.js';

interface Entry<T> {
  readonly matches: LabelPredicate;
  readonly value: T;
}

export class SelectorIndex<T> {
  /** key → value → selectors requiring that label. */
  readonly #byPair = new Map<string, Map<string, Entry<T>[]>>();
  /** Selectors without matchLabels (expressions only, or empty: everything). */
  readonly #rest: Entry<T>[] = [];
  #size = 0;

  /**
   * Adds a selector. An absent selector selects nothing and is not kept; an invalid one neither
   * (the API server rejects those; Kubernetes treats a broken selector as selecting nothing).
   */
  add(selector: LabelSelector | undefined, value: T): void {
    if (!selector) return;
    let matches: LabelPredicate;
    try {
      matches = compileSelector(selector);
    } catch {
      return;
    }
    this.#size++;
    const first = Object.entries(selector.matchLabels ?? {})[0];
    if (!first) {
      this.#rest.push({ matches, value });
      return;
    }
    const [key, v] = first;
    let byValue = this.#byPair.get(key);
    if (!byValue) this.#byPair.set(key, (byValue = new Map<string, Entry<T>[]>()));
    let list = byValue.get(v);
    if (!list) byValue.set(v, (list = []));
    list.push({ matches, value });
  }

  get size(): number {
    return this.#size;
  }

  /** The values of every selector that selects these labels. */
  matching(labels: Labels | undefined): T[] {
    const out: T[] = [];
    this.#visit(labels, (e) => {
      out.push(e.value);
      return false;
    });
    return out;
  }

  /** Whether any selector selects these labels. */
  matchesAny(labels: Labels | undefined): boolean {
    return this.#visit(labels, () => true);
  }

  /** Calls `hit` for each matching entry until it returns true. @returns whether it did. */
  #visit(labels: Labels | undefined, hit: (e: Entry<T>) => boolean): boolean {
    if (labels && this.#byPair.size > 0) {
      for (const key in labels) {
        const list: Entry<T>[] | undefined = this.#byPair.get(key)?.get(labels[key]!);
        if (list) for (const e of list) if (e.matches(labels) && hit(e)) return true;
      }
    }
    for (const e of this.#rest) if (e.matches(labels) && hit(e)) return true;
    return false;
  }
}
