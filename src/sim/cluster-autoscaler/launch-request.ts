/**
 * What an Auto Scaling Group asks the simulated cloud for: a NodeClaim-shaped request whose
 * requirements pin the instance type(s), the zone and the capacity type, and whose labels are the
 * group's (the launch template's `--node-labels`). The claim is never stored in the cluster; it only
 * carries the request to `CloudProvider.create`, so both strategies launch through the same cloud.
 */
import type { Labels } from '../../apis/core.js';
import { CAPACITY_TYPE_LABEL, INSTANCE_TYPE_LABEL, ZONE_LABEL } from '../../apis/labels.js';
import type { NodeClaim } from '../../apis/v1/types.js';
import { API_VERSION } from '../../apis/v1/types.js';
import type { CapacityType } from '../../cloudprovider/types.js';

/** The node class every Cluster Autoscaler launch names (the simulated cloud does not look at it). */
export const CA_NODE_CLASS_REF = Object.freeze({ group: 'sim.nodewright.dev', kind: 'SimNodeClass', name: 'cluster-autoscaler' });

export interface LaunchRequest {
  /** Unique per instance: the simulated cloud keys machines (and, by default, Node names) on it. */
  readonly name: string;
  /** Any of these may be launched (the cloud picks the cheapest with capacity). */
  readonly instanceTypes: readonly string[];
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly labels: Labels;
}

/** The NodeClaim-shaped request for one instance. @throws RangeError when no instance type is given. */
export function launchClaim(r: LaunchRequest): NodeClaim {
  if (r.instanceTypes.length === 0) throw new RangeError(`building the launch request ${r.name}: no instance type to launch`);
  return {
    apiVersion: API_VERSION,
    kind: 'NodeClaim',
    metadata: { name: r.name, labels: { ...r.labels } },
    spec: {
      nodeClassRef: { ...CA_NODE_CLASS_REF },
      requirements: [
        { key: INSTANCE_TYPE_LABEL, operator: 'In', values: [...r.instanceTypes] },
        { key: ZONE_LABEL, operator: 'In', values: [r.zone] },
        { key: CAPACITY_TYPE_LABEL, operator: 'In', values: [r.capacityType] },
      ],
    },
  };
}
