/**
 * Cloud faults on the embedded cluster: 30% of cloud calls fail (throttling, 5xx, timeouts that may
 * still have taken effect), the cheapest types run out of capacity, launches return late (a long
 * tail up to ten minutes) and some machines never register. The controllers must back off and not
 * run away: every machine launched either serves at the end of the scale-up or never became Ready
 * and was cleaned up; no node is left empty; and the usual invariants hold through a scale-down.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { DEFAULT_VIRTUAL_EPOCH } from '../utils/clock.js';
import { recordChaosFigures } from '../test/chaos-figures.js';
import { ChaosCluster, chaosSeed } from './fixtures.js';

const PODS = 400;
const LATE_LAUNCH_MS = 60_000;

/** Runs the scale-up and scale-down; with `killEveryMs`, the controller process is also killed that often on average. */
async function run(seed: number, killEveryMs?: number): Promise<void> {
    const catalog = kwokCatalog({ cpus: [2, 4, 8, 16] });
    const c = await ChaosCluster.start({
      seed,
      instanceTypes: catalog,
      deployments: [
        { name: 'web', replicas: PODS / 2, cpu: '500m', memory: '1Gi', minAvailable: '80%' },
        { name: 'batch', replicas: PODS / 2, cpu: '1', memory: '2Gi' },
      ],
      sim: {
        apiFaults: { rate: 0.3, timeoutMs: 20_000, methods: ['create', 'delete', 'get', 'list', 'getInstanceTypes', 'isDrifted'] },
        launchDelay: { kind: 'lognormal', medianMs: 5_000, sigma: 2, maxMs: 10 * 60_000 },
        registrationFailure: 0.1,
        maxInstanceTypesPerLaunch: 3,
        // The 16-cpu types (the cheapest per cpu) are short of capacity for the first 20 minutes.
        capacityWindows: catalog.filter((t) => t.name.includes('16x')).map((t) => ({ start: DEFAULT_VIRTUAL_EPOCH, end: DEFAULT_VIRTUAL_EPOCH + 20 * 60_000, instanceType: t.name })),
      },
      // No consolidation during the scale-up: a machine that was Ready and went away would be waste.
      pool: (np) => void (np.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1h', budgets: [{ nodes: '10%' }] }),
    });
    const kills = c.random.fork('kills');
    let nextKill = killEveryMs === undefined ? Infinity : c.clock.now() + kills.exponential(killEveryMs);
    const chaos = (): number => {
      if (c.clock.now() < nextKill) return nextKill;
      c.restart();
      nextKill = c.clock.now() + kills.exponential(killEveryMs!);
      return nextKill;
    };
    const pods = await c.untilAllRunning(PODS, 4 * 3_600_000, chaos);
    // Until no launch is in flight: each machine serves, or has failed and been cleaned up (a late
    // launch that never registers takes its registration timeout).
    const inFlight = (): boolean => c.sim.instances().some((i) => i.state === 'pending' || (i.state === 'running' && i.registeredAt === undefined));
    await c.runUntil('no launch in flight', () => !inFlight() && c.kube.count('NodeClaim') === c.kube.count('Node'), 3_600_000, chaos);
    await c.runFor(60_000);

    const machines = c.sim.instances();
    const serving = machines.filter((i) => i.state === 'running');
    const failed = machines.filter((i) => (i.state === 'terminated' || i.state === 'shutting-down') && i.readyAt === undefined);
    const waste = machines.length - serving.length - failed.length;
    c.monitor.record('runaway-scale-up', waste === 0,
      () => `${machines.length} machines launched: ${serving.length} serving, ${failed.length} failed and cleaned up, ${waste} neither`);
    const nodesWithPods = new Set(pods.map((p) => p.spec?.nodeName));
    for (const n of (await c.kube.list('Node')).items) {
      c.monitor.record('runaway-scale-up', nodesWithPods.has(n.metadata.name), () => `node ${n.metadata.name ?? ''} is empty after the scale-up`);
    }
    console.log(`# scale-up: ${machines.length} machines launched, ${serving.length} serving, ${failed.length} failed and cleaned up`);

    // Empty nodes may go after 30 s from now on.
    await c.kube.patch('NodePool', 'default', { spec: { disruption: { consolidateAfter: '30s' } } });
    await c.scale('web', 0);
    await c.scale('batch', 0);
    await c.untilNoNodeLeft(4 * 3_600_000, chaos);
    await c.runFor(15 * 60_000); // past the leaked-instance grace period and several sweeps
    await c.monitor.flush();
    await c.monitor.checkCloudAgainstClaims();
    c.monitor.record('node-left', c.kube.count('Node') === 0, () => `${c.kube.count('Node')} nodes left`);

    const all = c.sim.instances();
    const faults: Record<string, number> = {
      ...c.cloudFaults,
      'late-launch': all.filter((i) => i.launchedAt !== undefined && i.launchedAt - i.requestedAt > LATE_LAUNCH_MS).length,
      'never-registers': all.filter((i) => !i.registers).length,
    };
    const failedCalls = ['throttle', '5xx', 'timeout', 'insufficient-capacity'].reduce((n, k) => n + (faults[k] ?? 0), 0);
    console.log(`# ${failedCalls} of ${c.cloudCalls} cloud calls failed; faults ${JSON.stringify(faults)}; ${c.describe()}`);
    assert.ok(failedCalls >= 0.2 * c.cloudCalls, `only ${failedCalls} of ${c.cloudCalls} cloud calls failed`);
    if (c.restarts > 0) faults['controller-kill'] = c.restarts;
    recordChaosFigures('cloud-faults', { restarts: c.restarts, faults, violations: { ...c.monitor.violations } });
    assert.equal(c.monitor.total, 0, c.monitor.details.join('\n'));
    for (const kind of ['throttle', '5xx', 'timeout', 'insufficient-capacity', 'late-launch', 'never-registers']) {
      assert.ok((faults[kind] ?? 0) > 0, `no ${kind} fault was injected: ${JSON.stringify(faults)}`);
    }
    await c.stop();
}

describe('chaos: cloud faults on the embedded cluster', () => {
  it(`scales ${PODS} pods up and to zero with 30% of cloud calls failing`, async () => {
    await run(chaosSeed('cloud-faults', 11));
  });

  it(`does the same while the controller process is also killed every 20 s on average`, async () => {
    await run(chaosSeed('cloud-faults-restarts', 12), 20_000);
  });
});
