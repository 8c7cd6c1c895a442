// End to end: the real entry point, spawned as a user runs it, on the files in examples/plan/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlanJson } from './plan-output.js';

const root = new URL('../../', import.meta.url).pathname;
const examples = ['nodepool.yaml', 'deployment.yaml', 'statefulset.yaml', 'provisioner.yaml', 'nodes.yaml'].map((f) => join(root, 'examples/plan', f));

function nodewright(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('nodewright plan (spawned)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nodewright-plan-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('plans the examples as JSON of the documented shape, exit 0', () => {
    const res = nodewright('plan', ...examples.flatMap((f) => ['-f', f]), '--output', 'json');
    assert.equal(res.status, 0, res.stderr);
    const plan = JSON.parse(res.stdout) as PlanJson;
    assert.deepEqual(Object.keys(plan).sort(), ['catalog', 'existingNodes', 'nodeClaims', 'totalPricePerHour', 'unschedulable']);
    assert.equal(plan.catalog, 'aws');
    assert.deepEqual(plan.unschedulable, []);
    const placed = [...plan.nodeClaims.flatMap((c) => c.pods), ...plan.existingNodes.flatMap((e) => e.pods)].sort();
    // 6 web + 2 job pods + 2 db + 3 crunch; the already running cache-0 is not planned again.
    assert.equal(placed.length, 13);
    assert.ok(placed.includes('shop/db-0') && placed.includes('shop/db-1'));
    assert.equal(placed.filter((p) => p.startsWith('batch/crunch-')).length, 3);
    assert.equal(placed.filter((p) => p.startsWith('shop/web-')).length, 6);
    for (const claim of plan.nodeClaims) {
      for (const key of ['nodePool', 'instanceType', 'instanceTypes', 'zone', 'capacityType', 'pricePerHour', 'pods'] as const) assert.ok(key in claim, key);
      assert.equal(claim.instanceTypes[0], claim.instanceType);
      assert.ok(claim.pricePerHour > 0);
    }
    const total = plan.nodeClaims.reduce((s, c) => s + c.pricePerHour, 0);
    assert.ok(Math.abs(total - plan.totalPricePerHour) < 1e-9);
    // The zoned volume pins db-0 to us-east-1b; the converted Provisioner's pool takes the batch pods.
    const db0 = plan.nodeClaims.find((c) => c.pods.includes('shop/db-0'));
    if (db0 !== undefined) assert.equal(db0.zone, 'us-east-1b');
    const crunch = plan.nodeClaims.filter((c) => c.pods.some((p) => p.startsWith('batch/crunch-')));
    assert.ok(crunch.length > 0 && crunch.every((c) => c.nodePool === 'batch' && c.capacityType === 'spot'));
    assert.match(res.stderr, /note: EC2 spot prices and zone availability are synthetic/);
    assert.match(res.stderr, /warning: .*provisioner\.yaml: document 1 \(line 2\): Provisioner batch: converted to NodePool batch/);
  });

  it('prints tables by default and says when it uses the default NodePool', () => {
    const res = nodewright('plan', '-f', join(root, 'examples/plan/deployment.yaml'), '--catalog', 'kwok');
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^New NodeClaims \(\d+\) from catalogue kwok:\nNODEPOOL +INSTANCE TYPE +ZONE +CAPACITY +\$\/H +PODS/);
    assert.match(res.stdout, /\nTotal: \d+ new nodes? at \$\d+\.\d{4}\/h; 8 pods on new nodes, 0 on existing nodes, 0 unschedulable\.\n$/);
    assert.match(res.stderr, /note: no NodePool given: using NodePool "default"/);
  });

  it('exits 2 naming the file, document, line and field of every bad input', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `apiVersion: karpenter.sh/v1
kind: NodePool
metadata: {name: general}
spec:
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
        - {key: karpenter.sh/capacity-type, operator: Maybe, values: [spot]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: -1
  template: {spec: {containers: [{name: web}]}}
`);
    const res = nodewright('plan', '-f', bad, '-o', 'json');
    assert.equal(res.status, 2);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /bad\.yaml: document 2 \(line 15\): Deployment web: spec\.replicas: must be a non-negative integer/);
    assert.match(res.stderr, /bad\.yaml: document 1 \(line 9\): NodePool general: spec\.template\.spec\.requirements\[0\]\.operator: /);
    assert.match(res.stderr, /2 problems in the input; nothing planned/);
  });

  it('exits 2 for usage errors and a missing file, 0 for --help', () => {
    assert.equal(nodewright('plan', '--catalog', 'gcp', '-f', examples[0]!).status, 2);
    const missing = nodewright('plan', '-f', join(dir, 'nope.yaml'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /reading .*nope\.yaml: ENOENT/);
    const help = nodewright('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Commands:\n +plan +/);
  });
});
