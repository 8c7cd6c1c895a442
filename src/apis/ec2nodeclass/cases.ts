/**
 * A valid EC2NodeClass and invalid variants, each with the field the refusal must name: checked
 * against validateEC2NodeClass in the unit tier and against a real API server in the integration
 * tier. Test data only.
 */
import type { EC2NodeClass, EC2NodeClassSpec } from './types.js';

export function validEC2NodeClass(name = 'default'): EC2NodeClass {
  return {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: { name },
    spec: {
      role: 'KarpenterNodeRole-demo',
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }, { id: 'subnet-0a1b2c' }],
      securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': 'demo' } }],
      tags: { team: 'platform' },
      blockDeviceMappings: [{ deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '40Gi', volumeType: 'gp3', encrypted: true } }],
      kubelet: { maxPods: 110, evictionSoft: { 'memory.available': '5%' }, evictionSoftGracePeriod: { 'memory.available': '1m' } },
    },
  };
}

export interface InvalidEC2NodeClassCase {
  readonly name: string;
  /** Replaces fields of the valid spec (`undefined` removes one). */
  readonly spec: Partial<Record<keyof EC2NodeClassSpec, unknown>>;
  /** Path prefix the local problem has; the server's message contains it. */
  readonly field: string;
  /** What both messages must also say. */
  readonly message?: RegExp;
}

/** The valid node class with the case's spec fields replaced. */
export function buildEC2Case(c: InvalidEC2NodeClassCase, name = 'default'): Record<string, unknown> {
  const nc = validEC2NodeClass(name) as unknown as { spec: Record<string, unknown> };
  for (const [key, value] of Object.entries(c.spec)) {
    if (value === undefined) delete nc.spec[key];
    else nc.spec[key] = value;
  }
  return nc;
}

export const INVALID_EC2NODECLASSES: readonly InvalidEC2NodeClassCase[] = [
  { name: 'neither role nor instanceProfile', spec: { role: undefined }, field: 'spec', message: /exactly one of/ },
  { name: 'both role and instanceProfile', spec: { instanceProfile: 'profile' }, field: 'spec', message: /exactly one of/ },
  { name: 'empty role', spec: { role: '' }, field: 'spec.role' },
  { name: 'no subnet terms', spec: { subnetSelectorTerms: [] }, field: 'spec.subnetSelectorTerms' },
  { name: 'subnet term selecting nothing', spec: { subnetSelectorTerms: [{}] }, field: 'spec.subnetSelectorTerms', message: /expected at least one/ },
  { name: 'subnet id with tags', spec: { subnetSelectorTerms: [{ id: 'subnet-1', tags: { a: 'b' } }] }, field: 'spec.subnetSelectorTerms', message: /mutually exclusive/ },
  { name: 'subnet id of a VPC', spec: { subnetSelectorTerms: [{ id: 'vpc-123' }] }, field: 'spec.subnetSelectorTerms[0].id' },
  { name: '31 subnet terms', spec: { subnetSelectorTerms: Array.from({ length: 31 }, (_, i) => ({ id: `subnet-${i}` })) }, field: 'spec.subnetSelectorTerms' },
  { name: 'security group tag with empty value', spec: { securityGroupSelectorTerms: [{ tags: { a: '' } }] }, field: 'spec.securityGroupSelectorTerms[0].tags' },
  { name: 'security group name with id', spec: { securityGroupSelectorTerms: [{ name: 'web', id: 'sg-1' }] }, field: 'spec.securityGroupSelectorTerms', message: /mutually exclusive/ },
  { name: 'alias with another term', spec: { amiSelectorTerms: [{ alias: 'al2023@latest' }, { id: 'ami-1' }] }, field: 'spec.amiSelectorTerms', message: /alias/ },
  { name: 'alias with tags in one term', spec: { amiSelectorTerms: [{ alias: 'al2023@latest', tags: { a: 'b' } }] }, field: 'spec.amiSelectorTerms', message: /alias/ },
  { name: 'alias of an unknown family', spec: { amiSelectorTerms: [{ alias: 'ubuntu@latest' }] }, field: 'spec.amiSelectorTerms[0].alias' },
  { name: 'alias without a version', spec: { amiSelectorTerms: [{ alias: 'al2023' }] }, field: 'spec.amiSelectorTerms[0].alias' },
  { name: 'pinned windows alias', spec: { amiSelectorTerms: [{ alias: 'windows2022@v1' }] }, field: 'spec.amiSelectorTerms[0].alias' },
  { name: 'no alias and no amiFamily', spec: { amiSelectorTerms: [{ id: 'ami-0abc' }] }, field: 'spec', message: /amiFamily/ },
  { name: 'amiFamily of another alias family', spec: { amiFamily: 'AL2' }, field: 'spec', message: /amiFamily/ },
  { name: 'unknown amiFamily', spec: { amiFamily: 'Ubuntu' }, field: 'spec.amiFamily' },
  { name: 'hop limit above 64', spec: { metadataOptions: { httpPutResponseHopLimit: 65 } }, field: 'spec.metadataOptions.httpPutResponseHopLimit' },
  { name: 'httpTokens neither required nor optional', spec: { metadataOptions: { httpTokens: 'sometimes' } }, field: 'spec.metadataOptions.httpTokens' },
  { name: 'cluster ownership tag', spec: { tags: { 'kubernetes.io/cluster/demo': 'owned' } }, field: 'spec.tags', message: /restricted tag/ },
  { name: 'nodepool tag', spec: { tags: { 'karpenter.sh/nodepool': 'x' } }, field: 'spec.tags', message: /restricted tag/ },
  {
    name: 'two root volumes',
    spec: { blockDeviceMappings: [{ rootVolume: true, ebs: { volumeSize: '20Gi' } }, { rootVolume: true, ebs: { volumeSize: '20Gi' } }] },
    field: 'spec.blockDeviceMappings',
  },
  { name: 'volume without size or snapshot', spec: { blockDeviceMappings: [{ ebs: { volumeType: 'gp3' } }] }, field: 'spec.blockDeviceMappings[0].ebs' },
  { name: 'volume of 100TB', spec: { blockDeviceMappings: [{ ebs: { volumeSize: '100TB' } }] }, field: 'spec.blockDeviceMappings[0].ebs.volumeSize' },
  { name: 'gp3 throughput of 2000', spec: { blockDeviceMappings: [{ ebs: { volumeSize: '20Gi', throughput: 2000 } }] }, field: 'spec.blockDeviceMappings[0].ebs.throughput' },
  { name: 'image GC high not above low', spec: { kubelet: { imageGCHighThresholdPercent: 50, imageGCLowThresholdPercent: 60 } }, field: 'spec.kubelet', message: /imageGC/ },
  { name: 'evictionSoft without grace period', spec: { kubelet: { evictionSoft: { 'memory.available': '5%' } } }, field: 'spec.kubelet', message: /evictionSoft/ },
  { name: 'unknown eviction signal', spec: { kubelet: { evictionHard: { 'disk.available': '5%' } } }, field: 'spec.kubelet.evictionHard' },
  { name: 'kubeReserved gpu', spec: { kubelet: { kubeReserved: { gpu: '1' } } }, field: 'spec.kubelet.kubeReserved' },
  { name: 'negative systemReserved', spec: { kubelet: { systemReserved: { cpu: '-1' } } }, field: 'spec.kubelet.systemReserved' },
  { name: 'no security group terms', spec: { securityGroupSelectorTerms: undefined }, field: 'spec.securityGroupSelectorTerms' },
];
