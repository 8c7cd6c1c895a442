/** The simulated cloud's machines as records, and what they cost. */
import type { CapacityType } from '../types.js';

/** pending: requested, booting · running · shutting-down: terminating · terminated: gone. */
export type SimInstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated';

/** A machine's history. Times are epoch ms on the provider's clock. */
export interface SimInstanceRecord {
  readonly id: string;
  readonly providerID: string;
  readonly claimName: string;
  readonly nodeName: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** USD per hour. */
  readonly price: number;
  readonly imageID: string;
  readonly state: SimInstanceState;
  readonly requestedAt: number;
  /** Running (and billed) from here. */
  readonly launchedAt?: number;
  /** Its Node object was created. */
  readonly registeredAt?: number;
  /** Its Node reported Ready. */
  readonly readyAt?: number;
  /** A spot interruption notice was sent. */
  readonly interruptedAt?: number;
  readonly terminationRequestedAt?: number;
  /** Billed until here. */
  readonly terminatedAt?: number;
  /** False for a machine whose kubelet never registers. */
  readonly registers: boolean;
}

/** What billing needs of a record. */
export type Billed = Pick<SimInstanceRecord, 'price' | 'launchedAt' | 'terminatedAt'>;

/** Running hours of the machine within [launch, min(termination, t)). */
function hoursUntil(r: Billed, t: number): number {
  if (r.launchedAt === undefined || r.launchedAt >= t) return 0;
  return (Math.min(r.terminatedAt ?? t, t) - r.launchedAt) / 3_600_000;
}

/** USD spent on the machines from their launch up to time `t` (per-second billing, no minimum). */
export function costUntil(records: Iterable<Billed>, t: number): number {
  let total = 0;
  for (const r of records) total += r.price * hoursUntil(r, t);
  return total;
}

/** USD per hour of the machines running at time `t`. */
export function hourlyCostAt(records: Iterable<Billed>, t: number): number {
  let total = 0;
  for (const r of records) {
    if (r.launchedAt !== undefined && r.launchedAt <= t && (r.terminatedAt === undefined || r.terminatedAt > t)) total += r.price;
  }
  return total;
}
