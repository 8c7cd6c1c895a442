/**
 * The kubelet side of the simulated cloud: once a machine has booted it registers its Node object
 * in the cluster, reports Ready a little later, and the Node goes away when the machine is gone
 * (as the cloud node lifecycle controller would delete it). Writes that fail are retried.
 */
import type { Node } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import type { KubeClient } from '../../kube/types.js';
import type { Clock } from '../../utils/clock.js';
import { formatKubeTime } from '../../utils/clock.js';
import { registeringNode } from '../registering-node.js';

const RETRY_MS = 5_000;
const MAX_ATTEMPTS = 12;

/**
 * The name the n-th machine's Node gets: its claim's name, or an EC2-style private DNS name
 * ("ip-10-0-1-0.us-east-1.compute.internal") unique per machine.
 */
export function machineNodeName(style: 'claim' | 'ip', claimName: string, seq: number, region: string | undefined): string {
  if (style === 'claim') return claimName;
  const n = seq + 255; // starts at 10.0.1.0: clear of the addresses a subnet reserves at its start
  return `ip-10-${(n >> 16) & 255}-${(n >> 8) & 255}-${n & 255}.${region ?? 'sim'}.compute.internal`;
}

/**
 * The Node a kubelet on this machine registers: the launched claim's labels (Karpenter passes them
 * as --node-labels) plus the hostname, the provider ID, the unregistered taint Karpenter's kubelet
 * configuration adds, the machine's capacity and allocatable, and Ready=False until it is ready.
 */
export function nodeForMachine(name: string, launched: NodeClaim, now: number): Node {
  return registeringNode(name, launched, now, { notReadyMessage: 'container runtime network not ready' });
}

export class SimKubelet {
  readonly #kube: KubeClient;
  readonly #clock: Clock;
  readonly #onProblem: (e: Error) => void;

  constructor(kube: KubeClient, clock: Clock, onProblem: (e: Error) => void) {
    this.#kube = kube;
    this.#clock = clock;
    this.#onProblem = onProblem;
  }

  /**
   * Creates the Node, retrying failed writes while `alive()`. If the machine died meanwhile the
   * Node is deleted again. Never throws: problems go to onProblem.
   * @returns whether the Node was created and the machine is still alive.
   */
  async register(node: Node, alive: () => boolean): Promise<boolean> {
    const name = node.metadata.name!;
    const created = await this.#retry(`registering node ${name}`, alive, async () => {
      await this.#kube.create('Node', node);
    }, (e) => isAlreadyExists(e));
    if (created && !alive()) {
      await this.remove(name);
      return false;
    }
    return created;
  }

  /** Sets the Node's Ready condition to True (a Node already gone is left alone). Never throws. */
  async markReady(name: string, alive: () => boolean): Promise<boolean> {
    return this.#retry(`marking node ${name} ready`, alive, async () => {
      await this.#kube.patchStatus('Node', name, {
        status: {
          conditions: [{
            type: 'Ready', status: 'True', reason: 'KubeletReady',
            message: 'kubelet is posting ready status', lastTransitionTime: formatKubeTime(this.#clock.now()),
          }],
        },
      }).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }, () => false);
  }

  /** Deletes the Node (finalizers, if any, still hold it until removed). Never throws. */
  async remove(name: string): Promise<void> {
    await this.#retry(`deleting node ${name} of a terminated machine`, () => true, async () => {
      await this.#kube.delete('Node', name).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }, () => false);
  }

  /**
   * Runs `write` until it succeeds, `alive()` turns false, it fails with an error `final` says not to
   * retry, or attempts run out; reports the last two cases.
   */
  async #retry(what: string, alive: () => boolean, write: () => Promise<void>, final: (e: unknown) => boolean): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (!alive()) return false;
      try {
        await write();
        return true;
      } catch (e) {
        if (final(e) || attempt >= MAX_ATTEMPTS) {
          this.#onProblem(new Error(`${what}: ${(e as Error).message}${final(e) ? '' : ` (gave up after ${attempt} attempts)`}`, { cause: e }));
          return false;
        }
      }
      await this.#clock.sleep(RETRY_MS);
    }
  }
}
