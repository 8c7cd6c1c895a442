/**
 * Node class resolution on moto: AMI aliases through the EKS SSM public parameters (latest and
 * pinned, both architectures, cached), instance profiles made for a role through IAM (idempotent,
 * tagged, the role swapped, deleted with the node class), and failures shown as conditions.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { CreateInstanceProfileCommand, CreateRoleCommand, DeleteInstanceProfileCommand, GetInstanceProfileCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { EC2NodeClassStatus } from '../../apis/ec2nodeclass/types.js';
import { CAPACITY_TYPE_LABEL } from '../../apis/labels.js';
import { MOTO_KUBERNETES_VERSION } from '../../test/moto.js';
import { VirtualClock } from '../../utils/clock.js';
import { NodeClassNotReadyError } from '../cloud-provider.js';
import { al2023ParameterName } from './amis.js';
import { iamClient, ssmClient } from './clients.js';
import type { AwsWorld } from './fixtures.js';
import { awsClaim, awsNodePool, awsProvider, CLUSTER, ec2NodeClass, NodeClasses, startAwsWorld } from './fixtures.js';
import { instanceProfileName, MANAGED_BY_TAG } from './instance-profiles.js';
import { retrier } from './retry.js';
import { SsmParameters } from './ssm-parameters.js';

const world: Promise<AwsWorld> = startAwsWorld();
world.catch(() => undefined);
after(async () => {
  await (await world.catch(() => undefined))?.moto.stop();
});

const condition = (status: EC2NodeClassStatus, type: string) => status.conditions?.find((c) => c.type === type);
const ASSUME = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

async function createRole(w: AwsWorld, name: string): Promise<void> {
  const iam = iamClient({ region: w.moto.region, endpoint: w.moto.directEndpoint, credentials: w.moto.credentials });
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: ASSUME }));
  iam.destroy();
}

async function profile(w: AwsWorld, name: string) {
  const iam = iamClient({ region: w.moto.region, endpoint: w.moto.directEndpoint, credentials: w.moto.credentials });
  try {
    return (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  } catch (e) {
    if (e instanceof NoSuchEntityException) return undefined;
    throw e;
  } finally {
    iam.destroy();
  }
}

describe('AMI aliases through SSM on moto', () => {
  it('al2023@latest resolves the recommended image of each architecture and variant EKS publishes', async () => {
    const w = await world;
    const status = await awsProvider(w, new NodeClasses()).nodeClassStatus(ec2NodeClass('latest', { amiSelectorTerms: [{ alias: 'al2023@latest' }] }));
    assert.equal(condition(status, 'AMIsReady')?.status, 'True', JSON.stringify(status.conditions));
    const byId = new Map((status.amis ?? []).map((a) => [a.id, a]));
    // The newest release of standard x86_64 and arm64, and the only nvidia image; no arm64 nvidia or neuron is published.
    assert.deepEqual([...byId.keys()].sort(), ['ami-0a1023amd6400002', 'ami-0a1023arm6400002', 'ami-0a1023nvd6400001']);
    assert.deepEqual(byId.get('ami-0a1023arm6400002')?.requirements[0], { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] });
    assert.deepEqual(byId.get('ami-0a1023amd6400002')?.requirements[0], { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] });
    assert.ok(byId.get('ami-0a1023nvd6400001')?.requirements.some((r) => r.key === 'karpenter.k8s.aws/instance-gpu-manufacturer' && r.values?.[0] === 'nvidia'));
    assert.equal(byId.get('ami-0a1023amd6400002')?.name, `amazon-eks-node-al2023-x86_64-standard-${MOTO_KUBERNETES_VERSION}-v20241001`);
  });

  it('a pinned release resolves that release for both architectures; a release SSM lacks is a condition', async () => {
    const w = await world;
    const provider = awsProvider(w, new NodeClasses());
    const pinned = await provider.nodeClassStatus(ec2NodeClass('pinned', { amiSelectorTerms: [{ alias: 'al2023@v20240901' }] }));
    assert.deepEqual((pinned.amis ?? []).map((a) => a.id).sort(), ['ami-0a1023amd6400001', 'ami-0a1023arm6400001']);
    const missing = await provider.nodeClassStatus(ec2NodeClass('missing', { amiSelectorTerms: [{ alias: 'al2023@v20990101' }] }));
    const amis = condition(missing, 'AMIsReady');
    assert.equal(amis?.status, 'False');
    assert.equal(amis?.reason, 'AMINotFound');
    assert.match(amis?.message ?? '', /AMI alias "al2023@v20990101": SSM has no EKS AL2023 image for Kubernetes 1\.31/);
    assert.equal(condition(missing, 'Ready')?.status, 'False');
  });

  it('an SSM failure (AccessDenied) is an AMIsReady condition, not a crash, and launches wait', async () => {
    const w = await world;
    const nodeClass = ec2NodeClass('default', { amiSelectorTerms: [{ alias: 'al2023@v20241001' }] });
    const provider = awsProvider(w, new NodeClasses(nodeClass));
    w.moto.faults.failNext('GetParameters', 'access-denied');
    const status = await provider.nodeClassStatus(nodeClass);
    const amis = condition(status, 'AMIsReady');
    assert.equal(amis?.status, 'False');
    assert.match(amis?.message ?? '', /al2023@v20241001.*reading the EKS image parameters from SSM failed: .*AccessDenied/);
    await assert.rejects(provider.create(awsClaim(awsNodePool())), (e: unknown) => e instanceof NodeClassNotReadyError && /AccessDenied/.test(e.message));
  });

  it('caches parameters: latest for the short TTL, a pinned release for long; absence is cached too', async () => {
    const w = await world;
    const clock = new VirtualClock();
    const ssm = ssmClient({ region: w.moto.region, endpoint: w.moto.endpoint, credentials: w.moto.credentials });
    const params = new SsmParameters({ ssm, retry: retrier(clock, { attempts: 1, baseMs: 0, maxMs: 0 }), clock, mutableTtlMs: 1000, immutableTtlMs: 10_000 });
    const latest = al2023ParameterName(MOTO_KUBERNETES_VERSION, 'arm64', 'standard', 'latest');
    const absent = al2023ParameterName(MOTO_KUBERNETES_VERSION, 'arm64', 'neuron', 'latest');
    const seen = () => w.moto.faults.seen('GetParameters');
    const before = seen();
    assert.deepEqual([...(await params.get([latest, absent], true))], [[latest, 'ami-0a1023arm6400002'], [absent, undefined]]);
    await params.get([latest, absent], true);
    assert.equal(seen() - before, 1, 'the second read is served from the cache');
    await clock.advanceTo(clock.now() + 1000);
    await params.get([latest], true);
    assert.equal(seen() - before, 2, 'read again once the TTL passed');
    const pinned = al2023ParameterName(MOTO_KUBERNETES_VERSION, 'x86_64', 'standard', 'v20240901');
    assert.equal((await params.get([pinned], false)).get(pinned), 'ami-0a1023amd6400001');
    await clock.advanceTo(clock.now() + 5000);
    await params.get([pinned], false);
    assert.equal(seen() - before, 3, 'a pinned release is kept longer');
    ssm.destroy();
  });
});

describe('instance profiles for spec.role on moto', () => {
  it('creates one tagged profile holding the role, reuses it across providers, launches with it, swaps the role, and deletes it', async () => {
    const w = await world;
    await createRole(w, 'NodeRoleA');
    await createRole(w, 'NodeRoleB');
    const nodeClass = ec2NodeClass('default', { role: 'NodeRoleA' });
    delete nodeClass.spec.instanceProfile;
    const name = instanceProfileName(CLUSTER, w.moto.region, 'default');
    assert.match(name, /^test-cluster_[0-9a-f]{20}$/);
    const createsBefore = w.moto.faults.seen('CreateInstanceProfile');

    const provider = awsProvider(w, new NodeClasses(nodeClass));
    const status = await provider.nodeClassStatus(nodeClass);
    assert.equal(condition(status, 'InstanceProfileReady')?.status, 'True', JSON.stringify(status.conditions));
    assert.equal(condition(status, 'Ready')?.status, 'True');
    assert.equal(status.instanceProfile, name);
    let made = await profile(w, name);
    assert.deepEqual(made?.Roles?.map((r) => r.RoleName), ['NodeRoleA']);
    const tags: Record<string, string | undefined> = Object.fromEntries((made?.Tags ?? []).map((t) => [t.Key ?? '', t.Value]));
    assert.equal(tags[MANAGED_BY_TAG], CLUSTER);
    assert.equal(tags['karpenter.k8s.aws/ec2nodeclass'], 'default');

    // Another replica (a fresh provider, nothing cached) finds it rather than creating it again.
    const other = awsProvider(w, new NodeClasses(nodeClass));
    assert.equal((await other.nodeClassStatus(nodeClass)).instanceProfile, name);
    assert.equal(w.moto.faults.seen('CreateInstanceProfile') - createsBefore, 1, 'created once');

    // Launches use it; the template carries IMDSv2-only metadata options (hop limit 1) by default.
    const pool = awsNodePool();
    const launched = await provider.create(awsClaim(pool, { requirements: [{ key: CAPACITY_TYPE_LABEL, operator: 'In', values: ['on-demand'] }, { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }] }));
    const sent = w.moto.faults.requests.filter((r) => r.action === 'CreateLaunchTemplate' && r.params?.get('LaunchTemplateData.IamInstanceProfile.Name') === name).at(-1);
    assert.ok(sent, 'a CreateLaunchTemplate request names the profile');
    assert.equal(sent.params?.get('LaunchTemplateData.MetadataOptions.HttpTokens'), 'required');
    assert.equal(sent.params?.get('LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit'), '1');
    assert.equal(sent.params?.get('LaunchTemplateData.MetadataOptions.HttpEndpoint'), 'enabled');
    const templateName = sent.params?.get('LaunchTemplateName') ?? '';
    const stored = (await w.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: templateName }))).LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    assert.equal(stored?.IamInstanceProfile?.Name, name);
    assert.equal(stored?.MetadataOptions?.HttpTokens, 'required');
    await provider.delete(launched);

    // The role changes: the profile now holds the new one only.
    const changed = { ...nodeClass, spec: { ...nodeClass.spec, role: 'NodeRoleB' } };
    assert.equal((await provider.nodeClassStatus(changed)).instanceProfile, name);
    made = await profile(w, name);
    assert.deepEqual(made?.Roles?.map((r) => r.RoleName), ['NodeRoleB']);

    await provider.finalizeNodeClass(changed);
    assert.equal(await profile(w, name), undefined, 'deleted with the node class');
    await provider.finalizeNodeClass(changed);
  });

  it('a role that does not exist, or IAM refusing access, is an InstanceProfileReady condition naming the role', async () => {
    const w = await world;
    const ghost = ec2NodeClass('ghost', { role: 'NoSuchRole' });
    delete ghost.spec.instanceProfile;
    const provider = awsProvider(w, new NodeClasses(ghost));
    const status = await provider.nodeClassStatus(ghost);
    const ip = condition(status, 'InstanceProfileReady');
    assert.equal(ip?.status, 'False');
    assert.equal(ip?.reason, 'InstanceProfileNotReady');
    assert.match(ip?.message ?? '', /role "NoSuchRole" does not exist/);
    assert.equal(status.instanceProfile, undefined);

    await createRole(w, 'DeniedRole');
    const denied = ec2NodeClass('denied', { role: 'DeniedRole' });
    delete denied.spec.instanceProfile;
    w.moto.faults.failNext('GetInstanceProfile', 'access-denied');
    const refused = condition(await provider.nodeClassStatus(denied), 'InstanceProfileReady');
    assert.equal(refused?.status, 'False');
    assert.match(refused?.message ?? '', /role "DeniedRole".*AccessDenied/);
    // Not cached: once IAM answers, it is made.
    provider.invalidateNodeClasses();
    assert.equal(condition(await provider.nodeClassStatus(denied), 'InstanceProfileReady')?.status, 'True');
    await provider.finalizeNodeClass(denied);
    await provider.finalizeNodeClass(ghost);
  });

  it('a node class being deleted is not ready and does not get its profile made again', async () => {
    const w = await world;
    await createRole(w, 'LeavingRole');
    const leaving = ec2NodeClass('leaving', { role: 'LeavingRole' });
    delete leaving.spec.instanceProfile;
    leaving.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const provider = awsProvider(w, new NodeClasses(leaving));
    const status = await provider.nodeClassStatus(leaving);
    assert.equal(condition(status, 'Ready')?.status, 'False');
    assert.match(condition(status, 'Ready')?.message ?? '', /being deleted/);
    assert.equal(await profile(w, instanceProfileName(CLUSTER, w.moto.region, 'leaving')), undefined, 'not created');
    const pool = awsNodePool();
    pool.spec.template.spec.nodeClassRef.name = 'leaving';
    await assert.rejects(provider.create(awsClaim(pool, { name: 'leaving-claim' })), (e: unknown) => e instanceof NodeClassNotReadyError && /EC2NodeClass leaving is not ready: it is being deleted/.test(e.message));
  });

  it('leaves a profile of the same name that is not this cluster\'s alone', async () => {
    const w = await world;
    const name = instanceProfileName(CLUSTER, w.moto.region, 'foreign');
    const iam = iamClient({ region: w.moto.region, endpoint: w.moto.directEndpoint, credentials: w.moto.credentials });
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: [{ Key: MANAGED_BY_TAG, Value: 'other-cluster' }] }));
    const provider = awsProvider(w, new NodeClasses());
    assert.equal(await provider.instanceProfiles.delete('foreign'), false);
    assert.ok(await profile(w, name), 'untouched');
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name }));
    iam.destroy();
  });
});
