/**
 * EC2 instances as nodewright sees them: provider IDs ("aws:///us-east-1a/i-0123…"), the tags a
 * launch puts on them, which states count as alive, and an instance read back as a NodeClaim.
 */
import type { Instance, Tag } from '@aws-sdk/client-ec2';
import { CAPACITY_TYPE_LABEL, NODEPOOL_LABEL, REGION_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { API_VERSION } from '../../apis/v1/types.js';
import { formatKubeTime } from '../../utils/clock.js';
import { resourcesToQuantities } from '../../utils/resources.js';
import { allocatableOf } from '../launch.js';
import type { InstanceType } from '../types.js';
import { clusterTag, NODECLASS_TAG } from './launch-templates.js';

export const NODEPOOL_TAG = NODEPOOL_LABEL;
export const NODECLAIM_TAG = 'karpenter.sh/nodeclaim';

/** Instances in these states are machines nodewright still has; shutting-down and terminated are gone. */
export const LIVE_STATES: readonly string[] = ['pending', 'running', 'stopping', 'stopped'];

const PROVIDER_ID = /^aws:\/\/\/([a-z0-9-]*)\/(i-[0-9a-f]+)$/;

export const formatProviderID = (zone: string, instanceId: string): string => `aws:///${zone}/${instanceId}`;

/** The instance id in a provider ID, or undefined when it is not an EC2 provider ID. */
export function instanceIdOf(providerID: string): string | undefined {
  return PROVIDER_ID.exec(providerID)?.[2];
}

/** Tags every instance of a claim gets: the node class's own, then the cluster's and nodewright's. */
export function launchTags(o: { cluster: string; nodePool: string; nodeClaim: string; nodeClass: string; extra?: Readonly<Record<string, string>> }): Tag[] {
  const tags: Record<string, string> = {
    ...(o.extra ?? {}),
    [clusterTag(o.cluster)]: 'owned',
    [NODEPOOL_TAG]: o.nodePool,
    [NODECLAIM_TAG]: o.nodeClaim,
    [NODECLASS_TAG]: o.nodeClass,
    Name: `${o.nodePool}/${o.nodeClaim}`,
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagValue(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

export const isLive = (instance: Instance): boolean => LIVE_STATES.includes(instance.State?.Name ?? '');
export const capacityTypeOf = (instance: Instance): 'spot' | 'on-demand' => (instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand');

/**
 * The instance as a NodeClaim: name and node pool from its tags; labels of its type (when known),
 * zone, region and capacity type; status.providerID, imageID, capacity and allocatable.
 */
export function instanceClaim(instance: Instance, type: Omit<InstanceType, 'offerings'> | undefined, region: string): NodeClaim {
  const zone = instance.Placement?.AvailabilityZone ?? '';
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(type?.requirements ?? {})) if (v.length === 1) labels[k] = v[0]!;
  labels[ZONE_LABEL] = zone;
  labels[REGION_LABEL] = region;
  labels[CAPACITY_TYPE_LABEL] = capacityTypeOf(instance);
  const pool = tagValue(instance, NODEPOOL_TAG);
  if (pool !== undefined) labels[NODEPOOL_LABEL] = pool;
  const name = tagValue(instance, NODECLAIM_TAG);
  return {
    apiVersion: API_VERSION,
    kind: 'NodeClaim',
    metadata: {
      ...(name === undefined ? {} : { name }),
      labels,
      ...(instance.LaunchTime === undefined ? {} : { creationTimestamp: formatKubeTime(instance.LaunchTime.getTime()) }),
    },
    spec: { requirements: [], nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: tagValue(instance, NODECLASS_TAG) ?? '' } },
    status: {
      providerID: formatProviderID(zone, instance.InstanceId ?? ''),
      ...(instance.ImageId === undefined ? {} : { imageID: instance.ImageId }),
      ...(type === undefined ? {} : {
        capacity: resourcesToQuantities(type.capacity),
        allocatable: resourcesToQuantities(allocatableOf({ ...type, offerings: [] })),
      }),
    },
  };
}
