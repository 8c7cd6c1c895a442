/** Insufficient capacity on the cheapest instance type, end to end. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ARCH_LABEL } from '../../apis/labels.js';
import type { NodePool } from '../../apis/v1/types.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { nodePool, pod } from '../../test/builders.js';
import { kwokCatalog } from '../../cloudprovider/catalog/kwok.js';
import { solve } from '../../scheduling/solver.js';
import { e2e, fresh } from './harness.test.js';

describe('insufficient capacity end to end', () => {
  // amd64 only: kwok prices arm64 types the same as their amd64 twins, and "the next cheapest" should be one type.
  const amd64 = (np: NodePool): void => void (np.spec.template.spec.requirements = [{ key: ARCH_LABEL, operator: 'In', values: ['amd64'] }]);
  const pool = nodePool();
  amd64(pool);
  // What the solver would launch for the pod: its instance types, cheapest first.
  const web = fresh(pod({ name: 'web', cpu: '1', memory: '1Gi' }));
  const options = solve({ pods: [web], nodePools: [{ nodePool: withDefaults(pool), instanceTypes: kwokCatalog() }] }).newNodeClaims[0]!.instanceTypeOptions;
  const cheapest = options[0]!;
  const next = options[1]!;

  // One type per launch request: the lifecycle controller has to mark the offerings unavailable and
  // retry with the rest. Sixty: the cloud's fleet request skips the short type itself.
  for (const perLaunch of [1, 60]) {
    it(`launches the next cheapest type within seconds when the cheapest has no capacity (${perLaunch} type(s) per launch request)`, async () => {
      assert.ok(next.price > cheapest.price);
      const t = await e2e({
        pool: amd64,
        sim: { maxInstanceTypesPerLaunch: perLaunch, capacityWindows: [{ start: 0, end: Number.MAX_SAFE_INTEGER, instanceType: cheapest.instanceType.name }] },
      });
      const { env, sim } = t;
      const start = env.clock.now();
      await env.kube.create('Pod', web);
      await t.allRunning(1);

      const running = sim.instances().filter((i) => i.state === 'running');
      assert.equal(running.length, 1);
      const machine = running[0]!;
      assert.equal(machine.instanceType, next.instanceType.name);
      assert.equal(machine.price, next.price);
      assert.ok(machine.launchedAt! - start <= 10_000, `launched ${machine.launchedAt! - start} ms after the pod was created`);
      const short = cheapest.offerings.filter((o) => env.ctx.unavailableOfferings.isUnavailable(cheapest.instanceType.name, o.zone, o.capacityType));
      assert.ok(short.length >= 1, 'the short offering is marked unavailable');
      assert.equal(sim.instances().filter((i) => i.instanceType === cheapest.instanceType.name && i.state === 'running').length, 0);
      const failed = env.decisions.filter((d) => d.kind === 'launch-failed');
      if (perLaunch === 1) assert.match(failed[0]?.summary ?? '', /insufficient capacity/, 'the claim on the short type failed and was replaced');
      else assert.deepEqual(failed, [], 'the fleet request skipped the short type itself');
      await t.stop();
    });
  }
});
