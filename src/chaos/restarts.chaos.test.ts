/**
 * Controller restarts on the embedded cluster: the nodewright process is killed (all its in-memory
 * state dropped; calls in flight land, nothing after) and a fresh one started at random points of a
 * 1,000-pod scale-up, then of a scale-down to zero. Budgets are checked at every eviction, pod
 * deletion and machine deletion the controllers make; the end state is checked after each phase.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordChaosFigures } from '../test/chaos-figures.js';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { ChaosCluster, chaosSeed } from './fixtures.js';

const PODS = Number(process.env['NODEWRIGHT_CHAOS_PODS'] ?? 1_000);
/** Mean virtual time between kills: short enough for dozens of kills per phase (a scale-up takes about a minute). */
const MEAN_KILL_INTERVAL_MS = { up: 1_500, down: 15_000 };
const MIN_RESTARTS = 50;

describe('chaos: controller restarts on the embedded cluster', () => {
  it(`scales ${PODS} pods up and then to zero while being killed at random points`, async () => {
    const seed = chaosSeed('restarts-embedded', 7);
    const c = await ChaosCluster.start({
      seed,
      // Small machines: about a hundred of them for the thousand pods.
      instanceTypes: kwokCatalog({ cpus: [2, 4, 8, 16] }),
      deployments: [
        { name: 'web', replicas: Math.round(PODS * 0.6), cpu: '500m', memory: '1Gi', minAvailable: '80%' },
        { name: 'api', replicas: Math.round(PODS * 0.3), cpu: '1', memory: '2Gi', minAvailable: '90%' },
        { name: 'worker', replicas: PODS - Math.round(PODS * 0.6) - Math.round(PODS * 0.3), cpu: '2', memory: '4Gi' },
      ],
    });
    const r = c.random.fork('kills');
    let mean = MEAN_KILL_INTERVAL_MS.up;
    let nextKill = c.clock.now() + r.exponential(mean);
    let timedKills = 0;
    // Half the kills come at an instant of virtual time (between timers: cloud calls in flight
    // are cut off); the other half as the process makes its nth next API or cloud call, which
    // lands them between two writes of one reconcile.
    const chaos = (): number => {
      if (c.clock.now() < nextKill) return nextKill;
      nextKill = c.clock.now() + r.exponential(mean);
      if (r.bool(0.5)) {
        timedKills++;
        c.restart();
      } else {
        c.killAfterCalls(r.int(0, 100));
      }
      return nextKill;
    };

    // Scale-up: every pod running.
    await c.untilAllRunning(PODS, 3 * 3_600_000, chaos);
    const upRestarts = c.restarts;
    mean = MEAN_KILL_INTERVAL_MS.down;
    // Half-way down first, so consolidation drains under-used nodes (evictions under the budgets).
    await c.scale('web', Math.round(PODS * 0.3));
    await c.scale('api', Math.round(PODS * 0.15));
    await c.runFor(10 * 60_000, chaos);
    for (const d of ['web', 'api', 'worker']) await c.scale(d, 0);
    await c.untilNoNodeLeft(3 * 3_600_000, () => {
      if (c.restarts < MIN_RESTARTS + 10) chaos();
    });
    // Past the leaked-instance grace period and a garbage collection sweep, without kills.
    await c.runFor(10 * 60_000);
    await c.monitor.flush();
    await c.monitor.checkCloudAgainstClaims();
    c.monitor.record('node-left', c.kube.count('Node') === 0, () => `${c.kube.count('Node')} nodes left`);
    const alive = c.sim.instances().filter((i) => i.state === 'running' || i.state === 'pending');
    c.monitor.record('leaked-instance', alive.length === 0, () => `${alive.length} machines alive after scale-down`);
    const kinds: Record<string, number> = {};
    for (const d of c.decisions) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
    console.log(`# decisions ${JSON.stringify(kinds)}; budget checks ${c.monitor.checks["pdb-violated"] ?? 0}`);
    console.log(`# ${c.restarts} restarts (${upRestarts} during scale-up, ${c.restarts - timedKills} mid-reconcile), ${c.sim.instances().length} machines launched; ${c.describe()}`);

    recordChaosFigures('restarts-embedded', { restarts: c.restarts, faults: { 'controller-kill': timedKills, 'controller-kill-mid-reconcile': c.restarts - timedKills }, violations: { ...c.monitor.violations } });
    assert.ok(c.restarts >= MIN_RESTARTS, `only ${c.restarts} restarts`);
    assert.equal(c.monitor.total, 0, c.monitor.details.join('\n'));
    assert.ok((c.monitor.checks['pdb-violated'] ?? 0) > 0, 'budgets were checked at least once');
    await c.stop();
  });
});
