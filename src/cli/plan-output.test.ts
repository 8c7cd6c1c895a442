import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../apis/core.js';
import type { InstanceType } from '../cloudprovider/types.js';
import type { SolverResult } from '../scheduling/types.js';
import { planJson, planTable } from './plan-output.js';

const pod = (name: string): Pod => ({ metadata: { name, namespace: 'ns' }, spec: { containers: [] } });
const type = (name: string, price: number): InstanceType => ({
  name, requirements: {}, capacity: {}, overhead: {}, offerings: [{ zone: 'z1', capacityType: 'spot', price, available: true }],
});

const result: SolverResult = {
  newNodeClaims: [{
    hostname: 'hostname-placeholder-0001',
    nodePool: 'default',
    requirements: [],
    instanceTypeOptions: [
      { instanceType: type('small', 0.1), offerings: [{ zone: 'z2', capacityType: 'on-demand', price: 0.1, available: true }], price: 0.1 },
      { instanceType: type('big', 0.2), offerings: [], price: 0.2 },
    ],
    pods: [pod('a'), pod('b')],
    requests: { cpu: 1500, memory: 3 * 2 ** 30, pods: 2 },
    daemonSetOverhead: {},
    pricePerHour: 0.1,
  }],
  existingNodes: [{ node: 'n1', pods: [pod('c'), pod('d'), pod('e'), pod('f')] }, { node: 'n2', pods: [] }],
  unschedulable: [{ pod: pod('g'), reason: 'too big' }],
  totalPricePerHour: 0.1,
};

describe('plan output', () => {
  it('gives the JSON shape of issue 2 with the cheapest option and its offering', () => {
    assert.deepEqual(planJson(result, 'kwok'), {
      nodeClaims: [{
        nodePool: 'default', instanceType: 'small', instanceTypes: ['small', 'big'], zone: 'z2', capacityType: 'on-demand', pricePerHour: 0.1,
        pods: ['ns/a', 'ns/b'], hostname: 'hostname-placeholder-0001', requests: { cpu: '1500m', memory: '3Gi', pods: '2' },
      }],
      existingNodes: [{ node: 'n1', pods: ['ns/c', 'ns/d', 'ns/e', 'ns/f'] }, { node: 'n2', pods: [] }],
      unschedulable: [{ pod: 'ns/g', reason: 'too big' }],
      totalPricePerHour: 0.1,
      catalog: 'kwok',
    });
  });

  it('prints tables of new claims, placements on existing nodes (abbreviated), unschedulable pods and the total', () => {
    assert.equal(planTable(result, 'kwok'), `New NodeClaims (1) from catalogue kwok:
NODEPOOL  INSTANCE TYPE  ZONE  CAPACITY       $/H  PODS  CPU  MEMORY  OPTIONS
default   small          z2    on-demand  $0.1000     2  1.5   3.0Gi        2

Pods placed on existing nodes (1 node):
NODE  PODS  NAMES
n1       4  ns/c, ns/d, ns/e, … (+1)

Unschedulable pods (1):
POD   REASON
ns/g  too big

Total: 1 new node at $0.1000/h; 2 pods on new nodes, 4 on existing nodes, 1 unschedulable.
`);
  });
});
