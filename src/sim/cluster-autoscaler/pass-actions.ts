/**
 * The node-group side of a Cluster Autoscaler pass, with its decisions: settling earlier scale-ups
 * (a group whose nodes did not register within `--max-node-provision-time` is backed off and its
 * size brought back to the instances it has), deleting instances that never registered a node,
 * and carrying out the scale-up the planner chose.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import type { Clock } from '../../utils/clock.js';
import type { Random } from '../../utils/random.js';
import type { AutoScalingGroup } from './asg.js';
import { SchedulableFilterMemo } from './binpacking.js';
import type { NodeGroupBackoff } from './backoff.js';
import type { ClusterView } from './cluster-view.js';
import type { ViewNode } from './view-node.js';
import type { DecisionLog } from './decision-log.js';
import { formatDuration } from './decision-log.js';
import type { GroupCache } from './group-cache.js';
import type { PassGroups } from './group-state.js';
import type { ClusterAutoscalerOptions } from './options.js';
import { planScaleUp, podNames } from './scale-up.js';
import type { ScaleUpRequests } from './scale-up-requests.js';

export interface PassActionsDeps {
  readonly clock: Clock;
  readonly options: ClusterAutoscalerOptions;
  readonly cache: GroupCache;
  readonly asgs: readonly AutoScalingGroup[];
  readonly backoff: NodeGroupBackoff;
  readonly requests: ScaleUpRequests;
  readonly log: DecisionLog;
  readonly random: Random;
  readonly instanceTypes: readonly InstanceType[];
}

export class PassActions {
  readonly stats = { scaleUps: 0, nodesRequested: 0, failedScaleUps: 0, removedUnregistered: 0 };
  lastScaleUpAt = Number.NEGATIVE_INFINITY;
  readonly #d: PassActionsDeps;
  #lastNoOption = '';
  /** The pods part of #lastNoOption, for the pods array it was made of (the filter memo hands the same array again). */
  #noOptionPods: { pods: readonly Pod[]; names: string } | undefined;
  readonly #filterMemo = new SchedulableFilterMemo();

  constructor(deps: PassActionsDeps) {
    this.#d = deps;
  }

  /** $/h of one node of the group's first type in its first zone (0 when the catalogue lacks it). */
  priceOf(group: string): number {
    const spec = this.#d.asgs.find((a) => a.spec.name === group)?.spec;
    if (!spec) return 0;
    const type = this.#d.instanceTypes.find((t) => t.name === spec.instanceTypes[0]);
    return type?.offerings.find((o) => o.capacityType === spec.capacityType && spec.zones.includes(o.zone))?.price ?? 0;
  }

  /**
   * Settles scale-up requests: fulfilled ones end their group's backoff; timed-out ones back the
   * group off and bring its size down to what it has. @returns whether a group's size changed.
   */
  settleScaleUps(now: number, groups: PassGroups): boolean {
    const { fulfilled, failed } = this.#d.requests.update(now, (g) => groups.byName.get(g)?.upcoming ?? 0);
    for (const r of fulfilled) this.#d.backoff.clear(r.group);
    if (failed.length === 0) return false;
    this.#d.cache.refresh();
    for (const r of failed) {
      const g = groups.byName.get(r.group);
      if (!g) continue;
      const { durationMs } = this.#d.backoff.backoff(r.group, now);
      const target = this.#d.cache.targetSize(r.group);
      const keep = Math.max(g.nodes.length, this.#d.cache.instances(r.group).length);
      if (keep < target) this.#d.cache.setTargetSize(r.group, keep);
      this.stats.failedScaleUps++;
      const failure = this.#d.asgs.find((a) => a.spec.name === r.group)?.lastFailure;
      this.#d.log.record('scale-up', `scale-up of ${r.group} failed: ${target - g.nodes.length} of its nodes did not register; backed off ${formatDuration(durationMs)}`, {
        why: `nodes asked for ${formatDuration(now - r.since)} ago were not registered within --max-node-provision-time (${formatDuration(this.#d.options.maxNodeProvisionTimeMs)})`
          + `${failure ? `; the group's last launch failed: ${failure.message}` : ''}; size ${target} → ${Math.min(target, keep)}`,
        alternativesRejected: [],
        costPerHourBefore: target * this.priceOf(r.group),
        costPerHourAfter: Math.min(target, keep) * this.priceOf(r.group),
      });
    }
    return true;
  }

  /** Deletes instances in service longer than the provision time without a Node. @returns whether it deleted any. */
  async removeUnregistered(now: number, groups: PassGroups, nodes: readonly ViewNode[]): Promise<boolean> {
    const registered = new Set(nodes.map((n) => n.node.spec?.providerID).filter((p): p is string => !!p));
    let deleted = false;
    for (const g of groups.groups) {
      for (const i of this.#d.cache.instances(g.spec.name)) {
        if (i.state !== 'in-service' || !i.providerID || registered.has(i.providerID)) continue;
        if (now - i.requestedAt <= this.#d.options.maxNodeProvisionTimeMs) continue;
        // An instance gone from the group since the cache refresh (a reclaimed spot machine) is not deleted again.
        if (!(await this.#d.cache.deleteInstance(g.spec.name, i.providerID))) continue;
        this.stats.removedUnregistered++;
        deleted = true;
        this.#d.log.record('scale-down', `removed instance ${i.name} of ${g.spec.name}: its node never registered`, {
          why: `no Node registered within --max-node-provision-time (${formatDuration(this.#d.options.maxNodeProvisionTimeMs)}) of its launch`,
          alternativesRejected: [], nodes: [i.name], costPerHourBefore: this.priceOf(g.spec.name), costPerHourAfter: 0,
        });
      }
    }
    return deleted;
  }

  /** Plans and carries out the pass's scale-up. */
  scaleUp(now: number, groups: PassGroups, view: ClusterView): 'scaled' | 'waiting' | 'none' {
    const outcome = planScaleUp({
      now, options: this.#d.options, unschedulable: view.unschedulablePods(), nodes: view.nodes(), groups: groups.groups,
      backoff: this.#d.backoff, random: this.#d.random, volumes: view.volumes(), clusterHasRequiredAntiAffinity: view.hasRequiredAntiAffinity(),
      filterMemo: { memo: this.#filterMemo, nodesGeneration: view.generation },
    });
    switch (outcome.kind) {
      case 'nothing':
        this.#lastNoOption = '';
        return 'none';
      case 'waiting':
        return 'waiting';
      case 'no-option': {
        if (this.#noOptionPods?.pods !== outcome.pods) this.#noOptionPods = { pods: outcome.pods, names: outcome.pods.map((p) => keyOf(p)).join(',') };
        const key = `${this.#noOptionPods.names}|${[...outcome.reasons].map(([g, r]) => `${g}:${r.code}`).join(';')}`;
        if (key !== this.#lastNoOption) {
          this.#lastNoOption = key;
          this.#d.log.record('scale-up', `no scale-up: ${outcome.pods.length} unschedulable pods fit no node group`, {
            why: `no node group can take any of them${outcome.reasons.size > 0 ? '' : ' (there are no node groups)'}`,
            alternativesRejected: [...outcome.reasons].map(([g, why]) => `${g}: ${why.text}`),
            pods: podNames(outcome.pods),
          });
        }
        return 'none';
      }
      case 'scale-up': {
        const { group: g, delta } = outcome.plan;
        const name = g.spec.name;
        const to = g.target + delta;
        this.#d.cache.setTargetSize(name, to);
        this.#d.requests.register(name, delta, now);
        this.lastScaleUpAt = now;
        this.#lastNoOption = '';
        this.stats.scaleUps++;
        this.stats.nodesRequested += delta;
        const price = this.priceOf(name);
        this.#d.log.record('scale-up', `scale-up: ${name} ${g.target} → ${to} (${delta} × ${g.template?.instanceType ?? '?'} ${g.spec.capacityType}) for ${outcome.plan.pods.length} pods`, {
          why: outcome.plan.why,
          alternativesRejected: outcome.plan.alternativesRejected,
          costPerHourBefore: g.target * price,
          costPerHourAfter: to * price,
          pods: podNames(outcome.plan.pods),
        });
        return 'scaled';
      }
    }
  }
}
