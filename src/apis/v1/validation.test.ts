import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { formatProblems, validateNodeClaim, validateNodePool } from './validation.js';
import type { ValidationProblem } from './validation.js';
import { withDefaults } from './defaults.js';
import type { NodePool } from './types.js';

/** A NodePool in the style of Karpenter's documented example, exercising most fields. */
const KARPENTER_EXAMPLE = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: default
spec:
  template:
    metadata:
      labels:
        billing-team: my-team
        node.kubernetes.io/role: worker
      annotations:
        example.com/owner: "my-team"
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      taints:
        - key: example.com/special-taint
          value: "true"
          effect: NoSchedule
      startupTaints:
        - key: example.com/another-taint
          effect: NoSchedule
      expireAfter: 720h
      terminationGracePeriod: 48h
      requirements:
        - key: karpenter.k8s.aws/instance-category
          operator: In
          values: ["c", "m", "r"]
          minValues: 2
        - key: karpenter.k8s.aws/instance-family
          operator: In
          values: ["m5", "m5d", "c5", "c5d", "c4", "r4"]
          minValues: 5
        - key: node.kubernetes.io/instance-type
          operator: Exists
          minValues: 10
        - key: karpenter.k8s.aws/instance-generation
          operator: Gt
          values: ["2"]
        - key: karpenter.k8s.aws/instance-cpu
          operator: Lte
          values: ["64"]
        - key: topology.kubernetes.io/zone
          operator: In
          values: ["us-west-2a", "us-west-2b"]
        - key: kubernetes.io/arch
          operator: In
          values: ["arm64", "amd64"]
        - key: karpenter.sh/capacity-type
          operator: In
          values: ["spot", "on-demand"]
        - key: kubernetes.io/os
          operator: NotIn
          values: ["windows"]
        - key: example.com/gpu
          operator: DoesNotExist
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 1m
    budgets:
      - nodes: "20%"
        reasons: ["Empty", "Drifted"]
      - nodes: "5"
      - nodes: "0"
        schedule: "@daily"
        duration: 10m
        reasons: ["Underutilized"]
      - nodes: "0"
        schedule: "0 9 * * mon-fri"
        duration: 8h
  limits:
    cpu: "1000"
    memory: 1000Gi
    nvidia.com/gpu: 8
  weight: 10
`;

function base(): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: { name: 'default' },
    spec: {
      template: {
        spec: {
          requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
        },
      },
    },
  };
}

/** Marks a field for deletion in an edit. */
const DELETE = Symbol('delete');
/** Field path ("spec.template.spec.requirements[0].operator") → new value, applied in order. */
type Edits = Record<string, unknown>;

/** Sets (or deletes) the field at a dotted path with [i] indices, creating mappings on the way. */
function setPath(target: unknown, path: string, value: unknown): void {
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === DELETE) delete node[last];
  else node[last] = value;
}

function edited(object: unknown, edits: Edits): unknown {
  const copy = structuredClone(object);
  for (const [path, value] of Object.entries(edits)) setPath(copy, path, value);
  return copy;
}

function assertProblems(actual: readonly ValidationProblem[], expected: readonly [string, RegExp][]): void {
  const shown = formatProblems(actual);
  assert.equal(actual.length, expected.length, `expected ${expected.length} problem(s), got:\n${shown}`);
  for (const [path, message] of expected) {
    assert.ok(actual.some((p) => p.path === path && message.test(p.message)), `missing ${path}: ${message}\ngot:\n${shown}`);
  }
}

const REQ = 'spec.template.spec.requirements';
const exists = (key: string): unknown => ({ key, operator: 'Exists' });

describe('validateNodePool', () => {
  it("accepts Karpenter's example NodePool", () => {
    assert.deepEqual(validateNodePool(parse(KARPENTER_EXAMPLE)), []);
  });

  it('accepts a minimal NodePool, before and after defaulting', () => {
    assert.deepEqual(validateNodePool(base()), []);
    assert.deepEqual(validateNodePool(withDefaults(base())), []);
  });

  const cases: [string, Edits, [string, RegExp][]][] = [
    ['an unknown operator', { [`${REQ}[0].operator`]: 'Equals' },
      [[`${REQ}[0].operator`, /"Equals" is not supported; use one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte/]]],
    ['a missing operator', { [`${REQ}[0].operator`]: DELETE }, [[`${REQ}[0].operator`, /is required/]]],
    ['In without values', { [`${REQ}[0].values`]: [] }, [[`${REQ}[0].values`, /at least one value with operator In/]]],
    ['Exists with values', { [`${REQ}[1]`]: { key: 'team', operator: 'Exists', values: ['a'] } },
      [[`${REQ}[1].values`, /must be empty with operator Exists/]]],
    ['Gt with two values', { [`${REQ}[1]`]: { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gt', values: ['1', '2'] } },
      [[`${REQ}[1].values`, /single non-negative integer with operator Gt/]]],
    ['Lt with a word', { [`${REQ}[1]`]: { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Lt', values: ['many'] } },
      [[`${REQ}[1].values`, /single non-negative integer with operator Lt/]]],
    ['Gte without values', { [`${REQ}[1]`]: { key: 'karpenter.k8s.aws/instance-cpu', operator: 'Gte' } },
      [[`${REQ}[1].values`, /single non-negative integer with operator Gte/]]],
    ['minValues above 50', { [`${REQ}[1]`]: exists('a'), [`${REQ}[2]`]: { key: 'b', operator: 'Exists', minValues: 51 } },
      [[`${REQ}[2].minValues`, /must be between 1 and 50/]]],
    ['minValues 0', { [`${REQ}[0].minValues`]: 0 }, [[`${REQ}[0].minValues`, /must be between 1 and 50/]]],
    ['In with fewer values than minValues', { [`${REQ}[0].minValues`]: 2 }, [[`${REQ}[0].minValues`, /is 2 but only 1 value is listed/]]],
    ['more than 100 requirements', { [REQ]: Array.from({ length: 101 }, (_, i) => exists(`example.com/k${i}`)) },
      [[REQ, /at most 100 requirements, got 101/]]],
    ['requirements missing', { [REQ]: DELETE }, [[REQ, /is required/]]],
    ['karpenter.sh/nodepool as a requirement key', { [`${REQ}[0].key`]: 'karpenter.sh/nodepool' },
      [[`${REQ}[0].key`, /"karpenter.sh\/nodepool" is restricted/]]],
    ['a kubernetes.io key that is not well known', { [`${REQ}[0].key`]: 'kubernetes.io/custom' },
      [[`${REQ}[0].key`, /domain "kubernetes.io" is restricted/]]],
    ['the hostname label', { [`${REQ}[0].key`]: 'kubernetes.io/hostname' }, [[`${REQ}[0].key`, /"kubernetes.io\/hostname" is restricted/]]],
    ['a karpenter.sh key', { [`${REQ}[0].key`]: 'karpenter.sh/initialized' }, [[`${REQ}[0].key`, /domain "karpenter.sh" is restricted/]]],
    ['a bad key and a bad value', { [`${REQ}[0]`]: { key: 'Bad Key', operator: 'In', values: ['ok', 'not ok'] } },
      [[`${REQ}[0].key`, /name part "Bad Key"/], [`${REQ}[0].values[1]`, /contain only/]]],
    ['a numeric value', { [`${REQ}[0].values`]: [5] }, [[`${REQ}[0].values[0]`, /must be a string, got number 5 \(quote it in YAML\)/]]],
    ['restricted and forbidden template labels',
      { 'spec.template.metadata.labels': { 'karpenter.sh/nodepool': 'x', 'kubernetes.io/hostname': 'h', 'k8s.io/x': 'y', team: 'a b', ok: 'fine' } },
      [
        ['spec.template.metadata.labels["karpenter.sh/nodepool"]', /restricted/],
        ['spec.template.metadata.labels["kubernetes.io/hostname"]', /restricted/],
        ['spec.template.metadata.labels["k8s.io/x"]', /domain "k8s.io"/],
        ['spec.template.metadata.labels.team', /contain only/],
      ]],
    ['a non-string label value', { 'spec.template.metadata.labels': { version: 2 } },
      [['spec.template.metadata.labels.version', /must be a string, got number 2/]]],
    ['more than 100 labels', { 'spec.template.metadata.labels': Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, 'v'])) },
      [['spec.template.metadata.labels', /at most 100 labels/]]],
    ['a bad annotation key', { 'spec.template.metadata.annotations': { '/x': 'v' } }, [['spec.template.metadata.annotations["/x"]', /prefix/]]],
    ['bad taints', { 'spec.template.spec.taints': [{ key: 'a', effect: 'NoWay' }, { effect: 'NoSchedule' }, { key: 'b', value: 'x/y', effect: 'NoSchedule' }] },
      [
        ['spec.template.spec.taints[0].effect', /"NoWay" is not a taint effect/],
        ['spec.template.spec.taints[1].key', /is required/],
        ['spec.template.spec.taints[2].value', /contain only/],
      ]],
    ['a taint repeated in startupTaints', {
      'spec.template.spec.taints': [{ key: 'a', effect: 'NoSchedule' }],
      'spec.template.spec.startupTaints': [{ key: 'a', value: 'other', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }],
    }, [['spec.template.spec.startupTaints[0]', /duplicates spec.template.spec.taints\[0\]/]]],
    ['a missing nodeClassRef', { 'spec.template.spec.nodeClassRef': DELETE }, [['spec.template.spec.nodeClassRef', /is required/]]],
    ['an incomplete nodeClassRef', { 'spec.template.spec.nodeClassRef': { group: 'karpenter.k8s.aws/v1', kind: '' } },
      [
        ['spec.template.spec.nodeClassRef.group', /without a version, such as "karpenter.k8s.aws"/],
        ['spec.template.spec.nodeClassRef.kind', /must not be empty/],
        ['spec.template.spec.nodeClassRef.name', /is required/],
      ]],
    ['a v1beta1 nodeClassRef', { 'spec.template.spec.nodeClassRef': { apiVersion: 'karpenter.k8s.aws/v1beta1', kind: 'EC2NodeClass', name: 'x' } },
      [['spec.template.spec.nodeClassRef.group', /replaced apiVersion with group \(here "karpenter.k8s.aws"\)/]]],
    ['bad durations', {
      'spec.template.spec.expireAfter': '1.5h',
      'spec.template.spec.terminationGracePeriod': 'Never',
      'spec.disruption.consolidateAfter': '30',
    }, [
      ['spec.template.spec.expireAfter', /whole hours, minutes and seconds.*or "Never"; got string "1.5h"/],
      ['spec.template.spec.terminationGracePeriod', /whole hours, minutes and seconds, such as "720h" or "1h30m"; got string "Never"/],
      ['spec.disruption.consolidateAfter', /or "Never"; got string "30"/],
    ]],
    ['nothing for Never where it is allowed', { 'spec.template.spec.expireAfter': 'Never', 'spec.disruption.consolidateAfter': 'Never' }, []],
    ['v1beta1 leftovers', {
      'spec.disruption.consolidationPolicy': 'WhenUnderutilized',
      'spec.disruption.expireAfter': '720h',
      'spec.template.spec.kubelet': { maxPods: 110 },
    }, [
      ['spec.disruption.consolidationPolicy', /renamed WhenEmptyOrUnderutilized/],
      ['spec.disruption.expireAfter', /moved to spec.template.spec.expireAfter/],
      ['spec.template.spec.kubelet', /EC2NodeClass spec.kubelet/],
    ]],
    ['the Balanced policy', { 'spec.disruption.consolidationPolicy': 'Balanced' },
      [['spec.disruption.consolidationPolicy', /Balanced \(Karpenter 1.14\) is not supported yet/]]],
    ['an unknown policy', { 'spec.disruption.consolidationPolicy': 'Always' },
      [['spec.disruption.consolidationPolicy', /must be one of WhenEmpty, WhenEmptyOrUnderutilized, got string "Always"/]]],
    ['budget nodes that do not match the pattern',
      { 'spec.disruption.budgets': [{ nodes: '101%' }, { nodes: '-1' }, { nodes: 5 }, { nodes: '10 %' }, { nodes: '100%' }, { nodes: '0' }] },
      [
        ['spec.disruption.budgets[0].nodes', /percentage from "0%" to "100%", got string "101%"/],
        ['spec.disruption.budgets[1].nodes', /got string "-1"/],
        ['spec.disruption.budgets[2].nodes', /got number 5 \(quote it in YAML\)/],
        ['spec.disruption.budgets[3].nodes', /got string "10 %"/],
      ]],
    ['schedule without duration and duration without schedule',
      { 'spec.disruption.budgets': [{ nodes: '0', schedule: '@daily' }, { nodes: '0', duration: '1h' }] },
      [
        ['spec.disruption.budgets[0]', /schedule and duration must be set together \(schedule is set alone\)/],
        ['spec.disruption.budgets[1]', /\(duration is set alone\)/],
      ]],
    ['a bad cron and a budget duration in seconds', { 'spec.disruption.budgets': [{ nodes: '0', schedule: '0 25 * * *', duration: '30s' }] },
      [
        ['spec.disruption.budgets[0].schedule', /hour field "25"/],
        ['spec.disruption.budgets[0].duration', /hours and minutes, such as "8h" or "1h30m"; got string "30s"/],
      ]],
    ['nothing for budget durations as Karpenter writes them back',
      { 'spec.disruption.budgets': [{ nodes: '0', schedule: '@hourly', duration: '1h30m0s' }, { nodes: '1', schedule: '@daily', duration: '10m0s' }] }, []],
    ['unknown and repeated reasons', { 'spec.disruption.budgets': [{ nodes: '1', reasons: ['Empty', 'Expired', 'Empty'] }] },
      [
        ['spec.disruption.budgets[0].reasons[1]', /must be one of Underutilized, Empty, Drifted, got string "Expired"/],
        ['spec.disruption.budgets[0].reasons[2]', /duplicates "Empty"/],
      ]],
    ['more than 50 budgets', { 'spec.disruption.budgets': Array.from({ length: 51 }, () => ({ nodes: '1' })) },
      [['spec.disruption.budgets', /at most 50 budgets, got 51/]]],
    ['weight out of range', { 'spec.weight': 0 }, [['spec.weight', /integer between 1 and 100, got number 0/]]],
    ['weight as a string', { 'spec.weight': '10' }, [['spec.weight', /integer between 1 and 100, got string "10"/]]],
    ['fractional weight', { 'spec.weight': 1.5 }, [['spec.weight', /integer between 1 and 100/]]],
    ['limits that are not quantities', { 'spec.limits': { cpu: '1000x', memory: 1.5, pods: true, 'nvidia.com/gpu': '2' } },
      [
        ['spec.limits.cpu', /invalid quantity "1000x"/],
        ['spec.limits.memory', /integer or a quantity string/],
        ['spec.limits.pods', /must be a quantity/],
      ]],
    ['static pools with cpu limits and a weight', { 'spec.replicas': 3, 'spec.limits': { cpu: '10', nodes: '5' }, 'spec.weight': 5 },
      [['spec.limits', /only limits.nodes is supported on a static NodePool/], ['spec.weight', /not supported on a static NodePool/]]],
    ['negative replicas', { 'spec.replicas': -1 }, [['spec.replicas', /integer at least 0/]]],
    ['a bad name', { 'metadata.name': 'Default_Pool' }, [['metadata.name', /lowercase letters/]]],
    ['a name too long for a label value', { 'metadata.name': 'a'.repeat(64) }, [['metadata.name', /at most 63 characters/]]],
    ['a missing name', { 'metadata.name': DELETE }, [['metadata.name', /is required/]]],
    ['another apiVersion', { apiVersion: 'karpenter.sh/v1beta1' }, [['apiVersion', /must be karpenter.sh\/v1/]]],
  ];
  for (const [name, edits, expected] of cases) {
    it(`reports ${name}`, () => assertProblems(validateNodePool(edited(base(), edits)), expected));
  }

  it('reports every problem at once', () => {
    const problems = validateNodePool(
      edited(base(), { 'spec.weight': 1000, [`${REQ}[0].operator`]: 'Bogus', 'spec.disruption.budgets': [{ nodes: 'x' }] }),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), ['spec.disruption.budgets[0].nodes', `${REQ}[0].operator`, 'spec.weight']);
  });

  it('never throws on malformed input', () => {
    const malformed: unknown[] = [
      null, 3, 'x', [], {}, { spec: [] }, { metadata: {}, spec: { template: 'x' } },
      {
        metadata: { name: 'a' },
        spec: {
          template: { metadata: 'x', spec: { requirements: [null, 'x', { key: 3, operator: [], values: 'x', minValues: 'y' }], taints: {}, nodeClassRef: 'x' } },
          disruption: { budgets: [null, { schedule: 5, duration: 5, reasons: 'x' }] },
          limits: [],
        },
      },
    ];
    for (const bad of malformed) assert.ok(validateNodePool(bad).length > 0, JSON.stringify(bad));
  });

  it('refuses a wrong kind (a missing one is fine, as for apiVersion)', () => {
    const np = { apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', metadata: { name: 'x' }, spec: { template: { spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'K', name: 'n' } } } } };
    assert.deepEqual(validateNodePool(np), [{ path: 'kind', message: 'must be NodePool, got string "NodeClaim"' }]);
    assert.deepEqual(validateNodePool({ ...np, kind: undefined }), []);
    assert.deepEqual(validateNodePool({ ...np, kind: ['NodePool'] }).map((p) => p.path), ['kind']);
  });

  it('reports values JSON cannot spell (a bigint weight) at their field instead of throwing', () => {
    const np = { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'x' }, spec: { weight: 10n, template: { spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'K', name: 'n' } } } } };
    assert.deepEqual(validateNodePool(np), [{ path: 'spec.weight', message: 'must be an integer between 1 and 100, got bigint 10' }]);
  });

  it('formats problems one per line', () => {
    assert.equal(
      formatProblems([{ path: 'spec.weight', message: 'must be an integer between 1 and 100, got number 0' }, { path: 'a', message: 'b' }]),
      'spec.weight: must be an integer between 1 and 100, got number 0\na: b',
    );
    assert.equal(formatProblems(validateNodePool(null)), 'must be a NodePool object, got null');
  });
});

describe('validateNodeClaim', () => {
  const claim = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: 'default-x7k2p', labels: { 'karpenter.sh/nodepool': 'default' } },
    spec: {
      requirements: [
        { key: 'karpenter.sh/nodepool', operator: 'In', values: ['default'] },
        { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large', 'm5.xlarge'], minValues: 2 },
      ],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
      resources: { requests: { cpu: '1500m', memory: '2Gi', pods: 3 } },
      expireAfter: '720h',
    },
  };

  it('accepts a NodeClaim as nodewright writes it, nodepool requirement included', () => {
    assert.deepEqual(validateNodeClaim(claim), []);
  });

  it('accepts generateName in place of a name', () => {
    assert.deepEqual(validateNodeClaim(edited(claim, { metadata: { generateName: 'default-' } })), []);
  });

  it('reports spec problems with their paths', () => {
    const nc = edited(claim, {
      'spec.requirements[1].minValues': 3,
      'spec.resources.requests.cpu': 'lots',
      'spec.taints': [{ key: 'a', effect: 'Sometimes' }],
      'spec.terminationGracePeriod': '1d',
      'spec.nodeClassRef': DELETE,
    });
    assertProblems(validateNodeClaim(nc), [
      ['spec.requirements[1].minValues', /is 3 but only 2 values are listed/],
      ['spec.resources.requests.cpu', /invalid quantity "lots"/],
      ['spec.taints[0].effect', /not a taint effect/],
      ['spec.terminationGracePeriod', /got string "1d"/],
      ['spec.nodeClassRef', /is required/],
    ]);
  });

  it('needs a spec and a name', () => {
    assertProblems(validateNodeClaim({ metadata: {} }), [['metadata.name', /is required/], ['spec', /is required/]]);
    assertProblems(validateNodeClaim(undefined), [['', /must be a NodeClaim object/]]);
  });
});
