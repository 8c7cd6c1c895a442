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

/** A claim's creation time and expireAfter, and the expiry they give (NaN: none). */
interface ExpiryInputs {
  readonly created: string | undefined;
  readonly after: string | undefined;
  readonly at: number;
}

/**
 * The claim's ExpiryInputs: `last` itself while the claim has the same two strings (an updated
 * claim, a new object, nearly always keeps both), so they are parsed again only when they changed.
 */
function expiryOf(claim: NodeClaim, last: ExpiryInputs | undefined): ExpiryInputs {
  const created = claim.metadata.creationTimestamp;
  const after = claim.spec.expireAfter;
  if (last !== undefined && last.created === created && last.after === after) return last;
  return { created, after, at: expiresAt(claim) ?? NaN };
}

/** Claims told of between passes kept at most; past it the bound is dropped (the next pass walks). */
const MAX_TOLD = 4096;

/** The expiration loop: deletes expired NodeClaims, walking the machines only when one may be due. */
export class ExpirationController implements Quiescent {
  readonly name = 'disruption.expiration';
  readonly #ctx: ControllerContext;
  readonly #singleton: Singleton;
  /**
   * What the last walk read of each machine, by its position in the cache's order: the record's
   * version then (no two machines share one, and it moves whenever the Node or NodeClaim is set,
   * all an expiry depends on), its claim's expiry (NaN: no claim, or it never expires) and whether
   * the machine was deleting (then it cannot expire). A walk reads again only the machines whose
   * version at their position differs.
   */
  readonly #versions: number[] = [];
  readonly #expiries: number[] = [];
  readonly #deleting: boolean[] = [];
  /** The creation time and expireAfter of the claim last parsed at each position, and its expiry (NaN: none). */
  readonly #inputs: (ExpiryInputs | undefined)[] = [];
  /**
   * Whether a Node or NodeClaim may have changed since the last walk began: set by every machine
   * change the cache tells of while started (a Node or NodeClaim moving to another record is told of
   * as the change of the record it moves to), and always while not started (nothing tells then).
   */
  #changed = true;
  /** The earliest expiry the last walk saw (Infinity: none): until then an unchanged cache has none due. */
  #earliest = -Infinity;
  /**
   * No claim in the cache expires before this (epoch ms; -Infinity: not known): the least expiry,
   * deleting machines' included, of the claims the last walk read and of the claims in every machine
   * change told of since. A claim in the cache now was there at that walk or was written since, and
   * a write is told of with the machine that then holds the claim; a deleting machine's claim is
   * counted because a Node moving away (told of only as the change of its new record) can end that
   * machine's deleting unseen. So this stays a lower bound whatever machines changed, moved or went.
   * Known only while started (nothing tells otherwise); the claims in #told are still to be counted.
   */
  #bound = -Infinity;
  /** The claims machine changes told of since #bound was last brought up to date, in order (repeats too). */
  #told: NodeClaim[] = [];
  /** Per claim name, the creation time and expireAfter last counted into #bound and the expiry they give (NaN: never). */
  readonly #toldInputs = new Map<string | undefined, ExpiryInputs>();
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
      if (change.type !== 'Node') return;
      this.#changed = true;
      const claim = change.stateNode.nodeClaim;
      if (change.deleted || claim === undefined) return;
      // Counted at the next pass: a change costs a push, and a pass counts each claim once.
      if (this.#told.push(claim) > MAX_TOLD) this.#forgetBound();
    });
    this.#singleton.start();
  }

  stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#changed = true;
    this.#forgetBound();
    return this.#singleton.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#singleton.isIdle(horizonMs);
  }

  /**
   * Deletes every expired NodeClaim not already deleting, recording an 'expire' decision for each.
   * The pass answers without walking the machines when the walk would find none due and the same
   * wake-up: while no machine changed since the last walk and its earliest expiry is still ahead,
   * or while no claim in the cache (see #bound) expires within an interval.
   * @throws DisruptionError when a delete fails (the pass is retried with backoff; the others were still tried).
   */
  async reconcile(): Promise<ReconcileResult> {
    const ctx = this.#ctx;
    const interval = ctx.options.disruptionIntervalMs;
    if (!ctx.state.synced) return { requeueAfterMs: interval };
    const now = ctx.clock.now();
    if (!this.#changed && now < this.#earliest) return { requeueAfterMs: Math.max(0, Math.min(now + interval, this.#earliest) - now) };
    this.#countTold();
    // None due, none due within an interval (which is > 0): the walk would wake at the interval.
    if (now + interval <= this.#bound) return { requeueAfterMs: interval };
    return this.#walk(now, interval);
  }

  /** Reads every machine's expiry, deleting the expired claims; answers when to look again. */
  async #walk(now: number, interval: number): Promise<ReconcileResult> {
    const ctx = this.#ctx;
    // Changes from here on (this walk's own deletes among them) are for the next pass to see.
    this.#changed = this.#unsubscribe === undefined;
    this.#earliest = -Infinity;
    this.#forgetBound(); // the claims told of so far are all read below
    let earliest = Infinity;
    let least = Infinity;
    let next = now + interval;
    const failures: string[] = [];
    let cause: unknown;
    let count = 0;
    for (const rec of ctx.state.machineRecords()) {
      const i = count++;
      this.#read(i, rec);
      const at = this.#expiries[i]!;
      if (Number.isNaN(at)) continue;
      least = Math.min(least, at);
      if (this.#deleting[i]) continue;
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
    this.#forgetFrom(count);
    this.#earliest = earliest;
    // The walk awaits only to delete a claim it found due, and that claim's expiry (not after now)
    // then keeps the next pass walking: so the changes told of during a walk need no keeping.
    if (this.#unsubscribe !== undefined) this.#bound = least;
    if (failures.length > 0) {
      throw new DisruptionError(`deleting expired nodeclaims ${failures.join(', ')}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    return { requeueAfterMs: Math.max(0, next - now) };
  }

  /** Counts the claims told of since into #bound (each expiry parsed once per claim name and inputs). */
  #countTold(): void {
    if (this.#toldInputs.size > MAX_TOLD) this.#toldInputs.clear(); // names of claims long gone, mostly
    let bound = this.#bound;
    let last: NodeClaim | undefined;
    for (const claim of this.#told) {
      if (claim === last) continue;
      last = claim;
      const name = claim.metadata.name;
      const counted = this.#toldInputs.get(name);
      const known = expiryOf(claim, counted);
      if (known !== counted) this.#toldInputs.set(name, known);
      if (known.at < bound) bound = known.at;
    }
    this.#bound = bound;
    this.#told = [];
  }

  /** Drops the bound and the claims told of (a walk finds the bound again). */
  #forgetBound(): void {
    this.#bound = -Infinity;
    this.#told = [];
    this.#toldInputs.clear();
  }

  /** Reads the machine at position i again if the record there changed since (see #versions). */
  #read(i: number, rec: MachineRecord): void {
    if (this.#versions[i] === rec.version) return;
    const claim = rec.nodeClaim;
    this.#versions[i] = rec.version;
    this.#expiries[i] = claim === undefined ? NaN : this.#claimExpiry(i, claim);
    // A view's `deleting`; most machines are not due, so no view for them.
    this.#deleting[i] = claim !== undefined && !!(rec.node?.metadata.deletionTimestamp ?? claim.metadata.deletionTimestamp);
  }

  /** The claim's expiry (NaN for none), parsed again only when the claim last read at this position had other inputs (see expiryOf). */
  #claimExpiry(i: number, claim: NodeClaim): number {
    return (this.#inputs[i] = expiryOf(claim, this.#inputs[i])).at;
  }

  /** Drops what is known of positions from `count` on (machines the cache no longer has). */
  #forgetFrom(count: number): void {
    this.#versions.length = Math.min(this.#versions.length, count);
    this.#expiries.length = this.#versions.length;
    this.#deleting.length = this.#versions.length;
    this.#inputs.length = Math.min(this.#inputs.length, count);
  }
}
