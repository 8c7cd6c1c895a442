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
import type { StateNode } from '../../state/state-node.js';
import type { Clock } from '../../utils/clock.js';
import type { Candidate, PoolInfo } from './types.js';

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
 * The drift nodewright can see without the cloud, as "Reason: detail", or undefined: a function of
 * the candidate's claim object, PoolInfo and instance type only.
 */
export function staticDrift(c: Candidate): string | undefined {
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

/**
 * The cloud's answer about one claim and when it was asked (at -Infinity: not yet), shared by the
 * rows of the claim name while the name stays a candidate: a name that leaves the candidates loses
 * its verdict, and is asked about again when it is back.
 */
interface CloudVerdict {
  reason: string | undefined;
  at: number;
  /** The last track the name was a candidate in. */
  seen: number;
}

/**
 * One tracked candidate: its static drift, worked out once for the inputs it follows from (the
 * claim object, a new one on every update; the PoolInfo; the instance type), and its claim name's
 * cloud verdict.
 */
interface Row {
  readonly name: string;
  /** A machine view with the claim (views are immutable: a view seen again has it, unread). */
  view: StateNode;
  readonly claim: NodeClaim | undefined;
  readonly pool: PoolInfo;
  readonly instanceType: string | undefined;
  readonly own: string | undefined;
  readonly cloud: CloudVerdict;
}

/** Whether the row was worked out from the candidate's inputs. */
function rowFits(row: Row, c: Candidate): boolean {
  if (row.pool !== c.pool || row.instanceType !== c.instanceType) return false;
  if (row.view === c.stateNode) return true;
  if (row.claim !== c.stateNode.nodeClaim) return false;
  row.view = c.stateNode;
  return true;
}

/** How far on in the last rows a candidate's name is looked for by place before it is looked up by name. */
const LOOKAHEAD = 8;

/**
 * Drift of the candidates of each pass: static drift worked out once per candidate inputs, the
 * cloud's verdict kept per claim for the recheck interval while the claim stays a candidate. A pass
 * hands its candidates to `track`, then walks `drifted`. Passes see nearly the same candidates in
 * the same order with the same inputs, so a pass costs a comparison per candidate.
 */
export class DriftDetector {
  readonly #cloud: CloudProvider;
  readonly #clock: Clock;
  readonly #recheckMs: number;
  /** The tracked candidates' rows, in their order, and the array the next track writes. */
  #rows: Row[] = [];
  #spare: Row[] = [];
  /** Per claim name: its last row (a name the last track did not see has a stale verdict). */
  readonly #byName = new Map<string, Row>();
  #tracks = 0;

  constructor(cloud: CloudProvider, clock: Clock, recheckMs = DEFAULT_DRIFT_RECHECK_MS) {
    this.#cloud = cloud;
    this.#clock = clock;
    this.#recheckMs = recheckMs;
  }

  /**
   * Takes a pass's candidates: each one's row is the last one of its claim name (found by place,
   * as the candidates keep their order, else by name) while its inputs are the same, else a new one
   * that keeps the name's cloud verdict if the name was a candidate in the last track.
   */
  track(candidates: readonly Candidate[]): void {
    const last = this.#rows;
    const rows = this.#spare;
    const track = ++this.#tracks;
    rows.length = candidates.length;
    let j = 0;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      let at = j;
      const end = Math.min(last.length, j + LOOKAHEAD);
      while (at < end && last[at]!.name !== c.claimName) at++;
      let old: Row | undefined;
      if (at < end) {
        old = last[at];
        j = at + 1;
      } else old = this.#byName.get(c.claimName);
      // A name the last track did not see keeps its static drift but not the cloud's verdict.
      const cloud = old !== undefined && old.cloud.seen >= track - 1 ? old.cloud : { reason: undefined, at: -Infinity, seen: track };
      let row: Row;
      if (old === undefined || !rowFits(old, c)) row = this.#rowOf(c, cloud, staticDrift(c));
      else row = old.cloud === cloud ? old : this.#rowOf(c, cloud, old.own);
      row.cloud.seen = track;
      rows[i] = row;
    }
    this.#rows = rows;
    this.#spare = last;
    last.length = 0;
    if (this.#byName.size > 2 * rows.length + LOOKAHEAD) {
      for (const [name, row] of this.#byName) if (row.cloud.seen !== track) this.#byName.delete(name);
    }
  }

  #rowOf(c: Candidate, cloud: CloudVerdict, own: string | undefined): Row {
    const row = { name: c.claimName, view: c.stateNode, claim: c.stateNode.nodeClaim, pool: c.pool, instanceType: c.instanceType, own, cloud };
    this.#byName.set(row.name, row);
    return row;
  }

  /**
   * Walks the tracked candidates in order and returns the drifted ones' reasons by claim name:
   * static drift, else the cloud's verdict of less than the recheck interval ago, else the cloud
   * is asked. Each cloud call is yielded as a promise, to be awaited and its answer sent back with
   * `next`, so a pass awaits only cloud calls. A failing cloud call counts as not drifted (and is
   * asked again next time).
   */
  *drifted(): Generator<Promise<string | undefined>, Map<string, string>, string | undefined> {
    const drifted = new Map<string, string>();
    for (const row of this.#rows) {
      if (row.own !== undefined) {
        drifted.set(row.name, row.own);
        continue;
      }
      if (!row.claim) continue;
      const now = this.#clock.now();
      const cloud = row.cloud;
      const reason = now - cloud.at < this.#recheckMs ? cloud.reason : yield this.#ask(cloud, row.claim, now);
      if (reason !== undefined) drifted.set(row.name, reason);
    }
    return drifted;
  }

  /** Asks the cloud about the claim and keeps its verdict. */
  async #ask(cloud: CloudVerdict, claim: NodeClaim, now: number): Promise<string | undefined> {
    try {
      const found = await this.#cloud.isDrifted(claim);
      const reason = found === undefined ? undefined : `${found}: the cloud provider reports the machine no longer matches its node class`;
      cloud.reason = reason;
      cloud.at = now;
      return reason;
    } catch {
      return undefined;
    }
  }
}
