/**
 * Shared set-up of the aws test tier: moto started through src/test/moto.ts, its default subnets
 * (three zones) and security group tagged for discovery, an EC2NodeClass selecting them with the
 * AL2023 alias, and providers on the real clock with short retry waits.
 */
import { CreateTagsCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EC2NodeClass } from '../../apis/ec2nodeclass/types.js';
import type { NodeSelectorRequirementWithMinValues, NodeClaim, NodePool } from '../../apis/v1/types.js';
import type { ResourceQuantities } from '../../apis/core.js';
import { nodePool } from '../../test/builders.js';
import type { Moto } from '../../test/moto.js';
import { MOTO_KUBERNETES_VERSION, startMoto } from '../../test/moto.js';
import { RealClock } from '../../utils/clock.js';
import type { AwsCloudProviderOptions } from './aws-cloud-provider.js';
import { AwsCloudProvider } from './aws-cloud-provider.js';
import { ec2Client } from './clients.js';

export const CLUSTER = 'test-cluster';
export const DISCOVERY = { 'karpenter.sh/discovery': CLUSTER };
export const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
/** A few families, so each test file describes dozens of types rather than 1,263. */
export const TEST_PATTERNS = ['m5.*', 'c5.*', 'r5.*', 't3.*', 'm6g.*', 'c6g.*', 'g4dn.*'];

export interface AwsWorld {
  readonly moto: Moto;
  /** Straight to moto (not through the fault proxy). */
  readonly ec2: EC2Client;
  readonly subnets: readonly { id: string; zone: string }[];
  readonly defaultGroup: string;
}

/** Starts moto and tags three of its default subnets and its default security group for discovery. */
export async function startAwsWorld(): Promise<AwsWorld> {
  const moto = await startMoto();
  try {
    const ec2 = ec2Client({ region: moto.region, endpoint: moto.directEndpoint, credentials: moto.credentials });
    const all = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const subnets = ZONES.map((zone) => {
      const s = all.find((x) => x.AvailabilityZone === zone);
      if (s?.SubnetId === undefined) throw new Error(`moto has no default subnet in ${zone}`);
      return { id: s.SubnetId, zone };
    });
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }))).SecurityGroups ?? [];
    const defaultGroup = groups[0]?.GroupId;
    if (defaultGroup === undefined) throw new Error('moto has no default security group');
    await ec2.send(new CreateTagsCommand({ Resources: [...subnets.map((s) => s.id), defaultGroup], Tags: Object.entries(DISCOVERY).map(([Key, Value]) => ({ Key, Value })) }));
    return { moto, ec2, subnets, defaultGroup };
  } catch (e) {
    await moto.stop();
    throw e;
  }
}

export function ec2NodeClass(name = 'default', spec: Partial<EC2NodeClass['spec']> = {}): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name, generation: 1 },
    spec: {
      subnetSelectorTerms: [{ tags: DISCOVERY }],
      securityGroupSelectorTerms: [{ tags: DISCOVERY }],
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      instanceProfile: 'nodewright-node',
      ...spec,
    },
  };
}

/** A mutable set of node classes the provider reads. */
export class NodeClasses {
  readonly #byName = new Map<string, EC2NodeClass>();

  constructor(...classes: EC2NodeClass[]) {
    for (const c of classes) this.set(c);
  }

  set(c: EC2NodeClass): void {
    this.#byName.set(c.metadata.name!, c);
  }

  get(name: string): Promise<EC2NodeClass | undefined> {
    return Promise.resolve(this.#byName.get(name));
  }
}

export function awsProvider(world: AwsWorld, nodeClasses: NodeClasses, extra: Partial<AwsCloudProviderOptions> = {}): AwsCloudProvider {
  return new AwsCloudProvider({
    region: world.moto.region,
    endpoint: world.moto.endpoint,
    credentials: world.moto.credentials,
    clock: new RealClock(),
    cluster: { name: CLUSTER, endpoint: 'https://api.test-cluster.example.com', certificateAuthority: Buffer.from('test CA').toString('base64'), cidr: '10.100.0.0/16' },
    kubernetesVersion: MOTO_KUBERNETES_VERSION,
    nodeClasses,
    retry: { attempts: 4, baseMs: 20, maxMs: 200 },
    instanceTypePatterns: TEST_PATTERNS,
    ...extra,
  });
}

export function awsNodePool(name = 'default'): NodePool {
  const pool = nodePool({ name });
  pool.spec.template.spec.nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' };
  return pool;
}

let claims = 0;
const run = Math.random().toString(36).slice(2, 7);

/** A claim of the pool with a name unique to the process. */
export function awsClaim(pool: NodePool, o: { requirements?: NodeSelectorRequirementWithMinValues[]; requests?: ResourceQuantities; name?: string } = {}): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: o.name ?? `${pool.metadata.name}-${run}-${++claims}`, labels: { 'karpenter.sh/nodepool': pool.metadata.name! } },
    spec: {
      requirements: [...pool.spec.template.spec.requirements, ...(o.requirements ?? [])],
      nodeClassRef: { ...pool.spec.template.spec.nodeClassRef },
      ...(o.requests ? { resources: { requests: o.requests } } : {}),
    },
  };
}
