import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { parse } from 'yaml';
import { startControlPlane } from '../../test/control-plane.js';
import type { ControlPlane } from '../../test/control-plane.js';
import { INVALID_EC2NODECLASSES, buildEC2Case, validEC2NodeClass } from '../ec2nodeclass/cases.js';
import { withEC2NodeClassDefaults } from '../ec2nodeclass/defaults.js';
import { validateEC2NodeClass } from '../ec2nodeclass/validation.js';
import { NODEPOOL_LABEL, restrictedLabelReason } from '../labels.js';
import { withDefaults, withNodeClaimDefaults } from '../v1/defaults.js';
import type { NodeClaim, NodePool } from '../v1/types.js';
import { V1_OPERATORS, validateNodePool } from '../v1/validation.js';
import { generateCrds } from './index.js';
import { nodePoolKind } from './nodepool.js';
import { INVALID_NODEPOOLS, LABEL_KEY_SAMPLES, buildCase, validNodePool } from './nodepool-cases.js';
import { resourceValidator, validateResource } from './validate-resource.js';

interface Reply { status: number; body: Record<string, unknown> }
const NODEPOOL = resourceValidator(nodePoolKind());
const NODEPOOLS = '/apis/karpenter.sh/v1/nodepools';
const NODECLAIMS = '/apis/karpenter.sh/v1/nodeclaims';
const EC2NODECLASSES = '/apis/karpenter.k8s.aws/v1/ec2nodeclasses';
const KWOKNODECLASSES = '/apis/karpenter.kwok.sh/v1alpha1/kwoknodeclasses';

describe('CRDs on a real kube-apiserver', () => {
  let cp: ControlPlane;
  const timings: string[] = [];
  const t0 = performance.now();

  /** One JSON request with the admin's client certificate. */
  function api(method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json'): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, cp.server),
        { method, ca: cp.caCert, cert: cp.clientCert, key: cp.clientKey, timeout: 15_000, headers: { accept, 'content-type': contentType } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
  const message = (r: Reply): string => (typeof r.body.message === 'string' ? r.body.message : JSON.stringify(r.body));

  /** Expects the server to refuse `obj` (dry run: nothing is stored) with a message naming `field`. */
  async function expectRejected(path: string, obj: unknown, field: string, extra?: RegExp): Promise<void> {
    const r = await api('POST', `${path}?dryRun=All`, obj);
    assert.equal(r.status, 422, `accepted (${r.status}): ${JSON.stringify(obj)}`);
    assert.ok(message(r).includes(field), `message does not name ${field}: ${message(r)}`);
    if (extra) assert.match(message(r), extra);
  }

  before(async () => {
    cp = await startControlPlane();
    const started = performance.now();
    timings.push(`control plane up ${Math.round(started - t0)} ms`);
    for (const { yaml } of generateCrds()) {
      const r = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', parse(yaml));
      assert.equal(r.status, 201, message(r));
    }
    // Established, and then served (discovery can lag the condition by a moment).
    for (const path of [NODEPOOLS, NODECLAIMS, EC2NODECLASSES, KWOKNODECLASSES]) {
      for (let i = 0; (await api('GET', path)).status !== 200; i++) {
        assert.ok(i < 300, `${path} not served within 30 s`);
        await sleep(100);
      }
    }
    timings.push(`CRDs installed and served ${Math.round(performance.now() - started)} ms`);
  });
  after(async () => {
    await cp?.stop();
  });

  it('reports every CRD Established with its names accepted', async (t) => {
    for (const { crd } of generateCrds()) {
      const r = await api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      const conditions = (r.body.status as { conditions: { type: string; status: string }[] }).conditions;
      for (const type of ['NamesAccepted', 'Established']) assert.ok(conditions.some((c) => c.type === type && c.status === 'True'), `${crd.metadata.name} ${type}`);
    }
    const discovery = await api('GET', '/apis/karpenter.sh/v1');
    const nodepools = (discovery.body.resources as { name: string; shortNames?: string[]; categories?: string[] }[]).find((r) => r.name === 'nodepools');
    assert.deepEqual([nodepools?.shortNames, nodepools?.categories], [['np'], ['karpenter']]);
    t.diagnostic(timings.join('; '));
  });

  it('creates a valid NodePool and fills in the defaults of defaults.ts', async () => {
    const np = validNodePool('defaults');
    const created = await api('POST', NODEPOOLS, np);
    assert.equal(created.status, 201, message(created));
    const spec = created.body.spec as NodePool['spec'];
    assert.equal(spec.template.spec.expireAfter, '720h');
    assert.deepEqual(spec.disruption, { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s', budgets: [{ nodes: '10%' }] });
    assert.deepEqual(spec, withDefaults(np).spec);
  });

  for (const c of INVALID_NODEPOOLS) {
    it(`rejects an invalid NodePool, as validateNodePool does: ${c.name}`, async () => {
      const np = buildCase(c, `case-${INVALID_NODEPOOLS.indexOf(c)}`);
      assert.ok(validateNodePool(np).some((p) => p.path.startsWith(c.field)));
      await expectRejected(NODEPOOLS, np, c.field, c.message);
    });
  }

  it('refuses exactly the requirement keys labels.ts refuses (the CEL text, not only its TypeScript twin)', async () => {
    for (let start = 0; start < LABEL_KEY_SAMPLES.length; start += 100) {
      const batch = LABEL_KEY_SAMPLES.slice(start, start + 100);
      const np = validNodePool('keys');
      np.spec.template.spec.requirements = batch.map((key) => ({ key, operator: 'Exists' }));
      const r = await api('POST', `${NODEPOOLS}?dryRun=All`, np);
      const causes = ((r.body.details as { causes?: { field: string }[] } | undefined)?.causes ?? []).map((c) => c.field);
      const refused = batch.filter((_, i) => causes.includes(`spec.template.spec.requirements[${i}].key`));
      const expected = batch.filter((key) => restrictedLabelReason(key) !== undefined || key === NODEPOOL_LABEL);
      assert.deepEqual(refused, expected);
    }
  });

  it('accepts what only validateNodePool refuses (checks the CRD leaves to nodewright)', async () => {
    const cases: [string, (np: NodePool) => void][] = [
      ['a taint repeated in startupTaints (CEL over two unbounded lists is too costly)', (np) => {
        np.spec.template.spec.taints = [{ key: 'example.com/t', effect: 'NoSchedule' }];
        np.spec.template.spec.startupTaints = [{ key: 'example.com/t', effect: 'NoSchedule' }];
      }],
      ['an annotation key that is not a qualified name (no rule on an unbounded map)', (np) => {
        np.spec.template.metadata = { annotations: { 'bad key!': 'x' } };
      }],
      ['a cron schedule with a minute of 61 (the CRD checks the shape only)', (np) => {
        np.spec.disruption = { budgets: [{ nodes: '1', schedule: '61 * * * *', duration: '1h' }] };
      }],
      ['kubelet in the template, moved to the node class in v1 (the server prunes it)', (np) => {
        Object.assign(np.spec.template.spec, { kubelet: { maxPods: 10 } });
      }],
    ];
    for (const [name, edit] of cases) {
      const np = validNodePool('lenient');
      edit(np);
      assert.notDeepEqual(validateNodePool(np), [], name);
      const r = await api('POST', `${NODEPOOLS}?dryRun=All`, np);
      assert.equal(r.status, 201, `${name}: ${message(r)}`);
    }
  });

  it('refuses NodePool updates that change the node class group or kind, or switch to a static pool', async () => {
    const created = await api('POST', NODEPOOLS, validNodePool('updates'));
    assert.equal(created.status, 201, message(created));
    const merge = 'application/merge-patch+json';
    const group = { spec: { template: { spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' } } } } };
    const refused = await api('PATCH', `${NODEPOOLS}/updates`, group, merge);
    assert.equal(refused.status, 422);
    assert.match(message(refused), /spec\.template\.spec\.nodeClassRef: .*nodeClassRef\.group is immutable.*nodeClassRef\.kind is immutable/s);
    const toStatic = await api('PATCH', `${NODEPOOLS}/updates`, { spec: { replicas: 3 } }, merge);
    assert.equal(toStatic.status, 422);
    assert.match(message(toStatic), /Cannot transition NodePool between static/);
    const renamed = await api('PATCH', `${NODEPOOLS}/updates`, { spec: { template: { spec: { nodeClassRef: { name: 'other' } } } } }, merge);
    assert.equal(renamed.status, 200, message(renamed));
    // The local schema reaches the same verdicts on the same updates.
    const old = created.body;
    const patched = structuredClone(old) as unknown as NodePool;
    patched.spec.template.spec.nodeClassRef.group = 'karpenter.k8s.aws';
    assert.match(validateResource(NODEPOOL, patched, old).map((p) => p.message).join(), /nodeClassRef.group is immutable/);
  });

  it('NodeClaim: expireAfter defaulted, spec immutable, status only through the status subresource', async () => {
    const claim: NodeClaim = {
      apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { generateName: 'defaults-' },
      spec: {
        nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
        requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['defaults'] }],
        resources: { requests: { cpu: '1500m', pods: 3 } },
      },
    };
    const created = await api('POST', NODECLAIMS, claim);
    assert.equal(created.status, 201, message(created));
    assert.deepEqual(created.body.spec, withNodeClaimDefaults(claim).spec);
    const name = (created.body.metadata as { name: string }).name;
    const merge = 'application/merge-patch+json';
    const changed = await api('PATCH', `${NODECLAIMS}/${name}`, { spec: { expireAfter: '1h' } }, merge);
    assert.equal(changed.status, 422);
    assert.match(message(changed), /spec: Invalid value: "object": spec is immutable/);
    const viaMain = await api('PATCH', `${NODECLAIMS}/${name}`, { status: { nodeName: 'ignored' } }, merge);
    assert.equal((viaMain.body.status as { nodeName?: string } | undefined)?.nodeName, undefined);
    const status = { status: { providerID: 'kwok://n1', nodeName: 'n1', conditions: [{ type: 'Launched', status: 'True' }] } };
    const viaStatus = await api('PATCH', `${NODECLAIMS}/${name}/status`, status, merge);
    assert.equal(viaStatus.status, 200, message(viaStatus));
    assert.equal((viaStatus.body.status as { nodeName: string }).nodeName, 'n1');
  });

  it('EC2NodeClass: metadataOptions defaulted (IMDSv2, hop limit 1); invalid ones refused as validateEC2NodeClass refuses them', async () => {
    const nc = validEC2NodeClass('defaults');
    const created = await api('POST', EC2NODECLASSES, nc);
    assert.equal(created.status, 201, message(created));
    assert.deepEqual(created.body.spec, withEC2NodeClassDefaults(nc).spec);
    for (const c of INVALID_EC2NODECLASSES) {
      const obj = buildEC2Case(c, 'case');
      assert.ok(validateEC2NodeClass(obj).some((p) => p.path.startsWith(c.field)), c.name);
      await expectRejected(EC2NODECLASSES, obj, c.field, c.message);
    }
    const switched = { spec: { role: null, instanceProfile: 'profile' } };
    const refused = await api('PATCH', `${EC2NODECLASSES}/defaults`, switched, 'application/merge-patch+json');
    assert.equal(refused.status, 422);
    assert.match(message(refused), /changing from 'instanceProfile' to 'role' is not supported/);
  });

  it('KWOKNodeClass: an empty one is accepted, a delay that is not a duration is not', async () => {
    const created = await api('POST', KWOKNODECLASSES, { apiVersion: 'karpenter.kwok.sh/v1alpha1', kind: 'KWOKNodeClass', metadata: { name: 'default' } });
    assert.equal(created.status, 201, message(created));
    await expectRejected(KWOKNODECLASSES, { apiVersion: 'karpenter.kwok.sh/v1alpha1', kind: 'KWOKNodeClass', metadata: { name: 'x' }, spec: { nodeRegistrationDelay: '5 s' } }, 'spec.nodeRegistrationDelay');
  });

  it('serves the printer columns as a Table', async () => {
    const table = await api('GET', NODEPOOLS, undefined, 'application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io');
    assert.equal(table.status, 200, message(table));
    const columns = (table.body.columnDefinitions as { name: string }[]).map((c) => c.name);
    assert.deepEqual(columns, ['Name', 'NodeClass', 'Nodes', 'Ready', 'Age', 'Weight', 'CPU', 'Memory']);
    const row = (table.body.rows as { cells: unknown[] }[]).find((r) => r.cells[0] === 'defaults');
    assert.equal(row?.cells[1], 'default');
  });

  it('accepts every generated NodePool that validateNodePool accepts, with the same defaults', async () => {
    const start = performance.now();
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(arbNodePool, async (np) => {
        fc.pre(validateNodePool(np).length === 0);
        checked++;
        const r = await api('POST', `${NODEPOOLS}?dryRun=All`, np);
        assert.equal(r.status, 201, `${message(r)}\n${JSON.stringify(np)}`);
        assert.deepEqual(r.body.spec, withDefaults(np).spec);
      }),
      { numRuns: 40 },
    );
    timings.push(`${checked} random NodePools ${Math.round(performance.now() - start)} ms`);
  });

  it('timing', (t) => {
    t.diagnostic(`${timings.join('; ')}; whole tier so far ${Math.round(performance.now() - t0)} ms`);
  });
});

const keys = ['kubernetes.io/arch', 'topology.kubernetes.io/zone', 'karpenter.sh/capacity-type', 'node.kubernetes.io/instance-type',
  'karpenter.k8s.aws/instance-cpu', 'beta.kubernetes.io/os', 'example.com/team', 'kops.k8s.io/group', 'node.kubernetes.io/role', 'app'];
const value = fc.constantFrom('a', 'amd64', 'us-west-2a', '4', '16', 'x.y-z_1');
// Valid by construction for the most part; fc.pre drops the rest (duplicate taints, ...).
const requirement = fc.constantFrom(...V1_OPERATORS).chain((operator) => {
  const values =
    operator === 'In' || operator === 'NotIn' ? fc.array(value, { minLength: 1, maxLength: 3 })
      : operator === 'Exists' || operator === 'DoesNotExist' ? fc.constant(undefined)
        : fc.integer({ min: 0, max: 64 }).map((n) => [String(n)]);
  return fc.record(
    { key: fc.constantFrom(...keys), operator: fc.constant(operator), values, minValues: fc.integer({ min: 1, max: 2 }) },
    { requiredKeys: ['key', 'operator', 'values'] },
  );
});
const budget = fc
  .record({
    nodes: fc.constantFrom('0', '3', '10%', '100%'),
    window: fc.option(fc.tuple(fc.constantFrom('@daily', '0 9 * * mon-fri'), fc.constantFrom('8h', '1h30m')), { nil: undefined }),
    reasons: fc.option(fc.subarray(['Underutilized', 'Empty', 'Drifted']), { nil: undefined }),
  })
  .map(({ nodes, window, reasons }) => ({ nodes, ...(window ? { schedule: window[0], duration: window[1] } : {}), ...(reasons ? { reasons } : {}) }));
const arbNodePool = fc
  .record({
    requirements: fc.array(requirement, { maxLength: 4 }),
    labels: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 }),
    taints: fc.array(fc.record({ key: fc.constantFrom('example.com/a', 'b'), effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute') }), { maxLength: 2 }),
    expireAfter: fc.option(fc.constantFrom('720h', 'Never', '1h30m'), { nil: undefined }),
    terminationGracePeriod: fc.option(fc.constantFrom('48h', '90s'), { nil: undefined }),
    disruption: fc.option(fc.record({ consolidationPolicy: fc.constantFrom('WhenEmpty', 'WhenEmptyOrUnderutilized'), consolidateAfter: fc.constantFrom('0s', 'Never', '5m'), budgets: fc.array(budget, { maxLength: 3 }) }, { requiredKeys: [] }), { nil: undefined }),
    limits: fc.option(fc.record({ cpu: fc.constantFrom('10', '500m', 64), memory: fc.constantFrom('100Gi', '1e3') }, { requiredKeys: [] }), { nil: undefined }),
    weight: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  })
  .map((f) => {
    const np = validNodePool('random');
    Object.assign(np.spec.template.spec, { requirements: f.requirements, taints: f.taints, expireAfter: f.expireAfter, terminationGracePeriod: f.terminationGracePeriod });
    np.spec.template.metadata = { labels: f.labels };
    Object.assign(np.spec, { disruption: f.disruption, limits: f.limits, weight: f.weight });
    return JSON.parse(JSON.stringify(np)) as NodePool; // drop undefined fields, as a client would
  });
