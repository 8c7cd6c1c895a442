import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatScenarioProblem, parseScenario } from './index.js';

const BASE = readFileSync(fileURLToPath(new URL('./testdata/base.yaml', import.meta.url)), 'utf8');

/**
 * The base scenario with `find` replaced by `replace`; fails loudly if `find` is not in it. A " #!"
 * in `replace` marks the line the problem is expected on: it is moved to the end of that line, so
 * it never cuts a flow mapping short.
 */
function edit(find: string | RegExp, replace: string, text = BASE): string {
  const at = replace.indexOf(' #!');
  const plain = at < 0 ? replace : replace.slice(0, at) + replace.slice(at + 3);
  const start = typeof find === 'string' ? text.indexOf(find) : text.search(find);
  assert.ok(start >= 0, `edit: ${String(find)} not found`);
  const out = text.replace(find, plain);
  if (at < 0) return out;
  const lineEnd = out.indexOf('\n', start + at);
  return lineEnd < 0 ? `${out} #!` : `${out.slice(0, lineEnd)} #!${out.slice(lineEnd)}`;
}

interface Case {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  readonly message: RegExp;
  /** Expected line: the line of the "#!" marker when absent. */
  readonly line?: number;
}

const CASES: readonly Case[] = [
  // The parser reports this at the start of the mapping it cannot continue.
  { name: 'malformed YAML', text: edit('  launchDelay: 10s\n', '  launchDelay: 10s\n    bad: indentation\n'), path: '', message: /^invalid YAML: /, line: 12 },
  { name: 'duplicate key', text: edit('seed: 3\n', 'seed: 3\nseed: 4 #!\n'), path: '', message: /^invalid YAML: .*unique/i },
  { name: 'two documents', text: `${BASE}--- #!\nname: second\n`, path: '', message: /single YAML document/ },
  { name: 'empty file', text: '# nothing here #!\n', path: '', message: /file is empty/ },
  { name: 'not a mapping', text: '- name: x #!\n', path: '', message: /a scenario is a mapping/ },
  { name: 'unknown top-level field, with a hint', text: edit('horizon: 2h\n', 'horizon: 2h\nhoziron: 3h #!\n'), path: 'hoziron', message: /unknown field; did you mean "horizon"\?/ },
  { name: 'unknown nested field', text: edit('    - name: web\n', '    - name: web\n      replica: 3 #!\n'), path: 'workload.deployments[0].replica', message: /did you mean "replicas"/ },
  { name: 'unknown field in a pod template', text: edit('        priorityClassName: high\n', '        priorityClassName: high\n        nodeName: n1 #!\n'), path: 'workload.deployments[0].pod.nodeName', message: /unknown field; expected one of labels, / },
  { name: 'negative replicas', text: edit('{at: 30m, count: 20}', '{at: 30m, count: -3} #!'), path: 'workload.deployments[0].replicas[1].count', message: /must be a non-negative integer, got -3/ },
  { name: 'fractional replicas', text: edit('{at: 30m, count: 20}', '{at: 30m, count: 2.5} #!'), path: 'workload.deployments[0].replicas[1].count', message: /non-negative integer/ },
  { name: 'steps out of order', text: edit('{at: 30m, count: 20}', '{at: 0s, count: 20} #!'), path: 'workload.deployments[0].replicas[1].at', message: /later than the step before it/ },
  { name: 'time past the horizon', text: edit('      start: 1h\n', '      start: 3h #!\n'), path: 'workload.jobs[0].start', message: /past the horizon \("3h" > "2h"\)/ },
  { name: 'window past the horizon', text: edit('until: 20m}', 'until: 2h1m} #!'), path: 'cluster.insufficientCapacity[0].until', message: /past the horizon/ },
  { name: 'bad duration', text: edit('launchDelay: 10s', 'launchDelay: 10 seconds #!'), path: 'cluster.launchDelay', message: /is not a duration/ },
  { name: 'duration without a unit', text: edit('launchDelay: 10s', 'launchDelay: 10 #!'), path: 'cluster.launchDelay', message: /add a unit: "10s"/ },
  { name: 'bad quantity', text: edit('requests: {cpu: 500m, memory: 1Gi}', 'requests: {cpu: 500x, memory: 1Gi} #!'), path: 'workload.deployments[0].pod.requests.cpu', message: /not a valid quantity: "500x"/ },
  { name: 'negative quantity', text: edit('{cpu: "1", memory: 2Gi}', '{cpu: "1", memory: -2Gi} #!'), path: 'workload.statefulSets[0].pod.requests.memory', message: /must not be negative/ },
  { name: 'resource name the API server refuses', text: edit('{cpu: "1", memory: 2Gi}', '{cpu: "1", XM: 2Gi} #!'), path: 'workload.statefulSets[0].pod.requests.XM', message: /resource name "XM" must be a standard resource/ },
  { name: 'unknown catalogue', text: edit('    name: synthetic\n', '    name: gcp #!\n'), path: 'cluster.catalog.name', message: /must be one of aws, karpenter-bench, kwok, synthetic, got "gcp"/ },
  { name: 'unknown instance type of an initial node', text: edit('{instanceType: small,', '{instanceType: tiny, #!'), path: 'cluster.initialNodes[0].instanceType', message: /unknown instance type "tiny"/ },
  { name: 'unknown instance type in a NodePool', text: edit('                values: [spot, on-demand]\n', '                values: [spot, on-demand]\n              - key: node.kubernetes.io/instance-type\n                operator: In\n                values: [huge] #!\n'), path: 'cluster.nodePools[0].spec.template.spec.requirements[1].values[0]', message: /unknown instance type "huge"/ },
  { name: 'unknown instance type in a node group', text: edit('workload:\n', 'clusterAutoscaler:\n  nodeGroups:\n    - name: g\n      instanceTypes: [small, medium] #!\n      max: 3\nworkload:\n'), path: 'clusterAutoscaler.nodeGroups[0].instanceTypes[1]', message: /unknown instance type "medium"/ },
  { name: 'a glob matching no type', text: edit('"sm*"', '"xl*" #!'), path: 'cluster.insufficientCapacity[0].instanceType', message: /matches no instance type/ },
  { name: 'NodePool failing validation', text: edit('                operator: In\n', '                operator: Within #!\n'), path: 'cluster.nodePools[0].spec.template.spec.requirements[0].operator', message: /Within/ },
  { name: 'NodePool missing its nodeClassRef', text: edit(/ {12}nodeClassRef: .*\n/, ''), path: 'cluster.nodePools[0].spec.template.spec.nodeClassRef', message: /is required/, line: 17 },
  { name: 'NodePool with an unknown field', text: edit('      spec:\n        template:\n', '      spec:\n        wieght: 5 #!\n        template:\n'), path: 'cluster.nodePools[0].spec.wieght', message: /unknown field; expected one of template, disruption, limits, weight, replicas/ },
  { name: 'NodePool whose requirements no type meets', text: edit('values: [spot, on-demand]', 'values: [reserved]'), path: 'cluster.nodePools[0].spec.template.spec.requirements', message: /no instance type of the catalogue satisfies/, line: 19 },
  { name: 'initial node the NodePool could not launch', text: edit('count: 2, nodePool: default}', 'count: 2, nodePool: default, capacityType: reserved}'), path: 'cluster.initialNodes[0].capacityType', message: /small has no reserved offering/, line: 26 },
  { name: 'unknown zone', text: edit('[zone-b, zone-a]', '[zone-b, zone-z] #!'), path: 'workload.statefulSets[0].volume.zones[1]', message: /zone "zone-z" is not one of cluster.zones \(zone-a, zone-b\)/ },
  { name: 'one volume zone per ordinal', text: edit('[zone-b, zone-a]', '[zone-b] #!'), path: 'workload.statefulSets[0].volume.zones', message: /2 replicas, 1 zones/ },
  { name: 'unknown priority class', text: edit('priorityClassName: high', 'priorityClassName: urgent #!'), path: 'workload.deployments[0].pod.priorityClassName', message: /unknown priority class "urgent"/ },
  { name: 'a PDB selecting nothing', text: edit('{matchLabels: {app: web}}', '{matchLabels: {app: wbe}} #!'), path: 'workload.podDisruptionBudgets[0].selector', message: /selects no pod/ },
  { name: 'a PDB with both bounds', text: edit('maxUnavailable: 1}', 'maxUnavailable: 1, minAvailable: 1} #!'), path: 'workload.podDisruptionBudgets[0]', message: /exactly one of minAvailable and maxUnavailable/ },
  { name: 'lognormal without sigma', text: edit('launchDelay: 10s', 'launchDelay: {type: lognormal, median: 10s} #!'), path: 'cluster.launchDelay.sigma', message: /is required/ },
  { name: 'a field of another distribution type', text: edit('launchDelay: 10s', 'launchDelay: {type: fixed, value: 10s, sigma: 1} #!'), path: 'cluster.launchDelay.sigma', message: /unknown field; expected one of type, value/ },
  { name: 'diurnal max below min', text: edit(/replicas:\n {8}- \{at: 0s, count: 2\}\n {8}- \{at: 30m, count: 20\}/, 'replicas: {type: diurnal, min: 5, max: 2} #!'), path: 'workload.deployments[0].replicas.max', message: /must be at least min \(5\)/ },
  { name: 'a bad namespace', text: edit('    - name: batch\n', '    - name: batch\n      namespace: Batch_Jobs #!\n'), path: 'workload.jobs[0].namespace', message: /"Batch_Jobs" must be at most 63 lowercase letters/ },
  { name: 'a synthetic type fixing its zone label', text: edit('price: 0.4, spotPrice: 0.12}', 'price: 0.4, spotPrice: 0.12, labels: {topology.kubernetes.io/zone: zone-a}} #!'), path: 'cluster.catalog.types[1].labels["topology.kubernetes.io/zone"]', message: /set on each node/ },
  { name: 'duplicate deployment', text: edit('  statefulSets:\n', '    - name: web #!\n      pod: {}\n      replicas: 1\n  statefulSets:\n'), path: 'workload.deployments[1].name', message: /duplicates deployment "default\/web"/ },
  { name: 'missing horizon', text: edit('horizon: 2h\n', ''), path: 'horizon', message: /is required/, line: 2 },
  { name: 'horizon too long', text: edit('horizon: 2h', 'horizon: 800h #!'), path: 'horizon', message: /at most 744h/ },
  { name: 'node group min above max', text: edit('workload:\n', 'clusterAutoscaler:\n  nodeGroups:\n    - name: g\n      instanceTypes: [small]\n      min: 4 #!\n      max: 3\nworkload:\n'), path: 'clusterAutoscaler.nodeGroups[0].min', message: /must be at most max \(3\)/ },
  { name: 'an initial node naming an unknown node group', text: edit('nodePool: default}', 'nodePool: default, nodeGroup: nope} #!'), path: 'cluster.initialNodes[0].nodeGroup', message: /unknown node group "nope"/ },
];

describe('parseScenario: bad input gives the path and line of each problem', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { scenario, problems } = parseScenario(c.text, 'bad.yaml');
      assert.equal(scenario, undefined);
      const line = c.line ?? c.text.split('\n').findIndex((l) => l.includes('#!')) + 1;
      assert.ok(line > 0, 'the case marks its line');
      const found = problems.find((p) => p.path === c.path && c.message.test(p.message));
      assert.ok(found, `no problem at ${c.path} matching ${String(c.message)}; got:\n${problems.map(formatScenarioProblem).join('\n')}`);
      assert.equal(found.line, line, formatScenarioProblem(found));
      assert.equal(found.file, 'bad.yaml');
      assert.ok(formatScenarioProblem(found).startsWith(`bad.yaml:${line}: `));
    });
  }

  it('does not repeat a problem as dangling references to what it left out', () => {
    const brokenPool = edit('                operator: In\n', '                operator: Within\n');
    assert.deepEqual(parseScenario(brokenPool, 'bad.yaml').problems.map((p) => p.path), ['cluster.nodePools[0].spec.template.spec.requirements[0].operator']);
    const brokenClass = edit('{name: high, value: 100}', '{name: high, value: lots}');
    assert.deepEqual(parseScenario(brokenClass, 'bad.yaml').problems.map((p) => p.path), ['workload.priorityClasses[0].value']);
    const brokenDeployment = edit('{at: 30m, count: 20}', '{at: 30m, count: -3}');
    assert.deepEqual(parseScenario(brokenDeployment, 'bad.yaml').problems.map((p) => p.path), ['workload.deployments[0].replicas[1].count']);
  });

  it('reports every problem at once, in line order', () => {
    const text = edit('launchDelay: 10s', 'launchDelay: 10 seconds', edit('{at: 30m, count: 20}', '{at: 30m, count: -3}', edit('horizon: 2h\n', 'horizon: 2h\nextra: 1\n')));
    const { problems } = parseScenario(text, 'bad.yaml');
    assert.deepEqual(problems.map((p) => p.path), ['extra', 'cluster.launchDelay', 'workload.deployments[0].replicas[1].count']);
  });

  it('formats like "file:line: path: message"', () => {
    const { problems } = parseScenario(edit('{at: 30m, count: 20}', '{at: 30m, count: -3}'), 'burst.yaml');
    assert.deepEqual(problems.map(formatScenarioProblem), ['burst.yaml:37: workload.deployments[0].replicas[1].count: must be a non-negative integer, got -3']);
  });
});
