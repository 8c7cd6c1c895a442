import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_LAUNCH_DELAY,
  DEFAULT_START_TIME,
  InvalidScenarioError,
  ScenarioLoadError,
  assertValid,
  formatScenarioProblem,
  loadScenario,
  parseScenario,
  replicaChanges,
} from './index.js';
import type { Scenario } from './index.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const BASE = readFileSync(fileURLToPath(new URL('./testdata/base.yaml', import.meta.url)), 'utf8');

function parsed(text: string, file = 'test.yaml'): Scenario {
  const result = parseScenario(text, file);
  assert.deepEqual(result.problems.map(formatScenarioProblem), []);
  assert.ok(result.scenario);
  return result.scenario;
}

describe('bundled scenarios', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();

  it('are the four the simulator ships', () => {
    assert.deepEqual(files, ['batch.yaml', 'burst.yaml', 'diurnal.yaml', 'spot-mix.yaml']);
  });

  for (const file of files) {
    it(`${file} parses with no problems and names the facts it models`, async () => {
      const { scenario, problems } = await loadScenario(EXAMPLES + file);
      assert.deepEqual(problems.map(formatScenarioProblem), []);
      assert.ok(scenario);
      assert.equal(scenario.name, file.replace(/\.yaml$/, ''));
      assert.ok(scenario.description.length > 40, 'a description of what it models');
      assert.match(readFileSync(EXAMPLES + file, 'utf8'), /^# Facts it models:$/m);
    });
  }

  it('burst: ~500 pending pods at 10m draining to 0, a zoned StatefulSet, a spot interruption, 3 h', async () => {
    const s = assertValid(await loadScenario(`${EXAMPLES}burst.yaml`));
    assert.equal(s.horizonMs, 3 * 3600_000);
    const worker = s.workload.deployments.find((d) => d.name === 'worker');
    assert.ok(worker);
    assert.deepEqual(replicaChanges(worker.replicas, s.horizonMs).map((c) => [c.atMs / 60_000, c.count]), [[0, 0], [10, 500], [50, 250], [70, 100], [90, 0]]);
    assert.deepEqual(s.workload.statefulSets[0]?.volumeZones, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.deepEqual(s.cluster.interruptions.scheduled.map((i) => [i.atMs, i.capacityType, i.count]), [[30 * 60_000, 'spot', 1]]);
    assert.equal(s.cluster.initialNodes.length, 3);
    assert.deepEqual(new Set(s.cluster.initialNodes.map((n) => n.zone)).size, 3, 'one initial node per zone');
    assert.ok(s.clusterAutoscaler.derived);
  });

  it('spot-mix: an interruption rate, capacity windows and declared node groups', async () => {
    const s = assertValid(await loadScenario(`${EXAMPLES}spot-mix.yaml`));
    assert.equal(s.cluster.interruptions.spotRatePerInstanceHour, 0.05);
    assert.ok(s.cluster.insufficientCapacity.some((w) => w.capacityType === 'spot' && w.zone === 'us-east-1a' && w.instanceTypes.includes('c5.2xlarge')));
    assert.equal(s.clusterAutoscaler.derived, false);
    assert.deepEqual(s.cluster.initialNodes.map((n) => n.nodeGroup), ['on-demand', 'on-demand']);
  });
});

describe('README-format.md', () => {
  it('its annotated example parses and means what its comments say', () => {
    const doc = readFileSync(fileURLToPath(new URL('./README-format.md', import.meta.url)), 'utf8');
    const example = /## An annotated example\n+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(example, 'the example block');
    const s = parsed(example, 'tour.yaml');
    assert.deepEqual(s.cluster.initialNodes.map((n) => [n.name, n.zone, n.nodePool, n.nodeGroup]), [['base-0', 'zone-a', 'general', 'general-od'], ['base-1', 'zone-b', 'general', 'general-od']]);
    assert.deepEqual(s.workload.statefulSets[0]?.volumeZones, ['zone-a', 'zone-b', 'zone-c']);
    assert.deepEqual(s.workload.deployments[0]?.template.spec.topologySpreadConstraints?.[0]?.labelSelector, { matchLabels: { app: 'web' } });
    assert.equal(s.cluster.interruptions.scheduled[0]?.capacityType, 'spot');
    assert.equal(s.startEpochMs, Date.parse('2025-01-06T08:00:00Z'));
  });
});

describe('parseScenario: normalisation and defaults', () => {
  it('fills in seed, start time, delays, NodePool defaults, pod templates and node groups', () => {
    const s = parsed(BASE.replace('seed: 3\n', '').replace('  launchDelay: 10s\n', ''));
    assert.equal(s.seed, 1);
    assert.equal(s.startEpochMs, Date.parse(DEFAULT_START_TIME));
    assert.deepEqual(s.cluster.launchDelay, DEFAULT_LAUNCH_DELAY);
    const pool = s.cluster.nodePools[0];
    assert.equal(pool?.apiVersion, 'karpenter.sh/v1');
    assert.equal(pool?.spec.template.spec.expireAfter, '720h');
    assert.deepEqual(pool?.spec.disruption.budgets, [{ nodes: '10%' }]);
    const web = s.workload.deployments[0];
    assert.deepEqual(web?.template.metadata?.labels, { app: 'web' });
    assert.equal(web?.template.spec.priority, 100);
    assert.deepEqual(web?.template.spec.containers[0]?.resources?.requests, { cpu: '500m', memory: '1Gi' });
    assert.equal(s.workload.jobs[0]?.completions, 4, 'completions default to parallelism');
    assert.deepEqual(s.workload.podDisruptionBudgets[0]?.spec, { selector: { matchLabels: { app: 'web' } }, maxUnavailable: 1 });
    assert.deepEqual(s.clusterAutoscaler.nodeGroups.map((g) => [g.name, g.capacityType, g.instanceTypes]), [
      ['default-on-demand', 'on-demand', ['large', 'small']],
      ['default-spot', 'spot', ['large']],
    ]);
    assert.deepEqual(s.cluster.initialNodes.map((n) => [n.name, n.zone, n.capacityType, n.nodeGroup]), [
      ['initial-0', 'zone-a', 'on-demand', 'default-on-demand'],
      ['initial-1', 'zone-b', 'on-demand', 'default-on-demand'],
    ]);
  });

  it('times are milliseconds from the start and distributions are tagged unions', () => {
    const s = parsed(BASE.replace('launchDelay: 10s', 'launchDelay: {type: uniform, min: 5s, max: 1m30s}'));
    assert.deepEqual(s.cluster.launchDelay, { kind: 'uniform', minMs: 5_000, maxMs: 90_000 });
    assert.deepEqual(s.cluster.insufficientCapacity, [
      { instanceTypePattern: 'sm*', instanceTypes: ['small'], capacityType: 'spot', fromMs: 600_000, untilMs: 1_200_000 },
    ]);
    assert.equal(s.workload.jobs[0]?.startMs, 3_600_000);
    assert.deepEqual(s.workload.jobs[0]?.podDuration, { kind: 'fixed', ms: 300_000 });
  });

  it('builds synthetic types with allocatable = capacity − overhead and offerings per zone', () => {
    const s = parsed(BASE);
    const small = s.cluster.instanceTypes.find((t) => t.name === 'small');
    assert.deepEqual(small?.capacity, { cpu: 2000, memory: 8 * 2 ** 30, pods: 110 });
    assert.deepEqual(small?.overhead, { cpu: 100, memory: 256 * 2 ** 20 });
    assert.deepEqual(small?.offerings.map((o) => `${o.zone}/${o.capacityType}/${o.price}`), [
      'zone-a/on-demand/0.1', 'zone-a/spot/0.03', 'zone-b/on-demand/0.1', 'zone-b/spot/0.03',
    ]);
    assert.deepEqual(small?.requirements['node.kubernetes.io/instance-type'], ['small']);
  });

  it('reads a diurnal schedule, a string seed and a start time', () => {
    const s = parsed(BASE
      .replace('seed: 3', 'seed: nightly-run\nstartTime: "2025-03-01T06:00:00Z"')
      .replace(/ {6}replicas:\n {8}- \{at: 0s, count: 2\}\n {8}- \{at: 30m, count: 20\}\n/, ' '.repeat(6) + 'replicas: {type: diurnal, min: 2, max: 10, period: 1h, peak: 30m}\n'));
    assert.equal(s.seed, 'nightly-run');
    assert.equal(s.startEpochMs, Date.parse('2025-03-01T06:00:00Z'));
    assert.deepEqual(s.workload.deployments[0]?.replicas, { kind: 'diurnal', min: 2, max: 10, periodMs: 3_600_000, peakMs: 1_800_000, stepMs: 600_000 });
  });

  it('named catalogues: zones default to the catalogue\'s own and bench zones are checked', () => {
    const bench = BASE.replace(/ {2}catalog:\n(?: {4}.*\n)+ {2}zones: \[zone-a, zone-b\]\n/, '  catalog: {name: karpenter-bench, count: 20}\n')
      .replace('"sm*"', 'fake-it-1*').replace(/instanceType: small/, 'instanceType: fake-it-3').replace('[zone-b, zone-a]', 'spread');
    const s = parsed(bench);
    assert.deepEqual(s.cluster.zones, ['test-zone-1', 'test-zone-2', 'test-zone-3']);
    assert.equal(s.cluster.instanceTypes.length, 20);
    assert.deepEqual(s.workload.statefulSets[0]?.volumeZones, ['test-zone-1', 'test-zone-2']);
  });

  it('an invalid scenario gives problems and no scenario; assertValid throws them all', () => {
    const result = parseScenario(BASE.replace('horizon: 2h', 'horizon: -2h'), 'bad.yaml');
    assert.equal(result.scenario, undefined);
    assert.throws(() => assertValid(result), (err: unknown) => err instanceof InvalidScenarioError && /bad\.yaml:4: horizon: must not be negative/.test(err.message));
  });

  it('loadScenario throws ScenarioLoadError for a file it cannot read', async () => {
    await assert.rejects(loadScenario('/nonexistent/scenario.yaml'), (err: unknown) => err instanceof ScenarioLoadError && err.file === '/nonexistent/scenario.yaml' && err.cause !== undefined);
  });
});
