import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NodeSelectorRequirement } from '../apis/core.js';
import type { NodeClaim } from '../apis/v1/types.js';
import { instanceType } from '../test/builders.js';
import { compileRequirements, narrowDomain } from './claim-requirements.js';
import { CloudProviderError, InsufficientCapacityError } from './cloud-provider.js';
import { launchCandidates, launchedClaim, launchLabels } from './launch.js';
import type { InstanceType } from './types.js';

function claim(requirements: NodeSelectorRequirement[] = [], requests?: Record<string, string>, labels?: Record<string, string>): NodeClaim {
  return {
    metadata: { name: 'default-abc12', labels: { 'karpenter.sh/nodepool': 'default', ...labels } },
    spec: { requirements, nodeClassRef: { group: 'g', kind: 'K', name: 'n' }, ...(requests ? { resources: { requests } } : {}) },
  };
}

const types: InstanceType[] = [
  instanceType('small', { cpu: '2', memory: '4Gi', price: 0.1, spotPrice: 0.03, labels: { 'example.com/gen': ['5'] } }),
  instanceType('large', { cpu: '8', memory: '32Gi', price: 0.4, spotPrice: 0.12, labels: { 'example.com/gen': ['6'] } }),
  instanceType('arm', { cpu: '4', memory: '8Gi', price: 0.08, labels: { 'kubernetes.io/arch': ['arm64'], 'example.com/gen': ['7'] } }),
];

describe('claim requirements', () => {
  it('evaluates every operator against a domain; undefined keys are ignored', () => {
    const domain = { gen: ['4', '5', '6'], os: ['linux', 'windows'] };
    const narrow = (reqs: NodeSelectorRequirement[]): Record<string, string[]> | undefined => narrowDomain(domain, compileRequirements(reqs));
    assert.deepEqual(narrow([{ key: 'gen', operator: 'In', values: ['5', '9'] }]), { gen: ['5'] });
    assert.deepEqual(narrow([{ key: 'gen', operator: 'NotIn', values: ['5'] }]), { gen: ['4', '6'] });
    assert.deepEqual(narrow([{ key: 'gen', operator: 'Gt', values: ['4'] }, { key: 'gen', operator: 'Lt', values: ['6'] }]), { gen: ['5'] });
    assert.deepEqual(narrow([{ key: 'gen', operator: 'Gte', values: ['6'] }]), { gen: ['6'] });
    assert.deepEqual(narrow([{ key: 'gen', operator: 'Lte', values: ['4'] }]), { gen: ['4'] });
    assert.deepEqual(narrow([{ key: 'os', operator: 'Exists' }]), { os: ['linux', 'windows'] });
    assert.equal(narrow([{ key: 'os', operator: 'DoesNotExist' }]), undefined);
    assert.equal(narrow([{ key: 'os', operator: 'Gt', values: ['1'] }]), undefined, 'Gt on a non-integer label never matches');
    assert.equal(narrow([{ key: 'gen', operator: 'In', values: ['9'] }]), undefined);
    assert.deepEqual(narrow([{ key: 'team', operator: 'In', values: ['a'] }, { key: 'other', operator: 'DoesNotExist' }]), {});
  });

  it('normalises deprecated keys and rejects malformed requirements', () => {
    const [r] = compileRequirements([{ key: 'beta.kubernetes.io/arch', operator: 'In', values: ['arm64'] }]);
    assert.equal(r!.key, 'kubernetes.io/arch');
    assert.throws(() => compileRequirements([{ key: 'a', operator: 'Near', values: [] }]), /unsupported operator "Near"/);
    assert.throws(() => compileRequirements([{ key: 'a', operator: 'Gt', values: ['x'] }]), /exactly one integer/);
  });
});

describe('launchCandidates', () => {
  it('orders offerings cheapest first', () => {
    const c = launchCandidates(claim(), types);
    assert.equal(c[0]!.instanceType.name, 'small');
    assert.equal(c[0]!.offering.capacityType, 'spot');
    assert.equal(c[0]!.offering.zone, 'zone-a');
    const prices = c.map((x) => x.offering.price);
    assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
  });

  it('honours instance type, zone, capacity type, arch and custom labels of the type', () => {
    const first = (reqs: NodeSelectorRequirement[]): string => {
      const { instanceType: t, offering: o } = launchCandidates(claim(reqs), types)[0]!;
      return `${t.name}/${o.zone}/${o.capacityType}`;
    };
    assert.equal(first([{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['large'] }]), 'large/zone-a/spot');
    assert.equal(first([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-c'] }]), 'small/zone-c/spot');
    assert.equal(first([{ key: 'karpenter.sh/capacity-type', operator: 'NotIn', values: ['spot'] }]), 'arm/zone-a/on-demand');
    assert.equal(first([{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }, { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }]), 'small/zone-a/on-demand');
    assert.equal(first([{ key: 'example.com/gen', operator: 'Gt', values: ['5'] }, { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }]), 'large/zone-a/spot');
    assert.equal(first([{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['default'] }]), 'small/zone-a/spot');
  });

  it('skips types too small for the requests and offerings unavailable or reported unavailable', () => {
    const c = launchCandidates(claim([], { cpu: '3', memory: '1Gi' }), types, {
      isUnavailable: (t, zone, ct) => t === 'arm' && zone === 'zone-a' && ct === 'on-demand',
    });
    assert.equal(`${c[0]!.instanceType.name}/${c[0]!.offering.zone}`, 'arm/zone-b', 'arm in zone-a is unavailable, small too small');
    assert.ok(!c.some((x) => x.instanceType.name === 'small'));
    const withGap = [instanceType('gappy', { price: 0.01, unavailableZones: ['zone-a'] })];
    assert.deepEqual(launchCandidates(claim(), withGap).map((x) => x.offering.zone), ['zone-b', 'zone-c']);
  });

  it('fails clearly when nothing matches, nothing fits or nothing is available', () => {
    const fails = (c: NodeClaim, ts: InstanceType[], pattern: RegExp): void => {
      assert.throws(() => launchCandidates(c, ts), (e: unknown) => {
        assert.ok(e instanceof InsufficientCapacityError);
        assert.deepEqual(e.offerings, []);
        assert.match(e.message, /^launching nodeclaim default-abc12: /);
        assert.match(e.message, pattern);
        return true;
      });
    };
    fails(claim([{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['nope'] }]), types, /none of the 3 instance types satisfies/);
    fails(claim([], { cpu: '64', memory: '1Gi' }), types, /requests \(cpu=64, memory=1Gi\) fit none of the 3/);
    fails(claim([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-z'] }]), types, /no offering of the 3 compatible/);
    assert.throws(() => launchCandidates(claim([], { cpu: 'lots' }), types), (e: unknown) => e instanceof CloudProviderError && !(e instanceof InsufficientCapacityError));
  });

  it('keeps only the N cheapest instance types when asked', () => {
    const c = launchCandidates(claim(), types, { maxInstanceTypes: 2 });
    assert.deepEqual([...new Set(c.map((x) => x.instanceType.name))].sort(), ['arm', 'small']);
  });

  it('the first candidate is the cheapest offering that satisfies the claim (property)', () => {
    const typeArb = fc.record({ cpu: fc.integer({ min: 1, max: 16 }), price: fc.integer({ min: 1, max: 100 }), spot: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }), gap: fc.subarray(['zone-a', 'zone-b', 'zone-c']) });
    fc.assert(fc.property(fc.array(typeArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 16 }), fc.subarray(['zone-a', 'zone-b', 'zone-c'], { minLength: 1 }), (specs, cpu, zones) => {
      const ts = specs.map((s, i) => instanceType(`t${i}`, { cpu: String(s.cpu), price: s.price / 100, ...(s.spot ? { spotPrice: s.spot / 100 } : {}), unavailableZones: s.gap }));
      const c = claim([{ key: 'topology.kubernetes.io/zone', operator: 'In', values: zones }], { cpu: String(cpu) });
      const eligible = ts.flatMap((t) => (t.capacity.cpu! >= cpu * 1000 ? t.offerings.filter((o) => o.available && zones.includes(o.zone)) : []));
      if (eligible.length === 0) {
        assert.throws(() => launchCandidates(c, ts), InsufficientCapacityError);
        return;
      }
      const best = launchCandidates(c, ts)[0]!;
      assert.equal(best.offering.price, Math.min(...eligible.map((o) => o.price)));
      assert.ok(zones.includes(best.offering.zone));
    }));
  });
});

describe('launched claims', () => {
  it('carry the claim labels plus the machine labels, and status from the type', () => {
    const multiOs = instanceType('w', { cpu: '4', memory: '8Gi', overhead: { cpu: '100m', memory: '100Mi' }, labels: { 'kubernetes.io/os': ['windows', 'linux'], 'example.com/disk': ['a', 'b'] } });
    const c = claim([], undefined, { team: 'x' });
    const [candidate] = launchCandidates(c, [multiOs]);
    const launched = launchedClaim(c, candidate!, { providerID: 'fake://zone-a/1', imageID: 'img-1', region: 'r-1' });
    assert.deepEqual(launched.metadata.labels, {
      'karpenter.sh/nodepool': 'default',
      team: 'x',
      'node.kubernetes.io/instance-type': 'w',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/os': 'linux',
      'topology.kubernetes.io/zone': 'zone-a',
      'topology.kubernetes.io/region': 'r-1',
      'karpenter.sh/capacity-type': 'on-demand',
    });
    assert.deepEqual(launched.status, {
      providerID: 'fake://zone-a/1',
      imageID: 'img-1',
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '3900m', memory: '8092Mi', pods: '110' },
    });
    assert.equal(c.status, undefined, 'input untouched');
    const windows = claim([{ key: 'kubernetes.io/os', operator: 'In', values: ['windows'] }]);
    assert.equal(launchLabels(windows, candidate!)['kubernetes.io/os'], 'windows');
  });
});
