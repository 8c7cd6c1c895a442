/**
 * The termination controllers wired to the cluster state: `node.termination` (queued by changes to
 * deleting Nodes and to the pods on them), `nodeclaim.termination` (queued by changes to deleting
 * claims and their Nodes) and the eviction queue they share.
 */
import type { StateChange } from '../../state/changes.js';
import type { ControllerContext } from '../context.js';
import { StateDrivenController } from '../nodeclaim/state-driven.js';
import type { Quiescent } from '../runtime/reconciler.js';
import { EvictionQueue } from './eviction-queue.js';
import { NodeTermination } from './node-termination.js';
import { NodeClaimTermination } from './nodeclaim-termination.js';

export interface TerminationControllerOptions {
  /** Nodes finalized at once (default 100). */
  nodeConcurrency?: number;
  /** NodeClaims finalized at once (default 100). */
  nodeClaimConcurrency?: number;
  /** Evictions at once (default 10). */
  evictionConcurrency?: number;
}

export class TerminationControllers implements Quiescent {
  readonly evictions: EvictionQueue;
  readonly node: StateDrivenController;
  readonly nodeClaim: StateDrivenController;

  constructor(ctx: ControllerContext, options: TerminationControllerOptions = {}) {
    this.evictions = new EvictionQueue(ctx, { concurrency: options.evictionConcurrency });
    const deletingNode = (name: string | undefined): boolean => {
      if (name === undefined) return false;
      // The record's Node alone is read: no view of the machine is built for every pod change.
      const node = ctx.state.machineRecord(name)?.node;
      return node?.metadata.name === name && node.metadata.deletionTimestamp !== undefined;
    };
    this.node = new StateDrivenController(new NodeTermination(ctx, this.evictions), ctx, {
      concurrency: options.nodeConcurrency ?? 100,
      keysFor: (c: StateChange) => {
        if (c.type === 'Node') return c.stateNode.node?.metadata.deletionTimestamp !== undefined && c.stateNode.nodeName ? [c.stateNode.nodeName] : [];
        if (c.type === 'Pod') {
          const names = new Set([c.pod.spec.nodeName, c.previous?.spec.nodeName]);
          return [...names].filter((n): n is string => deletingNode(n));
        }
        return [];
      },
      initialKeys: () => ctx.state.nodes().flatMap((n) => (n.node?.metadata.deletionTimestamp !== undefined && n.nodeName ? [n.nodeName] : [])),
    });
    this.nodeClaim = new StateDrivenController(new NodeClaimTermination(ctx), ctx, {
      concurrency: options.nodeClaimConcurrency ?? 100,
      keysFor: (c: StateChange) => (c.type === 'Node' && c.stateNode.nodeClaim?.metadata.deletionTimestamp !== undefined && c.stateNode.nodeClaimName
        ? [c.stateNode.nodeClaimName] : []),
      initialKeys: () => ctx.state.nodes().flatMap((n) => (n.nodeClaim?.metadata.deletionTimestamp !== undefined && n.nodeClaimName ? [n.nodeClaimName] : [])),
    });
  }

  start(): void {
    this.evictions.start();
    this.node.start();
    this.nodeClaim.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.node.stop(), this.nodeClaim.stop(), this.evictions.stop()]);
  }

  isIdle(horizonMs?: number): boolean {
    return this.node.isIdle(horizonMs) && this.nodeClaim.isIdle(horizonMs) && this.evictions.isIdle(horizonMs);
  }
}
