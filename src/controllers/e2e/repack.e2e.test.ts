/** Pods kube-scheduler packs differently from the plan are provisioned for again, not left pending. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../apis/core.js';
import { KWOK_LABEL_INSTANCE_CPU } from '../../cloudprovider/catalog/kwok.js';
import { pod } from '../../test/builders.js';
import { e2e, fresh } from './harness.test.js';

/** Three sets with different memory-to-cpu ratios: kube-scheduler's packing differs from the plan's. */
function mixed(): Pod[] {
  const sets = [
    { app: 'api', n: 250, cpu: '250m', memory: '512Mi' },
    { app: 'worker', n: 150, cpu: '1', memory: '2Gi' },
    { app: 'cache', n: 100, cpu: '500m', memory: '4Gi' },
  ];
  return sets.flatMap((s) => Array.from({ length: s.n }, (_, i) =>
    fresh(pod({ name: `${s.app}-${i}`, cpu: s.cpu, memory: s.memory, labels: { app: s.app }, ownerKind: 'ReplicaSet' }))));
}

describe('provisioning after kube-scheduler packs differently', () => {
  it('runs every pod of a mixed workload, launching again for the pods the planned nodes did not take', async () => {
    const t = await e2e({ pool: (np) => void (np.spec.template.spec.requirements = [{ key: KWOK_LABEL_INSTANCE_CPU, operator: 'In', values: ['2', '4', '8', '16'] }]) });
    for (const p of mixed()) await t.env.kube.create('Pod', p);
    const took = await t.allRunning(500);
    assert.ok(took < 10 * 60_000, `all 500 running within 10 minutes of virtual time (took ${took} ms)`);
    await t.stop();
  });
});
