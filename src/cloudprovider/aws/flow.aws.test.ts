/**
 * The AWS provider end to end on moto: a NodeClaim becomes a tagged instance through CreateFleet,
 * get and list find it, delete terminates it; launch templates are reused and carry the user data
 * and metadata options; node class status names what is missing; drift follows the node class.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CreateSecurityGroupCommand, CreateTagsCommand, DeleteLaunchTemplateCommand, DescribeInstancesCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { parseAllDocuments } from 'yaml';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, NODEPOOL_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import { NodeClaimNotFoundError, NodeClassNotReadyError } from '../cloud-provider.js';
import { loadEc2Data } from '../catalog/ec2-data.js';
import { launchCandidates } from '../launch.js';
import { MOTO_EKS_IMAGES } from '../../test/moto.js';
import type { AwsWorld } from './fixtures.js';
import { awsClaim, awsNodePool, awsProvider, CLUSTER, DISCOVERY, ec2NodeClass, NodeClasses, startAwsWorld } from './fixtures.js';
import { UserDataError } from './user-data.js';

const world: Promise<AwsWorld> = startAwsWorld();
world.catch(() => undefined);
after(async () => {
  await (await world.catch(() => undefined))?.moto.stop();
});

const onDemand = { key: CAPACITY_TYPE_LABEL, operator: 'In' as const, values: ['on-demand'] };
const amd64 = { key: 'kubernetes.io/arch', operator: 'In' as const, values: ['amd64'] };

async function instanceOf(w: AwsWorld, id: string) {
  const out = await w.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations![0]!.Instances![0]!;
}

describe('AWS provider on moto: the full flow', () => {
  it('NodeClaim → CreateFleet → tagged instance → get/list → TerminateInstances', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const pool = awsNodePool();
    const claim = awsClaim(pool, { requirements: [onDemand, amd64], requests: { cpu: '3', memory: '4Gi' } });
    const before = w.moto.faults.forwarded('CreateFleet');
    const launched = await provider.create(claim);
    assert.equal(w.moto.faults.forwarded('CreateFleet') - before, 1, 'one CreateFleet');
    const request = [...w.moto.faults.requests].reverse().find((r) => r.action === 'CreateFleet');
    assert.equal(request?.status, 200);

    const providerID = launched.status!.providerID!;
    const id = /i-[0-9a-f]+$/.exec(providerID)![0];
    const instance = await instanceOf(w, id);
    const tags: Record<string, string | undefined> = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value]));
    assert.equal(tags['karpenter.sh/nodepool'], 'default');
    assert.equal(tags['karpenter.sh/nodeclaim'], claim.metadata.name);
    assert.equal(tags[`kubernetes.io/cluster/${CLUSTER}`], 'owned');
    assert.equal(tags['karpenter.k8s.aws/ec2nodeclass'], 'default');
    assert.equal(instance.InstanceType, launched.metadata.labels![INSTANCE_TYPE_LABEL]);
    assert.equal(instance.Placement?.AvailabilityZone, launched.metadata.labels![ZONE_LABEL]);
    assert.equal(providerID, `aws:///${instance.Placement!.AvailabilityZone}/${id}`);
    assert.ok(MOTO_EKS_IMAGES.some((i) => i.id === instance.ImageId && i.architecture === 'x86_64' && i.name.includes('-standard-')), `a standard amd64 EKS image, got ${instance.ImageId}`);
    assert.equal(launched.status!.imageID, instance.ImageId);
    // 3 cpu requested: nothing with 2 vCPUs (allocatable < 2) can hold it.
    assert.ok(Number(launched.metadata.labels!['karpenter.k8s.aws/instance-cpu']) >= 4);

    const got = await provider.get(providerID);
    assert.equal(got.metadata.name, claim.metadata.name);
    assert.equal(got.metadata.labels![NODEPOOL_LABEL], 'default');
    assert.equal(got.metadata.labels![CAPACITY_TYPE_LABEL], 'on-demand');
    assert.deepEqual(got.status!.capacity, launched.status!.capacity, 'the same capacity as at launch');
    assert.ok((await provider.list()).some((c) => c.status?.providerID === providerID));

    await provider.delete(launched);
    assert.equal((await instanceOf(w, id)).State?.Name, 'terminated');
    await assert.rejects(provider.get(providerID), NodeClaimNotFoundError);
    await assert.rejects(provider.delete(launched), NodeClaimNotFoundError);
    assert.ok(!(await provider.list()).some((c) => c.status?.providerID === providerID));
  });

  it('spot claims launch spot instances (price-capacity-optimized), and launch templates are reused', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const pool = awsNodePool();
    const templatesBefore = (await w.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates?.length ?? 0;
    const spotClaim = () => {
      const c = awsClaim(pool, { requirements: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['spot'] }, amd64] });
      c.metadata.labels!['team'] = 'spot-test'; // a label no other test uses: a template of its own
      return c;
    };
    const count = async (): Promise<number> => (await w.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates?.length ?? 0;
    const a = await provider.create(spotClaim());
    const afterFirst = await count();
    const b = await provider.create(spotClaim());
    try {
      const fleet = w.moto.faults.last('CreateFleet')!.params!;
      assert.equal(fleet.get('SpotOptions.AllocationStrategy'), 'price-capacity-optimized');
      assert.equal(fleet.get('TargetCapacitySpecification.DefaultTargetCapacityType'), 'spot');
      assert.equal(fleet.get('OnDemandOptions.AllocationStrategy'), null);
      for (const c of [a, b]) {
        assert.equal(c.metadata.labels![CAPACITY_TYPE_LABEL], 'spot');
        const instance = await instanceOf(w, /i-[0-9a-f]+$/.exec(c.status!.providerID!)![0]);
        assert.equal(instance.InstanceLifecycle, 'spot');
      }
      const templates = (await w.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? [];
      // One template per image the fleet needed (standard amd64, and nvidia for the GPU types).
      assert.equal(afterFirst - templatesBefore, 2, 'a template per image for the first claim');
      assert.equal(templates.length, afterFirst, 'the second claim reuses them');
      const template = templates.find((t) => t.LaunchTemplateName !== undefined && templates.indexOf(t) >= templatesBefore
        && t.LaunchTemplateName.startsWith(`nodewright/${CLUSTER}/`))!;
      assert.match(template.LaunchTemplateName!, new RegExp(`^nodewright/${CLUSTER}/[0-9a-f]{24}$`));
      const version = (await w.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId }))).LaunchTemplateVersions![0]!;
      const data = version.LaunchTemplateData!;
      assert.equal(data.MetadataOptions?.HttpTokens, 'required', 'IMDSv2 only');
      assert.equal(data.MetadataOptions?.HttpPutResponseHopLimit, 1);
      assert.equal(data.IamInstanceProfile?.Name, 'nodewright-node');
      assert.deepEqual(data.SecurityGroupIds, [w.defaultGroup]);
      const userData = Buffer.from(data.UserData!, 'base64').toString('utf8');
      const nodeConfigPart = userData.split('Content-Type: application/node.eks.aws')[1]!.split(/\n--nodewright-/)[0]!;
      const [doc] = parseAllDocuments(nodeConfigPart.trim());
      const config = doc!.toJS() as { spec: { cluster: Record<string, string>; kubelet: { flags: string[] } } };
      assert.equal(config.spec.cluster.name, CLUSTER);
      assert.equal(config.spec.cluster.apiServerEndpoint, 'https://api.test-cluster.example.com');
      assert.equal(config.spec.cluster.cidr, '10.100.0.0/16');
      assert.ok(config.spec.kubelet.flags.includes('--node-labels=karpenter.sh/nodepool=default,team=spot-test'), config.spec.kubelet.flags.join(' '));
      assert.ok(config.spec.kubelet.flags.includes('--register-with-taints=karpenter.sh/unregistered:NoExecute'));
    } finally {
      await provider.delete(a);
      await provider.delete(b);
    }
  });

  it('the whole catalogue: CreateFleet instant, capacity 1, on-demand lowest-price over the 60 cheapest compatible types', async (t) => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()), { instanceTypePatterns: undefined });
    const pool = awsNodePool();
    const claim = awsClaim(pool, { requirements: [onDemand], requests: { cpu: '1', memory: '1Gi' } });
    let started = Date.now();
    const seen = w.moto.faults.requests.length;
    const types = await provider.getInstanceTypes(pool);
    const calls = new Map<string, number>();
    for (const r of w.moto.faults.requests.slice(seen)) calls.set(r.action, (calls.get(r.action) ?? 0) + r.ms);
    t.diagnostic(`getInstanceTypes over moto's whole catalogue: ${types.length} types in ${Date.now() - started} ms (cold; `
      + `${[...calls].map(([a, ms]) => `${a} ${ms} ms`).join(', ')})`);
    started = Date.now();
    await provider.getInstanceTypes(pool);
    t.diagnostic(`... and ${Date.now() - started} ms from the cache`);
    assert.ok(types.length > 500, `most of moto's types are launchable, got ${types.length}`);
    // moto has no Pricing API: on-demand prices fall back to the bundled table, and say why.
    assert.equal(provider.pricing.onDemandSource, 'static');
    assert.match(provider.pricing.lastPricingError?.message ?? '', /Pricing API/);
    assert.equal(types.find((x) => x.name === 'm5.large')?.offerings.find((o) => o.capacityType === 'on-demand')?.price, 0.096);

    // Labels from DescribeInstanceTypes against those Karpenter publishes (the bundled data).
    const published = new Map(loadEc2Data().instanceTypes.map((x) => [x.name, x.labels]));
    let agree = 0;
    let compared = 0;
    const misses = new Map<string, number>();
    for (const type of types) {
      const want = published.get(type.name);
      if (want === undefined) continue;
      for (const key of Object.keys(want)) {
        compared++;
        if (type.requirements[key]?.[0] === want[key]) agree++;
        else misses.set(key, (misses.get(key) ?? 0) + 1);
      }
    }
    t.diagnostic(`labels agree with the published ones on ${agree} of ${compared} (${(100 * agree / compared).toFixed(2)}%); differing: `
      + `${[...misses].map(([k, n]) => `${k.replace('karpenter.k8s.aws/', '')} ${n}`).join(', ')}`);
    assert.ok(agree / compared > 0.99, 'labels as Karpenter publishes them');
    const expected = launchCandidates(claim, types, { maxInstanceTypes: 60 });
    const launched = await provider.create(claim);
    try {
      const fleet = w.moto.faults.last('CreateFleet')!.params!;
      assert.equal(fleet.get('Type'), 'instant');
      assert.equal(fleet.get('TargetCapacitySpecification.TotalTargetCapacity'), '1');
      assert.equal(fleet.get('TargetCapacitySpecification.DefaultTargetCapacityType'), 'on-demand');
      assert.equal(fleet.get('OnDemandOptions.AllocationStrategy'), 'lowest-price');
      assert.equal(fleet.get('SpotOptions.AllocationStrategy'), null);
      const overrides = [...fleet.entries()].filter(([k]) => /^LaunchTemplateConfigs\.\d+\.Overrides\.\d+\.InstanceType$/.test(k)).map(([, v]) => v);
      const sent = new Set(overrides);
      assert.equal(sent.size, 60, 'the cheapest 60 types');
      assert.deepEqual(sent, new Set(expected.map((c) => c.instanceType.name)));
      const price = (name: string): number => Math.min(...types.find((x) => x.name === name)!.offerings.filter((o) => o.capacityType === 'on-demand').map((o) => o.price));
      assert.equal(launched.metadata.labels![INSTANCE_TYPE_LABEL], expected[0]!.instanceType.name, 'the cheapest');
      assert.equal(price(overrides[0]!), expected[0]!.offering.price);
      const leftOut = launchCandidates(claim, types).filter((c) => !sent.has(c.instanceType.name));
      assert.ok(leftOut.length > 0 && Math.max(...[...sent].map(price)) <= Math.min(...leftOut.map((c) => c.offering.price)), 'no type left out is cheaper than one sent');
    } finally {
      await provider.delete(launched);
    }
  });

  it('a launch template deleted outside nodewright is made again', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const pool = awsNodePool();
    const first = await provider.create(awsClaim(pool, { requirements: [onDemand, amd64] }));
    const ours = ((await w.ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).filter((x) => x.LaunchTemplateName?.startsWith('nodewright/'));
    for (const template of ours) await w.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId }));
    const seen = w.moto.faults.seen('CreateFleet');
    const second = await provider.create(awsClaim(pool, { requirements: [onDemand, amd64] }));
    try {
      assert.equal(w.moto.faults.seen('CreateFleet') - seen, 2, 'refused once for the missing template, then launched');
      assert.equal(w.moto.faults.requests.filter((r) => r.action === 'CreateLaunchTemplate' && r.status === 200).length > ours.length, true);
      assert.ok(second.status?.providerID);
    } finally {
      await provider.delete(first);
      await provider.delete(second);
    }
  });

  it('a label that would inject into user data is refused before anything launches', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass()));
    const claim = awsClaim(awsNodePool());
    claim.metadata.labels!['team'] = 'a,kubernetes.io/role=admin';
    const before = w.moto.faults.forwarded('CreateFleet');
    await assert.rejects(provider.create(claim), UserDataError);
    assert.equal(w.moto.faults.forwarded('CreateFleet'), before, 'no CreateFleet');
  });

  it('node class status says what is missing; claims of a class that is not ready fail with NodeClassNotReadyError', async () => {
    const w = await world;
    const broken = ec2NodeClass('broken', {
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'no-such-cluster' } }],
      amiSelectorTerms: [{ alias: 'al2023@v19990101' }],
    });
    const provider = awsProvider(w, new NodeClasses(ec2NodeClass(), broken));
    const status = await provider.nodeClassStatus(broken);
    const byType = Object.fromEntries(status.conditions!.map((c) => [c.type, c]));
    assert.equal(byType.SubnetsReady!.status, 'False');
    assert.match(byType.SubnetsReady!.message!, /subnetSelectorTerms/);
    assert.equal(byType.SecurityGroupsReady!.status, 'True');
    assert.equal(byType.AMIsReady!.status, 'False');
    assert.equal(byType.Ready!.status, 'False');
    const ok = await provider.nodeClassStatus(ec2NodeClass());
    assert.deepEqual(ok.subnets!.map((s) => s.zone), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.ok(ok.conditions!.every((c) => c.status === 'True'));
    assert.deepEqual(ok.amis!.map((a) => a.id).sort(), ['ami-0a1023amd6400002', 'ami-0a1023arm6400002', 'ami-0a1023nvd6400001'], 'the newest of each variant');

    const pool = awsNodePool();
    pool.spec.template.spec.nodeClassRef.name = 'broken';
    await assert.rejects(provider.getInstanceTypes(pool), (e: unknown) => e instanceof NodeClassNotReadyError && /no subnet matches/.test(e.message));
    await assert.rejects(provider.create(awsClaim(pool)), NodeClassNotReadyError);
    pool.spec.template.spec.nodeClassRef.name = 'missing';
    await assert.rejects(provider.getInstanceTypes(pool), /EC2NodeClass missing not found/);
  });

  it('drift: the resolved AMI, subnets or security groups change', async () => {
    const w = await world;
    const classes = new NodeClasses(ec2NodeClass());
    const provider = awsProvider(w, classes, { cacheTtlMs: { nodeClass: 1 } });
    const launched = await provider.create(awsClaim(awsNodePool(), { requirements: [amd64, { key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['spot'] }, { key: ZONE_LABEL, operator: 'In', values: ['us-east-1a'] }] }));
    try {
      assert.equal(await provider.isDrifted(launched), undefined);
      classes.set(ec2NodeClass('default', { amiSelectorTerms: [{ alias: 'al2023@v20240901' }] }));
      assert.equal(await provider.isDrifted(launched), 'AMIDrift');
      const bOnly = w.subnets.find((s) => s.zone === 'us-east-1b')!;
      classes.set(ec2NodeClass('default', { subnetSelectorTerms: [{ id: bOnly.id }] }));
      assert.equal(await provider.isDrifted(launched), 'SubnetDrift');
      const group = await w.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'nodes-v2', Description: 'nodes v2' }));
      await w.ec2.send(new CreateTagsCommand({ Resources: [group.GroupId!], Tags: [{ Key: 'generation', Value: 'v2' }] }));
      classes.set(ec2NodeClass('default', { securityGroupSelectorTerms: [{ tags: { generation: 'v2' } }] }));
      assert.equal(await provider.isDrifted(launched), 'SecurityGroupDrift');
      classes.set(ec2NodeClass('default', { securityGroupSelectorTerms: [{ tags: DISCOVERY }, { tags: { generation: 'v2' } }] }));
      assert.equal(await provider.isDrifted(launched), 'SecurityGroupDrift', 'a group added is drift too');
      classes.set(ec2NodeClass());
      assert.equal(await provider.isDrifted(launched), undefined, 'back to the original class');
    } finally {
      await provider.delete(launched);
    }
  });
});
