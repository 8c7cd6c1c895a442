import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CreateFleetCommandOutput } from '@aws-sdk/client-ec2';
import type { ResolvedAMI } from '../../apis/ec2nodeclass/types.js';
import { launchCandidates } from '../launch.js';
import type { InstanceType } from '../types.js';
import { imageRequirements } from './amis.js';
import { fleetInput, planFleet, readFleet } from './fleet.js';

function type(name: string, arch: string, price: number, spot: number, gpu = false): InstanceType {
  return {
    name,
    requirements: {
      'node.kubernetes.io/instance-type': [name], 'kubernetes.io/arch': [arch], 'kubernetes.io/os': ['linux'],
      ...(gpu ? { 'karpenter.k8s.aws/instance-gpu-count': ['1'], 'karpenter.k8s.aws/instance-gpu-manufacturer': ['nvidia'] } : {}),
    },
    capacity: { cpu: 4000, memory: 16 * 2 ** 30, pods: 58 },
    overhead: {},
    offerings: ['a', 'b'].flatMap((z) => [
      { zone: `us-east-1${z}`, capacityType: 'on-demand' as const, price, available: true },
      { zone: `us-east-1${z}`, capacityType: 'spot' as const, price: spot, available: true },
    ]),
  };
}

const amis: ResolvedAMI[] = [
  { id: 'ami-amd', requirements: imageRequirements('x86_64', 'standard') },
  { id: 'ami-arm', requirements: imageRequirements('arm64', 'standard') },
  { id: 'ami-gpu', requirements: imageRequirements('x86_64', 'nvidia') },
];
const types = [type('m5.large', 'amd64', 0.096, 0.04), type('m6g.large', 'arm64', 0.077, 0.03), type('g4dn.xlarge', 'amd64', 0.526, 0.2, true), type('c5.large', 'amd64', 0.085, 0.05)];
const claim = (values: string[]) => ({
  metadata: { name: 'c1' },
  spec: { requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In' as const, values }], nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' } },
});
const subnets: Record<string, string> = { 'us-east-1a': 'subnet-a', 'us-east-1b': 'subnet-b' };

describe('CreateFleet requests', () => {
  it('one config per image, each type with the image that runs it, the cheapest config first', () => {
    const plan = planFleet(launchCandidates(claim(['on-demand']), types), amis, (z) => subnets[z])!;
    assert.equal(plan.capacityType, 'on-demand');
    assert.deepEqual(plan.configs.map((c) => c.ami.id), ['ami-arm', 'ami-amd', 'ami-gpu']);
    assert.deepEqual(plan.configs[1]!.overrides.map((o) => `${o.candidate.instanceType.name}@${o.subnetId}`), ['c5.large@subnet-a', 'c5.large@subnet-b', 'm5.large@subnet-a', 'm5.large@subnet-b']);
    const input = fleetInput(plan, ['lt-arm', 'lt-amd', 'lt-gpu'], [{ Key: 'karpenter.sh/nodeclaim', Value: 'c1' }]);
    assert.equal(input.Type, 'instant');
    assert.deepEqual(input.TargetCapacitySpecification, { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'on-demand' });
    assert.deepEqual(input.OnDemandOptions, { AllocationStrategy: 'lowest-price' });
    assert.equal(input.SpotOptions, undefined);
    assert.deepEqual(input.LaunchTemplateConfigs![0]!.Overrides![0], { InstanceType: 'm6g.large', SubnetId: 'subnet-a', AvailabilityZone: 'us-east-1a' });
    assert.deepEqual(input.TagSpecifications!.map((t) => t.ResourceType), ['instance', 'volume']);
  });

  it('spot when the best offering is spot (price-capacity-optimized), only spot overrides; nothing without an image or subnet', () => {
    const plan = planFleet(launchCandidates(claim(['spot', 'on-demand']), types), amis, (z) => subnets[z])!;
    assert.equal(plan.capacityType, 'spot');
    assert.ok(plan.configs.every((c) => c.overrides.every((o) => o.candidate.offering.capacityType === 'spot')));
    assert.deepEqual(fleetInput(plan, ['a', 'b', 'c'], []).SpotOptions, { AllocationStrategy: 'price-capacity-optimized' });
    assert.equal(planFleet(launchCandidates(claim(['spot']), types), [], (z) => subnets[z]), undefined);
    assert.equal(planFleet(launchCandidates(claim(['spot']), types), amis, () => undefined), undefined);
    const onlyAmd = planFleet(launchCandidates(claim(['spot']), types), [amis[0]!], (z) => subnets[z])!;
    assert.deepEqual([...new Set(onlyAmd.configs[0]!.overrides.map((o) => o.candidate.instanceType.name))], ['m5.large', 'c5.large']);
  });

  it('reads instances, capacity errors (to mark) and other errors from the reply', () => {
    const out = {
      $metadata: {},
      Instances: [{ InstanceIds: ['i-1'], InstanceType: 'c5.large', Lifecycle: 'spot', LaunchTemplateAndOverrides: { Overrides: { SubnetId: 'subnet-b' } } }],
      Errors: [
        { ErrorCode: 'InsufficientInstanceCapacity', Lifecycle: 'spot', LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm6g.large', AvailabilityZone: 'us-east-1a' } } },
        { ErrorCode: 'InvalidLaunchTemplateName.NotFoundException', ErrorMessage: 'gone', LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'm5.large', SubnetId: 'subnet-a' } } },
      ],
    } as unknown as CreateFleetCommandOutput;
    const r = readFleet(out, (s) => ({ 'subnet-a': 'us-east-1a', 'subnet-b': 'us-east-1b' })[s]);
    assert.deepEqual(r.instances, [{ instanceId: 'i-1', instanceType: 'c5.large', zone: 'us-east-1b', capacityType: 'spot' }]);
    assert.deepEqual(r.noCapacity, [{ instanceType: 'm6g.large', zone: 'us-east-1a', capacityType: 'spot' }]);
    assert.deepEqual(r.otherErrors, ['InvalidLaunchTemplateName.NotFoundException: gone (m5.large, us-east-1a)']);
  });
});
