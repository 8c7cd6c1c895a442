/**
 * Full-stack harness for disruption and interruption (left out of the build): the embedded cluster
 * on the simulated cloud with every nodewright controller running (direct binding, so no
 * kube-scheduler is needed), a kubelet stand-in that reports bound pods Running and Ready, and a
 * ReplicaSet stand-in that recreates pods of a ReplicaSet when they are deleted (evicted).
 */
import type { Pod } from '../../../apis/core.js';
import type { NodePool } from '../../../apis/v1/types.js';
import { isNotFound } from '../../../kube/errors.js';
import { isActive, isTerminating } from '../../../state/pod-predicates.js';
import type { PodOptions } from '../../../test/builders.js';
import { nodePool, pod } from '../../../test/builders.js';
import type { TestEnv } from '../../../test/env.js';
import { makeTestEnv } from '../../../test/env.js';
import { formatKubeTime } from '../../../utils/clock.js';
import { simInterruptionSource } from '../../interruption/source.js';
import { NodewrightControllers } from '../../nodewright.js';
import type { Quiescent } from '../../runtime/reconciler.js';
import { whileStepping } from '../../nodeclaim/fixtures.js';
import { TEST_TYPES } from '../fixtures.js';

/** The simulated cloud (named through TestEnv: lint keeps controllers/ from importing sim/ folders). */
export type SimCloud = Extract<TestEnv['cloud'], { instances(): unknown }>;

/** Reports bound pods Running and Ready; recreates deleted ReplicaSet pods as new pending ones. */
class PodStandIns implements Quiescent {
  readonly errors: unknown[] = [];
  #busy = 0;
  #seq = 0;
  readonly #unsubscribe: () => void;

  constructor(readonly env: TestEnv) {
    this.#unsubscribe = env.state.subscribe((c) => {
      if (c.type !== 'Pod') return;
      const p = c.pod;
      if (c.deleted) {
        if (p.metadata.ownerReferences?.some((o) => o.kind === 'ReplicaSet')) this.#run(() => this.#recreate(p));
        return;
      }
      if (p.spec.nodeName && isActive(p) && p.status?.phase !== 'Running') this.#run(() => this.#start(p));
    });
  }

  isIdle(): boolean {
    return this.#busy === 0;
  }

  stop(): void {
    this.#unsubscribe();
  }

  #run(work: () => Promise<void>): void {
    this.#busy++;
    void work().catch((e: unknown) => {
      if (!isNotFound(e)) this.errors.push(e);
    }).finally(() => this.#busy--);
  }

  async #start(p: Pod): Promise<void> {
    const now = formatKubeTime(this.env.clock.now());
    await this.env.kube.patchStatus('Pod', p.metadata.name!, {
      status: { phase: 'Running', startTime: now, conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True', lastTransitionTime: now }] },
    }, p.metadata.namespace);
  }

  async #recreate(p: Pod): Promise<void> {
    const base = (p.metadata.labels?.['pod-template'] ?? p.metadata.name)!;
    await this.env.kube.create('Pod', {
      ...p,
      metadata: { name: `${base}-r${++this.#seq}`, namespace: p.metadata.namespace, labels: p.metadata.labels, annotations: p.metadata.annotations, ownerReferences: p.metadata.ownerReferences },
      spec: { ...p.spec, nodeName: undefined },
      status: undefined,
    });
  }
}

export interface FullStack {
  env: TestEnv;
  sim: SimCloud;
  controllers: NodewrightControllers;
  pods: PodStandIns;
  /** Creates pending pods (ReplicaSet-owned, so evictions recreate them). */
  addPods(n: number, o: PodOptions & { name: string }): Promise<void>;
  /** Pods that are Running, Ready and not terminating. */
  healthy(filter?: (p: Pod) => boolean): Pod[];
  settle(limitMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** Starts everything with one NodePool "default" (edit it with `pool`) and the sim cloud's defaults. */
export async function fullStack(o: { pool?: (np: NodePool) => void; interruptions?: boolean } = {}): Promise<FullStack> {
  const env = await makeTestEnv({ instanceTypes: TEST_TYPES, options: { binding: 'direct' } });
  const np = nodePool();
  o.pool?.(np);
  await env.kube.create('NodePool', np);
  await env.settle();
  const sim = env.cloud as SimCloud;
  const controllers = new NodewrightControllers(env.ctx, o.interruptions ? { interruptions: simInterruptionSource(sim) } : {});
  const pods = new PodStandIns(env);
  controllers.start();
  const targets = [controllers, pods];
  return {
    env, sim, controllers, pods,
    async addPods(n, p) {
      for (let i = 0; i < n; i++) {
        await env.kube.create('Pod', pod({ ...p, name: `${p.name}-${i}`, ownerKind: 'ReplicaSet', labels: { ...(p.labels ?? {}), 'pod-template': p.name } }));
      }
    },
    healthy: (filter = () => true) => {
      const out: Pod[] = [];
      for (const n of env.state.nodes()) {
        for (const p of n.pods) {
          if (filter(p) && !isTerminating(p) && p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) out.push(p);
        }
      }
      return out;
    },
    settle: (limitMs) => env.settle(targets, limitMs),
    async stop() {
      pods.stop();
      await whileStepping(env.clock, controllers.stop());
      await env.stop();
    },
  };
}
