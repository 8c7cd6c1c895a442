/** 500 pending pods through the whole stack, and what the machines cost against the solver's plan. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../../cloudprovider/catalog/kwok.js';
import { solve } from '../../scheduling/solver.js';
import { pod } from '../../test/builders.js';
import { e2e, fresh } from './harness.test.js';

/**
 * Three Deployment-like sets of different sizes, 500 pods in all. They keep one memory-to-cpu ratio:
 * kube-scheduler packs them in its own order, and with mixed ratios its packing can leave pods the
 * plan had room for pending, which provisioning does not yet pick up again once their nominations lapse.
 */
function workload(): Pod[] {
  const sets = [
    { app: 'api', n: 250, cpu: '250m', memory: '1Gi' },
    { app: 'worker', n: 150, cpu: '1', memory: '4Gi' },
    { app: 'cache', n: 100, cpu: '500m', memory: '2Gi' },
  ];
  return sets.flatMap((s) => Array.from({ length: s.n }, (_, i) =>
    fresh(pod({ name: `${s.app}-${i}`, cpu: s.cpu, memory: s.memory, labels: { app: s.app }, ownerKind: 'ReplicaSet' }))));
}

describe('provisioning end to end', () => {
  it('turns 500 pending pods into machines whose $/h is within 5% of the solver\'s plan, every pod bound by kube-scheduler and Running', async () => {
    // Types of at most 16 cpu, so the pods need tens of machines rather than two.
    const t = await e2e({ pool: (np) => void (np.spec.template.spec.requirements = [{ key: KWOK_LABEL_INSTANCE_CPU, operator: 'In', values: ['2', '4', '8', '16'] }]) });
    const { env, sim } = t;
    const pods = workload();
    const plan = solve({ pods, nodePools: [{ nodePool: withDefaults(t.pool), instanceTypes: await sim.getInstanceTypes(t.pool) }] });
    assert.equal(plan.unschedulable.length, 0);
    for (const p of pods) await env.kube.create('Pod', p);
    const took = await t.allRunning(500);
    assert.ok(took < 5 * 60_000, `running within 5 minutes of virtual time (took ${took} ms)`);

    const running = await t.pods();
    const nodes = new Set((await env.kube.list('Node')).items.map((n) => n.metadata.name));
    assert.ok(running.every((p) => p.status?.phase === 'Running' && p.spec.nodeName !== undefined && nodes.has(p.spec.nodeName)));
    assert.ok(t.scheduler!.stats.bound >= 500, 'kube-scheduler bound the pods');
    const claims = (await env.kube.list('NodeClaim')).items;
    assert.equal(claims.length, nodes.size, 'one node registered per NodeClaim');
    assert.ok(nodes.size >= 15, `${nodes.size} nodes`);
    assert.ok(claims.every((c) => c.status?.conditions?.some((x) => x.type === 'Initialized' && x.status === 'True')), 'every claim initialised');
    assert.ok(env.decisions.some((d) => d.kind === 'provision'));

    const cost = sim.hourlyCostAt();
    const planned = plan.totalPricePerHour;
    assert.ok(Math.abs(cost - planned) <= 0.05 * planned, `launched $${cost.toFixed(4)}/h vs planned $${planned.toFixed(4)}/h`);
    await t.stop();
  });
});
