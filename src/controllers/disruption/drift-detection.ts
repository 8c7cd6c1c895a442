/**
 * Drift: a NodeClaim no longer matches what its NodePool would launch now. Checked in order: the
 * NodePool's template hash differs from the one stamped on the claim (same hash version; a claim
 * with another version or none is left for re-stamping, not drifted), the claim's labels no longer
 * satisfy the NodePool's requirements, its instance type is no longer offered, or the cloud
 * provider reports drift (image, subnets, security groups), which is asked at most every 5 minutes
 * per claim.
 */
import { NODEPOOL_HASH_ANNOTATION, NODEPOOL_HASH_VERSION_ANNOTATION, normalizeLabelKey } from '../../apis/labels.js';
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import { nodePoolHash, NODEPOOL_HASH_VERSION } from '../../apis/v1/hash.js';
import type { CloudProvider } from '../../cloudprovider/cloud-provider.js';
import { Requirement, Requirements } from '../../scheduling/requirements.js';
import type { Clock } from '../../utils/clock.js';
import type { Candidate } from './types.js';

/** How often the cloud provider is asked again about one claim (Karpenter: 5 minutes). */
export const DEFAULT_DRIFT_RECHECK_MS = 5 * 60_000;

const hashes = new WeakMap<NodePool, string>();

function poolHash(pool: NodePool): string {
  let h = hashes.get(pool);
  if (h === undefined) hashes.set(pool, (h = nodePoolHash(pool)));
  return h;
}

/** Per NodePool object: its template's requirements (null when they do not parse). */
const poolRequirements = new WeakMap<NodePool, Requirements | null>();

function requirementsOf(pool: NodePool): Requirements | null {
  let reqs = poolRequirements.get(pool);
  if (reqs === undefined) {
    try {
      reqs = new Requirements(pool.spec.template.spec.requirements.map((r) => Requirement.fromSelector(normalizeLabelKey(r.key), r.operator, r.values, r.minValues)));
    } catch {
      reqs = null;
    }
    poolRequirements.set(pool, reqs);
  }
  return reqs;
}

/**
 * Per NodeClaim object (a new one on every update): its static drift against the PoolInfo and
 * instance type it was last checked with. Every pass asks about every candidate; both change rarely.
 */
const staticVerdicts = new WeakMap<object, { readonly pool: Candidate['pool']; readonly instanceType: string | undefined; readonly reason: string | undefined }>();

/** The drift nodewright can see without the cloud, as "Reason: detail", or undefined. */
export function staticDrift(c: Candidate): string | undefined {
  const claim = c.stateNode.nodeClaim;
  if (!claim) return undefined;
  const memo = staticVerdicts.get(claim);
  if (memo && memo.pool === c.pool && memo.instanceType === c.instanceType) return memo.reason;
  const reason = computeStaticDrift(c);
  staticVerdicts.set(claim, { pool: c.pool, instanceType: c.instanceType, reason });
  return reason;
}

function computeStaticDrift(c: Candidate): string | undefined {
  const claim = c.stateNode.nodeClaim;
  if (!claim) return undefined;
  const pool = c.pool.nodePool;
  const annotations = claim.metadata.annotations ?? {};
  const stamped = annotations[NODEPOOL_HASH_ANNOTATION];
  if (stamped !== undefined && annotations[NODEPOOL_HASH_VERSION_ANNOTATION] === NODEPOOL_HASH_VERSION) {
    const current = poolHash(pool);
    if (stamped !== current) return `NodePoolDrifted: nodepool ${c.pool.name}'s template changed (hash ${stamped} → ${current})`;
  }
  const poolReqs = requirementsOf(pool);
  if (poolReqs === null) return undefined; // validated pools parse; nothing sensible to compare against otherwise
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(claim.metadata.labels ?? {})) labels[normalizeLabelKey(k)] = v;
  const why = Requirements.fromLabels(labels).compatible(poolReqs, () => false);
  if (why !== undefined) return `RequirementsDrifted: the nodeclaim no longer satisfies nodepool ${c.pool.name}'s requirements (${why})`;
  if (c.instanceType !== undefined && !c.pool.typesByName.has(c.instanceType)) {
    return `InstanceTypeNotFound: instance type ${c.instanceType} is no longer offered to nodepool ${c.pool.name}`;
  }
  return undefined;
}

/** Static drift every time, the cloud's verdict cached per claim. */
export class DriftDetector {
  readonly #cloud: CloudProvider;
  readonly #clock: Clock;
  readonly #recheckMs: number;
  readonly #cloudVerdicts = new Map<string, { reason: string | undefined; at: number }>();

  constructor(cloud: CloudProvider, clock: Clock, recheckMs = DEFAULT_DRIFT_RECHECK_MS) {
    this.#cloud = cloud;
    this.#clock = clock;
    this.#recheckMs = recheckMs;
  }

  /**
   * Why the candidate has drifted, or undefined: at once when that is known without asking the
   * cloud (static drift, or the cloud's verdict of less than the recheck interval ago), else a
   * promise of the cloud's answer. Every pass asks about every candidate, and nearly always the
   * answer is known. Never rejects: a failing cloud call counts as not drifted (and is asked again
   * next time).
   */
  reason(c: Candidate): string | undefined | Promise<string | undefined> {
    const own = staticDrift(c);
    if (own !== undefined) return own;
    const claim = c.stateNode.nodeClaim;
    if (!claim) return undefined;
    const now = this.#clock.now();
    const cached = this.#cloudVerdicts.get(c.claimName);
    if (cached && now - cached.at < this.#recheckMs) return cached.reason;
    return this.#ask(c.claimName, claim, now);
  }

  /** Asks the cloud about the claim and keeps its verdict. */
  async #ask(name: string, claim: NodeClaim, now: number): Promise<string | undefined> {
    try {
      const found = await this.#cloud.isDrifted(claim);
      const reason = found === undefined ? undefined : `${found}: the cloud provider reports the machine no longer matches its node class`;
      this.#cloudVerdicts.set(name, { reason, at: now });
      return reason;
    } catch {
      return undefined;
    }
  }

  /** Drops verdicts of claims not in `live`. */
  retain(live: ReadonlySet<string>): void {
    for (const name of this.#cloudVerdicts.keys()) if (!live.has(name)) this.#cloudVerdicts.delete(name);
  }
}
