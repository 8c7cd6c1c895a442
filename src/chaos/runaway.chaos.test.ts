/**
 * Runaway protection (what Karpenter's chaos suite tests): over two hours of virtual time, nodes
 * that never become Ready, machines that never register, nodes that some other party taints so
 * nothing schedules on them, and pods that can never schedule must not make the controllers launch
 * an unbounded number of machines.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../apis/core.js';
import { ZONE_LABEL } from '../apis/labels.js';
import { kwokCatalog } from '../cloudprovider/catalog/kwok.js';
import { recordChaosFigures } from '../test/chaos-figures.js';
import type { ChaosClusterOptions, ChaosDeployment } from './fixtures.js';
import { ChaosCluster, chaosSeed } from './fixtures.js';

const HORIZON_MS = 2 * 3_600_000;
const REGISTRATION_TIMEOUT_MS = 15 * 60_000;
const BROKEN_TAINT = { key: 'chaos.nodewright.dev/broken', value: 'true', effect: 'NoSchedule' as const };

interface Outcome {
  /** Machines launched over the horizon. */
  launched: number;
  /** Most NodeClaims at any one time. */
  maxClaims: number;
  /** Most NodeClaims in the first 90 s (the first provisioning round: what the controllers planned for the pods). */
  planned: number;
  /** Most NodeClaims in the first and in the second half of the horizon. */
  maxFirstHalf: number;
  maxSecondHalf: number;
}

/** Runs the cluster for `horizonMs` and reports what was launched. */
async function observe(c: ChaosCluster, horizonMs = HORIZON_MS): Promise<Outcome> {
  let planned = 0;
  const max = [0, 0];
  const start = c.clock.now();
  await c.runFor(horizonMs, () => {
    const t = c.clock.now() - start;
    const half = t < horizonMs / 2 ? 0 : 1;
    max[half] = Math.max(max[half]!, c.kube.count('NodeClaim'));
    if (t <= 90_000) planned = max[0]!;
  });
  return { launched: c.sim.instances().length, maxClaims: Math.max(max[0]!, max[1]!), planned, maxFirstHalf: max[0]!, maxSecondHalf: max[1]! };
}

function cluster(seed: number, deployments: ChaosDeployment[], sim: ChaosClusterOptions['sim'] = {}): Promise<ChaosCluster> {
  return ChaosCluster.start({ seed, instanceTypes: kwokCatalog({ cpus: [2, 4, 8, 16] }), deployments, sim });
}

const web = (replicas: number): ChaosDeployment => ({ name: 'web', replicas, cpu: '1', memory: '2Gi' });

/** Taints every node as it appears (a misbehaving agent): the pods it was launched for never land. */
function taintEveryNode(c: ChaosCluster): () => number {
  let tainted = 0;
  const taint = (n: Node): void => {
    if (n.metadata.deletionTimestamp || n.spec?.taints?.some((t) => t.key === BROKEN_TAINT.key)) return;
    tainted++;
    void c.kube.patch('Node', n.metadata.name ?? '', { spec: { taints: [...(n.spec?.taints ?? []), BROKEN_TAINT] } }).catch(() => undefined);
  };
  c.cluster.view.nodes.addHandler({ onAdd: taint, onUpdate: (_, n) => taint(n) });
  return () => tainted;
}

describe('chaos: runaway protection on the embedded cluster', () => {
  const seed = chaosSeed('runaway', 21);
  const figures = { faults: {} as Record<string, number>, violations: { 'runaway-scale-up': 0 } };
  const check = (what: string, ok: boolean, detail: string): void => {
    figures.violations['runaway-scale-up'] += ok ? 0 : 1;
    assert.ok(ok, `${what}: ${detail}`);
  };

  it('launches a bounded number of machines when nodes never become Ready', async () => {
    const c = await cluster(seed, [web(40)], { readyDelay: { kind: 'fixed', ms: 1e12 } });
    const o = await observe(c);
    console.log(`# never ready: ${JSON.stringify(o)}`);
    figures.faults['node-never-ready'] = c.sim.instances().filter((i) => i.registeredAt !== undefined && i.readyAt === undefined).length;
    check('never Ready', o.planned > 0 && o.maxClaims <= o.planned && o.launched <= o.planned * (HORIZON_MS / REGISTRATION_TIMEOUT_MS + 1), JSON.stringify(o));
    await c.stop();
  });

  it('replaces machines that never register at most once per registration timeout', async () => {
    const c = await cluster(seed + 1, [web(40)], { registrationFailure: 1 });
    const o = await observe(c);
    console.log(`# never registers: ${JSON.stringify(o)}`);
    figures.faults['never-registers'] = c.sim.instances().length;
    check('never registers', o.planned > 0 && o.maxClaims <= 2 * o.planned && o.launched <= o.planned * (HORIZON_MS / REGISTRATION_TIMEOUT_MS + 1), JSON.stringify(o));
    await c.stop();
  });

  // Karpenter's chaos suite bounds the nodes at any one time here, not the churn: every node is
  // left empty by the taint and removed by emptiness, and the pods ask for another. Bounded means
  // the count levels off: the second half-hour peaks at most one plan above the first.
  it('keeps the number of machines bounded when every node is tainted as it appears', async () => {
    const c = await cluster(seed + 2, [web(40)]);
    const tainted = taintEveryNode(c);
    const o = await observe(c, 3_600_000);
    console.log(`# tainted on arrival: ${JSON.stringify(o)}, ${tainted()} nodes tainted`);
    figures.faults['node-tainted'] = tainted();
    check('tainted on arrival', o.planned > 0 && o.maxSecondHalf <= o.maxFirstHalf + o.planned, JSON.stringify(o));
    await c.stop();
  });

  const never: [string, ChaosDeployment][] = [
    ['requests bigger than any instance type', { name: 'huge', replicas: 20, cpu: '10000', memory: '1Gi' }],
    ['a zone no offering has', { name: 'nowhere', replicas: 20, cpu: '1', memory: '1Gi', nodeSelector: { [ZONE_LABEL]: 'nowhere-1a' } }],
    ['a label no NodePool offers', { name: 'special', replicas: 20, cpu: '1', memory: '1Gi', nodeSelector: { 'example.com/hardware': 'quantum' } }],
  ];
  for (const [what, d] of never) {
    it(`launches nothing for pods that can never schedule: ${what}`, async () => {
      const c = await cluster(seed + 3, [d]);
      const o = await observe(c);
      figures.faults['unschedulable-pod'] = (figures.faults['unschedulable-pod'] ?? 0) + d.replicas;
      check(what, o.launched === 0 && o.maxClaims === 0, JSON.stringify(o));
      assert.equal(c.cluster.view.stageCounts().unscheduled, d.replicas);
      await c.stop();
    });
  }

  it('records its figures', () => {
    recordChaosFigures('runaway', figures);
  });
});
