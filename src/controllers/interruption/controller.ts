/**
 * The interruption controller: for each notice that a machine is about to go, mark its spot
 * offering unavailable (so nothing new launches into the capacity being reclaimed), launch the
 * NodeClaims its pods need elsewhere, then delete its NodeClaim (termination taints and drains
 * it), recording an 'interruption' decision. Rebalance recommendations are recorded, not acted on.
 */
import { keyOf } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, CAPACITY_TYPE_SPOT, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { isNotFound } from '../../kube/errors.js';
import { isReschedulable } from '../../state/pod-predicates.js';
import type { StateNode } from '../../state/state-node.js';
import type { ControllerContext } from '../context.js';
import { Controller } from '../runtime/controller.js';
import type { Quiescent } from '../runtime/reconciler.js';
import { describeReplacements, usd } from '../disruption/format.js';
import { findOffering, loadPools } from '../disruption/pools.js';
import { replacementOf } from '../disruption/replacement-options.js';
import { createReplacements } from '../disruption/replacement-claim.js';
import { SimulationBase } from '../disruption/simulation-base.js';
import { describeFailures, simulate } from '../disruption/simulation.js';
import type { LeavingNode, Replacement } from '../disruption/types.js';
import { replacementsPrice } from '../disruption/types.js';
import type { InterruptionMessage, InterruptionSource } from './source.js';

export class InterruptionController implements Quiescent {
  readonly name = 'interruption';
  readonly #ctx: ControllerContext;
  readonly #source: InterruptionSource;
  readonly #controller: Controller;
  /** providerID → the notice to act on. */
  readonly #pending = new Map<string, InterruptionMessage>();
  /** providerID → replacements already launched (a retry after a failed delete must not launch again). */
  readonly #launched = new Map<string, { names: string[]; replacements: Replacement[]; unplaced: string | undefined }>();
  #unsubscribe: (() => void) | undefined;

  constructor(ctx: ControllerContext, source: InterruptionSource) {
    this.#ctx = ctx;
    this.#source = source;
    this.#controller = new Controller({ name: this.name, reconcile: (id) => this.#reconcile(id) }, {
      clock: ctx.clock,
      onError: (e) => ctx.log.warn({ error: e.message }, 'interruption: handling a notice failed; retrying'),
    });
  }

  start(): void {
    this.#unsubscribe ??= this.#source.subscribe((m) => {
      this.#pending.set(m.providerID, m);
      this.#controller.enqueue(m.providerID);
    });
    this.#controller.start();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#controller.stop();
  }

  isIdle(horizonMs = 0): boolean {
    return this.#controller.isIdle(horizonMs);
  }

  /** @throws DisruptionError or API errors (the notice is retried with backoff). */
  async #reconcile(providerID: string): Promise<void> {
    const ctx = this.#ctx;
    const message = this.#pending.get(providerID);
    if (!message) return;
    const node = ctx.state.nodeByProviderID(providerID);
    if (message.kind === 'RebalanceRecommendation') {
      ctx.decisions.record({
        time: ctx.clock.now(), kind: 'interruption', summary: `rebalance recommendation for ${node?.name ?? providerID}: no action`,
        why: 'a rebalance recommendation only says spot capacity is at risk; the machine is replaced if an interruption notice follows',
        nodes: node ? [node.name] : undefined, nodePool: node?.nodePool,
      });
      this.#pending.delete(providerID);
      return;
    }
    if (!node || !node.managed || node.nodeClaimName === undefined || node.deleting) {
      ctx.log.debug({ providerID, kind: message.kind }, 'interruption: no live nodeclaim for this machine; nothing to do');
      this.#pending.delete(providerID);
      return;
    }
    const isSpot = node.labels[CAPACITY_TYPE_LABEL] === CAPACITY_TYPE_SPOT;
    const instanceType = node.labels[INSTANCE_TYPE_LABEL];
    const zone = node.labels[ZONE_LABEL];
    if (message.kind === 'SpotInterruption' && isSpot && instanceType !== undefined && zone !== undefined) {
      ctx.unavailableOfferings.mark({ instanceType, zone, capacityType: CAPACITY_TYPE_SPOT });
    }
    let launched = this.#launched.get(providerID);
    if (!launched) {
      launched = await this.#launchReplacements(node);
      this.#launched.set(providerID, launched);
    }
    ctx.state.markForDeletion(...[node.nodeName, node.nodeClaimName].filter((n): n is string => n !== undefined));
    try {
      await ctx.kube.delete('NodeClaim', node.nodeClaimName);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const pools = await loadPools(ctx);
    const pool = node.nodePool === undefined ? undefined : pools.get(node.nodePool);
    const before = pool ? findOffering(pool, instanceType, zone, node.labels[CAPACITY_TYPE_LABEL])?.price : undefined;
    const notice = message.terminateAt !== undefined ? `; the machine goes at ${new Date(message.terminateAt).toISOString()}` : '';
    ctx.decisions.record({
      time: ctx.clock.now(),
      kind: 'interruption',
      summary: `${message.kind} of node ${node.name}: ${launched.names.length === 0 ? 'its pods fit on existing nodes' : `launched ${launched.names.join(', ')}`}, deleting nodeclaim ${node.nodeClaimName}`,
      why: `the ${this.#source.name} interruption source gave notice at ${new Date(message.noticeAt).toISOString()}${notice}. `
        + (message.kind === 'SpotInterruption' && isSpot ? `Offering ${instanceType ?? '?'}/${zone ?? '?'}/spot is marked unavailable. ` : '')
        + (launched.replacements.length > 0 ? `Replacements first, so its pods have somewhere to go: ${describeReplacements(launched.replacements)}. ` : '')
        + (before !== undefined ? `It cost ${usd(before)}.` : ''),
      alternativesRejected: launched.unplaced ? [{ option: 'a place for every pod', reason: launched.unplaced }] : undefined,
      costPerHourBefore: before,
      costPerHourAfter: replacementsPrice(launched.replacements),
      nodes: [node.name, ...launched.names],
      pods: node.pods.filter(isReschedulable).map(keyOf),
      nodePool: node.nodePool,
    });
    this.#pending.delete(providerID);
    this.#launched.delete(providerID);
  }

  async #launchReplacements(node: StateNode): Promise<{ names: string[]; replacements: Replacement[]; unplaced: string | undefined }> {
    const ctx = this.#ctx;
    const pools = await loadPools(ctx);
    const snapshot = ctx.state.snapshot();
    const view = snapshot.stateNodes.find((n) => n.id === node.id) ?? node;
    const leaving: LeavingNode = {
      nodeName: view.nodeName ?? view.name, claimName: view.nodeClaimName, nodePoolName: view.nodePool,
      capacity: view.capacity, reschedulablePods: view.pods.filter(isReschedulable),
    };
    if (leaving.reschedulablePods.length === 0) return { names: [], replacements: [], unplaced: undefined };
    const pending = ctx.options.binding === 'direct' ? snapshot.unboundPods : snapshot.pendingPods;
    const base = new SimulationBase({ snapshot, pools, pending, candidatePods: leaving.reschedulablePods, options: { ignorePreferences: ctx.options.ignorePreferences } });
    const sim = simulate(base, [leaving]);
    const replacements = sim.newClaims.map(replacementOf);
    const names = await createReplacements(ctx, replacements, pools, ctx.clock.now() + ctx.options.registrationTimeoutMs);
    return { names, replacements, unplaced: sim.failures.length > 0 ? describeFailures(sim.failures) : undefined };
  }
}
