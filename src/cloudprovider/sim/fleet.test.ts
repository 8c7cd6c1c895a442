import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NodeSelectorRequirement } from '../../apis/core.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { instanceType } from '../../test/builders.js';
import type { LaunchCandidate, LaunchOptions } from '../launch.js';
import { launchCandidates } from '../launch.js';
import type { InstanceType } from '../types.js';
import { cachedLaunchCandidates } from './fleet.js';

const types: InstanceType[] = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1, spotPrice: 0.03, labels: { 'example.com/gen': ['5'] } }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.12, labels: { 'example.com/gen': ['6'] } }),
  instanceType('twin', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.12, labels: { 'example.com/gen': ['6'] } }),
  instanceType('arm', { cpu: '4', memory: '8Gi', price: 0.08, labels: { 'kubernetes.io/arch': ['arm64'], 'example.com/gen': ['7'] } }),
  instanceType('gap', { cpu: '4', memory: '16Gi', price: 0.2, spotPrice: 0.05, unavailableZones: ['zone-a'] }),
];

const REQUIREMENTS: NodeSelectorRequirement[] = [
  { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['small', 'large', 'gap'] },
  { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
  { key: 'topology.kubernetes.io/zone', operator: 'NotIn', values: ['zone-b'] },
  { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
  { key: 'example.com/gen', operator: 'Gt', values: ['5'] },
  { key: 'example.com/gen', operator: 'In', values: ['9'] },
  { key: 'bad', operator: 'Near', values: [] },
];

function claim(requirements: NodeSelectorRequirement[], cpu: string): NodeClaim {
  return {
    metadata: { name: 'default-abc12' },
    spec: { requirements, nodeClassRef: { group: 'g', kind: 'K', name: 'n' }, resources: { requests: { cpu } } },
  };
}

/** The list, or the error's class and message. */
function outcome(f: () => LaunchCandidate[]): unknown {
  try {
    return f().map((c) => `${c.instanceType.name}/${c.offering.zone}/${c.offering.capacityType}`);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('cachedLaunchCandidates', () => {
  it('returns what launchCandidates returns, or throws what it throws, call after call', () => {
    const offering = fc.record({
      type: fc.constantFrom(...types.map((t) => t.name)),
      zone: fc.constantFrom('zone-a', 'zone-b', 'zone-c'),
      capacityType: fc.constantFrom('spot', 'on-demand'),
    });
    const call = fc.record({
      requirements: fc.subarray(REQUIREMENTS),
      cpu: fc.constantFrom('1', '3', '6', '64', 'lots'),
      unavailable: fc.array(offering, { maxLength: 12 }),
      max: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    });
    fc.assert(fc.property(fc.array(call, { minLength: 1, maxLength: 8 }), (calls) => {
      for (const c of calls) {
        const marked = new Set(c.unavailable.map((u) => `${u.type}/${u.zone}/${u.capacityType}`));
        const options: LaunchOptions = {
          ...(marked.size > 0 ? { isUnavailable: (t: string, z: string, ct: string) => marked.has(`${t}/${z}/${ct}`) } : {}),
          ...(c.max !== undefined ? { maxInstanceTypes: c.max } : {}),
        };
        const nc = claim(c.requirements, c.cpu);
        assert.deepEqual(outcome(() => cachedLaunchCandidates(nc, types, options)), outcome(() => launchCandidates(nc, types, options)));
      }
    }), { numRuns: 300 });
  });
});
