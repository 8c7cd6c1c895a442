import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fixtureResult, LINKED_DECISIONS, LINKED_MACHINES } from '../sim/explain/fixture.js';
import { fakeIo } from '../test/cli-io.js';
import { runExplain } from './explain.js';
import { runSimulate } from './simulate.js';

const RESULT = JSON.stringify(fixtureResult());

async function explain(args: string[], files: Record<string, string> = { 'r.json': RESULT }) {
  const io = fakeIo(files);
  const code = await runExplain(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('nodewright explain', () => {
  it('answers pod, node and savings questions with exit 0', async () => {
    const pod = await explain(['--from', 'r.json', 'pod', 'default/api-0']);
    assert.equal(pod.code, 0);
    assert.match(pod.out, /planned: onto new NodeClaim pool-c/);
    const node = await explain(['--from', 'r.json', 'node', 'ip-10-0-0-1']);
    assert.match(node.out, /outcome: consolidated \(deleted\)/);
    const savings = await explain(['savings', '--from', 'r.json']);
    assert.match(savings.out, /saved \$0\.1752\/h/);
  });

  it('tells a machine\'s story under either name when the result lists its machines', async () => {
    const r = fixtureResult();
    const linked = JSON.stringify({ ...r, strategies: { nodewright: { ...r.strategies.nodewright!, decisions: LINKED_DECISIONS, machines: LINKED_MACHINES } } });
    const files = { 'l.json': linked };
    const byClaim = await explain(['--from', 'l.json', 'node', 'pool-a'], files);
    assert.equal(byClaim.code, 0);
    assert.match(byClaim.out, /machine: NodeClaim pool-a, Node ip-1;[^\n]*\n {2}0:01:00 {2}launched:[\s\S]*registered as Node ip-1[\s\S]*not disrupting node ip-1/);
    const pod = await explain(['--from', 'l.json', 'pod', 'default/web-0'], files);
    assert.match(pod.out, /planned: onto new NodeClaim pool-a \(became node ip-1\)/);
    const savings = await explain(['--from', 'l.json', 'savings'], files);
    assert.match(savings.out, /ip-1 \(\$0\.0960\/h\) kept: /);
  });

  it('reads the chosen strategy; nodewright by default', async () => {
    const ca = await explain(['--from', 'r.json', '--strategy', 'cluster-autoscaler', 'savings']);
    assert.match(ca.out, /^cluster-autoscaler: 1 scale-down decision\(s\) saved \$0\.0960\/h/);
    const defaulted = await explain(['--from', 'r.json', 'pod', 'default/web-0']);
    assert.match(defaulted.out, /\(nodewright\)/);
  });

  it('exits 2 with a clear message for a pod or node no decision names', async () => {
    const r = await explain(['--from', 'r.json', 'pod', 'default/web-1x']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^nodewright explain: no nodewright decision mentions pod default\/web-1x; check the name/);
    const n = await explain(['--from', 'r.json', 'node', 'ip-10-0-0']);
    assert.equal(n.code, 2);
    assert.match(n.err, /no nodewright decision mentions node ip-10-0-0; /);
  });

  it('exits 0 when nothing was consolidated: that is an answer, not bad input', async () => {
    const r = fixtureResult();
    const quiet = JSON.stringify({ ...r, strategies: { nodewright: { ...r.strategies.nodewright!, decisions: r.strategies.nodewright!.decisions.slice(0, 2) } } });
    const s = await explain(['--from', 'q.json', 'savings'], { 'q.json': quiet });
    assert.equal(s.code, 0);
    assert.match(s.out, /nothing was consolidated/);
  });

  it('exits 2 naming the file when it is missing, not JSON, or not a result', async () => {
    const missing = await explain(['--from', 'gone.json', 'savings']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /reading gone\.json: ENOENT/);
    const bad = await explain(['--from', 'r.json', 'savings'], { 'r.json': 'not json' });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /r\.json is not valid JSON/);
    const wrong = await explain(['--from', 'r.json', 'savings'], { 'r.json': '{"scenario":"x"}' });
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /r\.json is not a simulation result .*strategies should be an object/);
  });

  it('exits 2 for bad usage and a strategy the file does not hold', async () => {
    for (const args of [['savings'], ['--from', 'r.json'], ['--from', 'r.json', 'why'], ['--from', 'r.json', 'pod'],
      ['--from', 'r.json', 'pod', 'web-0'], ['--from', 'r.json', 'savings', 'x'], ['--from', 'r.json', '--bogus', 'savings'],
      ['--from', 'r.json', '--strategy', 'karpenter', 'savings']]) {
      const r = await explain(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.out, '');
    }
    const only = JSON.stringify({ ...fixtureResult(), strategies: { nodewright: fixtureResult().strategies.nodewright } });
    const r = await explain(['--from', 'r.json', '--strategy', 'cluster-autoscaler', 'savings'], { 'r.json': only });
    assert.equal(r.code, 2);
    assert.match(r.err, /r\.json holds no cluster-autoscaler results \(it has: nodewright\)/);
    assert.equal((await explain(['--help'])).code, 0);
  });

  it('explains the JSON a real simulate --json run writes', async () => {
    const scenario = await readFile(new URL('../sim/scenario/testdata/base.yaml', import.meta.url), 'utf8');
    const io = fakeIo({ 'base.yaml': scenario });
    assert.equal(await runSimulate(['base.yaml', '--strategy', 'nodewright', '--json', 'out.json'], io), 0);
    const json = io.written.get('out.json')!;
    const result = JSON.parse(json) as { strategies: { nodewright: { decisions: { kind: string; details: { nodes?: string[]; pods?: string[] } }[] } } };
    const launch = result.strategies.nodewright.decisions.find((d) => d.kind === 'provision' && d.details.nodes?.length === 1)!;
    const files = { 'out.json': json };
    const pod = await explain(['--from', 'out.json', 'pod', launch.details.pods![0]!], files);
    assert.equal(pod.code, 0);
    assert.match(pod.out, /decision\(s\) name it/);
    const node = await explain(['--from', 'out.json', 'node', launch.details.nodes![0]!], files);
    assert.match(node.out, new RegExp(`why: nodeclaim ${launch.details.nodes![0]!} \\(nodepool default\\): (small|large) at`));
    const savings = await explain(['--from', 'out.json', 'savings'], files);
    assert.equal(savings.code, 0);
    assert.match(savings.out, /^nodewright: /);
  });

  it('answers all four questions from the real output of a run with a pod that can never schedule', async () => {
    const json = await readFile(new URL('../sim/explain/testdata/never-fits.result.json', import.meta.url), 'utf8');
    const files = { 'nf.json': json };
    const huge = await explain(['--from', 'nf.json', 'pod', 'default/huge-1qn5ab0-z5ctn'], files);
    assert.equal(huge.code, 0);
    assert.match(huge.out, /pending: it fit on no node and no NodePool could launch one for it, from 0:00:01 to 0:09:23/);
    assert.match(huge.out, /latest reason: no instance type in nodepool small is big enough: needs 100 cpu/);
    assert.match(huge.out, /then: no later decision places or moves it\. 1 pod\(s\) were still pending at the end of the run/);
    const held = await explain(['--from', 'nf.json', 'pod', 'default/wave-wh4p5'], files);
    assert.match(held.out, /nodepool small would exceed its limits \(cpu: 1 left\)/);
    assert.match(held.out, /then: it ran on ip-10-0-1-3\.sim\.compute\.internal by 0:05:15/);
    const planned = await explain(['--from', 'nf.json', 'pod', 'default/web-e15lx1-z9lkc'], files);
    assert.match(planned.out, /planned: onto new NodeClaim small-swvdp, launched at 0:00:01\n {4}why: nodeclaim small-swvdp \(nodepool small\): c-1x-amd64-linux at \$0\.0271\/h/);
    const kept = await explain(['--from', 'nf.json', 'node', 'ip-10-0-1-0.sim.compute.internal'], files);
    assert.match(kept.out, /outcome: not consolidated; last reason \(0:00:30\): PodDisruptionBudget default\/web allows no disruption/);
    const savings = await explain(['--from', 'nf.json', 'savings'], files);
    assert.match(savings.out, /^nodewright: 4 consolidation decision\(s\) saved \$0\.5972\/h in total/);
    assert.match(savings.out, /ip-10-0-1-0\.sim\.compute\.internal kept: PodDisruptionBudget default\/web/);
  });

  it('explains why a pod is pending from a fresh simulate --json run', async () => {
    const scenario = await readFile(new URL('../sim/explain/testdata/never-fits.yaml', import.meta.url), 'utf8');
    const io = fakeIo({ 'nf.yaml': scenario });
    assert.equal(await runSimulate(['nf.yaml', '--strategy', 'nodewright', '--json', 'out.json'], io), 0);
    const json = io.written.get('out.json')!;
    const result = JSON.parse(json) as { strategies: { nodewright: { decisions: { kind: string; details: { pods?: string[] } }[] } } };
    const never = result.strategies.nodewright.decisions.find((d) => d.kind === 'unschedulable' && d.details.pods?.[0]?.startsWith('default/huge-'));
    assert.ok(never, 'the result keeps the unschedulable record of the pod that never fits');
    const pod = await explain(['--from', 'out.json', 'pod', never.details.pods![0]!], { 'out.json': json });
    assert.match(pod.out, /latest reason: no instance type in nodepool small is big enough: needs 100 cpu/);
  });
});
