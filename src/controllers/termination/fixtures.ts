/**
 * Test harness shared by the termination and garbage collection tests (fixtures.ts: left out of
 * the build): an embedded cluster with the lifecycle and termination controllers running,
 * and helpers to launch a node and put running pods on it.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { ConditionTypes } from '../../apis/v1/types.js';
import type { TestEnv, TestEnvOptions } from '../../test/env.js';
import { makeTestEnv } from '../../test/env.js';
import { pod } from '../../test/builders.js';
import type { PodOptions } from '../../test/builders.js';
import type { ControllerContext } from '../context.js';
import { isConditionTrue } from '../nodeclaim/conditions.js';
import type { NodeClaimOptions } from '../nodeclaim/fixtures.js';
import { nodeClaim, testCatalog, waitFor, whileStepping } from '../nodeclaim/fixtures.js';
import { nodeClaimLifecycleController } from '../nodeclaim/lifecycle.js';
import type { StateDrivenController } from '../nodeclaim/state-driven.js';
import { TerminationControllers } from './termination-controllers.js';

/** The simulated cloud (named through TestEnv: lint keeps controllers/ from importing any sim/ folder). */
export type SimCloud = Extract<TestEnv['cloud'], { instances(): unknown }>;

export interface Harness {
  env: TestEnv;
  /** The context the controllers run with. */
  ctx: ControllerContext;
  sim: SimCloud;
  lifecycle: StateDrivenController;
  termination: TerminationControllers;
  /** The claim as the cache has it, if it exists. */
  claim(name: string): NodeClaim | undefined;
  /** Creates a claim and waits until it is initialised; returns its Node's name. */
  launch(o: NodeClaimOptions & { name: string }): Promise<string>;
  /** Creates a pod bound to the node, Running and Ready. */
  runningPod(nodeName: string, o: PodOptions & { priorityClassName?: string; graceSeconds?: number }): Promise<Pod>;
  /** Waits until the claim, its Node and its machine are all gone. */
  waitGone(claimName: string, nodeName: string | undefined, limitMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the embedded cluster and the controllers. `override` replaces parts of the controllers'
 * context (a wrapped cloud or client, to count or fail calls); the env keeps the originals.
 */
export async function harness(o: TestEnvOptions = {}, override: (env: TestEnv) => Partial<ControllerContext> = () => ({})): Promise<Harness> {
  const env = await makeTestEnv({ instanceTypes: testCatalog(), ...o });
  const ctx: ControllerContext = { ...env.ctx, ...override(env) };
  const lifecycle = nodeClaimLifecycleController(ctx);
  const termination = new TerminationControllers(ctx);
  lifecycle.start();
  termination.start();
  const sim = env.cloud as SimCloud;
  const claim = (name: string): NodeClaim | undefined => {
    const sn = env.state.node(name);
    return sn?.nodeClaimName === name ? sn.nodeClaim : undefined;
  };
  return {
    env,
    ctx,
    sim,
    lifecycle,
    termination,
    claim,
    async launch(opts) {
      await env.kube.create('NodeClaim', nodeClaim(opts));
      await waitFor(env.clock, `${opts.name} initialised`, () => isConditionTrue(claim(opts.name), ConditionTypes.Initialized));
      return claim(opts.name)!.status!.nodeName!;
    },
    async runningPod(nodeName, opts) {
      const p = pod(opts);
      if (opts.priorityClassName) p.spec.priorityClassName = opts.priorityClassName;
      if (opts.graceSeconds !== undefined) p.spec.terminationGracePeriodSeconds = opts.graceSeconds;
      const created = await env.kube.create('Pod', p);
      await env.kube.bind(created, nodeName);
      const running = await env.kube.patchStatus('Pod', created.metadata.name!, {
        status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] },
      }, created.metadata.namespace);
      await waitFor(env.clock, `pod ${keyOf(running)} in the cache`, () => env.state.pod(keyOf(running))?.status?.phase === 'Running');
      return running;
    },
    async waitGone(claimName, nodeName, limitMs) {
      return waitFor(env.clock, `${claimName} gone`, () => !claim(claimName)
        && (nodeName === undefined || env.state.node(nodeName) === undefined)
        && sim.instances().filter((i) => i.claimName === claimName).every((i) => i.state === 'terminated'), limitMs);
    },
    async stop() {
      await whileStepping(env.clock, Promise.all([lifecycle.stop(), termination.stop()]));
      await env.stop();
    },
  };
}
