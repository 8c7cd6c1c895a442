/**
 * SimCloudProvider: the embedded cloud of the simulator, on an injected Clock. Machines boot after a
 * launch delay, register their Node in the cluster after a registration delay and report Ready a
 * little later; offerings run out of capacity in scheduled windows; spot machines get interrupted
 * with two minutes' notice; API calls fault at a seeded rate; every machine's launch, termination
 * and price is kept so the simulator can total the cost. Deterministic for a seed and call order.
 */
import type { NodeClaim, NodePool } from '../../apis/v1/types.js';
import type { Clock } from '../../utils/clock.js';
import { Random } from '../../utils/random.js';
import type { CloudProvider } from '../cloud-provider.js';
import { CloudProviderError, NodeClaimNotFoundError } from '../cloud-provider.js';
import { launchedClaim } from '../launch.js';
import type { InstanceType } from '../types.js';
import { UnavailableOfferings } from '../unavailable-offerings.js';
import { ApiFaults } from './api-faults.js';
import type { CapacityWindow } from './capacity-windows.js';
import { CapacityWindows } from './capacity-windows.js';
import { cloneData, frozenCopy } from './clone.js';
import { sampleDelay } from './delay.js';
import { fleetChoice } from './fleet.js';
import type { SimInstanceRecord } from './instances.js';
import { costUntil, hourlyCostAt } from './instances.js';
import type { InterruptionListener, ScheduledInterruption } from './interruptions.js';
import { InterruptionNotifier, pickVictims, SPOT_INTERRUPTION_NOTICE_MS } from './interruptions.js';
import { machineNodeName, nodeForMachine, SimKubelet } from './kubelet.js';
import type { SimCloudProviderOptions } from './options.js';
import { checkSimOptions, SIM_DEFAULTS } from './options.js';

/** The drift reason for a machine booted from an image other than the current one. */
export const SIM_IMAGE_DRIFT = 'ImageDrift';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Machine extends Mutable<SimInstanceRecord> {
  seq: number;
  /** The launched claim (never modified in place); dropped once terminated. */
  claim: NodeClaim | undefined;
  /** A deep-frozen copy of `claim` that list() hands out, made at the first list. */
  listed: NodeClaim | undefined;
  /** Settles when the machine is running (while pending). */
  booting: Promise<Machine> | undefined;
  /** Timers to cancel at termination. */
  readonly cancels: (() => void)[];
}

const MAX_PROBLEMS = 100;

export class SimCloudProvider implements CloudProvider {
  readonly name = 'sim';
  /** Offerings that ran out of capacity recently; applied to getInstanceTypes and create. */
  readonly unavailableOfferings: UnavailableOfferings;
  readonly #o: SimCloudProviderOptions;
  readonly #clock: Clock;
  readonly #random: Record<'launch' | 'registration' | 'ready' | 'failure' | 'interruption' | 'scheduled', Random>;
  readonly #faults: ApiFaults;
  readonly #windows = new CapacityWindows();
  readonly #notifier = new InterruptionNotifier();
  readonly #kubelet: SimKubelet | undefined;
  readonly #machines: Machine[] = [];
  /**
   * #machines less those terminated at or before #billedFrom, in the same order: what the hourly
   * cost at any time from #billedFrom on is summed over (the metrics ask every few seconds).
   */
  #billable: Machine[] = [];
  #billedFrom = -Infinity;
  /** How many times a machine started or stopped being billed, and when it last did. */
  #billing = { changes: 0, lastAt: -Infinity };
  /** The hourly cost at a time at or after the last start or stop, and how many there had been. */
  #hourly: { changes: number; total: number } | undefined;
  readonly #byProviderID = new Map<string, Machine>();
  /** claim name → its machine, until terminated. */
  readonly #live = new Map<string, Machine>();
  readonly #problems: Error[] = [];
  #imageID: string;

  /** @throws RangeError for an invalid option (see checkSimOptions, ApiFaults, CapacityWindows). */
  constructor(options: SimCloudProviderOptions) {
    checkSimOptions(options);
    this.#o = options;
    this.#clock = options.clock;
    const root = new Random(options.seed ?? 1);
    this.#random = {
      launch: root.fork('launch-delay'), registration: root.fork('registration-delay'), ready: root.fork('ready-delay'),
      failure: root.fork('registration-failure'), interruption: root.fork('spot-interruption'), scheduled: root.fork('scheduled-interruption'),
    };
    this.#faults = new ApiFaults(options.apiFaults, root.fork('api-faults'));
    this.unavailableOfferings = new UnavailableOfferings(this.#clock, { ttlMs: options.unavailableOfferingTtlMs });
    this.#imageID = options.imageID ?? SIM_DEFAULTS.imageID;
    if (options.kube) this.#kubelet = new SimKubelet(options.kube, this.#clock, (e) => this.#problem(e));
    for (const w of options.capacityWindows ?? []) this.addCapacityWindow(w);
    for (const s of options.scheduledInterruptions ?? []) this.scheduleInterruption(s);
  }

  // Control surface for scenarios and tests.

  /** Launches on matching offerings fail with insufficient capacity during the window. @throws RangeError for a bad window. */
  addCapacityWindow(window: CapacityWindow): void {
    this.#windows.prune(this.#clock.now());
    this.#windows.add(window);
  }

  /** Interrupts running spot machines at `s.at` (now, if past). @throws RangeError for a bad count. */
  scheduleInterruption(s: ScheduledInterruption): void {
    const count = s.count ?? 1;
    if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`scheduled interruption count must be a positive integer, got ${count}`);
    this.#clock.setTimer(s.at - this.#clock.now(), () => {
      const candidates = [...this.#live.values()].filter((m) => m.state === 'running' && m.capacityType === 'spot'
        && m.interruptedAt === undefined && (s.instanceType === undefined || m.instanceType === s.instanceType)
        && (s.zone === undefined || m.zone === s.zone)).sort((a, b) => a.seq - b.seq);
      for (const m of pickVictims(candidates, count, this.#random.scheduled)) this.interrupt(m.providerID);
    });
  }

  /**
   * Sends a spot interruption notice for the machine to every subscriber now and reclaims it
   * SPOT_INTERRUPTION_NOTICE_MS later. @returns false (and does nothing) unless it is running and
   * not already interrupted. @throws what a subscriber throws (after all were called).
   */
  interrupt(providerID: string): boolean {
    const m = this.#byProviderID.get(providerID);
    if (!m || m.state !== 'running' || m.interruptedAt !== undefined) return false;
    const now = this.#clock.now();
    m.interruptedAt = now;
    m.cancels.push(this.#clock.setTimer(SPOT_INTERRUPTION_NOTICE_MS, () => this.#terminate(m)));
    this.#notifier.emit({
      kind: 'SpotInterruption', providerID, instanceId: m.id, claimName: m.claimName, nodeName: m.nodeName,
      noticeAt: now, terminateAt: now + SPOT_INTERRUPTION_NOTICE_MS,
    });
    return true;
  }

  /** Calls `listener` with every interruption notice. @returns a function that unsubscribes. */
  onInterruption(listener: InterruptionListener): () => void {
    return this.#notifier.subscribe(listener);
  }

  /** New machines boot `imageID`; machines on another image report SIM_IMAGE_DRIFT. */
  setImage(imageID: string): void {
    this.#imageID = imageID;
  }

  /** Every machine ever requested, oldest first, as snapshots. */
  instances(): SimInstanceRecord[] {
    return this.#machines.map(({ seq: _s, claim: _c, listed: _l, booting: _b, cancels: _x, ...record }) => record);
  }

  /** USD spent on machines from their launch up to `t` (default now). */
  costUntil(t: number = this.#clock.now()): number {
    return costUntil(this.#machines, t);
  }

  /** USD per hour of the machines running at `t` (default now). */
  hourlyCostAt(t: number = this.#clock.now()): number {
    if (!(t >= this.#billedFrom)) return hourlyCostAt(this.#machines, t);
    // From the last start or stop of billing on, the same machines are billed until the next one.
    const settled = t >= this.#billing.lastAt;
    if (settled && this.#hourly?.changes === this.#billing.changes) return this.#hourly.total;
    // Machines terminated by `t` add nothing at `t` or later; the rest are summed in the same order.
    this.#billable = this.#billable.filter((m) => m.terminatedAt === undefined || m.terminatedAt > t);
    this.#billedFrom = t;
    const total = hourlyCostAt(this.#billable, t);
    if (settled) this.#hourly = { changes: this.#billing.changes, total };
    return total;
  }

  /** Node writes that failed for good (newest last, at most 100). */
  problems(): readonly Error[] {
    return [...this.#problems];
  }

  // CloudProvider.

  /**
   * See CloudProvider.create. Tries the claim's offerings cheapest first, as a fleet request does:
   * those in a capacity window are marked unavailable and skipped; the first other one launches.
   * A claim whose machine exists (or is booting) gets that machine back.
   * @throws InsufficientCapacityError with the offerings tried when all lacked capacity;
   *   CloudProviderError for an injected API fault (a timed-out create may still launch).
   */
  async create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const name = nodeClaim.metadata.name;
    if (!name) throw new CloudProviderError('launching a nodeclaim without metadata.name: machines are tagged with the claim name');
    const what = `launching nodeclaim ${name}`;
    const fault = this.#faults.check('create', what);
    const existing = this.#live.get(name);
    const booting = existing ? (existing.booting ?? Promise.resolve(existing)) : this.#request(nodeClaim, name).booting!;
    if (fault === 'timeout') await this.#faults.timeOut(this.#clock, what);
    const m = await booting;
    return cloneData(m.claim ?? this.#gone(what, m.providerID));
  }

  /**
   * See CloudProvider.delete: by status.providerID, else the machine launched for the claim's name
   * (waiting for it to boot). The machine shuts down and, after the shutdown delay, is terminated
   * and its Node deleted. Deleting a machine already shutting down does nothing more.
   */
  async delete(nodeClaim: NodeClaim): Promise<void> {
    const providerID = nodeClaim.status?.providerID;
    const what = `deleting nodeclaim ${nodeClaim.metadata.name ?? '<unnamed>'}`;
    const fault = this.#faults.check('delete', what);
    const found = providerID ? this.#byProviderID.get(providerID) : this.#live.get(nodeClaim.metadata.name ?? '');
    if (!found || found.state === 'terminated') this.#gone(what, providerID ?? 'launched for it');
    const m = await (found.booting ?? found);
    this.#terminate(m);
    if (fault === 'timeout') await this.#faults.timeOut(this.#clock, what);
  }

  async get(providerID: string): Promise<NodeClaim> {
    const what = `getting machine ${providerID}`;
    await this.#faults.checkNow(this.#clock, 'get', what);
    const m = this.#byProviderID.get(providerID);
    return cloneData(m?.claim ?? this.#gone(what, providerID));
  }

  /**
   * See CloudProvider.list. The claims are deep-frozen and shared between calls (the garbage
   * collector lists every machine each sweep and only reads them): modifying one throws.
   */
  async list(): Promise<NodeClaim[]> {
    await this.#faults.checkNow(this.#clock, 'list', 'listing machines');
    return [...this.#live.values()].map((m) => (m.listed ??= frozenCopy(m.claim!)));
  }

  /** The catalogue with offerings recently out of capacity marked unavailable (capacity windows are not visible in advance). */
  async getInstanceTypes(_nodePool: NodePool): Promise<InstanceType[]> {
    await this.#faults.checkNow(this.#clock, 'getInstanceTypes', 'listing instance types');
    return this.unavailableOfferings.apply(this.#o.instanceTypes);
  }

  /** SIM_IMAGE_DRIFT when the machine booted an image other than the current one. @throws NodeClaimNotFoundError. */
  async isDrifted(nodeClaim: NodeClaim): Promise<string | undefined> {
    const providerID = nodeClaim.status?.providerID ?? '';
    const what = `checking drift of nodeclaim ${nodeClaim.metadata.name ?? '<unnamed>'}`;
    await this.#faults.checkNow(this.#clock, 'isDrifted', what);
    const m = this.#byProviderID.get(providerID);
    if (!m || m.state === 'terminated') this.#gone(what, providerID || '(no providerID)');
    return m.imageID === this.#imageID ? undefined : SIM_IMAGE_DRIFT;
  }

  // Internals.

  /** Picks the offering and starts the machine booting. @throws InsufficientCapacityError. */
  #request(claim: NodeClaim, name: string): Machine {
    const now = this.#clock.now();
    const chosen = fleetChoice(claim, name, {
      instanceTypes: this.#o.instanceTypes, unavailable: this.unavailableOfferings, windows: this.#windows, now,
      maxInstanceTypes: this.#o.maxInstanceTypesPerLaunch ?? SIM_DEFAULTS.maxInstanceTypesPerLaunch,
    });
    const seq = this.#machines.length + 1;
    const id = `i-${seq.toString(16).padStart(17, '0')}`;
    const providerID = `sim://${chosen.offering.zone}/${id}`;
    const m: Machine = {
      seq, id, providerID, claimName: name, nodeName: machineNodeName(this.#o.nodeNames ?? 'claim', name, seq, this.#o.region),
      instanceType: chosen.instanceType.name, zone: chosen.offering.zone, capacityType: chosen.offering.capacityType,
      price: chosen.offering.price, imageID: this.#imageID, state: 'pending', requestedAt: now, registers: true,
      claim: launchedClaim(claim, chosen, { providerID, imageID: this.#imageID, region: this.#o.region }),
      listed: undefined, booting: undefined, cancels: [],
    };
    m.registers = !this.#neverRegisters(m);
    // Every draw for the machine happens now, in request order, so runs replay exactly.
    const launchMs = sampleDelay(this.#o.launchDelay ?? SIM_DEFAULTS.launchDelay, this.#random.launch);
    const registrationMs = sampleDelay(this.#o.registrationDelay ?? SIM_DEFAULTS.registrationDelay, this.#random.registration);
    const readyMs = sampleDelay(this.#o.readyDelay ?? SIM_DEFAULTS.readyDelay, this.#random.ready);
    const rate = this.#o.spotInterruptionRatePerHour ?? 0;
    const interruptAfterMs = m.capacityType === 'spot' && rate > 0 ? this.#random.interruption.exponential(3_600_000 / rate) : undefined;
    m.booting = this.#clock.sleep(launchMs).then(() => {
      this.#boot(m, registrationMs, readyMs, interruptAfterMs);
      return m;
    });
    this.#machines.push(m);
    this.#billable.push(m);
    this.#byProviderID.set(providerID, m);
    this.#live.set(name, m);
    return m;
  }

  #boot(m: Machine, registrationMs: number, readyMs: number, interruptAfterMs: number | undefined): void {
    m.state = 'running';
    m.launchedAt = this.#clock.now();
    this.#billingChanged(m.launchedAt);
    m.booting = undefined;
    const kubelet = this.#kubelet;
    if (kubelet && m.registers) {
      const alive = (): boolean => m.state === 'running';
      m.cancels.push(this.#clock.setTimer(registrationMs, () => void kubelet.register(nodeForMachine(m.nodeName, m.claim!, this.#clock.now()), alive).then((ok) => {
        if (!ok) return;
        m.registeredAt = this.#clock.now();
        m.cancels.push(this.#clock.setTimer(readyMs, () => void kubelet.markReady(m.nodeName, alive).then((ready) => {
          if (ready) m.readyAt = this.#clock.now();
        })));
      })));
    }
    if (interruptAfterMs !== undefined) m.cancels.push(this.#clock.setTimer(interruptAfterMs, () => void this.interrupt(m.providerID)));
  }

  /** Starts shutting the machine down (no-op unless running). */
  #terminate(m: Machine): void {
    if (m.state !== 'running') return;
    m.state = 'shutting-down';
    m.terminationRequestedAt = this.#clock.now();
    for (const cancel of m.cancels.splice(0)) cancel();
    this.#clock.setTimer(this.#o.shutdownDelayMs ?? SIM_DEFAULTS.shutdownDelayMs, () => {
      m.state = 'terminated';
      m.terminatedAt = this.#clock.now();
      this.#billingChanged(m.terminatedAt);
      m.claim = undefined;
      m.listed = undefined;
      if (this.#live.get(m.claimName) === m) this.#live.delete(m.claimName);
      if (this.#kubelet && m.registeredAt !== undefined) void this.#kubelet.remove(m.nodeName);
    });
  }

  #billingChanged(at: number): void {
    this.#billing.changes++;
    this.#billing.lastAt = Math.max(this.#billing.lastAt, at);
  }

  #neverRegisters(m: SimInstanceRecord): boolean {
    const failure = this.#o.registrationFailure;
    if (failure === undefined) return false;
    return typeof failure === 'number' ? failure > 0 && this.#random.failure.bool(failure) : failure(m);
  }

  #gone(what: string, machine: string): never {
    throw new NodeClaimNotFoundError(`${what}: machine ${machine} not found (terminated or never launched)`);
  }

  #problem(e: Error): void {
    this.#problems.push(e);
    if (this.#problems.length > MAX_PROBLEMS) this.#problems.shift();
  }
}
