import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults, withNodeClaimDefaults } from './defaults.js';
import type { NodeClaim, NodePool } from './types.js';

function minimal(): NodePool {
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

describe('withDefaults', () => {
  it('fills in what Karpenter defaults', () => {
    const np = withDefaults(minimal());
    assert.equal(np.spec.template.spec.expireAfter, '720h');
    assert.deepEqual(np.spec.disruption, {
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '0s',
      budgets: [{ nodes: '10%' }],
    });
    assert.equal(np.spec.weight, undefined);
    assert.equal(np.spec.limits, undefined);
    assert.equal(np.spec.template.spec.terminationGracePeriod, undefined);
    assert.deepEqual(np.spec.template.spec.nodeClassRef, { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' });
  });

  it('keeps values that are set, including Never and empty budgets', () => {
    const input = minimal();
    input.spec.template.spec.expireAfter = 'Never';
    input.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', budgets: [] };
    const np = withDefaults(input);
    assert.equal(np.spec.template.spec.expireAfter, 'Never');
    assert.deepEqual(np.spec.disruption, { consolidationPolicy: 'WhenEmpty', consolidateAfter: '5m', budgets: [] });
  });

  it('defaults a budget that omits nodes', () => {
    const input = minimal();
    input.spec.disruption = { budgets: [{ schedule: '@daily', duration: '1h' } as never, { nodes: '0' }] };
    const np = withDefaults(input);
    assert.deepEqual(np.spec.disruption.budgets, [{ schedule: '@daily', duration: '1h', nodes: '10%' }, { nodes: '0' }]);
    assert.equal(np.spec.disruption.consolidateAfter, '0s');
  });

  it('does not modify its input', () => {
    const input = minimal();
    const before = structuredClone(input);
    const out = withDefaults(input);
    assert.deepEqual(input, before);
    out.spec.template.spec.requirements.push({ key: 'x', operator: 'Exists' });
    assert.deepEqual(input, before);
  });
});

describe('withNodeClaimDefaults', () => {
  it('defaults expireAfter only', () => {
    const nc: NodeClaim = {
      metadata: { name: 'default-abc' },
      spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'K', name: 'n' } },
    };
    const out = withNodeClaimDefaults(nc);
    assert.equal(out.spec.expireAfter, '720h');
    assert.equal(nc.spec.expireAfter, undefined);
    assert.equal(withNodeClaimDefaults({ ...nc, spec: { ...nc.spec, expireAfter: '1h' } }).spec.expireAfter, '1h');
  });
});
