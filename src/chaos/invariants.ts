/**
 * The invariants of the chaos tests, checked as things happen (every eviction, pod deletion and
 * machine deletion a controller makes; every launch) and at the end (leaked machines, claims
 * without a machine, machines launched twice for one claim). Each counts its violations, so a run
 * reports 0s it actually checked rather than a constant.
 */
import type { Pod, PodDisruptionBudget } from '../apis/core.js';
import { selectorMatches } from '../apis/selectors.js';
import type { NodeClaim } from '../apis/v1/types.js';
import type { SimCloudProvider } from '../cloudprovider/sim/sim-cloud-provider.js';
import type { KubeClient } from '../kube/types.js';
import type { CallObserver } from './fence.js';

export const INVARIANTS = [
  'pod-not-running',
  'node-left',
  'leaked-instance',
  'nodeclaim-without-instance',
  'instance-launched-twice',
  'pdb-violated',
] as const;
export type Invariant = (typeof INVARIANTS)[number] | 'runaway-scale-up' | 'write-while-not-leader';

export interface InvariantMonitorOptions {
  /** The API server itself (not a process's view of it): what is true now. */
  readonly kube: KubeClient;
  readonly sim: SimCloudProvider;
  /**
   * Pods a budget expects (for percentages and maxUnavailable): the replicas the workload wants
   * now. Default: the pods it selects that are not being deleted.
   */
  readonly expectedPods?: (pdb: PodDisruptionBudget) => number | undefined;
}

function isHealthy(p: Pod): boolean {
  return !p.metadata.deletionTimestamp && p.status?.phase === 'Running'
    && (p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
}

function scaled(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const x = (Number(v.replace(/%$/, '')) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export class InvariantMonitor {
  readonly violations: Record<string, number> = {};
  /** What broke, for the assertion message (at most 20). */
  readonly details: string[] = [];
  /** Checks made, per invariant (so a test can tell a 0 from "never looked"). */
  readonly checks: Record<string, number> = {};
  readonly #o: InvariantMonitorOptions;
  /** claim name → provider IDs its launches returned. */
  readonly #launched = new Map<string, Set<string>>();
  readonly #pending: Promise<void>[] = [];

  constructor(o: InvariantMonitorOptions) {
    this.#o = o;
    for (const i of INVARIANTS) this.violations[i] = 0;
  }

  /** Counts a check of `invariant` and, when `ok` is false, a violation with its detail. */
  record(invariant: Invariant, ok: boolean, detail: () => string): void {
    this.checks[invariant] = (this.checks[invariant] ?? 0) + 1;
    this.violations[invariant] ??= 0;
    if (ok) return;
    this.violations[invariant]++;
    if (this.details.length < 20) this.details.push(`${invariant}: ${detail()}`);
  }

  get total(): number {
    return Object.values(this.violations).reduce((a, b) => a + b, 0);
  }

  /** Watches a controller process's API calls: each eviction and pod deletion is checked against the budgets. */
  kubeObserver(process: string): CallObserver {
    // The pod as it was when the call was made (a deleted pod can no longer be read for its labels).
    const before = new WeakMap<readonly unknown[], Promise<Pod | undefined>>();
    const podCall = (method: string, args: readonly unknown[]): { name: string; namespace: string } | undefined => {
      if (method === 'evict') {
        const ref = args[0] as Pod;
        return { name: ref.metadata.name ?? '', namespace: ref.metadata.namespace ?? 'default' };
      }
      if (method === 'delete' && args[0] === 'Pod') return { name: args[1] as string, namespace: (args[2] as string | undefined) ?? 'default' };
      return undefined;
    };
    return {
      before: (method, args) => {
        const ref = podCall(method, args);
        if (ref) before.set(args, this.#o.kube.get('Pod', ref.name, ref.namespace).catch(() => undefined));
      },
      after: (method, args) => {
        const pod = before.get(args);
        if (!pod) return;
        this.#later(pod.then((p) => (p ? this.#checkPods(process, method === 'evict' ? 'evicted' : 'deleted', [p]) : undefined)));
      },
    };
  }

  /** Watches a controller process's cloud calls: launches (one machine per claim) and deletions (budgets of the pods still on it). */
  cloudObserver(process: string): CallObserver {
    return {
      after: (method, args, result) => {
        if (method === 'create') this.#launchedFor(process, result as NodeClaim);
        else if (method === 'delete') this.#later(this.#checkMachineDeletion(process, args[0] as NodeClaim));
      },
    };
  }

  /** Waits for checks still reading the API server. */
  async flush(): Promise<void> {
    while (this.#pending.length > 0) await Promise.all(this.#pending.splice(0));
  }

  #later(p: Promise<void>): void {
    this.#pending.push(p.catch((e: unknown) => {
      this.record('pdb-violated', false, () => `checking budgets failed: ${String(e)}`);
    }));
  }

  #launchedFor(process: string, claim: NodeClaim): void {
    const name = claim.metadata.name ?? '';
    const ids = this.#launched.get(name) ?? new Set<string>();
    this.#launched.set(name, ids);
    ids.add(claim.status?.providerID ?? '');
    this.record('instance-launched-twice', ids.size === 1, () => `${process} got machines ${[...ids].join(', ')} for nodeclaim ${name}`);
  }

  /**
   * After `pods` left the healthy set through `process`: every budget selecting one of them must
   * still have at least its desired healthy pods (an unhealthy pod may go only while the budget
   * holds: the IfHealthyBudget policy).
   */
  async #checkPods(process: string, how: string, pods: readonly Pod[], nodePods?: readonly Pod[]): Promise<void> {
    const { kube } = this.#o;
    const namespaces = new Set(pods.map((p) => p.metadata.namespace ?? 'default'));
    for (const namespace of namespaces) {
      const [budgets, all] = await Promise.all([kube.list('PodDisruptionBudget', { namespace }), kube.list('Pod', { namespace })]);
      const gone = new Set((nodePods ?? []).map((p) => p.metadata.name));
      for (const pdb of budgets.items) {
        const hit = pods.filter((p) => (p.metadata.namespace ?? 'default') === namespace && selectorMatches(pdb.spec.selector, p.metadata.labels));
        if (hit.length === 0) continue;
        const selected = all.items.filter((p) => selectorMatches(pdb.spec.selector, p.metadata.labels));
        const healthy = selected.filter((p) => isHealthy(p) && !gone.has(p.metadata.name)).length;
        const desired = this.#desired(pdb, selected);
        this.record('pdb-violated', healthy >= desired, () =>
          `${process} ${how} ${hit.map((p) => p.metadata.name).join(', ')}: budget ${pdb.metadata.name} has ${healthy} healthy pods, wants ${desired}`);
      }
    }
  }

  /** A machine a controller deleted takes its pods with it: they count as disrupted by that controller. */
  async #checkMachineDeletion(process: string, claim: NodeClaim): Promise<void> {
    const providerID = claim.status?.providerID;
    if (!providerID) return;
    const node = (await this.#o.kube.list('Node')).items.find((n) => n.spec?.providerID === providerID);
    if (!node) return;
    const pods = (await this.#o.kube.list('Pod', { fieldSelector: { 'spec.nodeName': node.metadata.name ?? '' } })).items
      .filter((p) => isHealthy(p));
    if (pods.length > 0) await this.#checkPods(process, `deleted machine ${providerID} under`, pods, pods);
  }

  #desired(pdb: PodDisruptionBudget, selected: readonly Pod[]): number {
    const expected = this.#o.expectedPods?.(pdb) ?? selected.filter((p) => !p.metadata.deletionTimestamp).length;
    if (pdb.spec.maxUnavailable !== undefined) return Math.max(0, expected - scaled(pdb.spec.maxUnavailable, expected, false));
    if (pdb.spec.minAvailable !== undefined) return scaled(pdb.spec.minAvailable, expected, true);
    return 0;
  }

  /** Checks, now, that every machine alive has its NodeClaim and every launched NodeClaim its machine, and that no claim got two machines. */
  async checkCloudAgainstClaims(): Promise<void> {
    const claims = (await this.#o.kube.list('NodeClaim')).items;
    const byName = new Map(claims.map((c) => [c.metadata.name ?? '', c]));
    const instances = this.#o.sim.instances();
    const alive = instances.filter((i) => i.state === 'pending' || i.state === 'running');
    for (const i of alive) {
      this.record('leaked-instance', byName.has(i.claimName), () => `machine ${i.providerID} (${i.state}) has no nodeclaim ${i.claimName}`);
    }
    const aliveIDs = new Set(alive.map((i) => i.providerID));
    for (const c of claims) {
      const id = c.status?.providerID;
      this.record('nodeclaim-without-instance', id !== undefined && aliveIDs.has(id),
        () => `nodeclaim ${c.metadata.name ?? ''} has ${id ? `machine ${id}, which is not alive` : 'no machine'}`);
    }
    const perClaim = new Map<string, number>();
    for (const i of instances) perClaim.set(i.claimName, (perClaim.get(i.claimName) ?? 0) + 1);
    for (const [name, n] of perClaim) this.record('instance-launched-twice', n === 1, () => `nodeclaim ${name} had ${n} machines`);
  }
}
