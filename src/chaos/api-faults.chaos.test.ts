/**
 * API server faults on the embedded cluster, during a scale-up and a scale-down: watches dropped,
 * watch history expired so resuming gets 410 Gone, a Conflict on every Nth write, and API server
 * restarts (every watch dropped and all history forgotten at once). The controllers must relist,
 * retry and converge with the usual invariants holding.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { KubeError } from '../kube/errors.js';
import type { Kind } from '../kube/kinds.js';
import type { WriteVerb } from '../kube/memory/faults.js';
import { recordChaosFigures } from '../test/chaos-figures.js';
import { ChaosCluster, chaosSeed } from './fixtures.js';

const PODS = 300;
/** Every Nth write the controllers' kinds see fails with a Conflict. */
const CONFLICT_EVERY = 7;
const MEAN_FAULT_INTERVAL_MS = 15_000;
const WATCHED: readonly Kind[] = ['Pod', 'Node', 'NodeClaim', 'NodePool'];

/** The scale-up and scale-down through API faults; with `killEveryMs`, the controller process is also killed that often on average. */
async function run(seed: number, killEveryMs?: number): Promise<void> {
  const c = await ChaosCluster.start({
    seed,
    instanceTypes: kwokCatalog({ cpus: [2, 4, 8, 16] }),
    deployments: [
      { name: 'web', replicas: PODS / 2, cpu: '500m', memory: '1Gi', minAvailable: '80%' },
      { name: 'batch', replicas: PODS / 2, cpu: '1', memory: '2Gi' },
    ],
  });
  const faults: Record<string, number> = { 'watch-dropped': 0, 'gone-410': 0, conflict: 0, 'api-restart': 0 };
  // A Conflict on every Nth write to the kinds the controllers write, re-armed as each fires. Pods:
  // evictions only (the stand-in kubelet's status patches carry no resourceVersion, and a real API
  // server does not answer those with a Conflict).
  const arm = (kind: Kind, verb?: WriteVerb): void => c.kube.faults.failWrite({
    nth: CONFLICT_EVERY, kind, ...(verb ? { verb } : {}),
    error: (v, k, name) => {
      faults['conflict']!++;
      arm(kind, verb);
      return new KubeError('Conflict', `Operation cannot be fulfilled on ${k} "${name}": injected conflict (${v})`, { kind: k, name });
    },
  });
  for (const kind of ['NodeClaim', 'Node', 'NodePool'] as const) arm(kind);
  arm('Pod', 'evict');

  const r = c.random.fork('api-faults');
  let next = c.clock.now() + r.exponential(MEAN_FAULT_INTERVAL_MS);
  const kills = c.random.fork('kills');
  let nextKill = killEveryMs === undefined ? Infinity : c.clock.now() + kills.exponential(killEveryMs);
  const chaos = (): number => {
    if (c.clock.now() >= nextKill) {
      nextKill = c.clock.now() + kills.exponential(killEveryMs!);
      if (kills.bool(0.5)) c.restart();
      else c.killAfterCalls(kills.int(0, 100));
    }
    if (c.clock.now() < next) return Math.min(next, nextKill);
    next = c.clock.now() + r.exponential(MEAN_FAULT_INTERVAL_MS);
    const what = r.int(0, 2);
    if (what === 0) {
      faults['watch-dropped']! += c.kube.faults.dropWatches(r.pick(WATCHED));
    } else if (what === 1) {
      const kind = r.pick(WATCHED);
      c.kube.faults.expireHistory(kind);
      faults['gone-410']! += c.kube.faults.dropWatches(kind);
    } else {
      c.kube.faults.expireHistory();
      faults['watch-dropped']! += c.kube.faults.dropWatches();
      faults['api-restart']!++;
    }
    return Math.min(next, nextKill);
  };

  await c.untilAllRunning(PODS, 3 * 3_600_000, chaos);
  await c.scale('web', PODS / 4);
  await c.runFor(10 * 60_000, chaos);
  await c.scale('web', 0);
  await c.scale('batch', 0);
  await c.untilNoNodeLeft(3 * 3_600_000, chaos);
  await c.runFor(10 * 60_000);
  c.kube.faults.clear();
  await c.monitor.flush();
  await c.monitor.checkCloudAgainstClaims();
  c.monitor.record('node-left', c.kube.count('Node') === 0, () => `${c.kube.count('Node')} nodes left`);
  console.log(`# faults ${JSON.stringify(faults)}; ${c.describe()}`);

  if (c.restarts > 0) faults['controller-kill'] = c.restarts;
  recordChaosFigures('api-faults', { restarts: c.restarts, faults, violations: { ...c.monitor.violations } });
  assert.equal(c.monitor.total, 0, c.monitor.details.join('\n'));
  for (const [kind, n] of Object.entries(faults)) assert.ok(n > 0, `no ${kind} fault was injected`);
  await c.stop();
}

describe('chaos: API server faults on the embedded cluster', () => {
  it(`scales ${PODS} pods up and to zero through dropped watches, 410 Gone, conflicts and API server restarts`, async () => {
    await run(chaosSeed('api-faults', 31));
  });

  it('does the same while the controller process is also killed every 20 s on average', async () => {
    await run(chaosSeed('api-faults-restarts', 32), 20_000);
  });
});
