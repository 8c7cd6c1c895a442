import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TopologySpreadConstraint } from '../../apis/core.js';
import type { PodOptions } from '../../test/builders.js';
import { computeConsolidation } from './consolidation.js';
import { addMachine, disruptionEnv, drive } from './fixtures.js';
import { preparePass } from './pass-state.js';
import type { Candidate } from './types.js';
import { validateCommand } from './validation.js';

const settings = { spotToSpot: false };
const KEEP = { 'karpenter.sh/do-not-disrupt': 'true' };

/** Pods of two apps spread over zones (hard) and hosts (soft), so other candidates' pods bring topology terms to base(). */
const spread = (app: string): TopologySpreadConstraint[] => [
  { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app } } },
  { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app } } },
];
const web = (name: string, cpu = '500m'): PodOptions => ({ name, cpu, memory: '1Gi', labels: { app: 'web' }, spread: spread('web') });
const api = (name: string, cpu = '500m'): PodOptions => ({ name, cpu, memory: '1Gi', labels: { app: 'api' }, spread: spread('api') });

describe('validation', () => {
  it('simulates the command\'s candidates on a base built for them alone exactly as on the pass\'s base', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    // Machines that stay put hold pods the moving ones spread against: c1's web pod may not go to
    // zone a (two web pods there, one in zone b), and zone b has no room, so it needs a new node.
    await addMachine(env, { name: 'keep-a', type: 'large', zone: 'zone-a', nodeAnnotations: KEEP, pods: [web('k1'), web('k2'), api('k3')] });
    await addMachine(env, { name: 'keep-b', type: 'small', zone: 'zone-b', nodeAnnotations: KEEP, pods: [web('k4', '1900m')] });
    await addMachine(env, { name: 'c1', type: 'small', zone: 'zone-c', pods: [web('w1')] });
    await addMachine(env, { name: 'b1', type: 'small', zone: 'zone-b', pods: [api('a1', '1900m')] });
    await addMachine(env, { name: 'a1', type: 'medium', zone: 'zone-a', pods: [api('a2'), { name: 'plain', cpu: '250m', memory: '1Gi' }] });
    await env.settle();
    const pass = await drive(env, preparePass(env.ctx));
    const cs = pass.scan.candidates;
    assert.deepEqual(cs.map((c) => c.nodeName), ['c1', 'b1', 'a1']);
    const sets: Candidate[][] = [...cs.map((c) => [c]), cs.slice(0, 2), cs.slice(1, 3), cs];
    for (const set of sets) {
      for (const method of ['single-node-consolidation', 'multi-node-consolidation'] as const) {
        assert.deepEqual(computeConsolidation(pass.baseFor(set), set, method, settings), computeConsolidation(pass.base(), set, method, settings),
          `${method} of ${set.map((c) => c.nodeName).join(', ')}`);
      }
    }
    const found = await drive(env, ctrl.findCommand(pass));
    assert.ok(found, 'something to consolidate');
    const fresh = await drive(env, preparePass(env.ctx));
    const verdict = validateCommand(found.command, fresh, settings);
    assert.ok('command' in verdict, JSON.stringify(verdict));
    const within = found.command.candidates.map((c) => fresh.scan.candidates.find((f) => f.claimName === c.claimName)!);
    const method = found.command.method as 'single-node-consolidation' | 'multi-node-consolidation';
    const onPassBase = computeConsolidation(fresh.base(), within, method, settings, found.command.rejected);
    assert.ok(onPassBase.decision !== 'none');
    assert.deepEqual(verdict.command, onPassBase.command);
    await t.stop();
  });

  it('says the same scanning only the command\'s machines as scanning every machine', async () => {
    const t = await disruptionEnv();
    const { env, ctrl } = t;
    await addMachine(env, { name: 'keep', type: 'large', nodeAnnotations: KEEP, pods: [web('k1')] });
    for (const n of ['n1', 'n2', 'n3']) await addMachine(env, { name: n, type: 'small', pods: [{ name: `${n}-p`, cpu: '500m', memory: '1Gi' }] });
    await env.settle();
    const found = await drive(env, ctrl.findCommand(await drive(env, preparePass(env.ctx))));
    assert.ok(found, 'something to consolidate');
    const machines = new Set(found.command.candidates.flatMap((c) => [c.claimName, c.nodeName]));
    const names = found.command.candidates.map((c) => c.nodeName).sort();
    const validate = async (only?: ReadonlySet<string>): Promise<ReturnType<typeof validateCommand>> =>
      validateCommand(found.command, await drive(env, preparePass(env.ctx, only)), settings);
    const scanned = await drive(env, preparePass(env.ctx, machines));
    assert.deepEqual(scanned.scan.candidates.map((c) => c.nodeName).sort(), names, 'only the command\'s machines');
    const ok = await validate(machines);
    assert.ok('command' in ok);
    assert.deepEqual(ok, await validate());
    // One of the command's machines is now protected: both abort, saying why.
    await env.kube.patch('Node', names[0]!, { metadata: { annotations: KEEP } });
    await env.settle();
    const blocked = await validate(machines);
    assert.ok('abort' in blocked, JSON.stringify(blocked));
    assert.match(blocked.abort, /do-not-disrupt/);
    assert.deepEqual(blocked, await validate());
    await t.stop();
  });
});
