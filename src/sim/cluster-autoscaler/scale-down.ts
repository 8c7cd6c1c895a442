/**
 * The scale-down half of a Cluster Autoscaler pass: keeps the set of unneeded nodes and how long
 * each has been unneeded, marks them with the soft taint (and clears it from nodes needed again),
 * and, outside the cool-downs, removes nodes unneeded long enough: empty ones in bulk, else one
 * non-empty node at a time, drained under the hard taint. A node is removed by terminating its
 * instance with the group's desired size decremented.
 */
import { keyOf } from '../../apis/core.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import type { ViewNode } from './view-node.js';
import type { ClusterView } from './cluster-view.js';
import type { DecisionLog } from './decision-log.js';
import { formatDuration } from './decision-log.js';
import { drainPods } from './drain.js';
import { PdbTracker, podsToMove } from './drainability.js';
import type { GroupCache } from './group-cache.js';
import type { PassGroups } from './group-state.js';
import type { ClusterAutoscalerOptions } from './options.js';
import type { ScaleDownPlan, UnneededNode } from './scale-down-planner.js';
import { planUnneeded } from './scale-down-planner.js';
import { addingTaint, DELETION_CANDIDATE_TAINT_KEY, deletionCandidateTaint, removingTaint, TO_BE_DELETED_TAINT_KEY, toBeDeletedTaint, updateTaints } from './taints.js';

export interface ScaleDownDeps {
  readonly clock: Clock;
  readonly kube: KubeClient;
  readonly options: ClusterAutoscalerOptions;
  readonly view: ClusterView;
  readonly cache: GroupCache;
  readonly log: DecisionLog;
  readonly onProblem: (e: Error) => void;
  /** Prices per group's template ($/h), for the decision log. */
  readonly priceOf: (group: string) => number;
}

export interface ScaleDownCounters {
  removedEmpty: number;
  removedUnderutilized: number;
  evictions: number;
  failedDrains: number;
}

export interface ScaleDownPass {
  readonly now: number;
  readonly groups: PassGroups;
  readonly nodes: readonly ViewNode[];
  /** Why scale-down is in cool-down this pass (undefined: it is not). */
  readonly cooldown: string | undefined;
}

export class ScaleDown {
  readonly counters: ScaleDownCounters = { removedEmpty: 0, removedUnderutilized: 0, evictions: 0, failedDrains: 0 };
  readonly #d: ScaleDownDeps;
  readonly #since = new Map<string, number>();
  #plan: { key: string; plan: ScaleDownPlan } | undefined;
  readonly #drains = new Map<string, string>();
  #writes = 0;
  #lastDeleteAt = Number.NEGATIVE_INFINITY;
  #lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(deps: ScaleDownDeps) {
    this.#d = deps;
  }

  /** Why scale-down waits after a deletion or a failure, if it does at `now`. */
  cooldown(now: number): string | undefined {
    const o = this.#d.options;
    if (now < this.#lastDeleteAt + o.scaleDownDelayAfterDeleteMs) return 'a node was deleted less than --scale-down-delay-after-delete ago';
    if (now < this.#lastFailureAt + o.scaleDownDelayAfterFailureMs) return 'a scale-down failed less than --scale-down-delay-after-failure ago';
    return undefined;
  }

  /** Nodes unneeded now, with the time each became unneeded, in the order they are considered. */
  unneeded(): { readonly name: string; readonly since: number }[] {
    return [...this.#since].map(([name, since]) => ({ name, since }));
  }

  /** Nodes being drained. */
  draining(): string[] {
    return [...this.#drains.keys()];
  }

  isBusy(): boolean {
    return this.#drains.size > 0 || this.#writes > 0;
  }

  /** Runs the pass's scale-down. @returns whether it started removing a node. */
  async run(pass: ScaleDownPass): Promise<boolean> {
    const o = this.#d.options;
    const plan = this.#planFor(pass);
    const previous = new Map(this.#since);
    this.#since.clear();
    for (const u of plan.unneeded) if (!this.#drains.has(u.name)) this.#since.set(u.name, previous.get(u.name) ?? pass.now);
    await this.#softTaints(pass.nodes);
    if (pass.cooldown !== undefined || this.#drains.size >= o.maxDrainParallelism) return false;

    const byName = new Map(pass.nodes.map((n) => [n.name, n]));
    const eligible = plan.unneeded.filter((u) => {
      const view = byName.get(u.name);
      if (!view || view.deleting) return false;
      const needed = view.ready ? o.scaleDownUnneededTimeMs : o.scaleDownUnreadyTimeMs;
      return pass.now - this.#since.get(u.name)! >= needed;
    });
    const room = new Map<string, number>();
    for (const g of pass.groups.groups) {
      const draining = [...this.#drains.values()].filter((x) => x === g.spec.name).length;
      room.set(g.spec.name, g.target - draining - g.spec.minSize);
    }
    const take = (u: UnneededNode): boolean => {
      const left = room.get(u.group) ?? 0;
      if (left <= 0) return false;
      room.set(u.group, left - 1);
      return true;
    };
    const empty = eligible.filter((u) => u.pods.length === 0 && this.#stillEmpty(u.name)).filter(take).slice(0, o.maxEmptyBulkDelete);
    if (empty.length > 0) {
      await this.#deleteEmpty(empty, pass);
      return true;
    }
    const next = eligible.find((u) => u.pods.length > 0 && take(u));
    if (!next) return false;
    return this.#startDrain(next, pass);
  }

  #planFor(pass: ScaleDownPass): ScaleDownPlan {
    const key = `${this.#d.view.generation}|${this.#d.cache.lastRefreshAt ?? ''}|${[...this.#since.keys()].join(',')}`;
    if (this.#plan?.key === key) return this.#plan.plan;
    const o = this.#d.options;
    const plan = planUnneeded({
      nodes: pass.nodes, groupOf: (v) => pass.groups.groupOfNode.get(v.name), previouslyUnneeded: [...this.#since.keys()],
      threshold: o.scaleDownUtilizationThreshold, ignoreDaemonSetsUtilization: o.ignoreDaemonSetsUtilization,
      maxNewNonEmpty: o.scaleDownNonEmptyCandidatesCount, rules: o, pdbs: new PdbTracker(this.#d.view.podDisruptionBudgets()),
      volumes: this.#d.view.volumes(), clusterHasRequiredAntiAffinity: this.#d.view.hasRequiredAntiAffinity(),
      hints: new Map(this.#plan?.plan.unneeded.map((u) => [u.name, u.hints]) ?? []),
    });
    this.#plan = { key, plan };
    return plan;
  }

  /** Soft-taints newly unneeded nodes and clears the taint from nodes needed again (bounded per pass). */
  async #softTaints(nodes: readonly ViewNode[]): Promise<void> {
    const o = this.#d.options;
    const has = (v: ViewNode): boolean => (v.node.spec?.taints ?? []).some((t) => t.key === DELETION_CANDIDATE_TAINT_KEY);
    const add = nodes.filter((v) => this.#since.has(v.name) && !v.deleting && !has(v)).slice(0, o.maxBulkSoftTaintCount);
    const remove = nodes.filter((v) => !this.#since.has(v.name) && !v.deleting && has(v)).slice(0, o.maxBulkSoftTaintCount);
    const now = this.#d.clock.now();
    for (const v of add) await this.#write(v.name, addingTaint(deletionCandidateTaint(now)));
    for (const v of remove) await this.#write(v.name, removingTaint(DELETION_CANDIDATE_TAINT_KEY));
  }

  async #write(node: string, change: Parameters<typeof updateTaints>[2]): Promise<boolean> {
    this.#writes++;
    try {
      return await updateTaints(this.#d.kube, node, change);
    } catch (e) {
      this.#d.onProblem(e as Error);
      return false;
    } finally {
      this.#writes--;
    }
  }

  /** The node still has nothing to move (a pod may have landed since the plan). */
  #stillEmpty(name: string): boolean {
    const v = this.#d.view.node(name);
    if (!v) return false;
    const r = podsToMove(v.pods, this.#d.options, new PdbTracker([]));
    return 'pods' in r && r.pods.length === 0;
  }

  async #deleteEmpty(nodes: readonly UnneededNode[], pass: ScaleDownPass): Promise<void> {
    this.#lastDeleteAt = pass.now;
    const removed: string[] = [];
    for (const u of nodes) {
      const view = this.#d.view.node(u.name);
      if (!view) continue;
      if (!(await this.#write(u.name, addingTaint(toBeDeletedTaint(pass.now))))) continue;
      this.#since.delete(u.name);
      if (!(await this.#d.cache.deleteInstance(u.group, view.node.spec?.providerID ?? ''))) {
        // The group no longer has it in service (reclaimed meanwhile): nothing to remove.
        await this.#write(u.name, removingTaint(TO_BE_DELETED_TAINT_KEY));
        continue;
      }
      removed.push(u.name);
      this.counters.removedEmpty++;
    }
    if (removed.length === 0) return;
    const groups = [...new Set(nodes.map((u) => u.group))];
    const price = nodes.filter((u) => removed.includes(u.name)).reduce((s, u) => s + this.#d.priceOf(u.group), 0);
    this.#d.log.record('scale-down', `removed ${removed.length} empty node${removed.length === 1 ? '' : 's'} of ${groups.join(', ')}`, {
      why: `no pods to move, unneeded for at least ${formatDuration(this.#d.options.scaleDownUnneededTimeMs)} (empty nodes go in bulk, up to ${this.#d.options.maxEmptyBulkDelete} at once)`,
      alternativesRejected: [], nodes: removed, costPerHourBefore: price, costPerHourAfter: 0,
    });
  }

  #startDrain(u: UnneededNode, pass: ScaleDownPass): boolean {
    const o = this.#d.options;
    const view = this.#d.view.node(u.name);
    if (!view) return false;
    const moving = podsToMove(view.pods, o, new PdbTracker(this.#d.view.podDisruptionBudgets()));
    if ('blocker' in moving) return false;
    const unneededFor = pass.now - (this.#since.get(u.name) ?? pass.now);
    this.#lastDeleteAt = pass.now;
    this.#drains.set(u.name, u.group);
    this.#since.delete(u.name);
    const targets = [...new Set(u.destinations.values())];
    this.#d.log.record('scale-down', `draining underutilised node ${u.name} of ${u.group} (${moving.pods.length} pods)`, {
      why: `unneeded for ${formatDuration(unneededFor)}: `
        + `cpu ${Math.round(u.utilization.cpu * 100)}%, memory ${Math.round(u.utilization.memory * 100)}% requested `
        + `(< ${Math.round(o.scaleDownUtilizationThreshold * 100)}%), and its pods fit on ${targets.length} other node${targets.length === 1 ? '' : 's'}`,
      alternativesRejected: [], nodes: [u.name], pods: moving.pods.map((p) => keyOf(p)),
      costPerHourBefore: this.#d.priceOf(u.group), costPerHourAfter: 0,
    });
    const providerID = view.node.spec?.providerID ?? '';
    void (async () => {
      if (!(await this.#write(u.name, addingTaint(toBeDeletedTaint(pass.now))))) return;
      const result = await drainPods(this.#d.kube, this.#d.clock, u.name, moving.pods, o);
      this.counters.evictions += result.evicted.length;
      if (!result.ok) {
        this.counters.failedDrains++;
        this.#lastFailureAt = this.#d.clock.now();
        await this.#write(u.name, removingTaint(TO_BE_DELETED_TAINT_KEY));
        this.#d.log.record('scale-down', `scale-down of ${u.name} failed; the node stays`, {
          why: `${result.failure ?? 'the drain failed'}; ${result.refusals} eviction attempts were refused; no scale-down for ${formatDuration(o.scaleDownDelayAfterFailureMs)}`,
          alternativesRejected: [], nodes: [u.name], pods: result.evicted.slice(),
        });
        return;
      }
      if (await this.#d.cache.deleteInstance(u.group, providerID)) this.counters.removedUnderutilized++;
    })().catch((e: unknown) => this.#d.onProblem(e as Error)).finally(() => this.#drains.delete(u.name));
    return true;
  }
}
