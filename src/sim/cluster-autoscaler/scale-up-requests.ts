/**
 * Scale-ups the Cluster Autoscaler is waiting on (its cluster state's scale-up requests): each
 * increase of a group's size is expected to show as registered nodes within
 * `--max-node-provision-time`. A request is fulfilled once the group has no upcoming nodes left;
 * one still waiting past its deadline has failed. A further increase of a group extends its
 * request (the increases add up, the deadline moves).
 */

export interface ScaleUpRequest {
  readonly group: string;
  /** Nodes asked for and not yet all registered. */
  readonly increase: number;
  /** When the first of these increases was made. */
  readonly since: number;
  readonly deadline: number;
}

export class ScaleUpRequests {
  readonly #maxProvisionMs: number;
  readonly #requests = new Map<string, ScaleUpRequest>();

  constructor(maxNodeProvisionTimeMs: number) {
    this.#maxProvisionMs = maxNodeProvisionTimeMs;
  }

  register(group: string, increase: number, now: number): void {
    const prev = this.#requests.get(group);
    this.#requests.set(group, {
      group, increase: (prev?.increase ?? 0) + increase, since: prev?.since ?? now, deadline: now + this.#maxProvisionMs,
    });
  }

  get(group: string): ScaleUpRequest | undefined {
    return this.#requests.get(group);
  }

  /** True when some request is still waiting. */
  get size(): number {
    return this.#requests.size;
  }

  /**
   * Settles the requests against the groups' upcoming node counts: fulfilled ones (no upcoming
   * node) and failed ones (past the deadline) are removed and returned.
   */
  update(now: number, upcoming: (group: string) => number): { fulfilled: ScaleUpRequest[]; failed: ScaleUpRequest[] } {
    const fulfilled: ScaleUpRequest[] = [];
    const failed: ScaleUpRequest[] = [];
    for (const [group, r] of this.#requests) {
      if (upcoming(group) <= 0) fulfilled.push(r);
      else if (now > r.deadline) failed.push(r);
      else continue;
      this.#requests.delete(group);
    }
    return { fulfilled, failed };
  }
}
