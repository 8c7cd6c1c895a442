// Not under src/, so scripts/run-tests.mjs does not list it: run with `npx tsx --test bench/*.test.ts`.
// (`void`: the lint override that lets node:test promises float covers src/**/*.test.ts only.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { benchNodePool, diversePods, KARPENTER_CPU, KARPENTER_MEMORY, mixedGenericPods, preferencePods } from './workloads.js';
import { costCatalog, rowSpecs, runRow, schedulingTable } from './scheduling.js';
import { validateNodePool } from '../src/apis/v1/validation.js';

const kindOf = (name: string | undefined): string => (name ?? '').replace(/-\d+$/, '');

describe('bench workloads', () => {
  void it('builds the diverse mix: a fifth of each kind, the remainder generic, deterministic', () => {
    const pods = diversePods(53);
    assert.equal(pods.length, 53);
    const counts = new Map<string, number>();
    for (const p of pods) counts.set(kindOf(p.metadata.name), (counts.get(kindOf(p.metadata.name)) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(counts), { generic: 13, 'zone-spread': 10, 'hostname-spread': 10, 'zone-affinity': 10, 'hostname-anti-affinity': 10 });
    assert.equal(new Set(pods.map((p) => p.metadata.name)).size, 53);
    assert.deepEqual(diversePods(53), pods);
    assert.notDeepEqual(diversePods(53, 1), pods);
    for (const p of pods) {
      const req = p.spec.containers[0]!.resources!.requests!;
      assert.ok((KARPENTER_CPU as readonly unknown[]).includes(req.cpu));
      assert.ok((KARPENTER_MEMORY as readonly unknown[]).includes(req.memory));
    }
    const spread = pods.find((p) => kindOf(p.metadata.name) === 'zone-spread')!;
    assert.deepEqual(Object.keys(spread.spec.topologySpreadConstraints![0]!).sort(), ['labelSelector', 'maxSkew', 'topologyKey', 'whenUnsatisfiable']);
    assert.equal(spread.spec.topologySpreadConstraints![0]!.topologyKey, 'topology.kubernetes.io/zone');
    const anti = pods.find((p) => kindOf(p.metadata.name) === 'hostname-anti-affinity')!;
    assert.deepEqual(anti.metadata.labels, { app: 'nginx' });
    const affinity = pods.find((p) => kindOf(p.metadata.name) === 'zone-affinity')!;
    const term = affinity.spec.affinity!.podAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0]!;
    assert.deepEqual(term.labelSelector!.matchLabels, { 'my-affininity': affinity.metadata.labels!['my-affininity']! });
  });

  void it('builds preference pods and mixed generic pods', () => {
    const prefs = preferencePods(10);
    assert.equal(prefs.length, 10);
    const anti = prefs[0]!.spec.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution!;
    assert.deepEqual(anti.map((t) => [t.weight, t.podAffinityTerm.topologyKey]), [[10, 'topology.kubernetes.io/zone'], [1, 'kubernetes.io/hostname']]);
    const mixed = mixedGenericPods(200);
    assert.equal(mixed.length, 200);
    assert.deepEqual(mixedGenericPods(200), mixed);
    assert.ok(mixed.every((p) => p.spec.affinity === undefined && p.spec.topologySpreadConstraints === undefined));
  });

  void it('uses a valid NodePool and a cost catalogue of current c, m, r types on-demand in three zones', () => {
    assert.deepEqual(validateNodePool(benchNodePool()), []);
    const types = costCatalog();
    assert.ok(types.length > 100);
    for (const t of types) {
      assert.ok(['c', 'm', 'r'].includes(t.requirements['karpenter.k8s.aws/instance-category']![0]!), t.name);
      assert.ok(Number(t.requirements['karpenter.k8s.aws/instance-generation']![0]) >= 5, t.name);
      assert.ok(t.offerings.every((o) => o.capacityType === 'on-demand'));
    }
    assert.deepEqual(new Set(types.flatMap((t) => t.offerings.map((o) => o.zone))), new Set(['us-east-1a', 'us-east-1b', 'us-east-1c']));
  });

  void it('runs a row and renders the table', async () => {
    const spec = rowSpecs().find((s) => s.workload === 'diverse-50')!;
    const row = await runRow(spec);
    assert.equal(row.pods, 50);
    assert.ok(row.runs >= 3 && row.podsPerSec > 0 && row.nodes > 0 && row.pricePerHour > 0 && row.peakRssMiB > 0);
    assert.equal(row.unschedulable, 0);
    const table = schedulingTable([row, { ...row, workload: 'cost', lowerBound: 1, ratio: 1.04 }]);
    assert.match(table, /^WORKLOAD +PODS +PODS\/S/);
    assert.match(table, /\ncost +50 .* 1\.00 +1\.040 +\d+\n$/);
    assert.deepEqual(rowSpecs().map((s) => s.workload), [
      'diverse-1', 'diverse-50', 'diverse-100', 'diverse-500', 'diverse-1000', 'diverse-2000', 'diverse-5000', 'diverse-10000', 'diverse-20000',
      'preferences-4000', 'preferences-4000-ignored', 'cost-ec2-cmr-3000',
    ]);
  });
});
