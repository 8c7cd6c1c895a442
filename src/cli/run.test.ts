import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeIo } from '../test/cli-io.js';
import { COMMANDS, runCli } from './run.js';


const PODS = `kind: Pod
metadata: {name: a, namespace: ns}
spec: {containers: [{name: c, resources: {requests: {cpu: "1", memory: 1Gi}}}]}
---
kind: Pod
metadata: {name: huge, namespace: ns}
spec: {containers: [{name: c, resources: {requests: {cpu: "5000"}}}]}
`;

describe('runCli', () => {
  it('prints usage: to stdout with exit 0 for --help, to stderr with exit 2 without a command', async () => {
    const help = fakeIo();
    assert.equal(await runCli(['--help'], help), 0);
    assert.match(help.out.join(''), /Usage: nodewright <command>/);
    const none = fakeIo();
    assert.equal(await runCli([], none), 2);
    assert.match(none.err.join(''), /Usage: nodewright <command>/);
  });

  it('exits 2 for an unknown command and 1 with the stack for an internal error', async () => {
    const io = fakeIo();
    assert.equal(await runCli(['frobnicate'], io), 2);
    assert.match(io.err.join(''), /unknown command "frobnicate"/);
    const broken = { ...fakeIo(), stdout: (): void => {
      throw new Error('disk on fire');
    } };
    assert.equal(await runCli(['plan', '--help'], broken), 1);
    assert.match(broken.err.join(''), /nodewright plan: internal error: Error: disk on fire\n\s+at /);
    assert.ok(Object.keys(COMMANDS).includes('plan'));
  });

  it('plans pods, reporting the ones that fit nowhere with the reason', async () => {
    const io = fakeIo({ 'pods.yaml': PODS });
    assert.equal(await runCli(['plan', '-f', 'pods.yaml', '--catalog', 'kwok', '-o', 'json'], io), 0);
    const plan = JSON.parse(io.out.join('')) as { nodeClaims: { pods: string[] }[]; unschedulable: { pod: string; reason: string }[] };
    assert.deepEqual(plan.nodeClaims.flatMap((c) => c.pods), ['ns/a']);
    assert.equal(plan.unschedulable.length, 1);
    assert.equal(plan.unschedulable[0]!.pod, 'ns/huge');
    assert.ok(plan.unschedulable[0]!.reason.length > 0);
    const table = fakeIo({ 'pods.yaml': PODS });
    assert.equal(await runCli(['plan', '-f', 'pods.yaml', '--catalog', 'kwok'], table), 0);
    assert.match(table.out.join(''), /Unschedulable pods \(1\):\nPOD +REASON\nns\/huge +\S/);
  });

  it('rejects missing -f, bad options, unknown flags and positional arguments with exit 2', async () => {
    for (const args of [['plan'], ['plan', '-f', 'x', '-o', 'yaml'], ['plan', '--bogus'], ['plan', 'file.yaml'], ['plan', '-f', 'missing.yaml']]) {
      const io = fakeIo({ x: '' });
      assert.equal(await runCli(args, io), 2, args.join(' '));
      assert.ok(io.err.join('').length > 0);
      assert.deepEqual(io.out, []);
    }
  });
});
