/** Pure parts of node class resolution and pricing: selector filters, AMI aliases and requirements, price lists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasImageIds, al2023ParameterName, AliasResolutionError, imageRequirements, labelsSatisfy, parseAlias, UnsupportedAliasError } from './amis.js';
import { CloudProviderError } from '../cloud-provider.js';
import { instanceProfileName, roleNameOf } from './instance-profiles.js';
import type { ParameterSource } from './ssm-parameters.js';
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

describe('AMI aliases through SSM', () => {
  const source = (values: Record<string, string>, seen: { names: string[]; mutable: boolean }[] = []): ParameterSource => ({
    get: (names, mutable) => {
      seen.push({ names: [...names], mutable });
      return Promise.resolve(new Map(names.map((n) => [n, values[n]])));
    },
  });

  it('parameter names: recommended for latest, the release name for a pinned version', () => {
    assert.equal(al2023ParameterName('1.31', 'arm64', 'standard', 'latest'), '/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/arm64/standard/recommended/image_id');
    assert.equal(al2023ParameterName('1.30', 'x86_64', 'nvidia', 'v20240807'),
      '/aws/service/eks/optimized-ami/1.30/amazon-linux-2023/x86_64/nvidia/amazon-eks-node-al2023-x86_64-nvidia-1.30-v20240807/image_id');
  });

  it('asks for every architecture and variant EKS publishes (latest as mutable) and keeps the ones found', async () => {
    const seen: { names: string[]; mutable: boolean }[] = [];
    const ids = await aliasImageIds(source({
      [al2023ParameterName('1.31', 'x86_64', 'standard', 'latest')]: 'ami-x',
      [al2023ParameterName('1.31', 'arm64', 'standard', 'latest')]: 'ami-a',
      [al2023ParameterName('1.31', 'x86_64', 'neuron', 'latest')]: 'ami-n',
    }, seen), 'al2023@latest', '1.31');
    assert.deepEqual([...ids], [['ami-x', { arch: 'x86_64', variant: 'standard' }], ['ami-n', { arch: 'x86_64', variant: 'neuron' }], ['ami-a', { arch: 'arm64', variant: 'standard' }]]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.names.length, 5, 'x86_64 standard/nvidia/neuron, arm64 standard/nvidia');
    assert.equal(seen[0]!.mutable, true);
    await aliasImageIds(source({ [al2023ParameterName('1.31', 'arm64', 'standard', 'v20240807')]: 'ami-p' }, seen), 'al2023@v20240807', '1.31');
    assert.equal(seen[1]!.mutable, false, 'a pinned release never changes');
  });

  it('no parameter, or SSM failing, is an AliasResolutionError naming the alias', async () => {
    await assert.rejects(aliasImageIds(source({}), 'al2023@v20240807', '1.31'), (e: unknown) => e instanceof AliasResolutionError && /"al2023@v20240807": SSM has no EKS AL2023 image for Kubernetes 1\.31/.test(e.message));
    const failing: ParameterSource = { get: () => Promise.reject(new CloudProviderError('reading SSM parameters: AccessDeniedException: no')) };
    await assert.rejects(aliasImageIds(failing, 'al2023@latest', '1.31'), (e: unknown) => e instanceof AliasResolutionError && /AccessDeniedException/.test(e.message) && e.cause instanceof CloudProviderError);
    await assert.rejects(aliasImageIds(source({}), 'bottlerocket@latest', '1.31'), UnsupportedAliasError);
  });
});

describe('instance profile names', () => {
  it('are deterministic per cluster, region and node class, and fit IAM (128 characters of [\\w+=,.@-])', () => {
    const a = instanceProfileName('prod', 'us-east-1', 'default');
    assert.equal(a, instanceProfileName('prod', 'us-east-1', 'default'));
    assert.notEqual(a, instanceProfileName('prod', 'us-east-1', 'gpu'));
    assert.notEqual(a, instanceProfileName('prod', 'eu-west-1', 'default'));
    assert.notEqual(a, instanceProfileName('staging', 'us-east-1', 'default'));
    const longest = instanceProfileName('c'.repeat(100), 'us-east-1', 'n'.repeat(253));
    assert.ok(longest.length <= 128 && /^[\w+=,.@-]+$/.test(longest), longest);
  });

  it('take the role by name or ARN', () => {
    assert.equal(roleNameOf('KarpenterNodeRole'), 'KarpenterNodeRole');
    assert.equal(roleNameOf('arn:aws:iam::123456789012:role/nodes/KarpenterNodeRole'), 'KarpenterNodeRole');
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
