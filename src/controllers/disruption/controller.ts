/**
 * The disruption controller: one pass every disruptionIntervalMs, one method acting per pass, in
 * Karpenter's order: emptiness, drift, multi-node consolidation, single-node consolidation.
 * Emptiness and consolidation commands are validated again after consolidationValidationMs before
 * they act; commands then run in the Orchestrator. Every decision is recorded, and so is every
 * reason a node is not disrupted (once per node and reason; see BlockedLog). Expiration runs beside
 * it in a loop of its own (ExpirationController), started and stopped with it.
 */
import type { StateNode } from '../../state/state-node.js';
import type { ControllerContext } from '../context.js';
import type { Quiescent } from '../runtime/reconciler.js';
import { Singleton } from '../runtime/singleton.js';
import type { ConsolidationSettings } from './consolidation.js';
import type { VerdictMemo } from './consolidation-methods.js';
import { ConsolidationOrder, multiNodeConsolidation, singleNodeConsolidation } from './consolidation-methods.js';
import { BlockedLog } from './decisions.js';
import { DriftDetector } from './drift-detection.js';
import { drift } from './drift.js';
import { emptiness } from './emptiness.js';
import { ExpirationController } from './expiration.js';
import type { MethodContext, MethodResult } from './method-context.js';
import type { OrchestratorOptions } from './orchestrator.js';
import { Orchestrator } from './orchestrator.js';
import { untaintDisrupted } from './node-taints.js';
import { preparePass } from './pass-state.js';
import type { PassState } from './pass-state.js';
import { BaseCarry } from './simulation-base.js';
import { PassRecorder } from './pass-recorder.js';
import type { CandidateMark, FreedRoom } from './room-epoch.js';
import { hasMark, markOf, RoomEpoch } from './room-epoch.js';
import type { Candidate, Command, MethodName, PoolInfo } from './types.js';
import { validateCommand } from './validation.js';

export interface DisruptionControllerOptions extends OrchestratorOptions {
  /** Replace spot nodes with cheaper spot nodes (Karpenter's SpotToSpotConsolidation gate); default false. */
  spotToSpotConsolidation?: boolean;
  /** Most NodeClaims single-node consolidation may replace one node with; default 1 (Karpenter). */
  consolidationMaxReplacements?: number;
  /** Multi-node search time limit on the Clock (default 1 min). */
  multiNodeTimeoutMs?: number;
  /** Single-node walk time limit (default 3 min). */
  singleNodeTimeoutMs?: number;
  /** How often the cloud is asked about one claim's drift (default 5 min). */
  driftRecheckMs?: number;
  /** A consolidation verdict (this node cannot go) is simulated again after this long whatever happened (default 5 min). */
  consolidatedTtlMs?: number;
  /**
   * A candidate turned down is not simulated again for this long when room was made on machines
   * where some of its pods would fit (default 1 min). In a busy cluster pods end somewhere every
   * few seconds; re-simulating every candidate each pass made consolidation most of the work.
   */
  verdictRecheckMs?: number;
}

/** What one pass did. */
export interface PassReport {
  readonly outcome: 'acted' | 'nothing' | 'validation-failed' | 'execute-failed' | 'not-synced';
  readonly method?: MethodName;
  readonly command?: Command;
  readonly replacements?: readonly string[];
  readonly reason?: string;
}

export const METHOD_ORDER: readonly MethodName[] = ['emptiness', 'drift', 'multi-node-consolidation', 'single-node-consolidation'];

export class DisruptionController implements Quiescent {
  readonly name = 'disruption';
  readonly orchestrator: Orchestrator;
  readonly expiration: ExpirationController;
  readonly #ctx: ControllerContext;
  readonly #o: Required<Omit<DisruptionControllerOptions, keyof OrchestratorOptions>>;
  readonly #singleton: Singleton;
  readonly #drift: DriftDetector;
  readonly #recorder: PassRecorder;
  /**
   * Multi-node consolidation found nothing: not tried again for verdictRecheckMs while nothing made
   * room anywhere and the offerings and pools are the same. Candidates, their pods and the budgets
   * change after nearly every event in a busy cluster, and the search simulates up to 100 machines
   * about eight times; single-node consolidation still looks every pass.
   */
  #multiMemo: { key: string; at: number; epoch: number } | undefined;
  /**
   * Why single-node consolidation turned candidates down, kept while the offerings and pools are the
   * same, the candidate's own pods are (CandidateMark), nothing made room anywhere, none of its
   * pods fits where room was made (RoomEpoch) or the verdict is younger than verdictRecheckMs, and
   * the verdict is younger than consolidatedTtlMs.
   */
  #singleVerdicts: { key: string; pools: readonly PoolInfo[]; verdicts: SingleVerdicts } | undefined;
  readonly #room = new RoomEpoch();
  /** Both consolidation methods' candidate order, started from the last pass's. */
  readonly #order = new ConsolidationOrder();
  /** What each pass's and validation's simulation base carries from the one before. */
  readonly #carry = new BaseCarry();
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext, options: DisruptionControllerOptions = {}) {
    this.#ctx = ctx;
    this.#o = {
      spotToSpotConsolidation: options.spotToSpotConsolidation ?? false,
      consolidationMaxReplacements: options.consolidationMaxReplacements ?? 1,
      multiNodeTimeoutMs: options.multiNodeTimeoutMs ?? 60_000,
      singleNodeTimeoutMs: options.singleNodeTimeoutMs ?? 180_000,
      driftRecheckMs: options.driftRecheckMs ?? 5 * 60_000,
      consolidatedTtlMs: options.consolidatedTtlMs ?? 5 * 60_000,
      verdictRecheckMs: options.verdictRecheckMs ?? 60_000,
    };
    this.orchestrator = new Orchestrator(ctx, options);
    this.expiration = new ExpirationController(ctx);
    this.#drift = new DriftDetector(ctx.cloud, ctx.clock, this.#o.driftRecheckMs);
    this.#recorder = new PassRecorder(ctx, new BlockedLog((d) => ctx.decisions.record(d)));
    this.#subscribe();
    this.#singleton = new Singleton({ name: this.name, reconcile: async () => void (await this.runPass()) }, {
      clock: ctx.clock,
      intervalMs: ctx.options.disruptionIntervalMs,
      onError: (e) => ctx.log.error({ error: e.message }, 'disruption: pass failed'),
    });
  }

  /** Starts the orchestrator, the disruption loop and the expiration loop. */
  start(): void {
    this.#subscribe();
    this.orchestrator.start();
    this.#singleton.start();
    this.expiration.start();
  }

  async stop(): Promise<void> {
    await this.expiration.stop();
    await this.#singleton.stop();
    await this.orchestrator.stop();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #subscribe(): void {
    this.#unsubscribe ??= this.#ctx.state.subscribe((c) => this.#room.observe(c));
  }

  /** Runs a pass as soon as possible. */
  trigger(): void {
    this.#singleton.trigger();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#singleton.isIdle(horizonMs) && this.orchestrator.isIdle(horizonMs) && this.expiration.isIdle(horizonMs);
  }

  /**
   * One pass: find a command (first method that has one), validate it after the validation delay
   * where the method calls for it, execute it. Never throws for cluster content.
   */
  async runPass(): Promise<PassReport> {
    const ctx = this.#ctx;
    if (!ctx.state.synced) return { outcome: 'not-synced' };
    let pass = await preparePass(ctx, this.#carry);
    await this.#untaintStale(pass);
    const found = await this.findCommand(pass);
    if (!found) return { outcome: 'nothing' };
    let command = found.command;
    if (command.method !== 'drift') {
      await ctx.clock.sleep(ctx.options.consolidationValidationMs);
      pass = await preparePass(ctx, this.#carry);
      const verdict = validateCommand(command, pass, this.#settings());
      if ('abort' in verdict) {
        this.#recorder.validationFailed(command, verdict.abort);
        return { outcome: 'validation-failed', method: command.method, command, reason: verdict.abort };
      }
      command = verdict.command;
    }
    try {
      const replacements = await this.orchestrator.execute(command, pass.pools);
      this.#multiMemo = undefined; // the cluster is about to change shape: look again next pass
      return { outcome: 'acted', method: command.method, command, replacements };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.#recorder.executeFailed(command, reason);
      return { outcome: 'execute-failed', method: command.method, command, reason };
    }
  }

  /**
   * The first method's command for this pass state, recording what blocked the others. Exposed for
   * the benchmark, which times exactly this (the compute part of a pass).
   */
  async findCommand(pass: PassState): Promise<{ command: Command } | undefined> {
    const ctx = this.#ctx;
    this.#recorder.scanned(pass);
    this.#drift.track(pass.scan.candidates);
    for (const method of METHOD_ORDER) {
      let result: MethodResult;
      switch (method) {
        case 'emptiness':
          result = emptiness(this.#methodContext(pass, 0));
          break;
        case 'drift': {
          // Nearly always known at once: the pass awaits only the cloud calls the walk yields.
          const walk = this.#drift.drifted();
          let step = walk.next();
          while (step.done !== true) step = walk.next(await step.value);
          result = drift(this.#methodContext(pass, this.#o.singleNodeTimeoutMs), step.value);
          break;
        }
        case 'multi-node-consolidation': {
          const key = this.#multiKey(pass);
          const memo = this.#multiMemo;
          const now = ctx.clock.now();
          if (memo && memo.key === key && !this.#room.globalSince(memo.epoch) && now - memo.at < this.#o.verdictRecheckMs) continue;
          result = multiNodeConsolidation(this.#methodContext(pass, this.#o.multiNodeTimeoutMs), this.#order);
          this.#multiMemo = result.command || result.timedOut ? undefined : { key, at: now, epoch: this.#room.value };
          break;
        }
        case 'single-node-consolidation':
          result = singleNodeConsolidation(this.#methodContext(pass, this.#o.singleNodeTimeoutMs), this.#order, this.#verdictsFor(pass));
          break;
      }
      this.#recorder.methodResult(method, result, pass);
      if (result.command) return { command: result.command };
    }
    return undefined;
  }

  /**
   * Nodes left tainted karpenter.sh/disrupted by a command that no longer runs (a restart, a leader
   * change) would never be candidates again: a managed node with the taint that is neither marked
   * for deletion nor deleting gets it removed. Failures are logged and tried again next pass.
   */
  async #untaintStale(pass: PassState): Promise<void> {
    const ctx = this.#ctx;
    for (const n of pass.snapshot.stateNodes) {
      if (!n.managed || !n.disrupted || n.markedForDeletion || n.nodeName === undefined) continue;
      try {
        await untaintDisrupted(ctx.kube, n.nodeName);
        ctx.log.info({ node: n.nodeName }, 'disruption: removed a disrupted taint no running command owns');
      } catch (e) {
        ctx.log.warn({ node: n.nodeName, error: String(e) }, 'disruption: removing a stale disrupted taint failed');
      }
    }
  }

  #settings(): ConsolidationSettings {
    return { spotToSpot: this.#o.spotToSpotConsolidation, maxReplacements: this.#o.consolidationMaxReplacements };
  }

  #methodContext(pass: PassState, timeoutMs: number): MethodContext {
    const clock = this.#ctx.clock;
    return {
      now: pass.now,
      candidates: pass.scan.candidates,
      budgets: (reason) => pass.budgets(reason),
      base: () => pass.base(),
      settings: this.#settings(),
      deadline: clock.now() + timeoutMs,
      nowMs: () => clock.now(),
    };
  }

  /** The single-node verdicts still valid for the pass (see #singleVerdicts). */
  #verdictsFor(pass: PassState): VerdictMemo {
    const pools = [...pass.pools.values()];
    const key = `${this.#ctx.unavailableOfferings.generation}`;
    let v = this.#singleVerdicts;
    if (!v || v.key !== key || v.pools.length !== pools.length || !v.pools.every((p, i) => p === pools[i])) {
      v = this.#singleVerdicts = { key, pools, verdicts: new SingleVerdicts(this.#room, this.#o.consolidatedTtlMs, this.#o.verdictRecheckMs) };
    }
    return v.verdicts.memo(this.#ctx.clock.now(), pass.snapshot.stateNodes, pass.snapshot.machinesVersion);
  }

  /** What multi-node consolidation's answer depends on besides room, pods and candidates: the offerings and pools. */
  #multiKey(pass: PassState): string {
    return `${this.#ctx.unavailableOfferings.generation}/${[...pass.pools.keys()].join(',')}`;
  }
}

/** Why a candidate could not be consolidated, and against what it was decided. */
interface Verdict {
  readonly mark: CandidateMark;
  readonly reason: string;
  readonly at: number;
  /** The RoomEpoch value it was last checked at. */
  epoch: number;
  /**
   * A machine view and pool the candidate had the mark in: a candidate with both has it (its
   * price, stability and pods follow from them), so most checks need no mark read.
   */
  view: StateNode;
  pool: PoolInfo;
}

/**
 * Single-node consolidation's verdicts by claim name, for one set of offerings and pools: a verdict
 * holds while the candidate's own pods are the same (CandidateMark), nothing made room anywhere,
 * none of its pods fits where room was made (RoomEpoch) or it is younger than recheckMs, and it is
 * younger than ttlMs. A disruption pass asks about most of a thousand machines; each pass only
 * reads their epochs: the verdicts are kept in the order they were made, so expired ones are the
 * first, and they are checked against room made anywhere only when some was made since the last check.
 */
export class SingleVerdicts {
  /** By claim name, in the order they were made (made again: moved to the end), so `at` ascends. */
  readonly #verdicts = new Map<string, Verdict>();
  readonly #room: RoomEpoch;
  readonly #ttlMs: number;
  readonly #recheckMs: number;
  /** The room epoch at the last check of every verdict against room made anywhere. */
  #checkedAt: number;

  constructor(room: RoomEpoch, ttlMs: number, recheckMs: number) {
    this.#room = room;
    this.#ttlMs = ttlMs;
    this.#recheckMs = recheckMs;
    this.#checkedAt = room.value;
  }

  /**
   * The memo for a pass at `now` over the snapshot's `nodes` (and its machines version). Drops the
   * verdicts that no longer hold whatever the candidate, and lets the RoomEpoch forget room made
   * up to the oldest verdict's epoch (the answers only read later room).
   */
  memo(now: number, nodes: readonly StateNode[], machinesVersion: number | undefined): VerdictMemo {
    const verdicts = this.#verdicts;
    const room = this.#room;
    for (const [name, e] of verdicts) {
      if (now - e.at < this.#ttlMs) break;
      verdicts.delete(name);
    }
    if (room.globalSince(this.#checkedAt)) this.#dropGlobal();
    let oldest = room.value;
    for (const e of verdicts.values()) if (e.epoch < oldest) oldest = e.epoch;
    room.forgetUpTo(oldest);
    // Built on first need: the walk runs without yielding, so no change arrives while it is in use.
    let freed: FreedRoom | undefined;
    const stillHolds = (c: Candidate, e: Verdict): boolean => {
      // Expired ones left behind the first live one (a clock that stepped back) do not hold either.
      if (now - e.at >= this.#ttlMs) return false;
      if (c.stateNode !== e.view || c.pool !== e.pool) {
        if (!hasMark(c, e.mark)) return false;
        e.view = c.stateNode;
        e.pool = c.pool;
      }
      if (now - e.at < this.#recheckMs) return true;
      freed ??= room.freedRoom(nodes, machinesVersion);
      if (freed.fitsSince(e.epoch, c.reschedulablePods, c.nodeName)) return false;
      e.epoch = room.value; // checked against all room made so far
      return true;
    };
    return {
      get: (c) => {
        const e = verdicts.get(c.claimName);
        return e && stillHolds(c, e) ? e.reason : undefined;
      },
      set: (c, reason) => {
        verdicts.delete(c.claimName);
        verdicts.set(c.claimName, { mark: markOf(c), reason, at: now, epoch: room.value, view: c.stateNode, pool: c.pool });
      },
    };
  }

  /** Drops the verdicts checked before room was last made anywhere. */
  #dropGlobal(): void {
    const room = this.#room;
    for (const [name, e] of this.#verdicts) if (room.globalSince(e.epoch)) this.#verdicts.delete(name);
    this.#checkedAt = room.value;
  }
}
