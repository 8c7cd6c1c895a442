/**
 * Expiration: a NodeClaim older than its expireAfter is deleted, whatever the budgets,
 * do-not-disrupt or consolidation say (termination still honours PDBs while draining, and
 * terminationGracePeriod bounds that). "Never" disables it. A loop of its own, as in Karpenter,
 * waking at the next expiry or every disruptionIntervalMs, whichever is sooner.
 */
import { DEFAULT_EXPIRE_AFTER } from '../../apis/v1/defaults.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { isNotFound } from '../../kube/errors.js';
import { formatDuration, parseDuration } from '../../utils/duration.js';
import type { ControllerContext } from '../context.js';
import type { MachineRecord } from '../../state/cluster-state.js';
import type { Quiescent, ReconcileResult } from '../runtime/reconciler.js';
import { Singleton } from '../runtime/singleton.js';
import { DisruptionError } from './errors.js';

/** When the claim expires (epoch ms), or undefined for "Never", an unparsable expireAfter or an unknown age. */
export function expiresAt(claim: NodeClaim): number | undefined {
  let after: number;
  try {
    after = parseDuration(claim.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER, { allowNever: true });
  } catch {
    return undefined;
  }
  const created = Date.parse(claim.metadata.creationTimestamp ?? '');
  if (after === Infinity || !Number.isFinite(created)) return undefined;
  return created + after;
}

/** The expiration loop: deletes expired NodeClaims, walking the machines only when one may be due. */
export class ExpirationController implements Quiescent {
  readonly name = 'disruption.expiration';
  readonly #ctx: ControllerContext;
  readonly #singleton: Singleton;
  /**
   * What the last pass read of each machine, by its position in the cache's order: the record's
   * version then (no two machines share one, and it moves whenever the Node or NodeClaim is set,
   * all an expiry depends on) and the expiry (NaN: no claim, deleting, or never expires). A pass
   * reads again only the machines whose version at their position differs.
   */
  readonly #versions: number[] = [];
  readonly #expiries: number[] = [];
  /** The creation time and expireAfter of the claim last parsed at each position, and its expiry (NaN: none). */
  readonly #inputs: ({ readonly created: string | undefined; readonly after: string | undefined; readonly at: number } | undefined)[] = [];
  /**
   * Whether a Node or NodeClaim may have changed since the last walk began: set by every machine
   * change the cache tells of while started (a Node or NodeClaim moving to another record is told of
   * as the change of the record it moves to), and always while not started (nothing tells then).
   */
  #changed = true;
  /** The earliest expiry the last walk saw (Infinity: none): until then an unchanged cache has none due. */
  #earliest = -Infinity;
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#singleton = new Singleton({ name: this.name, reconcile: () => this.reconcile() }, {
      clock: ctx.clock,
      intervalMs: ctx.options.disruptionIntervalMs,
      onError: (e) => ctx.log.error({ error: e.message }, 'expiration: pass failed'),
    });
  }

  start(): void {
    this.#unsubscribe ??= this.#ctx.state.subscribe((change) => {
      if (change.type === 'Node') this.#changed = true;
    });
    this.#singleton.start();
  }

  stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#changed = true;
    return this.#singleton.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#singleton.isIdle(horizonMs);
  }

  /**
   * Deletes every expired NodeClaim not already deleting, recording an 'expire' decision for each.
   * While no machine changed since the last walk and its earliest expiry is still ahead, none is
   * due and the walk would find that same earliest expiry: the pass answers without walking.
   * @throws DisruptionError when a delete fails (the pass is retried with backoff; the others were still tried).
   */
  async reconcile(): Promise<ReconcileResult> {
    const ctx = this.#ctx;
    const interval = ctx.options.disruptionIntervalMs;
    if (!ctx.state.synced) return { requeueAfterMs: interval };
    const now = ctx.clock.now();
    if (!this.#changed && now < this.#earliest) return { requeueAfterMs: Math.max(0, Math.min(now + interval, this.#earliest) - now) };
    // Changes from here on (this walk's own deletes among them) are for the next pass to see.
    this.#changed = this.#unsubscribe === undefined;
    this.#earliest = -Infinity;
    let earliest = Infinity;
    let next = now + interval;
    const failures: string[] = [];
    let cause: unknown;
    let i = 0;
    for (const rec of ctx.state.machineRecords()) {
      const at = this.#expiryAt(i++, rec);
      if (Number.isNaN(at)) continue;
      earliest = Math.min(earliest, at);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      const claim = rec.nodeClaim!;
      const node = rec.view();
      if (node.nodeClaimName === undefined) continue;
      try {
        await ctx.kube.delete('NodeClaim', node.nodeClaimName);
      } catch (e) {
        if (isNotFound(e)) continue;
        failures.push(node.nodeClaimName);
        cause ??= e;
        continue;
      }
      ctx.decisions.record({
        time: now, kind: 'expire', summary: `deleting expired nodeclaim ${node.nodeClaimName}`,
        why: `it was created at ${claim.metadata.creationTimestamp ?? '?'} and its expireAfter (${claim.spec.expireAfter ?? DEFAULT_EXPIRE_AFTER}) ran out ${formatDuration(now - at)} ago; expiration is not subject to disruption budgets`,
        nodes: [node.name], pods: node.pods.map((p) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? ''}`), nodePool: node.nodePool,
      });
      ctx.log.info({ nodeclaim: node.nodeClaimName, nodepool: node.nodePool }, 'expiration: deleted expired nodeclaim');
    }
    this.#forgetFrom(i);
    this.#earliest = earliest;
    if (failures.length > 0) {
      throw new DisruptionError(`deleting expired nodeclaims ${failures.join(', ')}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    return { requeueAfterMs: Math.max(0, next - now) };
  }

  /** The expiry of the machine at position i (NaN for none), read again only when the record there changed. */
  #expiryAt(i: number, rec: MachineRecord): number {
    if (this.#versions[i] === rec.version) return this.#expiries[i]!;
    const claim = rec.nodeClaim;
    // Only a claim not deleting can expire (a view's `deleting`); most are not due, so no view for them.
    const deleting = claim === undefined || !!(rec.node?.metadata.deletionTimestamp ?? claim.metadata.deletionTimestamp);
    const at = deleting ? NaN : this.#claimExpiry(i, claim);
    this.#versions[i] = rec.version;
    this.#expiries[i] = at;
    return at;
  }

  /**
   * The claim's expiry (NaN for none). An expiry follows from the creation time and expireAfter
   * alone, and a claim updated (a new object) nearly always keeps both: while the claim read last
   * at this position had the same two strings, its expiry is taken instead of parsing them again.
   */
  #claimExpiry(i: number, claim: NodeClaim): number {
    const created = claim.metadata.creationTimestamp;
    const after = claim.spec.expireAfter;
    const last = this.#inputs[i];
    if (last !== undefined && last.created === created && last.after === after) return last.at;
    const at = expiresAt(claim) ?? NaN;
    this.#inputs[i] = { created, after, at };
    return at;
  }

  /** Drops what is known of positions from `count` on (machines the cache no longer has). */
  #forgetFrom(count: number): void {
    this.#versions.length = Math.min(this.#versions.length, count);
    this.#expiries.length = this.#versions.length;
    this.#inputs.length = Math.min(this.#inputs.length, count);
  }
}
