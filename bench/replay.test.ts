// The replay benchmark's scenario and table, and one row run end to end on a small scenario (the
// real row takes a minute or more, so it is not run here).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakReplicas, parseScenario } from '../src/sim/scenario/index.js';
import { podRequests } from '../src/scheduling/pod-requests.js';
import { REPLAY_SCENARIO, replayOnce, replayTable, runReplaySuite, type ReplayBenchRow } from './replay.js';

const SMALL = `
name: small-replay
seed: 3
horizon: 30m
cluster:
  catalog: {name: kwok}
  nodePools:
    - metadata: {name: default}
      spec:
        template:
          spec:
            nodeClassRef: {group: karpenter.kwok.sh, kind: KWOKNodeClass, name: default}
            requirements: []
workload:
  deployments:
    - name: web
      pod: {requests: {cpu: 500m, memory: 512Mi}}
      replicas: [{at: 0s, count: 6}, {at: 10m, count: 12}]
`;

describe('replay benchmark', () => {
  void it('replays a day whose peak demand needs about 1,000 nodes of 2–4 vCPU', () => {
    const { scenario, problems } = parseScenario(readFileSync(REPLAY_SCENARIO, 'utf8'), REPLAY_SCENARIO);
    assert.deepEqual(problems, []);
    assert.ok(scenario);
    assert.equal(scenario.horizonMs, 24 * 3_600_000);
    let cpu = 0;
    for (const d of scenario.workload.deployments) cpu += peakReplicas(d.replicas, scenario.horizonMs) * (podRequests({ metadata: {}, spec: d.template.spec }).cpu ?? 0);
    // Peaks of the curves are hours apart, so the sum of the peaks overstates the day's peak a little.
    assert.ok(cpu / 1000 >= 2_800 && cpu / 1000 < 4_500, `peak deployment demand ${cpu / 1000} vCPU`);
  });

  void it('marks the nodewright row against the 60 s target and leaves the comparison row unmarked', () => {
    const row = (strategy: ReplayBenchRow['strategy'], replayWallSeconds: number): ReplayBenchRow => ({ scenario: 's', strategy, peakNodes: 1, virtualHours: 24, replayWallSeconds, rssMiB: 100 });
    const table = replayTable([row('nodewright', 61), row('cluster-autoscaler', 5)]);
    assert.match(table, /nodewright.*≤ 60 s: missed/);
    assert.doesNotMatch(table, /cluster-autoscaler.*≤ 60 s/);
    assert.match(replayTable([row('nodewright', 59.9)]), /≤ 60 s: met/);
  });

  void it('does not hold a partial run to the target', () => {
    const row: ReplayBenchRow = { scenario: 's', strategy: 'nodewright', peakNodes: 1, virtualHours: 2, replayWallSeconds: 5, rssMiB: 100, partial: true };
    assert.match(replayTable([row]), /nodewright.*partial run/);
    assert.doesNotMatch(replayTable([row]), /≤ 60 s/);
  });

  void it('replays only the first hours with the hours option, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-bench-'));
    try {
      const file = join(dir, 'small.yaml');
      writeFileSync(file, SMALL);
      const cut = await replayOnce(file, 'nodewright', { hours: 0.25 });
      assert.equal(cut.virtualHours, 0.25);
      assert.equal(cut.partial, true);
      const whole = await replayOnce(file, 'nodewright', { hours: 1 });
      assert.equal(whole.virtualHours, 0.5, 'an hours option past the horizon replays the whole scenario');
      assert.equal(whole.partial, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('runs a row in a child process and reports what it replayed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-bench-'));
    try {
      const file = join(dir, 'small.yaml');
      writeFileSync(file, SMALL);
      const seen: ReplayBenchRow[] = [];
      const rows = await runReplaySuite((r) => seen.push(r), { scenarioFile: file, strategies: ['nodewright'] });
      assert.deepEqual(seen, rows);
      assert.equal(rows.length, 1);
      const r = rows[0]!;
      assert.equal(r.scenario, 'small-replay');
      assert.equal(r.strategy, 'nodewright');
      assert.equal(r.virtualHours, 0.5);
      assert.ok(r.peakNodes >= 1);
      assert.ok(r.replayWallSeconds > 0 && r.rssMiB > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
