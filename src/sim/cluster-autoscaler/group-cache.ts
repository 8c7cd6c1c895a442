/**
 * The Cluster Autoscaler's view of its Auto Scaling Groups, as the AWS provider keeps it: a cache
 * of each group's desired size and instances, refreshed from the groups at most once per refresh
 * interval. The autoscaler's own size changes are written to the group and the cache at once;
 * everything else (instances launched or reclaimed) is seen only at the next refresh, so a new
 * node can be unknown to the autoscaler for up to the refresh interval.
 */
import type { Clock } from '../../utils/clock.js';
import type { AsgInstance, AutoScalingGroup } from './asg.js';

interface Entry {
  readonly asg: AutoScalingGroup;
  target: number;
  instances: AsgInstance[];
}

export class GroupCache {
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #groupOf = new Map<string, string>();
  #lastRefresh: number | undefined;
  #membership = 0;

  /** @throws RangeError when two groups share a name. */
  constructor(groups: readonly AutoScalingGroup[], clock: Clock, refreshMs: number) {
    this.#clock = clock;
    this.#refreshMs = refreshMs;
    for (const asg of groups) {
      if (this.#entries.has(asg.spec.name)) throw new RangeError(`caching node groups: "${asg.spec.name}" appears twice`);
      this.#entries.set(asg.spec.name, { asg, target: asg.desired, instances: [] });
    }
  }

  /** When the cache was last refreshed (undefined before the first refresh). */
  get lastRefreshAt(): number | undefined {
    return this.#lastRefresh;
  }

  /** Moves whenever groupForProviderID may answer differently (a refresh, an instance deleted). */
  get membershipVersion(): number {
    return this.#membership;
  }

  /** Group names in the order given. */
  groupNames(): string[] {
    return [...this.#entries.keys()];
  }

  /** Refreshes when the last refresh is at least the refresh interval old. @returns whether it refreshed. */
  refreshIfStale(): boolean {
    const now = this.#clock.now();
    if (this.#lastRefresh !== undefined && now - this.#lastRefresh < this.#refreshMs) return false;
    this.refresh();
    return true;
  }

  /** Reads every group's desired size and instances now. */
  refresh(): void {
    this.#lastRefresh = this.#clock.now();
    this.#membership++;
    this.#groupOf.clear();
    for (const [name, e] of this.#entries) {
      e.target = e.asg.desired;
      e.instances = e.asg.instances();
      for (const i of e.instances) if (i.providerID) this.#groupOf.set(i.providerID, name);
    }
  }

  /** The group's size as last seen. @throws RangeError for an unknown group. */
  targetSize(group: string): number {
    return this.#entry(group).target;
  }

  /** The group's instances as last seen (pending ones included). @throws RangeError for an unknown group. */
  instances(group: string): readonly AsgInstance[] {
    return this.#entry(group).instances;
  }

  /** The group an instance belonged to at the last refresh. */
  groupForProviderID(providerID: string | undefined): string | undefined {
    return providerID === undefined ? undefined : this.#groupOf.get(providerID);
  }

  /** SetDesiredCapacity on the group, and in the cache. @throws RangeError for an unknown group or a bad size. */
  setTargetSize(group: string, size: number): void {
    const e = this.#entry(group);
    e.asg.setDesired(size);
    e.target = size;
  }

  /**
   * Terminates an instance with its group's desired size decremented; the cache forgets it and
   * counts one less at once. @returns false (and changes nothing) when the group does not have it
   * in service.
   */
  async deleteInstance(group: string, providerID: string): Promise<boolean> {
    const e = this.#entry(group);
    if (e.asg.instanceByProviderID(providerID)?.state !== 'in-service') return false;
    const done = e.asg.terminate(providerID, true);
    e.instances = e.instances.filter((i) => i.providerID !== providerID);
    e.target = Math.max(0, e.target - 1);
    this.#groupOf.delete(providerID);
    this.#membership++;
    return done;
  }

  #entry(group: string): Entry {
    const e = this.#entries.get(group);
    if (!e) throw new RangeError(`node group "${group}" is not one of ${[...this.#entries.keys()].join(', ')}`);
    return e;
  }
}
