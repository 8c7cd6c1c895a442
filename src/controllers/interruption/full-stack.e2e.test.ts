/** A spot interruption with every nodewright controller running. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fullStack } from '../disruption/full-stack/fixtures.js';
import { waitFor } from '../nodeclaim/fixtures.js';

describe('interruption, full stack', () => {
  it('launches a replacement before the interrupted node goes, and the pods run again before the machine is reclaimed', async () => {
    const fs = await fullStack({
      interruptions: true,
      pool: (np) => {
        np.spec.template.spec.requirements = [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] }];
        np.spec.disruption = { consolidationPolicy: 'WhenEmpty', consolidateAfter: '1h' };
      },
    });
    const { env, sim } = fs;
    await fs.addPods(2, { name: 'web', cpu: '1', memory: '1Gi' });
    await waitFor(env.clock, 'pods running', () => fs.healthy().length === 2);
    const victim = env.state.nodes().find((n) => n.managed && n.pods.length > 0)!;
    const claim = victim.nodeClaimName!;
    const events: string[] = [];
    env.state.subscribe((c) => {
      if (c.type !== 'Node') return;
      const n = c.stateNode;
      if (n.nodeClaimName === claim && n.deleting && !events.includes('interrupted claim deleting')) events.push('interrupted claim deleting');
      if (n.nodeClaimName !== undefined && n.nodeClaimName !== claim && !events.includes('replacement')) events.push('replacement');
    });
    const noticeAt = env.clock.now();
    assert.equal(sim.interrupt(victim.providerID!), true);
    await waitFor(env.clock, 'pods running on the replacement', () => fs.healthy().length === 2 && fs.healthy().every((p) => p.spec.nodeName !== victim.nodeName));
    assert.ok(env.clock.now() - noticeAt < 120_000, `pods back within the two-minute notice (took ${env.clock.now() - noticeAt} ms)`);
    assert.deepEqual(events.slice(0, 2), ['replacement', 'interrupted claim deleting']);
    const offering = { type: victim.labels['node.kubernetes.io/instance-type']!, zone: victim.labels['topology.kubernetes.io/zone']! };
    assert.ok(env.ctx.unavailableOfferings.isUnavailable(offering.type, offering.zone, 'spot'));
    const d = env.decisions.find((x) => x.kind === 'interruption')!;
    assert.match(d.summary, new RegExp(`^SpotInterruption of node ${victim.name}: launched `));
    await waitFor(env.clock, 'interrupted machine gone', () => sim.instances().find((i) => i.providerID === victim.providerID)?.state === 'terminated');
    assert.deepEqual(fs.pods.errors, []);
    await fs.stop();
  });
});
