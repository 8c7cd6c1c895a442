import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fixtureResult } from '../sim/explain/fixture.js';
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

  it('reads the chosen strategy; nodewright by default', async () => {
    const ca = await explain(['--from', 'r.json', '--strategy', 'cluster-autoscaler', 'savings']);
    assert.match(ca.out, /^cluster-autoscaler: 1 consolidation decision\(s\) saved \$0\.0960\/h/);
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
});
