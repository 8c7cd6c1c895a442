/**
 * KwokCloudProvider: machines that are only Node objects, on a real cluster (or the memory API
 * server), for tests and demos. A launch picks the cheapest offering of the kwok catalogue as any
 * provider would and, after the registration delay, creates the Node (kwok.ts in node.ts); the
 * machine is that Node from then on: get/list/delete read and delete Nodes by label and annotation.
 * Until it registers, the launch is held in memory; `recover()` rebuilds such launches after a
 * restart from the NodeClaims that name a kwok provider ID but have no Node yet.
 */
import type { Node } from '../../apis/core.js';
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import { parseKubeTime } from '../../utils/clock.js';
import { kwokCatalog } from '../catalog/kwok.js';
import type { CloudProvider } from '../cloud-provider.js';
import { CloudProviderError, NodeClaimNotFoundError } from '../cloud-provider.js';
import { launchCandidates, launchedClaim } from '../launch.js';
import type { InstanceType } from '../types.js';
import { UnavailableOfferings } from '../unavailable-offerings.js';
import {
  claimFromKwokNode, isKwokNodeOf, KWOK_CLUSTER_LABEL, KWOK_IMAGE_ID, kwokNode, kwokProviderID, parseKwokProviderID,
} from './node.js';

export const KWOK_DEFAULT_REGISTRATION_DELAY_MS = 5_000;
const RETRY_MS = 5_000;
const MAX_ATTEMPTS = 12;

export interface KwokCloudProviderOptions {
  kube: KubeClient;
  clock: Clock;
  /** Scopes list() and labels the Nodes. */
  clusterName: string;
  /** From launch to the Node appearing (default 5 s). */
  registrationDelayMs?: number;
  /** Default kwokCatalog(). */
  instanceTypes?: readonly InstanceType[];
  unavailableOfferingTtlMs?: number;
  /** Told about Node writes that failed for good (the launch then never registers). */
  onProblem?: (error: Error) => void;
}

/** A launch whose Node is not created yet. */
interface Pending {
  readonly launched: NodeClaim;
  readonly node: Node;
  cancel: () => void;
  /** Set by delete: drop the launch, or delete the Node if its creation is already in flight. */
  cancelled: boolean;
}

export class KwokCloudProvider implements CloudProvider {
  readonly name = 'kwok';
  readonly unavailableOfferings: UnavailableOfferings;
  readonly #kube: KubeClient;
  readonly #clock: Clock;
  readonly #cluster: string;
  readonly #delayMs: number;
  readonly #types: readonly InstanceType[];
  readonly #onProblem: (error: Error) => void;
  /** Node name (= claim name) → launch waiting to register. */
  readonly #pending = new Map<string, Pending>();
  /** Claim name → create in progress, so concurrent retries get the same machine. */
  readonly #creating = new Map<string, Promise<NodeClaim>>();

  /** @throws RangeError for a negative or non-finite registration delay. */
  constructor(o: KwokCloudProviderOptions) {
    const delay = o.registrationDelayMs ?? KWOK_DEFAULT_REGISTRATION_DELAY_MS;
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new RangeError(`kwok registration delay must be a finite number of ms >= 0, got ${delay}`);
    this.#kube = o.kube;
    this.#clock = o.clock;
    this.#cluster = o.clusterName;
    this.#delayMs = delay;
    this.#types = o.instanceTypes ?? kwokCatalog();
    this.#onProblem = o.onProblem ?? (() => undefined);
    this.unavailableOfferings = new UnavailableOfferings(o.clock, { ttlMs: o.unavailableOfferingTtlMs });
  }

  /** Launches not yet registered. */
  get pendingRegistrations(): number {
    return [...this.#pending.values()].filter((p) => !p.cancelled).length;
  }

  /**
   * See CloudProvider.create. The Node appears after the registration delay; a claim whose Node
   * exists (or is pending) gets that machine back.
   * @throws InsufficientCapacityError when no offering fits the claim; CloudProviderError when a
   *   Node of that name exists but is not a kwok node of this cluster, or the API server fails.
   */
  async create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const name = nodeClaim.metadata.name;
    if (!name) throw new CloudProviderError('launching a nodeclaim without metadata.name: kwok nodes are named after their claim');
    let creating = this.#creating.get(name);
    if (!creating) {
      creating = this.#create(nodeClaim, name).finally(() => this.#creating.delete(name));
      this.#creating.set(name, creating);
    }
    return structuredClone(await creating);
  }

  async #create(claim: NodeClaim, name: string): Promise<NodeClaim> {
    const what = `launching nodeclaim ${name}`;
    const pending = this.#pending.get(name);
    if (pending && !pending.cancelled) return pending.launched;
    const existing = await this.#getNode(name, what);
    if (existing) {
      if (!isKwokNodeOf(existing, this.#cluster)) throw new CloudProviderError(`${what}: Node ${name} exists and is not a kwok node of cluster ${this.#cluster}`);
      return claimFromKwokNode(existing);
    }
    const best = launchCandidates(claim, this.unavailableOfferings.apply(this.#types))[0]!;
    const launched = launchedClaim(claim, best, { providerID: kwokProviderID(best.offering.zone, name), imageID: KWOK_IMAGE_ID });
    this.#schedule(launched, this.#delayMs);
    return launched;
  }

  /**
   * See CloudProvider.delete: a pending launch is dropped; a registered machine's Node is deleted
   * (finalizers on it, if any, still hold it until removed).
   * @throws NodeClaimNotFoundError when there is no such machine (any more); CloudProviderError.
   */
  async delete(nodeClaim: NodeClaim): Promise<void> {
    const providerID = nodeClaim.status?.providerID;
    const what = `deleting nodeclaim ${nodeClaim.metadata.name ?? '<unnamed>'}`;
    const name = providerID ? parseKwokProviderID(providerID)?.name : nodeClaim.metadata.name;
    if (!name) this.#gone(what, providerID ?? '(no providerID)');
    const pending = this.#pending.get(name);
    if (pending && !pending.cancelled && (!providerID || pending.launched.status?.providerID === providerID)) {
      pending.cancelled = true;
      pending.cancel();
      return;
    }
    const node = await this.#getNode(name, what);
    if (!node || !isKwokNodeOf(node, this.#cluster) || (providerID && node.spec?.providerID !== providerID)) this.#gone(what, providerID ?? name);
    // A kwok machine is its Node: once the Node is being deleted the machine is gone, even while a
    // finalizer (termination's own) still holds the object.
    if (node.metadata.deletionTimestamp) this.#gone(what, providerID ?? name);
    try {
      await this.#kube.delete('Node', name, undefined, { preconditions: { uid: node.metadata.uid } });
    } catch (e) {
      // Conflict: the uid differs, so the Node we read is gone and another took its name.
      if (isNotFound(e) || isConflict(e)) this.#gone(what, providerID ?? name);
      throw new CloudProviderError(`${what}: ${(e as Error).message}`, { retryable: true, cause: e });
    }
  }

  /** See CloudProvider.get. @throws NodeClaimNotFoundError, CloudProviderError. */
  async get(providerID: string): Promise<NodeClaim> {
    const what = `getting machine ${providerID}`;
    const parsed = parseKwokProviderID(providerID);
    if (!parsed) this.#gone(what, providerID);
    const pending = this.#pending.get(parsed.name);
    if (pending && !pending.cancelled && pending.launched.status?.providerID === providerID) return structuredClone(pending.launched);
    const node = await this.#getNode(parsed.name, what);
    if (!node || !isKwokNodeOf(node, this.#cluster) || node.spec?.providerID !== providerID || node.metadata.deletionTimestamp) this.#gone(what, providerID);
    return claimFromKwokNode(node);
  }

  /** Pending launches and the kwok Nodes of this cluster (terminating ones included). */
  async list(): Promise<NodeClaim[]> {
    let nodes: Node[];
    try {
      nodes = (await this.#kube.list('Node', { labelSelector: { matchLabels: { [KWOK_CLUSTER_LABEL]: this.#cluster } } })).items;
    } catch (e) {
      throw new CloudProviderError(`listing kwok machines: ${(e as Error).message}`, { retryable: true, cause: e });
    }
    const out = new Map<string, NodeClaim>();
    for (const [name, p] of this.#pending) if (!p.cancelled) out.set(name, structuredClone(p.launched));
    for (const node of nodes) if (isKwokNodeOf(node, this.#cluster)) out.set(node.metadata.name!, claimFromKwokNode(node));
    return [...out.values()];
  }

  async getInstanceTypes(_nodePool: NodePool): Promise<InstanceType[]> {
    return Promise.resolve(this.unavailableOfferings.apply(this.#types));
  }

  /** Kwok machines never drift. @throws NodeClaimNotFoundError when the machine is gone. */
  async isDrifted(nodeClaim: NodeClaim): Promise<string | undefined> {
    await this.get(nodeClaim.status?.providerID ?? '');
    return undefined;
  }

  /**
   * After a restart: schedules the registration of every claim that names a kwok provider ID of
   * this provider's format, is not being deleted, has capacity recorded, never registered and has no Node, at its
   * launch time (Launched condition, else creation) plus the delay. Returns how many were resumed.
   * @throws CloudProviderError when the claims or Nodes cannot be listed.
   */
  async recover(): Promise<number> {
    let claims: NodeClaim[];
    let nodes: Node[];
    try {
      claims = (await this.#kube.list('NodeClaim')).items;
      nodes = (await this.#kube.list('Node')).items;
    } catch (e) {
      throw new CloudProviderError(`resuming kwok launches: ${(e as Error).message}`, { retryable: true, cause: e });
    }
    const existing = new Set(nodes.map((n) => n.metadata.name));
    let resumed = 0;
    for (const claim of claims) {
      const parsed = parseKwokProviderID(claim.status?.providerID ?? '');
      const name = claim.metadata.name;
      if (!parsed || !name || parsed.name !== name || claim.metadata.deletionTimestamp || !claim.status?.capacity) continue;
      // A claim that registered once and lost its Node is the lifecycle controller's to handle.
      if (claim.status.nodeName || claim.status.conditions?.some((c) => c.type === 'Registered' && c.status === 'True')) continue;
      if (existing.has(name) || this.#pending.has(name)) continue;
      const launchedAt = claim.status.conditions?.find((c) => c.type === 'Launched' && c.status === 'True')?.lastTransitionTime
        ?? claim.metadata.creationTimestamp;
      const since = launchedAt ? this.#clock.now() - parseKubeTime(launchedAt) : 0;
      this.#schedule({ ...structuredClone(claim), status: { ...claim.status, imageID: KWOK_IMAGE_ID } }, this.#delayMs - since);
      resumed++;
    }
    return resumed;
  }

  /** Cancels every pending registration (their Nodes are not created). */
  close(): void {
    for (const p of this.#pending.values()) {
      p.cancelled = true;
      p.cancel();
    }
    this.#pending.clear();
  }

  #schedule(launched: NodeClaim, delayMs: number): void {
    const name = launched.metadata.name!;
    const p: Pending = { launched, node: kwokNode(launched, this.#cluster, this.#clock.now()), cancel: () => undefined, cancelled: false };
    p.cancel = this.#clock.setTimer(delayMs, () => void this.#register(name, p));
    this.#pending.set(name, p);
  }

  /** Creates the Node, retrying failures; deletes it again if the launch was cancelled meanwhile. Never throws. */
  async #register(name: string, p: Pending): Promise<void> {
    let created = false;
    for (let attempt = 1; !p.cancelled; attempt++) {
      try {
        await this.#kube.create('Node', p.node);
        created = true;
        break;
      } catch (e) {
        if (isAlreadyExists(e)) {
          created = await this.#isSameMachine(name, p);
          if (!created) this.#onProblem(new CloudProviderError(`registering kwok node ${name}: a different Node of that name exists`, { cause: e }));
          break;
        }
        if (attempt >= MAX_ATTEMPTS) {
          this.#onProblem(new CloudProviderError(`registering kwok node ${name}: ${(e as Error).message} (gave up after ${attempt} attempts)`, { cause: e }));
          break;
        }
      }
      await this.#clock.sleep(RETRY_MS);
    }
    if (this.#pending.get(name) === p) this.#pending.delete(name);
    if (created && p.cancelled) {
      await this.#kube.delete('Node', name).catch((e: unknown) => {
        if (!isNotFound(e)) this.#onProblem(new CloudProviderError(`deleting kwok node ${name} of a cancelled launch: ${(e as Error).message}`, { cause: e }));
      });
    }
  }

  /** Whether the Node of that name is this launch's (a create whose reply was lost). */
  async #isSameMachine(name: string, p: Pending): Promise<boolean> {
    const node = await this.#kube.get('Node', name).catch(() => undefined);
    return node !== undefined && isKwokNodeOf(node, this.#cluster) && node.spec?.providerID === p.node.spec?.providerID;
  }

  async #getNode(name: string, what: string): Promise<Node | undefined> {
    try {
      return await this.#kube.get('Node', name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw new CloudProviderError(`${what}: ${(e as Error).message}`, { retryable: true, cause: e });
    }
  }

  #gone(what: string, machine: string): never {
    throw new NodeClaimNotFoundError(`${what}: kwok machine ${machine} not found (deleted or never launched)`);
  }
}
