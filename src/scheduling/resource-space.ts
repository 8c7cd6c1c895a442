/**
 * Dense resource vectors for the solver's hot loops: each resource name gets an index once per
 * solve, and a vector is a Float64Array over those indices (same units as ResourceList).
 */
import { CPU, EPHEMERAL_STORAGE, MEMORY, PODS, type ResourceList } from '../utils/resources.js';

export type Vec = Float64Array;

export class ResourceSpace {
  readonly #index = new Map<string, number>([[CPU, 0], [MEMORY, 1], [PODS, 2], [EPHEMERAL_STORAGE, 3]]);
  readonly #names: string[] = [CPU, MEMORY, PODS, EPHEMERAL_STORAGE];
  #frozen = false;

  /**
   * Registers every name of the list. All registration happens before the first vector is made,
   * so every vector has every dimension.
   * @throws Error when called after freeze() with a new name.
   */
  register(list: ResourceList): void {
    for (const name in list) this.registerName(name);
  }

  /**
   * Registers one name, as register() with a list of it would (without making the list).
   * @throws Error when called after freeze() with a new name.
   */
  registerName(name: string): void {
    if (!this.#index.has(name)) {
      if (this.#frozen) throw new Error(`resource ${name} registered after the solver's resource space was frozen`);
      this.#index.set(name, this.#names.length);
      this.#names.push(name);
    }
  }

  /** Whether the name is registered. */
  has(name: string): boolean {
    return this.#index.has(name);
  }

  /**
   * The dimension of a registered name.
   * @throws Error when the name was never registered.
   */
  indexOf(name: string): number {
    const i = this.#index.get(name);
    if (i === undefined) throw new Error(`resource ${name} was not registered with the solver's resource space`);
    return i;
  }

  /** Ends registration: vectors may be made from now on. */
  freeze(): void {
    this.#frozen = true;
  }

  get size(): number {
    return this.#names.length;
  }

  get names(): readonly string[] {
    return this.#names;
  }

  /** @throws Error when the list names a resource that was never registered. */
  vector(list: ResourceList): Vec {
    if (!this.#frozen) throw new Error('resource vectors made before the resource space was frozen');
    const v = new Float64Array(this.#names.length);
    for (const name in list) {
      const i = this.#index.get(name);
      if (i === undefined) throw new Error(`resource ${name} was not registered with the solver's resource space`);
      v[i] = list[name]!;
    }
    return v;
  }

  zero(): Vec {
    if (!this.#frozen) throw new Error('resource vectors made before the resource space was frozen');
    return new Float64Array(this.#names.length);
  }

  list(v: Vec): ResourceList {
    const out: Record<string, number> = {};
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) out[this.#names[i]!] = v[i]!;
    return out;
  }

  /** Names of the resources where request exceeds available. */
  exceeded(request: Vec, available: Vec): string[] {
    const out: string[] = [];
    for (let i = 0; i < request.length; i++) if (request[i]! > available[i]!) out.push(this.#names[i]!);
    return out;
  }
}

/** request ≤ available in every dimension. */
export function fits(request: Vec, available: Vec): boolean {
  for (let i = 0; i < request.length; i++) if (request[i]! > available[i]!) return false;
  return true;
}

/** a + b ≤ available in every dimension, without allocating. */
export function fitsSum(a: Vec, b: Vec, available: Vec): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]! + b[i]! > available[i]!) return false;
  return true;
}

export function addInto(into: Vec, v: Vec): void {
  for (let i = 0; i < v.length; i++) into[i]! += v[i]!;
}

export function subInto(into: Vec, v: Vec): void {
  for (let i = 0; i < v.length; i++) into[i]! -= v[i]!;
}

export function add(a: Vec, b: Vec): Vec {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

export function sub(a: Vec, b: Vec): Vec {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

export function maxInto(into: Vec, v: Vec): void {
  for (let i = 0; i < v.length; i++) if (v[i]! > into[i]!) into[i] = v[i]!;
}
