/**
 * The EC2NodeClass kind as schema: the single definition of its shape, defaults and rules, from
 * which both its CRD and validateEC2NodeClass come.
 */
import { AGE_COLUMN, conditionColumn } from '../crds/crd.js';
import type { KindDefinition } from '../crds/crd.js';
import { QUANTITY, conditions } from '../crds/karpenter-fields.js';
import { array, boolean, celList, integer, map, object, required, rule, string, transitionRule } from '../crds/schema.js';
import type { JSONSchemaProps } from '../crds/schema.js';
import { DURATION } from '../v1/validation-fields.js';
import { DEFAULT_METADATA_OPTIONS } from './defaults.js';
import { amiSelectorTerms, securityGroupSelectorTerms, subnetSelectorTerms } from './schema-terms.js';
import { AMI_FAMILIES, EVICTION_SIGNALS, GROUP, KIND, RESERVED_RESOURCES, VERSION, VOLUME_TYPES } from './types.js';
import type { BlockDevice, BlockDeviceMapping, EC2NodeClassSpec, KubeletConfiguration } from './types.js';

const QUANTITY_BODY = QUANTITY.source.slice(1, -1);
/** An eviction threshold: a percentage (up to two decimals) or a quantity. */
export const EVICTION_THRESHOLD = new RegExp(`^(([0-9]{1,2}(\\.[0-9]{1,2})?|100(\\.0{1,2})?)%|${QUANTITY_BODY})$`);
/** EBS sizes EC2 accepts: 1Gi–59000Gi, 1G–64000G, 1Ti–58Ti, 1T–64T. */
export const VOLUME_SIZE = /^((?:[1-9][0-9]{0,3}|[1-4][0-9]{4}|5[0-8][0-9]{3}|59000)Gi|(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-3][0-9]{3}|64000)G|([1-9]|[1-4][0-9]|5[0-8])Ti|([1-9]|[1-5][0-9]|6[0-4])T)$/;
/** Tag keys nodewright sets itself on instances. */
export const RESTRICTED_TAGS = ['eks:eks-cluster-name', 'karpenter.sh/nodepool', 'karpenter.sh/nodeclaim', 'karpenter.k8s.aws/ec2nodeclass'] as const;

const nonEmpty = (what: string): JSONSchemaProps['x-kubernetes-validations'] => [
  rule<string>("self != ''", `${what} cannot be empty`, (s) => s !== ''),
];

function keysIn(field: string, allowed: readonly string[]): ReturnType<typeof rule> {
  return rule<Record<string, string>>(
    `self.all(x, x in ${celList(allowed)})`,
    `valid keys for ${field} are ${celList(allowed)}`,
    (self) => Object.keys(self).every((k) => allowed.includes(k)),
  );
}

function reserved(field: string): JSONSchemaProps {
  return map(string({ pattern: QUANTITY }), {
    description: `Resources set aside (${RESERVED_RESOURCES.join(', ')}).`,
    rules: [
      keysIn(field, RESERVED_RESOURCES),
      rule<Record<string, string>>("self.all(x, !self[x].startsWith('-'))", `${field} value cannot be a negative resource quantity`, (self) =>
        Object.values(self).every((v) => !v.startsWith('-')),
      ),
    ],
  });
}

function kubelet(): JSONSchemaProps {
  type K = KubeletConfiguration;
  const percent = (description: string): JSONSchemaProps => integer({ minimum: 0, maximum: 100, format: 'int32', description });
  return object(
    {
      clusterDNS: array(string(), { description: 'Cluster DNS server addresses.' }),
      maxPods: integer({ minimum: 0, format: 'int32', description: 'Overrides the maximum number of pods per node.' }),
      podsPerCore: integer({ minimum: 0, format: 'int32', description: 'Pods per CPU core; never above maxPods.' }),
      systemReserved: reserved('systemReserved'),
      kubeReserved: reserved('kubeReserved'),
      evictionHard: map(string({ pattern: EVICTION_THRESHOLD }), { rules: [keysIn('evictionHard', EVICTION_SIGNALS)] }),
      evictionSoft: map(string({ pattern: EVICTION_THRESHOLD }), { rules: [keysIn('evictionSoft', EVICTION_SIGNALS)] }),
      evictionSoftGracePeriod: map(string({ pattern: DURATION }), { rules: [keysIn('evictionSoftGracePeriod', EVICTION_SIGNALS)] }),
      evictionMaxPodGracePeriod: integer({ format: 'int32', description: 'Seconds a pod gets when evicted for a soft threshold.' }),
      imageGCHighThresholdPercent: percent('Disk usage above which images are always garbage collected.'),
      imageGCLowThresholdPercent: percent('Disk usage image garbage collection frees down to.'),
      cpuCFSQuota: boolean({ description: 'Enforce CPU limits with CFS quota.' }),
    },
    {
      description: 'Kubelet settings of the nodes (moved here from the NodePool in v1).',
      rules: [
        rule<K>(
          'has(self.imageGCHighThresholdPercent) && has(self.imageGCLowThresholdPercent) ? self.imageGCHighThresholdPercent > self.imageGCLowThresholdPercent : true',
          'imageGCHighThresholdPercent must be greater than imageGCLowThresholdPercent',
          (s) => s.imageGCHighThresholdPercent === undefined || s.imageGCLowThresholdPercent === undefined || s.imageGCHighThresholdPercent > s.imageGCLowThresholdPercent,
        ),
        rule<K>(
          'has(self.evictionSoft) ? self.evictionSoft.all(e, has(self.evictionSoftGracePeriod) && e in self.evictionSoftGracePeriod) : true',
          'evictionSoft OwnerKey does not have a matching evictionSoftGracePeriod',
          (s) => Object.keys(s.evictionSoft ?? {}).every((e) => s.evictionSoftGracePeriod?.[e] !== undefined),
        ),
        rule<K>(
          'has(self.evictionSoftGracePeriod) ? self.evictionSoftGracePeriod.all(e, has(self.evictionSoft) && e in self.evictionSoft) : true',
          'evictionSoftGracePeriod OwnerKey does not have a matching evictionSoft',
          (s) => Object.keys(s.evictionSoftGracePeriod ?? {}).every((e) => s.evictionSoft?.[e] !== undefined),
        ),
      ],
    },
  );
}

function blockDeviceMappings(): JSONSchemaProps {
  const ebs = object(
    {
      deleteOnTermination: boolean(),
      encrypted: boolean(),
      iops: integer({ minimum: 0, format: 'int64', description: 'Provisioned IOPS (gp3, io1, io2).' }),
      kmsKeyID: string({ description: 'The KMS key that encrypts the volume.' }),
      snapshotID: string({ description: 'The snapshot to create the volume from.' }),
      throughput: integer({ minimum: 125, maximum: 1000, format: 'int64', description: 'MiB/s, gp3 only.' }),
      volumeSize: string({ pattern: VOLUME_SIZE, description: 'Size in Gi, G, Ti or T ("20Gi").' }),
      volumeType: string({ enum: VOLUME_TYPES }),
    },
    {
      rules: [
        rule<BlockDevice>('has(self.snapshotID) || has(self.volumeSize)', 'snapshotID or volumeSize must be defined', (s) =>
          s.snapshotID !== undefined || s.volumeSize !== undefined,
        ),
      ],
    },
  );
  return array(object({ deviceName: string({ description: 'Device name, e.g. /dev/xvda.' }), ebs, rootVolume: boolean() }), {
    maxItems: 50,
    description: 'Volumes attached at launch.',
    rules: [
      rule<BlockDeviceMapping[]>(
        'self.filter(x, has(x.rootVolume) && x.rootVolume).size() <= 1',
        'must have only one blockDeviceMappings with rootVolume',
        (self) => self.filter((m) => m.rootVolume === true).length <= 1,
      ),
    ],
  });
}

function metadataOptions(): JSONSchemaProps {
  const d = DEFAULT_METADATA_OPTIONS;
  const onOff = ['enabled', 'disabled'];
  return object(
    {
      httpEndpoint: string({ enum: onOff, default: d.httpEndpoint }),
      httpProtocolIPv6: string({ enum: onOff, default: d.httpProtocolIPv6 }),
      httpPutResponseHopLimit: integer({ minimum: 1, maximum: 64, format: 'int64', default: d.httpPutResponseHopLimit }),
      httpTokens: string({ enum: ['required', 'optional'], default: d.httpTokens }),
    },
    { default: { ...d }, description: 'Instance Metadata Service settings; by default IMDSv2 only, one hop.' },
  );
}

function tags(): JSONSchemaProps {
  return map(string(), {
    description: 'Tags on instances, volumes and launch templates.',
    rules: [
      rule<Record<string, string>>("self.all(k, k != '')", "empty tag keys aren't supported", (s) => Object.keys(s).every((k) => k !== '')),
      rule<Record<string, string>>(
        "self.all(k, !k.startsWith('kubernetes.io/cluster'))",
        'tag contains a restricted tag matching kubernetes.io/cluster/',
        (s) => Object.keys(s).every((k) => !k.startsWith('kubernetes.io/cluster')),
      ),
      ...RESTRICTED_TAGS.map((tag) =>
        rule<Record<string, string>>(`self.all(k, k != '${tag}')`, `tag contains a restricted tag matching ${tag}`, (s) => s[tag] === undefined),
      ),
    ],
  });
}

type Spec = EC2NodeClassSpec;

/** The EC2NodeClass spec schema. */
export function ec2NodeClassSpec(): JSONSchemaProps {
  return object(
    {
      subnetSelectorTerms: required(subnetSelectorTerms()),
      securityGroupSelectorTerms: required(securityGroupSelectorTerms()),
      amiSelectorTerms: required(amiSelectorTerms()),
      amiFamily: string({ enum: AMI_FAMILIES, description: 'User data format and default disks; optional with an alias.' }),
      role: string({ rules: nonEmpty('role'), description: 'IAM role for the instance profile nodewright manages.' }),
      instanceProfile: string({ rules: nonEmpty('instanceProfile'), description: 'An existing instance profile.' }),
      tags: tags(),
      metadataOptions: metadataOptions(),
      blockDeviceMappings: blockDeviceMappings(),
      kubelet: kubelet(),
      userData: string({ description: 'User data merged with what nodewright generates for the AMI family.' }),
      associatePublicIPAddress: boolean(),
      detailedMonitoring: boolean(),
    },
    {
      description: 'AWS settings of the nodes.',
      rules: [
        rule<Spec>(
          '(has(self.role) && !has(self.instanceProfile)) || (!has(self.role) && has(self.instanceProfile))',
          "must specify exactly one of ['role', 'instanceProfile']",
          (s) => (s.role === undefined) !== (s.instanceProfile === undefined),
        ),
        transitionRule<Spec>(
          '(has(oldSelf.role) && has(self.role)) || (has(oldSelf.instanceProfile) && has(self.instanceProfile))',
          "changing from 'instanceProfile' to 'role' is not supported. You must delete and recreate this node class if you want to change this.",
          (s, o) => (o.role !== undefined && s.role !== undefined) || (o.instanceProfile !== undefined && s.instanceProfile !== undefined),
        ),
        rule<Spec>(
          'self.amiSelectorTerms.exists(x, has(x.alias)) ? true : has(self.amiFamily)',
          'must specify amiFamily if amiSelectorTerms does not contain an alias',
          (s) => s.amiSelectorTerms.some((t) => t.alias !== undefined) || s.amiFamily !== undefined,
        ),
        rule<Spec>(
          "!has(self.amiFamily) || self.amiFamily == 'Custom' || self.amiSelectorTerms.all(x, !has(x.alias) || x.alias.split('@')[0] == self.amiFamily.lowerAscii())",
          "if set, amiFamily must match the alias' family or be 'Custom'",
          (s) =>
            s.amiFamily === undefined ||
            s.amiFamily === 'Custom' ||
            s.amiSelectorTerms.every((t) => t.alias === undefined || t.alias.split('@')[0] === s.amiFamily!.toLowerCase()),
        ),
      ],
    },
  );
}

function status(): JSONSchemaProps {
  const requirement = object({
    key: required(string()),
    operator: required(string()),
    values: array(string()),
  });
  return object({
    subnets: array(object({ id: required(string()), zone: required(string()), zoneID: string() }), { description: 'Subnets the selector terms resolved to.' }),
    securityGroups: array(object({ id: required(string()), name: string() }), { description: 'Security groups resolved.' }),
    amis: array(object({ id: required(string()), name: string(), requirements: required(array(requirement)), deprecated: boolean() }), {
      description: 'AMIs resolved, with the instance requirements each serves.',
    }),
    instanceProfile: string({ description: 'The instance profile in use.' }),
    conditions: conditions(),
  });
}

/** The EC2NodeClass kind. */
export function ec2NodeClassKind(): KindDefinition {
  return {
    group: GROUP,
    version: VERSION,
    kind: KIND,
    plural: 'ec2nodeclasses',
    singular: 'ec2nodeclass',
    shortNames: ['ec2nc', 'ec2ncs'],
    categories: ['karpenter'],
    scope: 'Cluster',
    description: 'An EC2NodeClass: how nodes are launched on EC2 (network, image, IAM, disks, kubelet).',
    spec: ec2NodeClassSpec(),
    specRequired: true,
    status: status(),
    printerColumns: [conditionColumn('Ready'), AGE_COLUMN, { name: 'Role', type: 'string', jsonPath: '.spec.role', priority: 1 }],
  };
}
