import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NODEPOOL_HASH_VERSION, nodePoolHash, nodePoolHashAnnotations } from './hash.js';
import type { NodePool } from './types.js';

function pool(): NodePool {
  return {
    metadata: { name: 'default' },
    spec: {
      template: {
        metadata: { labels: { team: 'a', tier: 'web' }, annotations: { 'example.com/owner': 'me' } },
        spec: {
          requirements: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }],
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
          taints: [
            { key: 'a', effect: 'NoSchedule' },
            { key: 'b', value: 'x', effect: 'NoExecute' },
          ],
          startupTaints: [{ key: 'c', effect: 'NoSchedule' }],
        },
      },
      disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1m' },
      limits: { cpu: '100' },
      weight: 10,
    },
  };
}

function changed(edit: (np: NodePool) => void): string {
  const np = pool();
  edit(np);
  return nodePoolHash(np);
}

describe('nodePoolHash', () => {
  const original = nodePoolHash(pool());

  it('is 16 hex digits and deterministic', () => {
    assert.match(original, /^[0-9a-f]{16}$/);
    assert.equal(nodePoolHash(pool()), original);
  });

  it('changes with each hashed field of the template', () => {
    const edits: [string, (np: NodePool) => void][] = [
      ['a label', (np) => { np.spec.template.metadata!.labels!.team = 'b'; }],
      ['an annotation', (np) => { np.spec.template.metadata!.annotations = {}; }],
      ['a taint', (np) => { np.spec.template.spec.taints![0]!.effect = 'PreferNoSchedule'; }],
      ['a startup taint', (np) => { np.spec.template.spec.startupTaints = []; }],
      ['the node class', (np) => { np.spec.template.spec.nodeClassRef.name = 'other'; }],
      ['expireAfter', (np) => { np.spec.template.spec.expireAfter = '24h'; }],
      ['expireAfter Never', (np) => { np.spec.template.spec.expireAfter = 'Never'; }],
      ['terminationGracePeriod', (np) => { np.spec.template.spec.terminationGracePeriod = '1h'; }],
    ];
    const seen = new Set([original]);
    for (const [what, edit] of edits) {
      const h = changed(edit);
      assert.ok(!seen.has(h), `changing ${what} must change the hash`);
      seen.add(h);
    }
  });

  it('ignores requirements, disruption, limits, weight and the object metadata', () => {
    assert.equal(changed((np) => { np.spec.template.spec.requirements = []; }), original);
    assert.equal(changed((np) => { np.spec.disruption = { budgets: [{ nodes: '0' }] }; }), original);
    assert.equal(changed((np) => { np.spec.limits = {}; np.spec.weight = 99; }), original);
    assert.equal(changed((np) => { np.metadata = { name: 'other', annotations: { a: 'b' } }; }), original);
  });

  it('treats defaults, empties and equal durations alike', () => {
    assert.equal(changed((np) => { np.spec.template.spec.expireAfter = '720h'; }), original);
    assert.equal(changed((np) => { np.spec.template.spec.expireAfter = '43200m'; }), original);
    const withTgp = changed((np) => { np.spec.template.spec.terminationGracePeriod = '90m'; });
    assert.equal(changed((np) => { np.spec.template.spec.terminationGracePeriod = '1h30m'; }), withTgp);
    const bare = (): NodePool => {
      const np = pool();
      np.spec.template = { spec: { requirements: [], nodeClassRef: np.spec.template.spec.nodeClassRef } };
      return np;
    };
    const empty = bare();
    empty.spec.template.metadata = { labels: {}, annotations: {} };
    empty.spec.template.spec.taints = [];
    assert.equal(nodePoolHash(empty), nodePoolHash(bare()));
    const blankValue = pool();
    blankValue.spec.template.spec.taints![0]!.value = '';
    assert.equal(nodePoolHash(blankValue), original);
  });

  it('does not depend on key or list order (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,8}$/)),
        fc.uniqueArray(fc.record({ key: fc.stringMatching(/^[a-z]{1,5}$/), effect: fc.constantFrom('NoSchedule', 'NoExecute') }), {
          selector: (t) => `${t.key}:${t.effect}`,
        }),
        fc.infiniteStream(fc.double()),
        (labels, taints, noise) => {
          const shuffle = <T,>(xs: T[]): T[] => xs.map((x) => [noise.next().value, x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
          const a = pool();
          a.spec.template.metadata = { labels };
          a.spec.template.spec.taints = taints;
          const b = pool();
          b.spec.template.metadata = { labels: Object.fromEntries(shuffle(Object.entries(labels))) };
          b.spec.template.spec.taints = shuffle(taints.map((t) => ({ effect: t.effect, key: t.key })));
          assert.equal(nodePoolHash(a), nodePoolHash(b));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('does not modify the NodePool', () => {
    const np = pool();
    const before = structuredClone(np);
    nodePoolHash(np);
    assert.deepEqual(np, before);
  });

  it('gives the annotations to stamp on a NodeClaim', () => {
    assert.deepEqual(nodePoolHashAnnotations(pool()), {
      'karpenter.sh/nodepool-hash': original,
      'karpenter.sh/nodepool-hash-version': NODEPOOL_HASH_VERSION,
    });
  });
});
