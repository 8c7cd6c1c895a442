import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resourceAmount } from '../../utils/quantity.js';
import type { InstanceType } from '../types.js';
import { EC2_DEFAULT_ZONES, EC2_SYNTHETIC_NOTICE, ec2Catalog, ec2CatalogSource, ec2SpotDiscount } from './ec2.js';
import { EC2_DATA_PATH, parseEc2Data } from './ec2-data.js';
import { CatalogError } from './errors.js';

interface RawType { name: string; labels: Record<string, string>; allocatable: Record<string, string>; onDemandPriceUSDPerHour: number | null }
const raw = (JSON.parse(readFileSync(EC2_DATA_PATH, 'utf8')) as { instanceTypes: RawType[] }).instanceTypes;
const rawByName = new Map(raw.map((r) => [r.name, r]));
const catalog = ec2Catalog();
const byName = (types: readonly InstanceType[], name: string): InstanceType => {
  const found = types.find((t) => t.name === name);
  assert.ok(found, `${name} in the catalogue`);
  return found;
};
const zonesOf = (t: InstanceType): Set<string> => new Set(t.offerings.map((o) => o.zone));

describe('ec2Catalog', () => {
  it('has the 1,345 priced types by default and all 1,363 on request (unpriced ones without offerings)', () => {
    assert.equal(catalog.length, 1345);
    const all = ec2Catalog({ includeTypesWithoutPrice: true });
    assert.equal(all.length, 1363);
    const unpriced = all.filter((t) => rawByName.get(t.name)?.onDemandPriceUSDPerHour === null);
    assert.equal(unpriced.length, 18);
    for (const t of unpriced) assert.deepEqual(t.offerings, []);
    assert.ok(unpriced.some((t) => t.name === 'p5e.48xlarge'));
  });

  it('describes m5.large from the data: capacity, allocatable, labels and on-demand price', () => {
    const m5 = byName(catalog, 'm5.large');
    assert.equal(m5.capacity.cpu, 2000);
    assert.equal(m5.capacity.memory, 8192 * 2 ** 20);
    assert.equal(m5.capacity.cpu - m5.overhead.cpu!, 1930);
    assert.equal(m5.capacity.memory - m5.overhead.memory!, 6903 * 2 ** 20);
    assert.equal(m5.capacity.pods, 29);
    assert.equal(m5.capacity['ephemeral-storage'], 17 * 2 ** 30);
    assert.equal(m5.capacity['vpc.amazonaws.com/pod-eni'], 9);
    assert.deepEqual(m5.requirements['node.kubernetes.io/instance-type'], ['m5.large']);
    assert.deepEqual(m5.requirements['kubernetes.io/arch'], ['amd64']);
    assert.deepEqual(m5.requirements['karpenter.k8s.aws/instance-family'], ['m5']);
    assert.deepEqual(m5.requirements['karpenter.k8s.aws/instance-memory'], ['8192']);
    assert.deepEqual(m5.requirements['topology.kubernetes.io/region'], ['us-east-1']);
    for (const o of m5.offerings.filter((o) => o.capacityType === 'on-demand')) assert.equal(o.price, 0.096);
  });

  it('keeps every label of the data as a requirement and reproduces the allocatable exactly', () => {
    for (const t of catalog) {
      const r = rawByName.get(t.name)!;
      for (const [key, value] of Object.entries(r.labels)) assert.deepEqual(t.requirements[key], [value], `${t.name} ${key}`);
      for (const [resource, quantity] of Object.entries(r.allocatable)) {
        assert.equal((t.capacity[resource] ?? 0) - (t.overhead[resource] ?? 0), resourceAmount(resource, quantity), `${t.name} ${resource}`);
      }
      assert.equal(t.capacity.cpu, Number(r.labels['karpenter.k8s.aws/instance-cpu']) * 1000);
      for (const v of Object.values(t.overhead)) assert.ok(v >= 0);
    }
    const gpu = byName(catalog, 'p4d.24xlarge');
    assert.equal(gpu.capacity['nvidia.com/gpu'], 8);
  });

  it('prices spot below on-demand, within the family discount band, in every zone it offers', () => {
    for (const t of catalog) {
      for (const zone of zonesOf(t)) {
        const od = t.offerings.find((o) => o.zone === zone && o.capacityType === 'on-demand')!;
        const spot = t.offerings.find((o) => o.zone === zone && o.capacityType === 'spot')!;
        assert.ok(od && spot && od.available && spot.available);
        assert.ok(spot.price > 0 && spot.price < od.price, `${t.name} ${zone}`);
        const ratio = spot.price / od.price;
        assert.ok(ratio >= 0.25 * 0.95 - 1e-3 && ratio <= 0.45 * 1.05 + 1e-3, `${t.name} ${zone} spot/od ${ratio}`);
      }
    }
    for (const family of new Set(raw.map((r) => r.labels['karpenter.k8s.aws/instance-family']!))) {
      const d = ec2SpotDiscount(family);
      assert.ok(d >= 0.55 && d < 0.75);
    }
  });

  it('prices spot proportionally within a family and zone (one discount per family)', () => {
    const m5 = catalog.filter((t) => t.requirements['karpenter.k8s.aws/instance-family']?.[0] === 'm5');
    const ratios = new Set<string>();
    for (const t of m5) {
      const od = t.offerings.find((o) => o.zone === 'us-east-1a' && o.capacityType === 'on-demand');
      const spot = t.offerings.find((o) => o.zone === 'us-east-1a' && o.capacityType === 'spot');
      if (od && spot && od.price > 1) ratios.add((spot.price / od.price).toFixed(4));
    }
    assert.equal(ratios.size, 1);
  });

  it('is deterministic: the same offerings on every call (pinned for m5.large)', () => {
    assert.deepEqual(ec2Catalog(), catalog);
    assert.deepEqual(byName(catalog, 'm5.large').offerings, [
      { zone: 'us-east-1a', capacityType: 'on-demand', price: 0.096, available: true },
      { zone: 'us-east-1a', capacityType: 'spot', price: 0.029981, available: true },
      { zone: 'us-east-1c', capacityType: 'on-demand', price: 0.096, available: true },
      { zone: 'us-east-1c', capacityType: 'spot', price: 0.030837, available: true },
    ]);
  });

  it('leaves about 10% of (type, zone) pairs out, never every zone of a type', () => {
    let missing = 0;
    for (const t of catalog) {
      const zones = zonesOf(t);
      assert.ok(zones.size >= 1, t.name);
      for (const z of zones) assert.ok(EC2_DEFAULT_ZONES.includes(z));
      missing += EC2_DEFAULT_ZONES.length - zones.size;
    }
    const fraction = missing / (catalog.length * EC2_DEFAULT_ZONES.length);
    assert.ok(fraction > 0.07 && fraction < 0.13, `gap fraction ${fraction}`);
    // A single zone can never be left out.
    const single = ec2Catalog({ zones: ['eu-west-1a'] });
    assert.equal(single.length, 1345);
    for (const t of single) assert.deepEqual([...zonesOf(t)], ['eu-west-1a']);
  });

  it('offers the zones asked for', () => {
    const zones = ['z-1', 'z-2', 'z-3', 'z-4', 'z-5'];
    const types = ec2Catalog({ zones });
    const seen = new Set(types.flatMap((t) => [...zonesOf(t)]));
    assert.deepEqual([...seen].sort(), zones);
    assert.throws(() => ec2Catalog({ zones: [] }), CatalogError);
    assert.throws(() => ec2Catalog({ zones: ['a', 'a'] }), /duplicate zones/);
  });

  it('filters by family and category, and rejects unknown ones by name', () => {
    const m5 = ec2Catalog({ families: ['m5'] });
    assert.ok(m5.length > 5);
    assert.ok(m5.every((t) => t.name.startsWith('m5.')));
    const cmr = ec2Catalog({ categories: ['c', 'm', 'r'] });
    assert.ok(cmr.length > 500);
    assert.ok(cmr.every((t) => ['c', 'm', 'r'].includes(t.requirements['karpenter.k8s.aws/instance-category']![0]!)));
    assert.equal(ec2Catalog({ families: ['m5'], categories: ['c'] }).length, 0);
    assert.throws(() => ec2Catalog({ families: ['m5', 'zz9'] }), (e: unknown) => e instanceof CatalogError && /"zz9"/.test(e.message));
    assert.throws(() => ec2Catalog({ categories: ['q'] }), /unknown instance category "q"/);
  });

  it('names its source and says what is synthetic', () => {
    assert.match(ec2CatalogSource(), /aws\/karpenter-provider-aws@[0-9a-f]{40}/);
    assert.match(EC2_SYNTHETIC_NOTICE, /synthetic/);
  });
});

describe('parseEc2Data', () => {
  const good = { source: 's', region: 'r', instanceTypes: [{ name: 'a.large', labels: {}, allocatable: {}, onDemandPriceUSDPerHour: 1 }] };
  it('accepts a well-formed file', () => {
    assert.equal(parseEc2Data(JSON.stringify(good), 'f').instanceTypes.length, 1);
  });
  it('says which file and entry is wrong', () => {
    assert.throws(() => parseEc2Data('{', 'x.json'), (e: unknown) => e instanceof CatalogError && /x\.json is not valid JSON/.test(e.message) && e.cause instanceof SyntaxError);
    assert.throws(() => parseEc2Data(JSON.stringify({ ...good, source: '' }), 'f'), /"source"/);
    assert.throws(() => parseEc2Data(JSON.stringify({ ...good, instanceTypes: [good.instanceTypes[0], good.instanceTypes[0]] }), 'f'), /instanceTypes\[1\]: duplicate instance type a\.large/);
    const badPrice = { ...good, instanceTypes: [{ ...good.instanceTypes[0], onDemandPriceUSDPerHour: -1 }] };
    assert.throws(() => parseEc2Data(JSON.stringify(badPrice), 'f'), /instanceTypes\[0\] \(a\.large\)\.onDemandPriceUSDPerHour/);
    const badLabels = { ...good, instanceTypes: [{ ...good.instanceTypes[0], labels: { x: 1 } }] };
    assert.throws(() => parseEc2Data(JSON.stringify(badLabels), 'f'), /labels must map strings to strings/);
  });
});
