/**
 * Generated names and uids from a seeded generator, so a simulation replays with the same names.
 */

/** The alphabet the API server uses for generateName suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX = '0123456789abcdef';

/** mulberry32: small, fast and good enough for names. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class NameGenerator {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** Five characters to append to a generateName prefix. */
  suffix(): string {
    let s = '';
    for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[Math.floor(this.#next() * SUFFIX_ALPHABET.length)];
    return s;
  }

  /** A version-4-shaped UUID. */
  uid(): string {
    let h = '';
    for (let i = 0; i < 32; i++) h += HEX[Math.floor(this.#next() * 16)];
    const variant = HEX[8 + Math.floor(this.#next() * 4)]!;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
