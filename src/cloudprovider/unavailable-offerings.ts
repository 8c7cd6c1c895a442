/**
 * The unavailable-offerings cache: offerings (instance type × zone × capacity type) that recently
 * failed to launch for lack of capacity are kept out of launches and shown as unavailable to the
 * solver for a while (Karpenter: 3 minutes), after which they are tried again.
 *
 * Entries expire lazily against the injected Clock: no timers, so a VirtualClock can still go idle.
 */
import type { Clock } from '../utils/clock.js';
import type { FailedOffering } from './cloud-provider.js';
import type { InstanceType, Offering } from './types.js';

/** How long an offering stays unavailable after a capacity error, as Karpenter does. */
export const DEFAULT_UNAVAILABLE_OFFERING_TTL_MS = 3 * 60_000;

function offeringKey(zone: string, capacityType: string): string {
  return `${zone}\u0000${capacityType}`;
}

export class UnavailableOfferings {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  /** instance type → (zone, capacity type) → expiry (epoch ms, exclusive). */
  readonly #entries = new Map<string, Map<string, number>>();
  #generation = 0;
  /** Prune expired entries when the map reaches this many types (amortised O(1) per mark). */
  #pruneAt = 64;

  /** @throws RangeError unless ttlMs is a positive finite number. */
  constructor(clock: Clock, options: { ttlMs?: number } = {}) {
    const ttlMs = options.ttlMs ?? DEFAULT_UNAVAILABLE_OFFERING_TTL_MS;
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`unavailable offerings TTL must be a positive number of ms, got ${ttlMs}`);
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /**
   * Counts marks: it changes whenever the set of unavailable offerings may have grown, so callers
   * caching `apply` results can tell when to recompute (expiries do not change it).
   */
  get generation(): number {
    return this.#generation;
  }

  /** Instance types holding marks, expired ones included until pruned (bounded by twice the live ones, at least 64). */
  get storedTypes(): number {
    return this.#entries.size;
  }

  /** Marks the offering unavailable from now for the TTL (or `ttlMs`), extending an earlier mark. */
  mark(offering: FailedOffering, ttlMs: number = this.#ttlMs): void {
    const now = this.#clock.now();
    let zones = this.#entries.get(offering.instanceType);
    if (zones === undefined) {
      if (this.#entries.size >= this.#pruneAt) {
        this.#prune(now);
        this.#pruneAt = Math.max(64, 2 * this.#entries.size);
      }
      this.#entries.set(offering.instanceType, (zones = new Map<string, number>()));
    }
    const key = offeringKey(offering.zone, offering.capacityType);
    zones.set(key, Math.max(zones.get(key) ?? 0, now + ttlMs));
    this.#generation++;
  }

  /** Marks each of the offerings (see mark). */
  markAll(offerings: readonly FailedOffering[]): void {
    for (const o of offerings) this.mark(o);
  }

  /** Whether this offering is marked and its mark has not expired. */
  isUnavailable(instanceType: string, zone: string, capacityType: string): boolean {
    const expiry = this.#entries.get(instanceType)?.get(offeringKey(zone, capacityType));
    return expiry !== undefined && expiry > this.#clock.now();
  }

  /** The offerings currently marked, for logs and tests. */
  marked(): FailedOffering[] {
    const now = this.#clock.now();
    const out: FailedOffering[] = [];
    for (const [instanceType, zones] of this.#entries) {
      for (const [key, expiry] of zones) {
        if (expiry <= now) continue;
        const [zone = '', capacityType = ''] = key.split('\u0000');
        out.push({ instanceType, zone, capacityType });
      }
    }
    return out;
  }

  /**
   * The instance types with every marked offering turned `available: false`. Types without a live
   * mark are returned as they are (same objects); the input is never modified.
   */
  apply(instanceTypes: readonly InstanceType[]): InstanceType[] {
    if (this.#entries.size === 0) return [...instanceTypes];
    const now = this.#clock.now();
    return instanceTypes.map((type) => {
      const zones = this.#entries.get(type.name);
      if (zones === undefined) return type;
      let changed = false;
      const offerings = type.offerings.map((o): Offering => {
        const expiry = zones.get(offeringKey(o.zone, o.capacityType));
        if (!o.available || expiry === undefined || expiry <= now) return o;
        changed = true;
        return { ...o, available: false };
      });
      return changed ? { ...type, offerings } : type;
    });
  }

  /** Forgets every mark. */
  clear(): void {
    this.#entries.clear();
    this.#generation++;
  }

  /** Drops expired entries, so the map stays proportional to the live marks. */
  #prune(now: number): void {
    for (const [type, zones] of this.#entries) {
      for (const [key, expiry] of zones) if (expiry <= now) zones.delete(key);
      if (zones.size === 0) this.#entries.delete(type);
    }
  }
}
