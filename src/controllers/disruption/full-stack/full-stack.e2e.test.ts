/** Disruption with every nodewright controller running: provisioning, lifecycle, binding, termination. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../../nodeclaim/fixtures.js';
import type { PodOptions } from '../../../test/builders.js';
import { pdb } from '../fixtures.js';
import { fullStack } from './fixtures.js';

describe('disruption, full stack', () => {
  it('scales to zero: once the pods are gone every node is drained and deleted after consolidateAfter', async () => {
    const fs = await fullStack({ pool: (np) => void (np.spec.disruption = { consolidateAfter: '30s', budgets: [{ nodes: '100%' }] }) });
    const { env } = fs;
    await fs.addPods(6, { name: 'web', cpu: '1500m', memory: '1Gi' });
    await waitFor(env.clock, 'every pod running', () => fs.healthy().length === 6);
    const nodes = env.state.nodes().filter((n) => n.managed).length;
    assert.ok(nodes >= 2, `${nodes} nodes for six 1.5-cpu pods`);
    for (const p of (await env.kube.list('Pod')).items) await env.kube.patch('Pod', p.metadata.name!, { metadata: { ownerReferences: [] } });
    for (const p of (await env.kube.list('Pod')).items) await env.kube.delete('Pod', p.metadata.name!);
    const started = env.clock.now();
    await waitFor(env.clock, 'every node gone', () => env.state.nodeCount === 0, 30 * 60_000);
    assert.deepEqual((await env.kube.list('NodeClaim')).items.map((c) => c.metadata.name), []);
    assert.deepEqual((await env.kube.list('Node')).items.map((n) => n.metadata.name), []);
    assert.ok(fs.sim.instances().every((i) => i.state === 'terminated'), 'every machine terminated');
    const empties = env.decisions.filter((d) => d.kind === 'empty');
    assert.ok(empties.length >= 1);
    assert.ok(empties.every((d) => d.time >= started + 30_000), 'not before consolidateAfter');
    assert.deepEqual(fs.pods.errors, []);
    await fs.stop();
  });

  const oneEach = (app: string): PodOptions & { name: string } => ({
    name: app, cpu: '1', memory: '1Gi', labels: { app },
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app } } }] } },
  });

  it('replaces drifted nodes one at a time within the budget after a NodePool change', async () => {
    const fs = await fullStack({ pool: (np) => void (np.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: '30s', budgets: [{ nodes: '1' }] }) });
    const { env } = fs;
    await fs.addPods(3, oneEach('web'));
    await waitFor(env.clock, 'three pods on three nodes', () => fs.healthy().length === 3);
    const originals = new Set(env.state.nodes().filter((n) => n.managed).map((n) => n.nodeClaimName!));
    assert.equal(originals.size, 3);
    let most = 0;
    env.state.subscribe(() => {
      const leaving = env.state.nodes().filter((n) => n.nodeClaimName !== undefined && originals.has(n.nodeClaimName) && n.markedForDeletion).length;
      most = Math.max(most, leaving);
    });
    const np = await env.kube.get('NodePool', 'default');
    np.spec.template.metadata = { labels: { team: 'a' } };
    await env.kube.update('NodePool', np);
    await waitFor(env.clock, 'every node replaced, pods running', () =>
      env.state.nodes().every((n) => n.nodeClaimName === undefined || !originals.has(n.nodeClaimName)) && fs.healthy().length === 3, 60 * 60_000);
    assert.equal(most, 1, 'never more than the budget of one at a time');
    assert.equal(env.decisions.filter((d) => d.kind === 'drift').length, 3);
    const claims = (await env.kube.list('NodeClaim')).items;
    assert.ok(claims.every((c) => c.metadata.labels?.team === 'a'), 'replacements carry the new template');
    assert.deepEqual(fs.pods.errors, []);
    await fs.stop();
  });

  it('expireAfter rolls every node without breaking a PodDisruptionBudget with maxUnavailable 1', async () => {
    const fs = await fullStack({ pool: (np) => {
      np.spec.template.spec.expireAfter = '10m';
      np.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1h' };
    } });
    const { env } = fs;
    await env.kube.create('PodDisruptionBudget', pdb('web', 'web', 1));
    await fs.addPods(3, oneEach('web'));
    await waitFor(env.clock, 'three pods on three nodes', () => fs.healthy().length === 3);
    const originals = new Set(env.state.nodes().filter((n) => n.managed).map((n) => n.nodeClaimName!));
    let fewest = 3;
    env.state.subscribe((c) => {
      if (c.type === 'Pod') fewest = Math.min(fewest, fs.healthy((p) => p.metadata.labels?.app === 'web').length);
    });
    await waitFor(env.clock, 'every original node expired and gone, pods running again', () =>
      env.state.nodes().every((n) => n.nodeClaimName === undefined || !originals.has(n.nodeClaimName)) && fs.healthy().length === 3, 60 * 60_000);
    assert.equal(fewest, 2, 'at most one pod unavailable at any time');
    assert.equal(env.decisions.filter((d) => d.kind === 'expire').length, 3);
    assert.deepEqual(fs.pods.errors, []);
    await fs.stop();
  });
});
