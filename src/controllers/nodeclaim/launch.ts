/**
 * The launch phase: one cloud create per claim, its result written back (labels, providerID,
 * imageID, capacity, allocatable, Launched=True). Insufficient capacity marks the offerings tried
 * unavailable and deletes the claim, so the next provisioning round plans with what is left; a node
 * class that is not ready and retryable API errors are retried with backoff until the launch timeout.
 */
import { INSTANCE_TYPE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { CloudProviderError, isInsufficientCapacity, isNodeClassNotReady } from '../../cloudprovider/cloud-provider.js';
import { formatDuration } from '../../utils/duration.js';
import type { ControllerContext } from '../context.js';
import { deleteFailedClaim } from './claim-failure.js';
import { isConditionTrue } from './conditions.js';
import { getIfExists, patchClaimStatus } from './object-writes.js';
import type { PhaseResult } from './phase.js';
import { claimAgeMs, proceed, stop } from './phase.js';

/** A claim not launched this long after its creation is deleted (Karpenter's launch TTL). */
export const LAUNCH_TIMEOUT_MS = 5 * 60_000;
/** Retries of a launch that failed with a retryable error back off from 1 s, doubling to 1 min (never past the timeout). */
export const LAUNCH_RETRY = { baseMs: 1_000, maxMs: 60_000 } as const;

export class LaunchPhase {
  readonly #ctx: ControllerContext;
  /**
   * Machines created whose result is not written to the claim yet (claim name → its uid and the
   * launched claim): a failed status write is retried from here, never by creating again.
   */
  readonly #unwritten = new Map<string, { readonly uid: string | undefined; readonly launched: NodeClaim }>();
  /** Failed launch attempts per claim name, for the retry backoff. */
  readonly #attempts = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /** Claims launched whose result is still to be written (for tests and metrics). */
  get pendingWrites(): number {
    return this.#unwritten.size;
  }

  /**
   * Launches the claim unless Launched=True already.
   * @throws KubeError (a status write conflicted or failed), or what the cloud threw that is not a
   *   CloudProviderError; the caller retries with backoff.
   */
  async reconcile(cached: NodeClaim): Promise<PhaseResult> {
    if (isConditionTrue(cached, ConditionTypes.Launched)) return proceed(cached);
    // The cache may lag our own last write: only a fresh read may decide that create is still needed.
    const claim = await getIfExists(this.#ctx.kube, 'NodeClaim', cached.metadata.name ?? '');
    if (!claim || claim.metadata.deletionTimestamp) return stop();
    if (isConditionTrue(claim, ConditionTypes.Launched)) return proceed(claim);
    const name = claim.metadata.name ?? '';
    const uid = claim.metadata.uid;
    const kept = this.#unwritten.get(name);
    let launched = kept?.uid === uid ? kept?.launched : undefined;
    if (!launched) {
      const now = this.#ctx.clock.now();
      if (claimAgeMs(claim, now) >= LAUNCH_TIMEOUT_MS) {
        await deleteFailedClaim(this.#ctx, claim, {
          reason: 'LaunchTimeout',
          summary: `nodeclaim ${claim.metadata.name ?? ''} was not launched within ${formatDuration(LAUNCH_TIMEOUT_MS)}`,
          why: `${lastLaunchError(claim)}; the claim is deleted so that the next provisioning round can try again`,
        });
        return stop();
      }
      try {
        launched = await this.#ctx.cloud.create(claim);
      } catch (e) {
        return this.#launchFailed(claim, e);
      }
      this.#attempts.delete(name);
      this.#unwritten.set(name, { uid, launched });
    }
    const written = await this.#write(claim, launched);
    this.#unwritten.delete(name);
    return written ? proceed(written) : stop();
  }

  /** The claim is gone: forget any unwritten result for it. */
  forget(name: string): void {
    this.#unwritten.delete(name);
    this.#attempts.delete(name);
  }

  async #write(claim: NodeClaim, launched: NodeClaim): Promise<NodeClaim | undefined> {
    const name = claim.metadata.name ?? '';
    const labels = launched.metadata.labels ?? {};
    let current: NodeClaim | undefined = claim;
    if (Object.entries(labels).some(([k, v]) => claim.metadata.labels?.[k] !== v)) {
      current = await this.#ctx.kube.patch('NodeClaim', name, { metadata: { labels } });
    }
    const s = launched.status ?? {};
    current = await patchClaimStatus(this.#ctx.kube, current, this.#ctx.clock.now(), [{ type: ConditionTypes.Launched, status: 'True' }], {
      ...(s.providerID !== undefined ? { providerID: s.providerID } : {}),
      ...(s.imageID !== undefined ? { imageID: s.imageID } : {}),
      ...(s.capacity !== undefined ? { capacity: s.capacity } : {}),
      ...(s.allocatable !== undefined ? { allocatable: s.allocatable } : {}),
    });
    if (current) {
      this.#ctx.log.info({ nodeclaim: name, providerID: s.providerID, 'instance-type': labels[INSTANCE_TYPE_LABEL] }, 'launched nodeclaim');
    }
    return current;
  }

  async #launchFailed(claim: NodeClaim, e: unknown): Promise<PhaseResult> {
    const name = claim.metadata.name ?? '';
    if (isInsufficientCapacity(e)) {
      this.#attempts.delete(name);
      this.#ctx.unavailableOfferings.markAll(e.offerings);
      await deleteFailedClaim(this.#ctx, claim, {
        reason: 'InsufficientCapacity',
        summary: `nodeclaim ${name} could not launch: insufficient capacity`,
        why: `${e.message}; ${e.offerings.length} offering(s) marked unavailable for ${formatDuration(this.#ctx.options.unavailableOfferingTtlMs)}, `
          + 'and the claim is deleted so that the next provisioning round plans with the offerings left',
        alternativesRejected: e.offerings.map((o) => ({ option: `${o.instanceType} in ${o.zone} (${o.capacityType})`, reason: 'insufficient capacity' })),
      });
      return stop();
    }
    if (isNodeClassNotReady(e) || (e instanceof CloudProviderError && e.retryable)) {
      const reason = isNodeClassNotReady(e) ? 'NodeClassNotReady' : 'LaunchFailed';
      this.#ctx.log.info({ nodeclaim: name, reason, error: e.message }, 'launching nodeclaim failed, retrying');
      const now = this.#ctx.clock.now();
      await patchClaimStatus(this.#ctx.kube, claim, now, [{ type: ConditionTypes.Launched, status: 'False', reason, message: e.message }]);
      const n = (this.#attempts.get(name) ?? 0) + 1;
      this.#attempts.set(name, n);
      const backoff = Math.min(LAUNCH_RETRY.maxMs, LAUNCH_RETRY.baseMs * 2 ** Math.min(n - 1, 30));
      // Landing on the timeout itself makes the next reconcile the one that gives up, on time.
      return stop({ requeueAfterMs: Math.max(0, Math.min(backoff, LAUNCH_TIMEOUT_MS - claimAgeMs(claim, now))) });
    }
    if (e instanceof CloudProviderError) {
      await deleteFailedClaim(this.#ctx, claim, {
        reason: 'LaunchFailed',
        summary: `nodeclaim ${name} could not launch`,
        why: `${e.message}; the cloud says retrying will not help, so the claim is deleted`,
      });
      return stop();
    }
    throw e;
  }
}

function lastLaunchError(claim: NodeClaim): string {
  const c = claim.status?.conditions?.find((x) => x.type === ConditionTypes.Launched);
  return c?.message ? `last error: ${c.message}` : 'no launch attempt succeeded';
}
