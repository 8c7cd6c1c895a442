import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { restrictedLabelReason, WELL_KNOWN_LABELS, DEPRECATED_LABEL_ALIASES, labelKeyProblems } from '../labels.js';
import { withDefaults, withNodeClaimDefaults } from '../v1/defaults.js';
import type { NodePool, NodeClaim } from '../v1/types.js';
import { validateNodeClaim, validateNodePool } from '../v1/validation.js';
import { labelKeyRules, labelMapRules } from './label-rules.js';
import { nodeClaimKind } from './nodeclaim.js';
import { INVALID_NODEPOOLS, LABEL_KEY_SAMPLES, buildCase, validNodePool } from './nodepool-cases.js';
import { nodePoolKind } from './nodepool.js';
import { applySchemaDefaults } from './schema-validate.js';
import { resourceValidator, validateResource } from './validate-resource.js';

const NODEPOOL = resourceValidator(nodePoolKind());
const NODECLAIM = resourceValidator(nodeClaimKind());

describe('NodePool CRD and validateNodePool agree', () => {
  it('the base NodePool passes both', () => {
    assert.deepEqual(validateNodePool(validNodePool()), []);
    assert.deepEqual(validateResource(NODEPOOL, validNodePool()), []);
  });

  for (const c of INVALID_NODEPOOLS) {
    it(`rejects: ${c.name} (${c.field})`, () => {
      const np = buildCase(c);
      const mine = validateNodePool(np);
      assert.ok(mine.some((p) => p.path.startsWith(c.field)), `validateNodePool: ${JSON.stringify(mine)}`);
      const crd = validateResource(NODEPOOL, np);
      const hit = crd.find((p) => p.path.startsWith(c.field) && (c.message === undefined || c.message.test(p.message)));
      assert.ok(hit, `CRD schema: ${JSON.stringify(crd)}`);
    });
  }
});

const labelKey = fc.oneof(
  fc.constantFrom(...WELL_KNOWN_LABELS, ...Object.keys(DEPRECATED_LABEL_ALIASES), 'kubernetes.io/hostname'),
  fc.constantFrom(...LABEL_KEY_SAMPLES),
  fc.tuple(fc.constantFrom(...LABEL_KEY_SAMPLES), fc.constantFrom('', 'x.', 'a-b.')).map(([k, p]) => p + k),
);

describe('label key rules generated from labels.ts', () => {
  const keyRules = labelKeyRules({ forbidNodePool: true });
  const mapRules = labelMapRules({ forbidNodePool: true });
  const passes = (key: string): boolean => keyRules.every((r) => (r.check as (s: string) => boolean)(key));

  it('refuse exactly the keys restrictedLabelReason refuses (and karpenter.sh/nodepool)', () => {
    for (const key of LABEL_KEY_SAMPLES) {
      assert.equal(!passes(key), restrictedLabelReason(key) !== undefined || key === 'karpenter.sh/nodepool', key);
    }
    fc.assert(
      fc.property(labelKey, (key) => {
        const refused = restrictedLabelReason(key) !== undefined || key === 'karpenter.sh/nodepool';
        assert.equal(!passes(key), refused, key);
      }),
      { numRuns: 500 },
    );
  });

  it('map rules refuse a key with bad syntax or a long part, as labelKeyProblems does', () => {
    const syntaxOk = (key: string): boolean => mapRules.slice(0, 2).every((r) => (r.check as (m: object) => boolean)({ [key]: 'v' }));
    for (const key of ['app', 'example.com/app', 'bad key', '/x', 'x/', 'a/b/c', `${'a'.repeat(254)}/x`, `x/${'a'.repeat(64)}`, 'UPPER.com/x']) {
      assert.equal(syntaxOk(key), labelKeyProblems(key).length === 0, key);
    }
  });
});

// Valid NodePools drawn from the fields the CRD defaults, to compare the two defaulting paths.
const duration = fc.constantFrom('720h', '1h30m', 'Never', '0s');
const arbNodePool = fc.record(
  {
    expireAfter: fc.option(duration, { nil: undefined }),
    disruption: fc.option(
      fc.record(
        {
          consolidationPolicy: fc.constantFrom('WhenEmpty', 'WhenEmptyOrUnderutilized'),
          consolidateAfter: duration,
          budgets: fc.array(fc.record({ nodes: fc.constantFrom('0', '5', '10%', '100%') }, { requiredKeys: [] }), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    weight: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  },
  { requiredKeys: [] },
).map(({ expireAfter, disruption, weight }) => {
  const np = validNodePool();
  if (expireAfter !== undefined) np.spec.template.spec.expireAfter = expireAfter;
  if (disruption !== undefined) np.spec.disruption = disruption as NodePool['spec']['disruption'];
  if (weight !== undefined) np.spec.weight = weight;
  return np;
});

describe('CRD defaults are the defaults of defaults.ts', () => {
  it('NodePool: the schema defaults give withDefaults, for any mix of set and unset fields', () => {
    fc.assert(
      fc.property(arbNodePool, (np) => {
        assert.deepEqual(applySchemaDefaults(NODEPOOL.schema, np), withDefaults(np));
        assert.deepEqual(validateNodePool(np), []);
        assert.deepEqual(validateResource(NODEPOOL, np), []);
      }),
      { numRuns: 200 },
    );
  });

  it('NodePool: an absent disruption block becomes the documented defaults', () => {
    const defaulted = applySchemaDefaults(NODEPOOL.schema, validNodePool());
    assert.deepEqual(defaulted.spec.disruption, {
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '0s',
      budgets: [{ nodes: '10%' }],
    });
    assert.equal(defaulted.spec.template.spec.expireAfter, '720h');
  });

  it('NodeClaim: expireAfter defaults to 720h, as withNodeClaimDefaults', () => {
    const claim: NodeClaim = {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: { name: 'c' },
      spec: {
        nodeClassRef: { group: 'karpenter.kwok.sh', kind: 'KWOKNodeClass', name: 'default' },
        requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['default'] }],
        resources: { requests: { cpu: '1', pods: 3 } },
      },
    };
    assert.deepEqual(applySchemaDefaults(NODECLAIM.schema, claim), withNodeClaimDefaults(claim));
    assert.deepEqual(validateNodeClaim(claim), []);
    assert.deepEqual(validateResource(NODECLAIM, claim), []);
  });
});

describe('NodeClaim CRD', () => {
  const claim = (): Record<string, unknown> => ({
    metadata: { name: 'c' },
    spec: { nodeClassRef: { group: 'g', kind: 'K', name: 'n' }, requirements: [] },
  });

  it('refuses any change to spec on update, and allows an unchanged one', () => {
    const changed = claim();
    (changed.spec as { expireAfter?: string }).expireAfter = '1h';
    assert.deepEqual(validateResource(NODECLAIM, changed, claim()), [{ path: 'spec', message: 'spec is immutable' }]);
    assert.deepEqual(validateResource(NODECLAIM, claim(), claim()), []);
  });

  it('refuses what validateNodeClaim refuses in requirements', () => {
    const bad = claim();
    (bad.spec as { requirements: unknown[] }).requirements = [{ key: 'kubernetes.io/custom', operator: 'In' }];
    const crd = validateResource(NODECLAIM, bad).map((p) => p.path);
    const mine = validateNodeClaim(bad).map((p) => p.path);
    for (const path of ['spec.requirements[0].key', 'spec.requirements[0].values']) {
      assert.ok(crd.includes(path) && mine.includes(path), `${path}: ${JSON.stringify({ crd, mine })}`);
    }
  });
});
