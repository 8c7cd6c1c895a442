/**
 * Launch templates: one per distinct content (image, user data, security groups, metadata options,
 * disks, instance profile), named after a hash of that content so every launch needing the same
 * template reuses it, across restarts too (an existing name is looked up, not created twice).
 */
import { createHash } from 'node:crypto';
import type { EC2Client, LaunchTemplateBlockDeviceMappingRequest, RequestLaunchTemplateData, Tag } from '@aws-sdk/client-ec2';
import { CreateLaunchTemplateCommand, DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import type { Taint } from '../../apis/core.js';
import { withEC2NodeClassDefaults } from '../../apis/ec2nodeclass/defaults.js';
import type { BlockDeviceMapping, ResolvedAMI } from '../../apis/ec2nodeclass/types.js';
import { AWS_GROUP } from '../../apis/labels.js';
import { resourceAmount } from '../../utils/quantity.js';
import { GiB } from './allocatable.js';
import { awsErrorInfo } from './errors.js';
import type { ResolvedNodeClass } from './node-class.js';
import type { Retrier } from './retry.js';
import type { ClusterInfo } from './user-data.js';
import { al2023UserData } from './user-data.js';

export const NODECLASS_TAG = `${AWS_GROUP}/ec2nodeclass`;
export const clusterTag = (cluster: string): string => `kubernetes.io/cluster/${cluster}`;

/** AL2023's root disk when the node class maps none: 20 GiB gp3, encrypted. */
export const DEFAULT_BLOCK_DEVICE_MAPPINGS: readonly BlockDeviceMapping[] = [
  { deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '20Gi', volumeType: 'gp3', encrypted: true, deleteOnTermination: true } },
];

export function blockDeviceMappings(mappings: readonly BlockDeviceMapping[] | undefined): LaunchTemplateBlockDeviceMappingRequest[] {
  return (mappings ?? DEFAULT_BLOCK_DEVICE_MAPPINGS).map((m) => ({
    ...(m.deviceName === undefined ? {} : { DeviceName: m.deviceName }),
    ...(m.ebs === undefined ? {} : {
      Ebs: {
        ...(m.ebs.deleteOnTermination === undefined ? {} : { DeleteOnTermination: m.ebs.deleteOnTermination }),
        ...(m.ebs.encrypted === undefined ? {} : { Encrypted: m.ebs.encrypted }),
        ...(m.ebs.iops === undefined ? {} : { Iops: m.ebs.iops }),
        ...(m.ebs.kmsKeyID === undefined ? {} : { KmsKeyId: m.ebs.kmsKeyID }),
        ...(m.ebs.snapshotID === undefined ? {} : { SnapshotId: m.ebs.snapshotID }),
        ...(m.ebs.throughput === undefined ? {} : { Throughput: m.ebs.throughput }),
        ...(m.ebs.volumeSize === undefined ? {} : { VolumeSize: Math.ceil(resourceAmount('storage', m.ebs.volumeSize) / GiB) }),
        ...(m.ebs.volumeType === undefined ? {} : { VolumeType: m.ebs.volumeType }),
      },
    }),
  }));
}

/** What a launch needs a template for. */
export interface LaunchTemplateRequest {
  readonly resolved: ResolvedNodeClass;
  readonly ami: ResolvedAMI;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
}

/**
 * The template's content. @throws UserDataError (from user-data.ts) for labels, taints or user
 * data that cannot go into user data safely.
 */
export function launchTemplateData(cluster: ClusterInfo, req: LaunchTemplateRequest): RequestLaunchTemplateData {
  const spec = withEC2NodeClassDefaults(req.resolved.nodeClass).spec;
  const userData = al2023UserData({
    cluster, labels: req.labels, taints: req.taints, ...(spec.kubelet ? { kubelet: spec.kubelet } : {}), ...(spec.userData === undefined ? {} : { custom: spec.userData }),
  });
  const groups = req.resolved.securityGroups.map((g) => g.id);
  const m = spec.metadataOptions;
  return {
    ImageId: req.ami.id,
    UserData: Buffer.from(userData, 'utf8').toString('base64'),
    MetadataOptions: { HttpEndpoint: m.httpEndpoint, HttpProtocolIpv6: m.httpProtocolIPv6, HttpPutResponseHopLimit: m.httpPutResponseHopLimit, HttpTokens: m.httpTokens },
    BlockDeviceMappings: blockDeviceMappings(spec.blockDeviceMappings),
    ...(req.resolved.instanceProfile === undefined ? {} : { IamInstanceProfile: { Name: req.resolved.instanceProfile } }),
    ...(spec.detailedMonitoring === undefined ? {} : { Monitoring: { Enabled: spec.detailedMonitoring } }),
    ...(spec.associatePublicIPAddress === undefined
      ? { SecurityGroupIds: groups }
      : { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: spec.associatePublicIPAddress, Groups: groups }] }),
  };
}

export interface LaunchTemplateProviderOptions {
  readonly ec2: EC2Client;
  readonly retry: Retrier;
  readonly cluster: ClusterInfo;
}

export class LaunchTemplateProvider {
  readonly #o: LaunchTemplateProviderOptions;
  readonly #ids = new Map<string, Promise<string>>();

  constructor(options: LaunchTemplateProviderOptions) {
    this.#o = options;
  }

  /**
   * The template for this request, created on first use: its name and id.
   * @throws UserDataError, CloudProviderError.
   */
  async ensure(req: LaunchTemplateRequest): Promise<{ name: string; id: string }> {
    const data = launchTemplateData(this.#o.cluster, req);
    const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 24);
    const name = `nodewright/${this.#o.cluster.name}/${hash}`;
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#create(name, data, req);
      this.#ids.set(name, id);
      id.catch(() => this.#ids.delete(name));
    }
    return { name, id: await id };
  }

  /** Forgets a template (it was deleted outside): the next ensure creates it again. */
  forget(name: string): void {
    this.#ids.delete(name);
  }

  async #create(name: string, data: RequestLaunchTemplateData, req: LaunchTemplateRequest): Promise<string> {
    const { ec2, retry, cluster } = this.#o;
    const tags: Tag[] = [
      ...Object.entries(req.resolved.nodeClass.spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
      { Key: clusterTag(cluster.name), Value: 'owned' },
      { Key: NODECLASS_TAG, Value: req.resolved.nodeClass.metadata.name ?? '' },
    ];
    const existing = async (): Promise<string | undefined> => {
      const found = await retry.run(`looking up launch template ${name}`, () => ec2.send(new DescribeLaunchTemplatesCommand({ Filters: [{ Name: 'launch-template-name', Values: [name] }] })));
      return found.LaunchTemplates?.[0]?.LaunchTemplateId;
    };
    const known = await existing();
    if (known !== undefined) return known;
    try {
      const out = await retry.run(`creating launch template ${name}`, () => ec2.send(new CreateLaunchTemplateCommand({
        LaunchTemplateName: name, LaunchTemplateData: data, TagSpecifications: [{ ResourceType: 'launch-template', Tags: tags }],
      })));
      const id = out.LaunchTemplate?.LaunchTemplateId;
      if (id === undefined) throw new Error(`creating launch template ${name}: the reply has no id`);
      return id;
    } catch (e) {
      // Another launch (or another replica) created it between our look-up and create.
      if (awsErrorInfo(e instanceof Error && e.cause !== undefined ? e.cause : e).code.includes('AlreadyExists')) {
        const raced = await existing();
        if (raced !== undefined) return raced;
      }
      throw e;
    }
  }
}
