import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatScenarioProblem, parseScenario } from './index.js';
import type { Scenario } from './index.js';

/** A scenario on four synthetic types; `pool` and `extra` are spliced into the YAML. */
function scenario(pool: { requirements?: string; spec?: string; metadata?: string }, workload: string, extra = ''): string {
  return `name: groups
horizon: 1h
cluster:
  catalog:
    name: synthetic
    types:
      - {name: s2, cpu: "2", memory: 8Gi, price: 0.08, spotPrice: 0.03}
      - {name: m8, cpu: "8", memory: 32Gi, price: 0.40, spotPrice: 0.10}
      - {name: c8, cpu: "8", memory: 16Gi, price: 0.32, zones: [zone-a]}
      - {name: x64, cpu: "64", memory: 256Gi, price: 2.0, spotPrice: 0.5}
  zones: [zone-a, zone-b]
  nodePools:
    - metadata: {name: p}
      spec:
${pool.spec ?? ''}        template:
${pool.metadata ?? ''}          spec:
            nodeClassRef: {group: sim, kind: SimNodeClass, name: default}
            requirements:
${pool.requirements ?? '              - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand, spot]}\n'}${extra}
workload:
${workload}`;
}

function parsed(text: string): Scenario {
  const { scenario: s, problems } = parseScenario(text, 'groups.yaml');
  assert.deepEqual(problems.map(formatScenarioProblem), []);
  assert.ok(s);
  return s;
}

const SMALL_PODS = '  deployments:\n    - {name: web, pod: {requests: {cpu: 500m}}, replicas: 3}\n';

describe('node groups derived from the NodePools', () => {
  it('one group per capacity type, the cheapest per vCPU among 4–16 vCPU types, in the zones it is sold in', () => {
    const s = parsed(scenario({}, SMALL_PODS));
    assert.ok(s.clusterAutoscaler.derived);
    assert.deepEqual(s.clusterAutoscaler.nodeGroups.map((g) => [g.name, g.capacityType, g.instanceTypes, g.zones, g.minSize, g.maxSize]), [
      // c8 (0.04/vCPU before overhead) beats m8 (0.05); s2 is cheaper per vCPU but outside 4–16.
      ['p-on-demand', 'on-demand', ['c8'], ['zone-a'], 0, 1000],
      // c8 has no spot offering.
      ['p-spot', 'spot', ['m8'], ['zone-a', 'zone-b'], 0, 1000],
    ]);
  });

  it('skips types that cannot hold the largest pod plus the daemonsets', () => {
    const workload = '  deployments:\n    - {name: big, pod: {requests: {cpu: 7500m, memory: 20Gi}}, replicas: 1}\n  daemonSets:\n    - {name: agent, pod: {requests: {cpu: 500m}}}\n';
    const s = parsed(scenario({}, workload));
    // 8 cpu and 20Gi are needed: m8 and c8 keep 100m for the system, and c8 has 16Gi anyway.
    assert.deepEqual(s.clusterAutoscaler.nodeGroups.map((g) => g.instanceTypes[0]), ['x64', 'x64']);
  });

  it('follows the NodePool: capacity type, zones, limits, labels and taints', () => {
    const s = parsed(scenario({
      spec: '        limits: {cpu: "40"}\n',
      metadata: '          metadata: {labels: {team: a}}\n',
      requirements: [
        '              - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}',
        '              - {key: topology.kubernetes.io/zone, operator: In, values: [zone-b]}',
        '              - {key: workload-class, operator: In, values: [batch]}',
        '            taints: [{key: dedicated, value: batch, effect: NoSchedule}]',
      ].join('\n') + '\n',
    }, SMALL_PODS));
    assert.deepEqual(s.clusterAutoscaler.nodeGroups, [{
      name: 'p-spot', instanceTypes: ['m8'], minSize: 0, maxSize: 5, zones: ['zone-b'], capacityType: 'spot',
      labels: { team: 'a', 'workload-class': 'batch' }, taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }],
    }]);
  });

  it('a nodes limit bounds the group size', () => {
    const s = parsed(scenario({ spec: '        limits: {nodes: "7", cpu: "1000"}\n' }, SMALL_PODS));
    assert.deepEqual(s.clusterAutoscaler.nodeGroups.map((g) => g.maxSize), [7, 7]);
  });
});

describe('declared node groups', () => {
  const declared = (group: string): string => scenario({}, SMALL_PODS).replace('workload:\n', `clusterAutoscaler:\n  nodeGroups:\n${group}workload:\n`);

  it('default their zones to where the template type is sold, min to 0 and capacity type to on-demand', () => {
    const s = parsed(declared('    - {name: g, instanceTypes: [c8, m8], max: 10}\n'));
    assert.equal(s.clusterAutoscaler.derived, false);
    assert.deepEqual(s.clusterAutoscaler.nodeGroups, [
      { name: 'g', instanceTypes: ['c8', 'm8'], minSize: 0, maxSize: 10, zones: ['zone-a'], capacityType: 'on-demand', labels: {}, taints: [] },
    ]);
  });

  it('refuse a zone where the template type has no offering of the capacity type', () => {
    const { problems } = parseScenario(declared('    - {name: g, instanceTypes: [c8], max: 10, zones: [zone-b]}\n'), 'groups.yaml');
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [['clusterAutoscaler.nodeGroups[0].zones[0]', 'c8 has no on-demand offering in zone-b']]);
  });

  it('refuse duplicate names, and a spot group whose template is never sold as spot', () => {
    const { problems } = parseScenario(declared('    - {name: g, instanceTypes: [m8], max: 1}\n    - {name: g, instanceTypes: [c8], max: 1, capacityType: spot}\n'), 'groups.yaml');
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [['clusterAutoscaler.nodeGroups[1].capacityType', 'c8 has no spot offering in any zone']]);
    const dup = parseScenario(declared('    - {name: g, instanceTypes: [m8], max: 1}\n    - {name: g, instanceTypes: [s2], max: 1}\n'), 'groups.yaml');
    assert.deepEqual(dup.problems.map((p) => [p.path, p.message]), [['clusterAutoscaler.nodeGroups[1].name', 'duplicates node group "g"']]);
  });
});
