/**
 * Bad input, fuzzed: random documents and near misses of valid ones (NodePool, NodeClaim,
 * v1alpha5 Provisioner and its conversion, EC2NodeClass, manifest files and simulation scenarios).
 * Every parser and validator must return problems rather than throw, finish in bounded time, and
 * name the field of every rejection (a field path; for files also a line inside the file). What a
 * validator accepts must also go through the next step (defaults, hash, conversion) without failing.
 * Seeded and bounded; records its figures under "fuzz-inputs".
 */
import { after, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { validNodePool } from '../apis/crds/nodepool-cases.js';
import { validEC2NodeClass } from '../apis/ec2nodeclass/cases.js';
import { withEC2NodeClassDefaults } from '../apis/ec2nodeclass/defaults.js';
import type { EC2NodeClass } from '../apis/ec2nodeclass/types.js';
import { validateEC2NodeClass } from '../apis/ec2nodeclass/validation.js';
import { parseManifests, problemAt, splitPath } from '../apis/manifests.js';
import type { ManifestProblem } from '../apis/manifests.js';
import { withDefaults, withNodeClaimDefaults } from '../apis/v1/defaults.js';
import { nodePoolHash } from '../apis/v1/hash.js';
import type { NodeClaim, NodePool } from '../apis/v1/types.js';
import { validateNodeClaim, validateNodePool } from '../apis/v1/validation.js';
import type { ValidationProblem } from '../apis/v1/validation.js';
import { convertProvisioner } from '../apis/v1alpha5/convert.js';
import type { Provisioner } from '../apis/v1alpha5/types.js';
import { validateProvisioner } from '../apis/v1alpha5/validation.js';
import { convertProvisioners } from '../cli/plan-provisioners.js';
import { nodeClaim } from '../controllers/nodeclaim/fixtures.js';
import { parseScenario } from '../sim/scenario/index.js';
import { recordChaosFigures } from '../test/chaos-figures.js';
import { FuzzLedger, show } from './fuzz-check.js';
import { NASTY_KEYS, NASTY_VALUES, YAML_JUNK, mutateText, mutateValue, pathsOf } from '../test/fuzz-mutate.js';
import type { KeyPath, Mutation, TextMutation } from '../test/fuzz-mutate.js';

const SEED = Number(process.env['NODEWRIGHT_FUZZ_SEED'] ?? 20261130);
/** More inputs per property for a deeper local run (NODEWRIGHT_FUZZ_SCALE=10); 1 in the chaos tier. */
const SCALE = Number(process.env['NODEWRIGHT_FUZZ_SCALE'] ?? 1);
const INVARIANTS = ['crash', 'hang', 'rejection-without-field', 'rejection-at-other-field', 'accepted-then-failed', 'conversion-invalid'];
/** CPU milliseconds of this process: a hang is work, and wall time on a shared machine says little about it. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// One ledger per test, so a test fails only for its own violations; the figures add them all up.
const ledgers: FuzzLedger[] = [];
let ledger = new FuzzLedger(INVARIANTS, cpuMs);
beforeEach(() => {
  ledger = new FuzzLedger(INVARIANTS, cpuMs);
  ledgers.push(ledger);
});

after(() => {
  const violations: Record<string, number> = {};
  for (const l of ledgers) for (const [k, n] of Object.entries(l.violations())) violations[k] = (violations[k] ?? 0) + n;
  recordChaosFigures('fuzz-inputs', { fuzzed: ledgers.reduce((n, l) => n + l.fuzzed, 0), violations });
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(root + path, 'utf8');
const docsOf = (text: string): unknown[] => parseAllDocuments(text).map((d) => d.toJS() as unknown);
const ofKind = (kind: string) => (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === kind;

const PLAN_TEXTS = ['examples/plan/nodepool.yaml', 'examples/plan/provisioner.yaml'].map(read);
const NODEPOOLS: unknown[] = [validNodePool(), ...docsOf(read('examples/plan/nodepool.yaml')).filter(ofKind('NodePool'))];
const NODECLAIMS: unknown[] = [nodeClaim({ name: 'fuzz' }), nodeClaim({ name: 'fuzz-t', taints: [{ key: 'a', value: 'b', effect: 'NoSchedule' }], requests: { cpu: '1', memory: '1Gi' } })];
const PROVISIONER_BASE: Provisioner = {
  apiVersion: 'karpenter.sh/v1alpha5', kind: 'Provisioner', metadata: { name: 'fuzz' },
  spec: {
    requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }],
    providerRef: { name: 'default' },
    consolidation: { enabled: true },
    kubeletConfiguration: { maxPods: 110, systemReserved: { cpu: '100m' } },
    limits: { resources: { cpu: '100' } },
  },
};
const PROVISIONERS: unknown[] = [PROVISIONER_BASE, ...docsOf(read('examples/plan/provisioner.yaml')).filter(ofKind('Provisioner'))];
const EC2NODECLASSES: unknown[] = [validEC2NodeClass()];
const SCENARIO_TEXTS = [
  ...readdirSync(root + 'examples').filter((f) => f.endsWith('.yaml')).map((f) => read(`examples/${f}`)),
  read('src/sim/scenario/testdata/base.yaml'),
];

const TOP_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/** A problem names a field: a readable path inside the object, or (only for a non-object) the object itself. */
function namesField(p: ValidationProblem, input: unknown): boolean {
  if (p.path === '') return typeof input !== 'object' || input === null || Array.isArray(input);
  const keys = splitPath(p.path);
  return keys !== undefined && TOP_KEYS.has(String(keys[0]));
}

/**
 * Whether a problem is about the field a single mutation touched: its path runs through the
 * mutated field's parent (a rejection caused by editing spec.weight names something under spec).
 */
function nearMutation(p: ValidationProblem, mutated: KeyPath): boolean {
  const keys = splitPath(p.path) ?? [];
  const parent = mutated.slice(0, -1);
  return parent.every((k, i) => i >= keys.length || String(keys[i]) === String(k));
}

/**
 * Validates one input; checks the problems name fields (the mutated one, when a single mutation
 * made the input), and that an accepted input goes through `accepted`.
 */
function validate(target: string, input: unknown, validator: (v: unknown) => ValidationProblem[], accepted: (v: unknown) => void, mutated?: KeyPath): void {
  const r = ledger.run(target, input, () => validator(input));
  if (!r.ok) return;
  for (const p of r.value) {
    if (!namesField(p, input)) ledger.violate('rejection-without-field', target, `${JSON.stringify(p)}\ninput: ${show(input)}`);
  }
  if (mutated !== undefined && r.value.length > 0 && !r.value.some((p) => nearMutation(p, mutated))) {
    ledger.violate('rejection-at-other-field', target, `mutated ${mutated.join('.')}, got ${JSON.stringify(r.value)}\ninput: ${show(input)}`);
  }
  if (r.value.length === 0) {
    const next = ledger.guard(`${target} (accepted)`, input, () => accepted(input));
    if (!next.ok) ledger.violate('accepted-then-failed', target, show(input));
  }
}

const acceptNodePool = (v: unknown): void => void nodePoolHash(withDefaults(v as NodePool));
const acceptNodeClaim = (v: unknown): void => void withNodeClaimDefaults(v as NodeClaim);
const acceptEC2 = (v: unknown): void => void withEC2NodeClassDefaults(v as EC2NodeClass);
function acceptProvisioner(v: unknown): void {
  const { nodePool } = convertProvisioner(v as Provisioner);
  const problems = validateNodePool(nodePool);
  if (problems.length > 0) ledger.violate('conversion-invalid', 'Provisioner', `${JSON.stringify(problems)}\ninput: ${show(v)}`);
}

const TARGETS = [
  { name: 'NodePool', bases: NODEPOOLS, validator: validateNodePool, accepted: acceptNodePool, apiVersion: 'karpenter.sh/v1' },
  { name: 'NodeClaim', bases: NODECLAIMS, validator: validateNodeClaim, accepted: acceptNodeClaim, apiVersion: 'karpenter.sh/v1' },
  { name: 'Provisioner', bases: PROVISIONERS, validator: validateProvisioner, accepted: acceptProvisioner, apiVersion: 'karpenter.sh/v1alpha5' },
  { name: 'EC2NodeClass', bases: EC2NODECLASSES, validator: (v: unknown) => validateEC2NodeClass(v), accepted: acceptEC2, apiVersion: 'karpenter.k8s.aws/v1' },
] as const;

const junk = fc.oneof(fc.constantFrom('-', ' ', '/', '.', '\u0000', '1e400', '%', '*', 'Gi', 'é', '"'), fc.string({ maxLength: 6 }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value: fc.oneof(fc.constantFrom(...NASTY_VALUES), fc.jsonValue({ maxDepth: 2 })) }),
  fc.constant({ kind: 'delete' as const }),
  fc.record({ kind: fc.constant('rename' as const), to: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 8 })) }),
  fc.constant({ kind: 'duplicate' as const }),
  fc.constant({ kind: 'wrap' as const }),
  fc.record({ kind: fc.constant('garble' as const), junk, at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 8 })), value: fc.constantFrom(...NASTY_VALUES) }),
);
/** One to three mutations, each at a path picked by index among the paths of the document as it is then. */
const mutations = fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 });

function applyAll(base: unknown, steps: readonly (readonly [number, Mutation])[]): unknown {
  let doc = base;
  for (const [pick, m] of steps) {
    const paths = pathsOf(doc);
    doc = mutateValue(doc, paths[pick % paths.length]!, m);
  }
  return doc;
}

function assertClean(): void {
  assert.equal(ledger.total(), 0, ledger.report());
}

describe('fuzzed API objects: problems with field paths, never a throw or a hang', () => {
  for (const t of TARGETS) {
    it(`${t.name}: mutated valid objects (the unmutated ones validate)`, { timeout: 20_000 }, () => {
      for (const base of t.bases) assert.deepEqual(t.validator(base), [], `the ${t.name} fixture is valid: ${show(base)}`);
      const samples = fc.sample(fc.tuple(fc.nat(), mutations), { seed: SEED, numRuns: 500 * SCALE });
      for (const [b, steps] of samples) {
        const base = t.bases[b % t.bases.length];
        const single = steps.length === 1 ? pathsOf(base)[steps[0]![0] % pathsOf(base).length] : undefined;
        validate(t.name, applyAll(base, steps), t.validator, t.accepted, single);
      }
      assertClean();
    });

    it(`${t.name}: random documents, with and without a right header`, { timeout: 20_000 }, () => {
      const header = fc.record({
        apiVersion: fc.oneof(fc.constant(t.apiVersion), fc.constantFrom(...NASTY_VALUES)),
        kind: fc.oneof(fc.constant(t.name), fc.string({ maxLength: 4 })),
        metadata: fc.oneof(fc.record({ name: fc.oneof(fc.constant('fuzz'), fc.string({ maxLength: 80 })) }), fc.anything({ maxDepth: 2 })),
        spec: fc.anything({ maxDepth: 4, withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true }),
      });
      const samples = fc.sample(fc.oneof(header, fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 3 })), { seed: SEED + 1, numRuns: 200 * SCALE });
      for (const input of samples) validate(t.name, input, t.validator, t.accepted);
      assertClean();
    });
  }
});

describe('inputs that broke a parser or validator once (each fixed, with a unit test beside the code)', () => {
  const np = (edit: (spec: Record<string, unknown>) => void): unknown => {
    const v = validNodePool() as unknown as { spec: { template: { spec: Record<string, unknown> } } };
    edit(v.spec.template.spec);
    return v;
  };
  const prov = (spec: Record<string, unknown>): unknown => ({ ...PROVISIONER_BASE, spec: { ...PROVISIONER_BASE.spec, ...spec } });
  const cases: [string, unknown, (v: unknown) => ValidationProblem[], (v: unknown) => void][] = [
    ['NodePool', np((s) => void (s.requirements = [{ key: 'constructor', operator: 'In', values: ['x'] }])), validateNodePool, acceptNodePool],
    ['NodePool', { ...validNodePool(), spec: { ...validNodePool().spec, weight: 10n } }, validateNodePool, acceptNodePool],
    ['NodeClaim', { ...nodeClaim({ name: 'x', labels: { toString: 'x' } }) }, validateNodeClaim, acceptNodeClaim],
    ['Provisioner', prov({ kubeletConfiguration: null }), validateProvisioner, acceptProvisioner],
    ['Provisioner', prov({ providerRef: null, provider: { subnetSelector: { a: 'b' } } }), validateProvisioner, acceptProvisioner],
    ['Provisioner', prov({ consolidation: undefined, ttlSecondsAfterEmpty: 2 ** 53 }), validateProvisioner, acceptProvisioner],
    ['EC2NodeClass', { ...validEC2NodeClass(), spec: { ...validEC2NodeClass().spec, kubelet: { maxPods: 1n } } }, (v) => validateEC2NodeClass(v), acceptEC2],
  ];
  it('API objects', () => {
    for (const [target, input, validator, accepted] of cases) validate(target, input, validator, accepted);
    assertClean();
  });

  it('files: an alias without its anchor', () => {
    for (const text of ['kind: NodePool\nmetadata:\n  name: *missing\n', `${PLAN_TEXTS[0]!}\n---\nkind: Provisioner\nspec: *nope\n`]) {
      const r = ledger.run('manifests', text, () => parseManifests(text, 'fuzz.yaml').problems);
      if (r.ok && !r.value.some((p) => /^invalid YAML/.test(p.message))) ledger.violate('rejection-without-field', 'manifests', text);
    }
    const scenario = `${SCENARIO_TEXTS[0]!}\nextra: *missing\n`;
    const r = ledger.run('scenario', scenario, () => parseScenario(scenario, 'fuzz.yaml').problems);
    if (r.ok && !r.value.some((p) => /^invalid YAML/.test(p.message))) ledger.violate('rejection-without-field', 'scenario', scenario);
    assertClean();
  });
});

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.record({ kind: fc.constant('duplicate-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('delete-line' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('indent' as const), line: fc.nat(), by: fc.integer({ min: -6, max: 6 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), junk: fc.oneof(fc.constantFrom(...YAML_JUNK), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('scalar' as const), line: fc.nat(), value: fc.oneof(fc.constantFrom(...YAML_JUNK), fc.constantFrom('1e18', '-5', '"x"', '[]', '{}', 'true', '0.0000000001', '1000000000000000000000')) }),
);
const textMutations = fc.array(textMutation, { minLength: 1, maxLength: 3 });

/** A problem in a file: a line inside it, and a field path unless the text itself (or the document) is the problem. */
function locatesProblem(line: number, path: string | undefined, message: string, text: string, wholeFile: RegExp): boolean {
  const lines = text.split('\n').length;
  if (!Number.isInteger(line) || line < 1 || line > lines + 1) return false;
  return (path !== undefined && path !== '') || wholeFile.test(message);
}

const MANIFEST_WHOLE = /^invalid YAML|^must be a Kubernetes object|^kind .* is not read|^converted to NodePool/;

describe('fuzzed files: every problem has a line, and a field unless the YAML itself is broken', () => {
  it('manifests (NodePool, Provisioner and what plan converts) from mutated YAML text', { timeout: 20_000 }, () => {
    const texts = [...PLAN_TEXTS, stringify(validNodePool()), stringify(PROVISIONER_BASE)];
    const samples = fc.sample(fc.tuple(fc.nat(), textMutations), { seed: SEED + 2, numRuns: 700 * SCALE });
    for (const [b, steps] of samples) {
      const text = steps.reduce((t, m) => mutateText(t, m), texts[b % texts.length]!);
      const r = ledger.run('manifests', text, () => {
        const { manifests, problems } = parseManifests(text, 'fuzz.yaml');
        const all: ManifestProblem[] = [...problems];
        for (const m of manifests.nodePools) all.push(...validateNodePool(m.object).map((p) => problemAt(m, p.path, p.message)));
        all.push(...convertProvisioners(manifests.provisioners).problems);
        return all;
      });
      if (!r.ok) continue;
      for (const p of r.value) {
        if (p.message.startsWith('the NodePool converted from it is invalid')) ledger.violate('conversion-invalid', 'manifests', `${p.message}\ntext:\n${text}`);
        else if (!locatesProblem(p.line, p.path, p.message, text, MANIFEST_WHOLE)) ledger.violate('rejection-without-field', 'manifests', `${JSON.stringify(p)}\ntext:\n${text}`);
      }
    }
    assertClean();
  });

  const SCENARIO_WHOLE = /^invalid YAML|^a scenario is|^the file is empty|^a mapping key must/;

  it('scenarios from mutated YAML text (malformed YAML, duplicated keys, huge numbers, wrong types)', { timeout: 30_000 }, () => {
    const samples = fc.sample(fc.tuple(fc.nat(), textMutations), { seed: SEED + 3, numRuns: 300 * SCALE });
    for (const [b, steps] of samples) {
      const text = steps.reduce((t, m) => mutateText(t, m), SCENARIO_TEXTS[b % SCENARIO_TEXTS.length]!);
      const r = ledger.run('scenario', text, () => parseScenario(text, 'fuzz.yaml'));
      if (!r.ok) continue;
      for (const p of r.value.problems) {
        if (!locatesProblem(p.line, p.path, p.message, text, SCENARIO_WHOLE)) ledger.violate('rejection-without-field', 'scenario', `${JSON.stringify(p)}\ntext:\n${text}`);
      }
    }
    assertClean();
  });

  it('scenarios from mutated values written back as YAML', { timeout: 30_000 }, () => {
    const values = SCENARIO_TEXTS.map((t) => parse(t) as unknown);
    const samples = fc.sample(fc.tuple(fc.nat(), mutations), { seed: SEED + 4, numRuns: 150 * SCALE });
    for (const [b, steps] of samples) {
      const value = applyAll(values[b % values.length], steps);
      let text: string;
      try {
        text = stringify(value);
      } catch {
        continue; // values YAML cannot write (none expected); not the parser's concern
      }
      const r = ledger.run('scenario', text, () => parseScenario(text, 'fuzz.yaml'));
      if (!r.ok) continue;
      for (const p of r.value.problems) {
        if (!locatesProblem(p.line, p.path, p.message, text, SCENARIO_WHOLE)) ledger.violate('rejection-without-field', 'scenario', `${JSON.stringify(p)}\ntext:\n${text}`);
      }
    }
    assertClean();
  });
});
