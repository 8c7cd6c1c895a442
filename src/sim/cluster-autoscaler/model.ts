/**
 * ClusterAutoscalerModel: the Cluster Autoscaler, modelled over the same embedded cluster and
 * simulated cloud that nodewright runs on, so the two are compared on one scenario. Node groups are
 * simulated Auto Scaling Groups (asg.ts) seen through a cache refreshed once a minute; a loop runs
 * a pass every scan interval (at once after a productive pass or when a pod is newly marked
 * Unschedulable). A pass settles earlier scale-ups (failed ones back their group off), removes
 * instances that never registered, tries one scale-up and otherwise scales down. Every decision
 * is logged in the report's shape. Parameters and their Cluster Autoscaler flags: options.ts.
 */
import type { Node } from '../../apis/core.js';
import type { Quiescent, ReconcileResult } from '../../controllers/runtime/reconciler.js';
import { Singleton } from '../../controllers/runtime/singleton.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import { Random } from '../../utils/random.js';
import type { Seed } from '../../utils/random.js';
import type { Decision } from '../result.js';
import type { InitialNode, NodeGroupSpec } from '../scenario/types.js';
import type { AsgCloud } from './asg.js';
import { AutoScalingGroup } from './asg.js';
import { NodeGroupBackoff } from './backoff.js';
import { ClusterView } from './cluster-view.js';
import { DecisionLog } from './decision-log.js';
import { GroupCache } from './group-cache.js';
import type { PassGroups } from './group-state.js';
import { groupStates, TemplateCache } from './group-state.js';
import type { ClusterAutoscalerOptions } from './options.js';
import { resolveOptions } from './options.js';
import { ScaleDown } from './scale-down.js';
import { ScaleUpRequests } from './scale-up-requests.js';
import { PassActions } from './pass-actions.js';
import { registrationTaints, updateTaints } from './taints.js';

export interface ClusterAutoscalerModelConfig {
  readonly clock: Clock;
  readonly kube: KubeClient;
  /** The simulated cloud the groups launch through (SimCloudProvider). */
  readonly cloud: AsgCloud;
  /** The cloud's catalogue (for templates and prices). */
  readonly instanceTypes: readonly InstanceType[];
  readonly nodeGroups: readonly NodeGroupSpec[];
  readonly options?: Partial<ClusterAutoscalerOptions>;
  /** t = 0 of the decision log (default: the clock's time at construction). */
  readonly epochMs?: number;
  /** Seeds the random expander and tie-breaks (default 1). */
  readonly seed?: Seed;
  /** Told each decision as it is made. */
  readonly onDecision?: (d: Decision) => void;
}

/** One node group as the model sees it now. */
export interface NodeGroupStatus {
  readonly name: string;
  readonly instanceType: string;
  readonly capacityType: string;
  readonly zones: readonly string[];
  readonly minSize: number;
  readonly maxSize: number;
  /** The Auto Scaling Group's desired capacity. */
  readonly desired: number;
  /** The autoscaler's cached view of it. */
  readonly cachedTarget: number;
  /** Instances the group has (pending or in service). */
  readonly instances: number;
  readonly registeredNodes: number;
  readonly readyNodes: number;
  readonly backedOffUntil?: number;
  readonly lastLaunchFailure?: string;
}

export interface ClusterAutoscalerStats {
  passes: number;
  scaleUps: number;
  nodesRequested: number;
  failedScaleUps: number;
  removedEmpty: number;
  removedUnderutilized: number;
  removedUnregistered: number;
  evictions: number;
  failedDrains: number;
}

const MAX_PROBLEMS = 100;

export class ClusterAutoscalerModel implements Quiescent {
  readonly name = 'cluster-autoscaler';
  readonly options: ClusterAutoscalerOptions;
  readonly #c: ClusterAutoscalerModelConfig;
  readonly #asgs: AutoScalingGroup[];
  readonly #cache: GroupCache;
  readonly #view: ClusterView;
  readonly #templates: TemplateCache;
  readonly #backoff: NodeGroupBackoff;
  readonly #requests: ScaleUpRequests;
  readonly #log: DecisionLog;
  readonly #scaleDown: ScaleDown;
  readonly #actions: PassActions;
  readonly #loop: Singleton;
  readonly #problems: Error[] = [];
  readonly #stats = { passes: 0 };
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  #writes = 0;

  /** @throws ClusterAutoscalerOptionsError for a bad option; RangeError for a bad node group. */
  constructor(config: ClusterAutoscalerModelConfig) {
    this.#c = config;
    const o = resolveOptions(config.options);
    this.options = o;
    const clock = config.clock;
    const onProblem = (e: Error): void => this.#problem(e);
    this.#asgs = config.nodeGroups.map((spec) => new AutoScalingGroup(spec, { clock, cloud: config.cloud, retryMs: o.asgLaunchRetryMs, onProblem }));
    this.#cache = new GroupCache(this.#asgs, clock, o.groupCacheRefreshMs);
    this.#view = new ClusterView(config.kube, {
      clock,
      onUnschedulablePod: () => {
        if (o.triggerOnUnschedulablePods && this.#state === 'running') this.#loop.trigger();
      },
      onNodeAdded: (n) => this.#registered(n),
      onError: onProblem,
    });
    this.#templates = new TemplateCache(config.instanceTypes);
    this.#backoff = new NodeGroupBackoff({ initialMs: o.initialNodeGroupBackoffMs, maxMs: o.maxNodeGroupBackoffMs, resetTimeoutMs: o.nodeGroupBackoffResetTimeoutMs });
    this.#requests = new ScaleUpRequests(o.maxNodeProvisionTimeMs);
    this.#log = new DecisionLog(clock, config.epochMs ?? clock.now(), config.onDecision);
    const priceOf = (group: string): number => this.#actions.priceOf(group);
    this.#scaleDown = new ScaleDown({ clock, kube: config.kube, options: o, view: this.#view, cache: this.#cache, log: this.#log, onProblem, priceOf });
    this.#actions = new PassActions({
      clock, options: o, cache: this.#cache, asgs: this.#asgs, backoff: this.#backoff, requests: this.#requests, log: this.#log,
      random: new Random(config.seed ?? 1).fork('cluster-autoscaler'), instanceTypes: config.instanceTypes,
    });
    this.#loop = new Singleton({ name: this.name, reconcile: () => this.#pass() }, { clock, intervalMs: o.scanIntervalMs, onError: onProblem });
  }

  /**
   * Launches nodes present at the start of the scenario into their node groups (raising each
   * group's desired size) and lets the autoscaler know them at once. Nodes without a node group
   * are not the model's: the caller creates them. Resolves once every instance is running.
   * @throws RangeError for an unknown node group; the cloud's error when a launch fails.
   */
  async launchInitialNodes(nodes: readonly InitialNode[]): Promise<void> {
    await Promise.all(nodes.filter((n) => n.nodeGroup !== undefined).map((n) => {
      const asg = this.#asgs.find((a) => a.spec.name === n.nodeGroup);
      if (!asg) throw new RangeError(`launching initial node ${n.name}: unknown node group "${n.nodeGroup ?? ''}"`);
      return asg.launchPinned({ name: n.name, instanceType: n.instanceType, zone: n.zone, labels: n.labels, taints: n.taints });
    }));
    this.#cache.refresh();
  }

  /**
   * Raises every group below its minimum size to it (as the Auto Scaling Group would), then starts
   * watching the cluster; the first pass runs once the informers have synced.
   * @throws Error when already started.
   */
  start(): void {
    if (this.#state !== 'new') throw new Error(`starting the cluster autoscaler model: it was already ${this.#state === 'stopped' ? 'stopped' : 'started'}`);
    this.#state = 'starting';
    // An Auto Scaling Group keeps at least its minimum size.
    for (const asg of this.#asgs) if (asg.desired < asg.spec.minSize) asg.setDesired(asg.spec.minSize);
    this.#cache.refresh();
    this.#view.start();
    void this.#view.waitForSync().then(() => {
      if (this.#state !== 'starting') return;
      this.#state = 'running';
      this.#loop.start();
    }, (e: unknown) => this.#problem(e as Error));
  }

  /** Stops the loop, the groups and the informers; drains under way finish on the clock. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    await this.#loop.stop();
    for (const asg of this.#asgs) asg.stop();
    await this.#view.stop();
  }

  /** No pass running or due within `horizonMs`, no drain, no launch under way, no write pending. */
  isIdle(horizonMs = 0): boolean {
    if (this.#state === 'starting') return false;
    return this.#loop.isIdle(horizonMs) && !this.#scaleDown.isBusy() && this.#writes === 0 && this.#asgs.every((a) => !a.isBusy(horizonMs));
  }

  groups(): NodeGroupStatus[] {
    const now = this.#c.clock.now();
    const registered = new Map<string, { all: number; ready: number }>();
    for (const v of this.#view.nodes()) {
      const g = this.#cache.groupForProviderID(v.node.spec?.providerID);
      if (g === undefined) continue;
      const r = registered.get(g) ?? { all: 0, ready: 0 };
      r.all++;
      if (v.ready) r.ready++;
      registered.set(g, r);
    }
    return this.#asgs.map((asg) => {
      const s = asg.spec;
      const until = this.#backoff.backedOffUntil(s.name, now);
      return {
        name: s.name, instanceType: s.instanceTypes[0] ?? '', capacityType: s.capacityType, zones: s.zones, minSize: s.minSize, maxSize: s.maxSize,
        desired: asg.desired, cachedTarget: this.#cache.targetSize(s.name), instances: asg.instances().length,
        registeredNodes: registered.get(s.name)?.all ?? 0, readyNodes: registered.get(s.name)?.ready ?? 0,
        ...(until !== undefined ? { backedOffUntil: until } : {}),
        ...(asg.lastFailure ? { lastLaunchFailure: asg.lastFailure.message } : {}),
      };
    });
  }

  /** The decision log so far, oldest first. */
  decisions(): readonly Decision[] {
    return this.#log.entries();
  }

  /** Nodes currently unneeded and since when (epoch ms). */
  unneededNodes(): { readonly name: string; readonly since: number }[] {
    return this.#scaleDown.unneeded();
  }

  stats(): ClusterAutoscalerStats {
    return { passes: this.#stats.passes, ...this.#actions.stats, ...this.#scaleDown.counters };
  }

  /** Failures the model carried on through (failed writes, informer errors), newest last. */
  problems(): readonly Error[] {
    return [...this.#problems];
  }

  async #pass(): Promise<ReconcileResult | void> {
    this.#stats.passes++;
    const clock = this.#c.clock;
    const now = clock.now();
    this.#cache.refreshIfStale();
    let groups: PassGroups = groupStates(this.#c.nodeGroups, this.#cache, this.#view, this.#templates);
    if (this.#actions.settleScaleUps(now, groups)) groups = groupStates(this.#c.nodeGroups, this.#cache, this.#view, this.#templates);
    const nodes = this.#view.nodes();
    if (await this.#actions.removeUnregistered(now, groups, nodes)) return { requeueAfterMs: 0 };
    const up = this.#actions.scaleUp(now, groups, this.#view);
    if (up === 'scaled') return { requeueAfterMs: 0 };
    if (up === 'waiting' || !this.options.scaleDownEnabled) return undefined;
    const cooldown = now < this.#actions.lastScaleUpAt + this.options.scaleDownDelayAfterAddMs
      ? 'a scale-up happened less than --scale-down-delay-after-add ago'
      : this.#scaleDown.cooldown(now);
    return (await this.#scaleDown.run({ now, groups, nodes, cooldown })) ? { requeueAfterMs: 0 } : undefined;
  }

  /** A node of one of the groups registered: it carries the group's taints, not Karpenter's. */
  #registered(node: Node): void {
    const providerID = node.spec?.providerID;
    if (!providerID || !node.metadata.name) return;
    for (const asg of this.#asgs) {
      const instance = asg.instanceByProviderID(providerID);
      if (!instance) continue;
      this.#writes++;
      updateTaints(this.#c.kube, node.metadata.name, registrationTaints(instance.taints))
        .catch((e: unknown) => this.#problem(e as Error))
        .finally(() => this.#writes--);
      return;
    }
  }

  #problem(e: Error): void {
    this.#problems.push(e);
    if (this.#problems.length > MAX_PROBLEMS) this.#problems.shift();
  }
}
