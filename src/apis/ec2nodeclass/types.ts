/**
 * karpenter.k8s.aws/v1 EC2NodeClass: the AWS settings of nodes (subnets, security groups, AMIs,
 * IAM, metadata service, disks, kubelet, user data), field for field as Karpenter's AWS provider
 * names them so its manifests parse unchanged. Shapes only: defaults in defaults.ts, the schema
 * (and so validation) in schema.ts.
 */
import type { Condition, KubeObject, NodeSelectorRequirement } from '../core.js';
import { AWS_GROUP } from '../labels.js';

export const GROUP = AWS_GROUP;
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'EC2NodeClass';

/** Tags to match; "*" as a value matches any value of that key. */
export type TagSelector = Record<string, string>;

export interface SubnetSelectorTerm {
  tags?: TagSelector;
  /** "subnet-…"; not combined with other fields. */
  id?: string;
}

export interface SecurityGroupSelectorTerm {
  tags?: TagSelector;
  /** "sg-…"; not combined with other fields. */
  id?: string;
  /** The group name (not the Name tag); not combined with other fields. */
  name?: string;
}

export interface AMISelectorTerm {
  /** An EKS-optimised AMI as "family@version" ("al2023@latest", "al2023@v20240625"); the only term when set. */
  alias?: string;
  tags?: TagSelector;
  /** "ami-…"; not combined with other fields. */
  id?: string;
  /** The AMI name (not the Name tag). */
  name?: string;
  /** Account ids, "self", "amazon" or "aws-marketplace". */
  owner?: string;
  /** An SSM parameter holding the AMI id. */
  ssmParameter?: string;
}

export const AMI_FAMILIES = ['AL2', 'AL2023', 'Bottlerocket', 'Custom', 'Windows2019', 'Windows2022'] as const;
export type AMIFamily = (typeof AMI_FAMILIES)[number];
/** Alias families (the lower-case names of the families that have EKS-optimised AMIs). */
export const ALIAS_FAMILIES = ['al2', 'al2023', 'bottlerocket', 'windows2019', 'windows2022'] as const;

/** Instance Metadata Service settings of the launch template. */
export interface MetadataOptions {
  httpEndpoint?: 'enabled' | 'disabled';
  httpProtocolIPv6?: 'enabled' | 'disabled';
  /** 1–64; 1 keeps the credentials away from pods behind a network hop (containers). */
  httpPutResponseHopLimit?: number;
  /** "required" is IMDSv2 only. */
  httpTokens?: 'required' | 'optional';
}

export const VOLUME_TYPES = ['standard', 'io1', 'io2', 'gp2', 'sc1', 'st1', 'gp3'] as const;

export interface BlockDevice {
  deleteOnTermination?: boolean;
  encrypted?: boolean;
  iops?: number;
  kmsKeyID?: string;
  snapshotID?: string;
  /** MiB/s, gp3 only (125–1000). */
  throughput?: number;
  /** A quantity in Gi, G, Ti or T ("20Gi"). */
  volumeSize?: string;
  volumeType?: (typeof VOLUME_TYPES)[number];
}

export interface BlockDeviceMapping {
  /** "/dev/xvda". */
  deviceName?: string;
  ebs?: BlockDevice;
  /** The volume kubelet uses as its root directory; at most one mapping. */
  rootVolume?: boolean;
}

export const EVICTION_SIGNALS = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'] as const;
export const RESERVED_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pid'] as const;

/** The kubelet settings Karpenter v1 moved from the NodePool to the node class. */
export interface KubeletConfiguration {
  clusterDNS?: string[];
  maxPods?: number;
  podsPerCore?: number;
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
  evictionHard?: Record<string, string>;
  evictionSoft?: Record<string, string>;
  /** Durations per signal; every evictionSoft signal needs one and vice versa. */
  evictionSoftGracePeriod?: Record<string, string>;
  evictionMaxPodGracePeriod?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
  cpuCFSQuota?: boolean;
}

export interface EC2NodeClassSpec {
  subnetSelectorTerms: SubnetSelectorTerm[];
  securityGroupSelectorTerms: SecurityGroupSelectorTerm[];
  amiSelectorTerms: AMISelectorTerm[];
  /** Required unless an alias term names the family. */
  amiFamily?: AMIFamily;
  /** IAM role for an instance profile nodewright manages; exactly one of role and instanceProfile. */
  role?: string;
  instanceProfile?: string;
  /** Tags on instances, volumes and launch templates. */
  tags?: Record<string, string>;
  metadataOptions?: MetadataOptions;
  blockDeviceMappings?: BlockDeviceMapping[];
  kubelet?: KubeletConfiguration;
  /** Merged with what nodewright generates (for AL2023: nodeadm NodeConfig). */
  userData?: string;
  associatePublicIPAddress?: boolean;
  detailedMonitoring?: boolean;
}

export interface ResolvedSubnet {
  id: string;
  zone: string;
  zoneID?: string;
}

export interface ResolvedSecurityGroup {
  id: string;
  name?: string;
}

export interface ResolvedAMI {
  id: string;
  name?: string;
  /** The instance types it can run on (architecture, GPU or not, ...). */
  requirements: NodeSelectorRequirement[];
  deprecated?: boolean;
}

export interface EC2NodeClassStatus {
  subnets?: ResolvedSubnet[];
  securityGroups?: ResolvedSecurityGroup[];
  amis?: ResolvedAMI[];
  instanceProfile?: string;
  conditions?: Condition[];
}

export interface EC2NodeClass extends KubeObject {
  apiVersion?: typeof API_VERSION;
  kind?: typeof KIND;
  spec: EC2NodeClassSpec;
  status?: EC2NodeClassStatus;
}

/** Condition types in an EC2NodeClass status; Ready is True once all the others are. */
export const EC2NodeClassConditions = {
  Ready: 'Ready',
  SubnetsReady: 'SubnetsReady',
  SecurityGroupsReady: 'SecurityGroupsReady',
  AMIsReady: 'AMIsReady',
  InstanceProfileReady: 'InstanceProfileReady',
  ValidationSucceeded: 'ValidationSucceeded',
} as const;
