/**
 * `gc`: a periodic sweep for what the event-driven controllers cannot see. Machines the cloud runs
 * with no NodeClaim (a claim lost before its launch result was written, or force-deleted) are
 * deleted once older than the leaked-instance grace period; NodeClaims whose machine vanished
 * (terminated outside nodewright) are deleted so termination cleans up after them; Nodes that
 * nodewright manages but that have no NodeClaim are deleted.
 */
import type { Node } from '../../apis/core.js';
import { NODEPOOL_LABEL, TERMINATION_FINALIZER } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { isNodeClaimNotFound } from '../../cloudprovider/cloud-provider.js';
import type { ControllerContext, Logger } from '../context.js';
import { findCondition } from '../nodeclaim/conditions.js';
import { deleteIfExists, getIfExists } from '../nodeclaim/object-writes.js';
import type { MachineRecord } from '../../state/cluster-state.js';
import type { ReconcileError } from '../runtime/reconciler.js';
import { Singleton } from '../runtime/singleton.js';
import type { SingletonReconciler } from '../runtime/singleton.js';

export const GARBAGE_COLLECTION = 'gc';
/** Sweep period (Karpenter's garbage collection runs every 2 minutes). */
export const DEFAULT_GC_INTERVAL_MS = 2 * 60_000;
/** A claim launched more recently than this may not be in the cloud's list yet: not judged vanished. */
export const VANISHED_MIN_AGE_MS = 10_000;

/** One or more parts of a sweep failed (the others still ran); `cause` holds the first failure. */
export class GarbageCollectionError extends Error {
  constructor(readonly failures: readonly Error[]) {
    super(`garbage collection: ${failures.map((f) => f.message).join('; ')}`, { cause: failures[0] });
    this.name = 'GarbageCollectionError';
  }
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

/** Whether nodewright manages the Node: its NodePool label, our finalizer, or a NodeClaim owner. */
export function isManagedNode(node: Node): boolean {
  return node.metadata.labels?.[NODEPOOL_LABEL] !== undefined
    || (node.metadata.finalizers?.includes(TERMINATION_FINALIZER) ?? false)
    || (node.metadata.ownerReferences?.some((o) => o.kind === 'NodeClaim') ?? false);
}

/** One machine of the cache as a sweep reads it: its two objects. */
export interface MachineEntry {
  readonly node: Node | undefined;
  readonly nodeClaim: NodeClaim | undefined;
}

/**
 * Reads each machine's Node and NodeClaim, in the cache's order, into a list of its own (the sweep
 * awaits between machines, and the cache changes meanwhile). Reads no views. A machine's entry is
 * carried from the last read while the record at its position has the version it had then:
 * versions are unique to a record and move whenever its Node or NodeClaim is set, so the entry
 * holds the same two objects. Only machines written since are read again.
 */
export class MachineReader {
  readonly #versions: number[] = [];
  readonly #entries: MachineEntry[] = [];

  read(records: Iterable<Pick<MachineRecord, 'node' | 'nodeClaim' | 'version'>>): readonly MachineEntry[] {
    const list: MachineEntry[] = [];
    const versions = this.#versions;
    const entries = this.#entries;
    for (const rec of records) {
      const i = list.length;
      let e = entries[i];
      if (e === undefined || versions[i] !== rec.version) {
        entries[i] = e = { node: rec.node, nodeClaim: rec.nodeClaim };
        versions[i] = rec.version;
      }
      list.push(e);
    }
    versions.length = entries.length = Math.min(entries.length, list.length);
    return list;
  }
}

export class GarbageCollection implements SingletonReconciler {
  readonly name = GARBAGE_COLLECTION;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;
  /** providerID → when a sweep first saw the machine with no claim (for machines without a creation time). */
  readonly #firstSeen = new Map<string, number>();
  readonly #reader = new MachineReader();
  /** What the sweeps deleted, for tests and metrics. */
  readonly stats = { leakedInstances: 0, vanishedClaims: 0, orphanNodes: 0 };

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#log = ctx.log.child({ controller: GARBAGE_COLLECTION });
  }

  /** One sweep. @throws GarbageCollectionError when any part failed (the sweep is then retried with backoff). */
  async reconcile(): Promise<void> {
    // Judged against a cache still filling up, every machine would look unclaimed.
    if (!this.#ctx.state.synced) return;
    const failures: Error[] = [];
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        failures.push(new Error(`${what}: ${(e as Error).message}`, { cause: e }));
      }
    };
    let instances: NodeClaim[] | undefined;
    await attempt('listing machines', async () => {
      instances = await this.#ctx.cloud.list();
    });
    // What the cache holds, read once and kept until the sweep next awaits (the cache may change then).
    let machines: readonly MachineEntry[] | undefined;
    const current = (): readonly MachineEntry[] => (machines ??= this.#reader.read(this.#ctx.state.machineRecords()));
    if (instances) {
      const listed = instances;
      // The checks that clear a machine or a claim are synchronous: a sweep over a healthy cluster
      // of a thousand machines awaits nothing.
      for (const m of listed) {
        if (this.#claimed(m)) continue;
        await attempt(`deleting leaked machine ${m.status?.providerID ?? ''}`, () => this.#leaked(m));
      }
      this.#forgetOthers(listed);
      const live = new Set<string>();
      for (const m of listed) {
        const providerID = m.status?.providerID;
        if (providerID !== undefined) live.add(providerID);
      }
      for (const { nodeClaim } of current()) {
        const providerID = nodeClaim?.status?.providerID;
        if (nodeClaim && providerID !== undefined && this.#mayHaveVanished(nodeClaim, providerID, live)) {
          await attempt(`checking nodeclaim ${nodeClaim.metadata.name ?? ''}`, () => this.#vanished(nodeClaim, providerID));
          machines = undefined;
        }
      }
    }
    for (const { node, nodeClaim } of current()) {
      if (node && !nodeClaim) await attempt(`deleting node ${node.metadata.name ?? ''}`, () => this.#orphan(node));
    }
    if (failures.length > 0) throw new GarbageCollectionError(failures);
  }

  /**
   * Whether the cache holds a NodeClaim for the machine: the machine the cache finds by the
   * machine's name (see ClusterState.node) holds a claim of that name, or the one it finds by its
   * providerID holds a claim. A claimed machine's first-seen time is forgotten.
   */
  #claimed(machine: NodeClaim): boolean {
    const name = machine.metadata.name;
    const byName = name !== undefined && this.#ctx.state.machineRecord(name)?.nodeClaim?.metadata.name === name;
    // Most machines are claimed by name, and none is waiting out its grace: no id to read then.
    if (byName && this.#firstSeen.size === 0) return true;
    const providerID = machine.status?.providerID ?? '';
    const claimed = byName || (providerID !== '' && this.#ctx.state.nodeByProviderID(providerID)?.nodeClaim !== undefined);
    if (claimed) this.#firstSeen.delete(providerID);
    return claimed;
  }

  /** Deletes an unclaimed machine once it is older than the grace period (and the API has no claim for it either). */
  async #leaked(machine: NodeClaim): Promise<void> {
    const providerID = machine.status?.providerID ?? '';
    const name = machine.metadata.name;
    const now = this.#ctx.clock.now();
    let since = parseTime(machine.metadata.creationTimestamp) ?? this.#firstSeen.get(providerID);
    if (since === undefined) this.#firstSeen.set(providerID, (since = now));
    if (now - since < this.#ctx.options.leakedInstanceGraceMs) return;
    // The cache may lag the API: a claim created a moment ago must not lose its machine.
    if (name !== undefined && await getIfExists(this.#ctx.kube, 'NodeClaim', name)) return;
    try {
      await this.#ctx.cloud.delete(machine);
    } catch (e) {
      if (!isNodeClaimNotFound(e)) throw e;
    }
    this.#firstSeen.delete(providerID);
    this.stats.leakedInstances++;
    this.#log.info({ providerID, nodeclaim: name }, 'deleted a machine with no NodeClaim');
  }

  #forgetOthers(listed: readonly NodeClaim[]): void {
    if (this.#firstSeen.size === 0) return; // the usual case: no set of every machine's id to build
    const ids = new Set(listed.map((m) => m.status?.providerID ?? ''));
    for (const id of this.#firstSeen.keys()) if (!ids.has(id)) this.#firstSeen.delete(id);
  }

  /**
   * Whether the claim may have lost its machine: not being deleted, launched a while ago, and its
   * machine not in the cloud's list (which may lag: #vanished asks the cloud).
   */
  #mayHaveVanished(claim: NodeClaim, providerID: string, live: ReadonlySet<string>): boolean {
    if (claim.metadata.deletionTimestamp || live.has(providerID)) return false;
    const launched = findCondition(claim, ConditionTypes.Launched);
    if (launched?.status !== 'True') return false;
    const launchedAt = parseTime(launched.lastTransitionTime);
    return launchedAt === undefined || this.#ctx.clock.now() - launchedAt >= VANISHED_MIN_AGE_MS;
  }

  /** Deletes the claim (one #mayHaveVanished picked) if the cloud confirms its machine is gone. */
  async #vanished(claim: NodeClaim, providerID: string): Promise<void> {
    try {
      await this.#ctx.cloud.get(providerID);
      return; // a list that lagged, not a machine that is gone
    } catch (e) {
      if (!isNodeClaimNotFound(e)) throw e;
    }
    const name = claim.metadata.name ?? '';
    await deleteIfExists(this.#ctx.kube, 'NodeClaim', name);
    this.stats.vanishedClaims++;
    this.#log.info({ nodeclaim: name, providerID }, 'deleted a nodeclaim whose machine is gone');
  }

  async #orphan(node: Node): Promise<void> {
    if (node.metadata.deletionTimestamp || !isManagedNode(node)) return;
    const created = parseTime(node.metadata.creationTimestamp);
    if (created === undefined || this.#ctx.clock.now() - created < this.#ctx.options.leakedInstanceGraceMs) return;
    await deleteIfExists(this.#ctx.kube, 'Node', node.metadata.name ?? '');
    this.stats.orphanNodes++;
    this.#log.info({ node: node.metadata.name, providerID: node.spec?.providerID }, 'deleted a managed node with no NodeClaim');
  }
}

export interface GarbageCollectorOptions {
  /** Sweep period (default 2 minutes). */
  intervalMs?: number;
}

/** The sweep as a running loop (call start()); `collector` exposes its stats. */
export function garbageCollector(ctx: ControllerContext, options: GarbageCollectorOptions = {}): { loop: Singleton; collector: GarbageCollection } {
  const collector = new GarbageCollection(ctx);
  const log = ctx.log.child({ controller: GARBAGE_COLLECTION });
  const loop = new Singleton(collector, {
    clock: ctx.clock,
    intervalMs: options.intervalMs ?? DEFAULT_GC_INTERVAL_MS,
    onError: (e: ReconcileError) => log.warn({}, e.message),
  });
  return { loop, collector };
}
