/**
 * Seeded pseudo-random numbers for simulations, benchmarks and synthetic data. Never use
 * Math.random in logic: the same seed must give the same run.
 *
 * Generator: xoshiro128** (Blackman and Vigna), 128 bits of state, seeded through splitmix32.
 * Not cryptographic.
 */

const TWO_POW_32 = 4294967296;

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `text`. Deterministic across runs and platforms.
 * Its low bits mix poorly for similar inputs; prefer {@link stableHash32} for bucketing.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      hash = Math.imul(hash ^ unit, 0x01000193);
    } else {
      // Rare outside ASCII: hash the proper UTF-8 encoding of the rest of the string.
      for (const byte of new TextEncoder().encode(text.slice(i))) hash = Math.imul(hash ^ byte, 0x01000193);
      break;
    }
  }
  return hash >>> 0;
}

/** The murmur3 32-bit finaliser: a bijection on uint32 with full avalanche. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A stable 32-bit hash of a string (FNV-1a followed by the murmur3 finaliser), as an unsigned
 * integer in [0, 2^32). Every bit depends on every input byte, so `hash % n` and `hash / 2^32`
 * are usable buckets and fractions. Guaranteed not to change between versions: synthetic data
 * derived from it (spot prices, zone gaps) stays reproducible.
 */
export function stableHash32(text: string): number {
  return fmix32(fnv1a32(text));
}

/** `stableHash32(text)` scaled into [0, 1). */
export function stableFraction(text: string): number {
  return stableHash32(text) / TWO_POW_32;
}

/** A seed: an integer (any, reduced to 32 bits) or a string (hashed). */
export type Seed = number | string;

function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') return stableHash32(seed);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`random seed must be an integer or a string, got ${seed}`);
  // Fold the high bits in so that seeds differing only above bit 32 still differ.
  return ((seed >>> 0) ^ fmix32(Math.floor(seed / TWO_POW_32))) >>> 0;
}

/**
 * A seeded random stream. Same seed → same sequence, on every platform.
 *
 * `fork(label)` derives an independent stream from the *seed* and the label (not from how many
 * numbers were already drawn), so adding draws to one stream never shifts another.
 */
export class Random {
  readonly #seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal: number | undefined;

  /** @throws RangeError if `seed` is a number that is not a safe integer. */
  constructor(seed: Seed = 0) {
    this.#seed = seedToUint32(seed);
    // splitmix32 expands the 32-bit seed into four well-mixed, not-all-zero state words.
    let s = this.#seed;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return fmix32(s);
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /**
   * A stream resuming from a state captured with {@link Random.state} (forks of it use `seed`).
   * @throws RangeError unless the state is four uint32 values, not all zero.
   */
  static fromState(state: readonly [number, number, number, number], seed: Seed = 0): Random {
    if (!state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32) || state.every((w) => w === 0)) {
      throw new RangeError(`Random state must be four uint32 words, not all zero, got [${state.join(', ')}]`);
    }
    const random = new Random(seed);
    [random.#a, random.#b, random.#c, random.#d] = state;
    return random;
  }

  /**
   * The generator's current state, to resume later with {@link Random.fromState}. A spare value
   * cached by {@link Random.normal} is not part of it.
   */
  state(): [number, number, number, number] {
    return [this.#a >>> 0, this.#b >>> 0, this.#c >>> 0, this.#d >>> 0];
  }

  /** The next uint32 in [0, 2^32). */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /**
   * An integer uniformly in [lo, hi], both inclusive, without modulo bias.
   * @throws RangeError unless lo and hi are safe integers with lo ≤ hi and hi − lo < 2^32.
   */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi || hi - lo >= TWO_POW_32) {
      throw new RangeError(`Random.int needs integers lo ≤ hi within 2^32 of each other, got [${lo}, ${hi}]`);
    }
    const span = hi - lo + 1;
    if (span === TWO_POW_32) return lo + this.uint32();
    // Reject the top partial bucket so every value is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let x = this.uint32();
    while (x >= limit) x = this.uint32();
    return lo + (x % span);
  }

  /** True with probability p (p ≤ 0 never, p ≥ 1 always). */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /**
   * A uniformly chosen element.
   * @throws RangeError if the array is empty.
   */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A normally distributed number (Box–Muller, the spare value is kept for the next call). */
  normal(mean = 0, stdDev = 1): number {
    const spare = this.#spareNormal;
    if (spare !== undefined) {
      this.#spareNormal = undefined;
      return mean + stdDev * spare;
    }
    // 1 − next() is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.#spareNormal = radius * Math.sin(angle);
    return mean + stdDev * radius * Math.cos(angle);
  }

  /** exp(normal(mu, sigma)): positive, with median e^mu. */
  lognormal(mu = 0, sigma = 1): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /**
   * An exponentially distributed number with the given mean (e.g. time between Poisson arrivals).
   * @throws RangeError if mean is not a positive finite number.
   */
  exponential(mean: number): number {
    if (!(mean > 0) || !Number.isFinite(mean)) throw new RangeError(`Random.exponential needs a positive mean, got ${mean}`);
    return -mean * Math.log(1 - this.next());
  }

  /**
   * An independent stream named `label`, derived from this stream's seed and the label only.
   * Forking the same label twice gives the same stream; different labels give unrelated streams.
   */
  fork(label: string): Random {
    return new Random(fmix32(this.#seed ^ stableHash32(label)));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
