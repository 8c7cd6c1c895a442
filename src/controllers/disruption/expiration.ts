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

/** Per NodeClaim object (a new one on every update): its expiry, worked out once (null: never). */
const expiries = new WeakMap<NodeClaim, number | null>();

/** When the claim expires (epoch ms), or undefined for "Never", an unparsable expireAfter or an unknown age. */
export function expiresAt(claim: NodeClaim): number | undefined {
  let at = expiries.get(claim);
  if (at === undefined) expiries.set(claim, (at = computeExpiresAt(claim) ?? null));
  return at ?? undefined;
}

function computeExpiresAt(claim: NodeClaim): number | undefined {
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

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
    this.#singleton = new Singleton({ name: this.name, reconcile: () => this.reconcile() }, {
      clock: ctx.clock,
      intervalMs: ctx.options.disruptionIntervalMs,
      onError: (e) => ctx.log.error({ error: e.message }, 'expiration: pass failed'),
    });
  }

  start(): void {
    this.#singleton.start();
  }

  stop(): Promise<void> {
    return this.#singleton.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#singleton.isIdle(horizonMs);
  }

  /**
   * Deletes every expired NodeClaim not already deleting, recording an 'expire' decision for each.
   * @throws DisruptionError when a delete fails (the pass is retried with backoff; the others were still tried).
   */
  async reconcile(): Promise<ReconcileResult> {
    const ctx = this.#ctx;
    const interval = ctx.options.disruptionIntervalMs;
    if (!ctx.state.synced) return { requeueAfterMs: interval };
    const now = ctx.clock.now();
    let next = now + interval;
    const failures: string[] = [];
    let cause: unknown;
    let i = 0;
    for (const rec of ctx.state.machineRecords()) {
      const at = this.#expiryAt(i++, rec);
      if (Number.isNaN(at)) continue;
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
    const at = deleting ? NaN : expiresAt(claim) ?? NaN;
    this.#versions[i] = rec.version;
    this.#expiries[i] = at;
    return at;
  }

  /** Drops what is known of positions from `count` on (machines the cache no longer has). */
  #forgetFrom(count: number): void {
    this.#versions.length = Math.min(this.#versions.length, count);
    this.#expiries.length = this.#versions.length;
  }
}
