/**
 * Provider drift: an instance no longer matches what its node class resolves to (Karpenter's
 * AMIDrift, SubnetDrift and SecurityGroupDrift).
 */
import type { Instance } from '@aws-sdk/client-ec2';
import type { ResolvedNodeClass } from './node-class.js';

export type DriftReason = 'AMIDrift' | 'SubnetDrift' | 'SecurityGroupDrift';

/**
 * Why the instance has drifted from the resolved node class, or undefined. Only what the class
 * resolves is compared: with no AMI (or subnet, or group) resolved the part is not judged, and
 * neither are security groups an instance does not report.
 */
export function driftReason(instance: Instance, resolved: ResolvedNodeClass): DriftReason | undefined {
  if (resolved.amis.length > 0 && !resolved.amis.some((a) => a.id === instance.ImageId)) return 'AMIDrift';
  if (resolved.subnets.length > 0 && instance.SubnetId !== undefined && !resolved.subnets.some((s) => s.id === instance.SubnetId)) return 'SubnetDrift';
  const groups = (instance.SecurityGroups ?? []).map((g) => g.GroupId).filter((g): g is string => g !== undefined);
  // An instance in a VPC always has a group; an empty list means the API left them out, not a change.
  if (resolved.securityGroups.length > 0 && groups.length > 0) {
    const want = new Set(resolved.securityGroups.map((g) => g.id));
    if (groups.length !== want.size || !groups.every((g) => want.has(g))) return 'SecurityGroupDrift';
  }
  return undefined;
}
