/**
 * FakeCloudProvider: an in-memory cloud for controller tests. Machines exist from the moment create
 * returns until delete; every call is recorded for assertions; any method can be made to fail once
 * or always. No delays: each call settles at once.
 */
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import type { Clock } from '../../utils/clock.js';
import { VirtualClock } from '../../utils/clock.js';
import type { CloudProvider } from '../cloud-provider.js';
import { CloudProviderError, InsufficientCapacityError, NodeClaimNotFoundError } from '../cloud-provider.js';
import { launchCandidates, launchedClaim } from '../launch.js';
import type { InstanceType } from '../types.js';
import { UnavailableOfferings } from '../unavailable-offerings.js';
import { InjectedErrors } from './injected-errors.js';

export type FakeMethod = 'create' | 'delete' | 'get' | 'list' | 'getInstanceTypes' | 'isDrifted';

/** A call's method and a deep copy of its argument as it was at call time. */
export type FakeCallArgs =
  | { readonly method: 'create'; readonly nodeClaim: NodeClaim }
  | { readonly method: 'delete'; readonly nodeClaim: NodeClaim }
  | { readonly method: 'isDrifted'; readonly nodeClaim: NodeClaim }
  | { readonly method: 'get'; readonly providerID: string }
  | { readonly method: 'list' }
  | { readonly method: 'getInstanceTypes'; readonly nodePool: NodePool };

/** A recorded call, stamped with the clock's time. */
export type FakeCall = FakeCallArgs & { readonly at: number };

export interface FakeCloudProviderOptions {
  /** The catalogue; default none (set it with setInstanceTypes). */
  instanceTypes?: readonly InstanceType[];
  /** Stamps calls and ages the unavailable-offerings cache; default a VirtualClock nobody steps. */
  clock?: Clock;
  /** Default "fake". */
  name?: string;
  /** Default "fake-image-1". */
  imageID?: string;
  /** Region label for launched machines whose type has none. */
  region?: string;
}

/** Runs `fn` now; its result or exception as a settled promise. */
function settle<T>(fn: () => T): Promise<T> {
  // The executor turns a throw into a rejection.
  return new Promise<T>((resolve) => resolve(fn()));
}

export class FakeCloudProvider implements CloudProvider {
  readonly name: string;
  /** Offerings that failed with an injected InsufficientCapacityError; applied to getInstanceTypes and create. */
  readonly unavailableOfferings: UnavailableOfferings;
  readonly #clock: Clock;
  readonly #imageID: string;
  readonly #region: string | undefined;
  readonly #errors = new InjectedErrors<FakeMethod>();
  readonly #calls: FakeCall[] = [];
  /** providerID → launched claim, for machines not deleted. */
  readonly #machines = new Map<string, NodeClaim>();
  /** claim name → providerID of its live machine. */
  readonly #byClaim = new Map<string, string>();
  readonly #drifted = new Map<string, string>();
  #instanceTypes: readonly InstanceType[];
  #launches = 0;

  constructor(options: FakeCloudProviderOptions = {}) {
    this.name = options.name ?? 'fake';
    this.#clock = options.clock ?? new VirtualClock();
    this.#imageID = options.imageID ?? 'fake-image-1';
    this.#region = options.region;
    this.#instanceTypes = options.instanceTypes ?? [];
    this.unavailableOfferings = new UnavailableOfferings(this.#clock);
  }

  /** Every call so far, oldest first. */
  get calls(): readonly FakeCall[] {
    return this.#calls;
  }

  /** The recorded calls of one method. */
  callsTo<M extends FakeMethod>(method: M): Extract<FakeCall, { method: M }>[] {
    return this.#calls.filter((c): c is Extract<FakeCall, { method: M }> => c.method === method);
  }

  /** The next `times` calls of `method` reject with `error` (recorded, with no other effect). */
  failNext(method: FakeMethod, error: Error, times = 1): void {
    this.#errors.failNext(method, error, times);
  }

  /** Every call of `method` rejects with `error` until clearFailures. */
  failAlways(method: FakeMethod, error: Error): void {
    this.#errors.failAlways(method, error);
  }

  clearFailures(method?: FakeMethod): void {
    this.#errors.clear(method);
  }

  setInstanceTypes(types: readonly InstanceType[]): void {
    this.#instanceTypes = types;
  }

  /** isDrifted answers `reason` for this machine (undefined: not drifted). */
  setDrifted(providerID: string, reason: string | undefined): void {
    if (reason === undefined) this.#drifted.delete(providerID);
    else this.#drifted.set(providerID, reason);
  }

  /** The live machines (copies), in launch order. */
  machines(): NodeClaim[] {
    return [...this.#machines.values()].map((m) => structuredClone(m));
  }

  /** Makes a machine vanish without a delete call, as if terminated outside nodewright. @returns whether it existed. */
  vanish(providerID: string): boolean {
    const m = this.#machines.get(providerID);
    if (!m) return false;
    this.#remove(providerID, m);
    return true;
  }

  /** Forgets machines, calls, injected errors, drift and unavailable offerings (keeps the catalogue). */
  reset(): void {
    this.#calls.length = 0;
    this.#machines.clear();
    this.#byClaim.clear();
    this.#drifted.clear();
    this.#errors.clear();
    this.unavailableOfferings.clear();
  }

  /** See CloudProvider.create. A machine that already exists for the claim's name is returned again. */
  create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    return settle(() => this.#create(nodeClaim));
  }

  #create(nodeClaim: NodeClaim): NodeClaim {
    this.#record({ method: 'create', nodeClaim: structuredClone(nodeClaim) });
    const name = nodeClaim.metadata.name;
    const injected = this.#errors.take('create');
    if (injected) {
      if (injected instanceof InsufficientCapacityError) this.unavailableOfferings.markAll(injected.offerings);
      throw injected;
    }
    if (!name) throw new CloudProviderError('launching a nodeclaim without metadata.name: the fake keys machines by claim name');
    const existing = this.#byClaim.get(name);
    if (existing !== undefined) return structuredClone(this.#machines.get(existing)!);
    const [best] = launchCandidates(nodeClaim, this.#instanceTypes, {
      isUnavailable: (t, z, ct) => this.unavailableOfferings.isUnavailable(t, z, ct),
    });
    const providerID = `fake://${best!.offering.zone}/i-${(++this.#launches).toString(16).padStart(8, '0')}`;
    const launched = launchedClaim(nodeClaim, best!, { providerID, imageID: this.#imageID, region: this.#region });
    launched.metadata.creationTimestamp ??= this.#clock.nowIso();
    this.#machines.set(providerID, launched);
    this.#byClaim.set(name, providerID);
    return structuredClone(launched);
  }

  /** See CloudProvider.delete: by status.providerID, else the machine launched for the claim's name. */
  delete(nodeClaim: NodeClaim): Promise<void> {
    return settle(() => this.#delete(nodeClaim));
  }

  #delete(nodeClaim: NodeClaim): void {
    this.#record({ method: 'delete', nodeClaim: structuredClone(nodeClaim) });
    this.#throwInjected('delete');
    const providerID = nodeClaim.status?.providerID ?? this.#byClaim.get(nodeClaim.metadata.name ?? '');
    const machine = providerID === undefined ? undefined : this.#machines.get(providerID);
    if (providerID === undefined || machine === undefined) {
      throw new NodeClaimNotFoundError(`deleting nodeclaim ${nodeClaim.metadata.name ?? '<unnamed>'}: no machine ${providerID ?? 'launched for it'}`);
    }
    this.#remove(providerID, machine);
  }

  get(providerID: string): Promise<NodeClaim> {
    return settle(() => this.#get(providerID));
  }

  #get(providerID: string): NodeClaim {
    this.#record({ method: 'get', providerID });
    this.#throwInjected('get');
    const machine = this.#machines.get(providerID);
    if (!machine) throw new NodeClaimNotFoundError(`getting machine ${providerID}: not found`);
    return structuredClone(machine);
  }

  list(): Promise<NodeClaim[]> {
    return settle(() => this.#list());
  }

  #list(): NodeClaim[] {
    this.#record({ method: 'list' });
    this.#throwInjected('list');
    return this.machines();
  }

  /** The catalogue with offerings in the unavailable-offerings cache marked unavailable. */
  getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]> {
    return settle(() => this.#getInstanceTypes(nodePool));
  }

  #getInstanceTypes(nodePool: NodePool): InstanceType[] {
    this.#record({ method: 'getInstanceTypes', nodePool: structuredClone(nodePool) });
    this.#throwInjected('getInstanceTypes');
    return this.unavailableOfferings.apply(this.#instanceTypes);
  }

  isDrifted(nodeClaim: NodeClaim): Promise<string | undefined> {
    return settle(() => this.#isDrifted(nodeClaim));
  }

  #isDrifted(nodeClaim: NodeClaim): string | undefined {
    this.#record({ method: 'isDrifted', nodeClaim: structuredClone(nodeClaim) });
    this.#throwInjected('isDrifted');
    const providerID = nodeClaim.status?.providerID;
    return providerID === undefined ? undefined : this.#drifted.get(providerID);
  }

  #record(call: FakeCallArgs): void {
    this.#calls.push({ ...call, at: this.#clock.now() });
  }

  #throwInjected(method: FakeMethod): void {
    const e = this.#errors.take(method);
    if (e) throw e;
  }

  #remove(providerID: string, machine: NodeClaim): void {
    this.#machines.delete(providerID);
    this.#drifted.delete(providerID);
    const name = machine.metadata.name;
    if (name !== undefined && this.#byClaim.get(name) === providerID) this.#byClaim.delete(name);
  }
}
