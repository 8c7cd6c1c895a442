/**
 * The initialization phase, and the claim's Ready condition: a registered claim is initialised once
 * its Node is Ready, carries none of the claim's startup taints nor the known ephemeral taints, and
 * has every resource the claim requested allocatable (extended resources appear only once their
 * device plugin runs). The Node is then labelled karpenter.sh/initialized=true.
 */
import type { Node } from '../../apis/core.js';
import { INITIALIZED_LABEL, KNOWN_EPHEMERAL_TAINTS, sameTaint } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import { formatTaint } from '../../scheduling/taints.js';
import { resourcesFromQuantities } from '../../utils/resources.js';
import type { ControllerContext } from '../context.js';
import type { ConditionUpdate } from './conditions.js';
import { isConditionTrue } from './conditions.js';
import { patchClaimStatus } from './object-writes.js';
import type { PhaseResult } from './phase.js';
import { proceed, stop } from './phase.js';

/** Why the Node is not initialised yet. */
export interface InitializationBlocker {
  readonly reason: 'NodeNotReady' | 'StartupTaintsExist' | 'KnownEphemeralTaintsExist' | 'ResourceNotRegistered';
  readonly message: string;
}

interface NodeReady {
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
}

function nodeReady(node: Node): NodeReady {
  const c = node.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? { status: c.status, reason: c.reason, message: c.message } : { status: 'Unknown', reason: 'NodeStatusNeverUpdated' };
}

function allocatable(node: Node): Record<string, number> {
  try {
    return resourcesFromQuantities(node.status?.allocatable);
  } catch {
    return {};
  }
}

/** The first thing keeping the Node from being initialised for this claim, or undefined when nothing does. */
export function initializationBlocker(node: Node, claim: NodeClaim): InitializationBlocker | undefined {
  const ready = nodeReady(node);
  if (ready.status !== 'True') return { reason: 'NodeNotReady', message: `node is not ready (${ready.reason ?? ready.status})` };
  const taints = node.spec?.taints ?? [];
  const startup = (claim.spec.startupTaints ?? []).find((t) => taints.some((x) => sameTaint(x, t)));
  if (startup) return { reason: 'StartupTaintsExist', message: `startup taint ${formatTaint(startup)} is still on the node` };
  const ephemeral = KNOWN_EPHEMERAL_TAINTS.find((t) => taints.some((x) => sameTaint(x, t)));
  if (ephemeral) return { reason: 'KnownEphemeralTaintsExist', message: `taint ${formatTaint(ephemeral)} is still on the node` };
  let requests: Record<string, number>;
  try {
    requests = resourcesFromQuantities(claim.spec.resources?.requests);
  } catch {
    requests = {};
  }
  const have = allocatable(node);
  const missing = Object.keys(requests).sort().find((r) => (requests[r] ?? 0) > 0 && !((have[r] ?? 0) > 0));
  if (missing !== undefined) return { reason: 'ResourceNotRegistered', message: `requested resource ${missing} is not allocatable on the node yet` };
  return undefined;
}

/** The claim's Ready condition: the Node's own Ready status, reason and message. */
export function readyCondition(node: Node): ConditionUpdate {
  const ready = nodeReady(node);
  const reason = ready.status === 'True' ? 'NodeReady' : ready.status === 'False' ? 'NodeNotReady' : 'NodeStatusUnknown';
  return { type: ConditionTypes.Ready, status: ready.status, reason, message: ready.message ?? '' };
}

export class InitializationPhase {
  readonly #ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.#ctx = ctx;
  }

  /**
   * Initialises the registered claim once its Node allows, and mirrors the Node's Ready condition.
   * @throws KubeError (Conflict on a stale claim; the caller retries with backoff).
   */
  async reconcile(claim: NodeClaim): Promise<PhaseResult> {
    const providerID = claim.status?.providerID;
    const node = providerID ? this.#ctx.state.nodeByProviderID(providerID)?.node : undefined;
    if (!node) return stop();
    const updates: ConditionUpdate[] = [readyCondition(node)];
    let initializedNow = false;
    if (!isConditionTrue(claim, ConditionTypes.Initialized)) {
      const blocker = initializationBlocker(node, claim);
      if (blocker) {
        updates.push({ type: ConditionTypes.Initialized, status: 'Unknown', reason: blocker.reason, message: blocker.message });
      } else {
        if (node.metadata.labels?.[INITIALIZED_LABEL] !== 'true') {
          await this.#ctx.kube.patch('Node', node.metadata.name ?? '', { metadata: { labels: { [INITIALIZED_LABEL]: 'true' } } });
        }
        updates.push({ type: ConditionTypes.Initialized, status: 'True' });
        initializedNow = true;
      }
    }
    const written = await patchClaimStatus(this.#ctx.kube, claim, this.#ctx.clock.now(), updates);
    if (!written) return stop();
    if (initializedNow) this.#ctx.log.info({ nodeclaim: claim.metadata.name, node: node.metadata.name }, 'initialized nodeclaim');
    return proceed(written);
  }
}
