/**
 * Test fixtures for the lifecycle, termination and garbage collection controllers: a NodeClaim
 * builder, a small catalogue, and `waitFor`, which steps virtual time from timer to timer until a
 * condition holds (controllers that requeue periodically never become idle, so `settle` alone
 * cannot say "until the node is gone").
 */
import type { Taint } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, NODEPOOL_LABEL } from '../../apis/labels.js';
import type { NodeClaim, NodeSelectorRequirementWithMinValues } from '../../apis/v1/types.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { instanceType } from '../../test/builders.js';
import type { VirtualClock } from '../../utils/clock.js';

/** Two on-demand types in zones a, b and c: "small" (2 cpu, $0.10/h) and "large" (8 cpu, $0.40/h). */
export function testCatalog(): InstanceType[] {
  return [
    instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1 }),
    instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4 }),
  ];
}

export interface NodeClaimOptions {
  name?: string;
  pool?: string;
  /** Instance types allowed (default small and large). */
  types?: string[];
  requirements?: NodeSelectorRequirementWithMinValues[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  startupTaints?: Taint[];
  requests?: Record<string, string>;
  terminationGracePeriod?: string;
}

let seq = 0;

/** A NodeClaim as provisioning would create it (no status, no finalizer). */
export function nodeClaim(o: NodeClaimOptions = {}): NodeClaim {
  const pool = o.pool ?? 'default';
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: {
      name: o.name ?? `${pool}-${++seq}`,
      labels: { [NODEPOOL_LABEL]: pool, ...(o.labels ?? {}) },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      requirements: o.requirements ?? [
        { key: INSTANCE_TYPE_LABEL, operator: 'In', values: o.types ?? ['small', 'large'] },
        { key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['on-demand'] },
      ],
      nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
      ...(o.taints ? { taints: o.taints } : {}),
      ...(o.startupTaints ? { startupTaints: o.startupTaints } : {}),
      ...(o.requests ? { resources: { requests: o.requests } } : {}),
      ...(o.terminationGracePeriod ? { terminationGracePeriod: o.terminationGracePeriod } : {}),
    },
  };
}

/**
 * Steps the clock from timer to timer until `condition()` holds, and returns the virtual time it
 * took. @throws Error naming `what` when it does not hold within `limitMs` (default 1 h) or when
 * nothing is left to wait for.
 */
export async function waitFor(clock: VirtualClock, what: string, condition: () => boolean, limitMs = 3_600_000): Promise<number> {
  const start = clock.now();
  const deadline = start + limitMs;
  let stalls = 0;
  for (;;) {
    await clock.step(0);
    if (condition()) return clock.now() - start;
    const next = clock.nextTimerAt();
    if (next === undefined) {
      if (++stalls > 50) throw new Error(`waiting for ${what}: nothing left to happen`);
      continue;
    }
    stalls = 0;
    if (next > deadline) throw new Error(`waiting for ${what}: not true after ${limitMs} ms of virtual time`);
    await clock.advanceTo(next);
  }
}

/**
 * Awaits `stopping` (controllers stopping) while stepping the clock: a reconcile waiting on the
 * clock (a cloud call timing out) can only end, and let its controller stop, if time moves.
 */
export async function whileStepping(clock: VirtualClock, stopping: Promise<unknown>, limitMs = 3_600_000): Promise<void> {
  let done = false;
  const watched = stopping.finally(() => {
    done = true;
  });
  await waitFor(clock, 'controllers to stop', () => done, limitMs);
  await watched;
}
