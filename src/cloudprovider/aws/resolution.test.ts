/** Pure parts of node class resolution and pricing: selector filters, AMI aliases and requirements, price lists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageRequirements, labelsSatisfy, parseAlias, UnsupportedAliasError } from './amis.js';
import { parsePriceList, staticOnDemandPrices } from './pricing.js';
import { amiQuery, securityGroupFilters, subnetFilters } from './selectors.js';

describe('selector terms as EC2 filters', () => {
  it('tags match exactly, "*" any value; ids and names filter by themselves', () => {
    assert.deepEqual(subnetFilters({ tags: { 'karpenter.sh/discovery': 'prod', tier: '*' } }), [
      { Name: 'tag:karpenter.sh/discovery', Values: ['prod'] }, { Name: 'tag-key', Values: ['tier'] },
    ]);
    assert.deepEqual(subnetFilters({ id: 'subnet-1' }), [{ Name: 'subnet-id', Values: ['subnet-1'] }]);
    assert.deepEqual(securityGroupFilters({ name: 'nodes' }), [{ Name: 'group-name', Values: ['nodes'] }]);
    assert.deepEqual(securityGroupFilters({ id: 'sg-1' }), [{ Name: 'group-id', Values: ['sg-1'] }]);
  });

  it('AMI terms: owners default to self and amazon, except for an id; available images only', () => {
    assert.deepEqual(amiQuery({ name: 'my-ami-*' }), { owners: ['self', 'amazon'], filters: [{ Name: 'name', Values: ['my-ami-*'] }, { Name: 'state', Values: ['available'] }] });
    assert.deepEqual(amiQuery({ id: 'ami-1' }).owners, undefined);
    assert.deepEqual(amiQuery({ tags: { team: 'a' }, owner: '123456789012' }).owners, ['123456789012']);
  });
});

describe('AMIs', () => {
  it('aliases: al2023 only, latest or a dated release', () => {
    assert.deepEqual(parseAlias('al2023@latest'), { family: 'al2023', version: 'latest' });
    assert.deepEqual(parseAlias('AL2023@v20241001'), { family: 'al2023', version: 'v20241001' });
    assert.throws(() => parseAlias('bottlerocket@latest'), UnsupportedAliasError);
    assert.throws(() => parseAlias('al2023@2024'), UnsupportedAliasError);
  });

  it('image requirements: the standard image runs types without GPUs, the nvidia one only NVIDIA GPU types', () => {
    const plain = { 'kubernetes.io/arch': 'amd64' };
    const gpu = { 'kubernetes.io/arch': 'amd64', 'karpenter.k8s.aws/instance-gpu-count': '1', 'karpenter.k8s.aws/instance-gpu-manufacturer': 'nvidia' };
    const arm = { 'kubernetes.io/arch': 'arm64' };
    const standard = imageRequirements('x86_64', 'standard');
    const nvidia = imageRequirements('x86_64', 'nvidia');
    assert.ok(labelsSatisfy(plain, standard));
    assert.ok(!labelsSatisfy(gpu, standard));
    assert.ok(!labelsSatisfy(arm, standard));
    assert.ok(labelsSatisfy(gpu, nvidia));
    assert.ok(!labelsSatisfy(plain, nvidia), 'a missing label fails In');
    assert.ok(labelsSatisfy(arm, imageRequirements('arm64')));
    assert.ok(labelsSatisfy(plain, [{ key: 'x', operator: 'NotIn', values: ['y'] }]));
    assert.ok(!labelsSatisfy(plain, [{ key: 'x', operator: 'Exists' }]));
  });
});

describe('prices', () => {
  it('the static table has the bundled us-east-1 on-demand prices', () => {
    const table = staticOnDemandPrices();
    assert.equal(table.size, 1345);
    assert.equal(table.get('m5.large'), 0.096);
  });

  it('reads on-demand USD prices from Pricing API entries and skips the rest', () => {
    const entry = (type: string | undefined, usd: string) => JSON.stringify({
      product: { attributes: { ...(type === undefined ? {} : { instanceType: type }) } },
      terms: { OnDemand: { 'SKU.TERM': { priceDimensions: { 'SKU.TERM.DIM': { unit: 'Hrs', pricePerUnit: { USD: usd } } } } } },
    });
    const prices = parsePriceList([entry('m5.large', '0.0960000000'), entry('c5.large', '0.0000000000'), entry(undefined, '1'), 'not json', { product: {} }]);
    assert.deepEqual([...prices], [['m5.large', 0.096]]);
  });
});
