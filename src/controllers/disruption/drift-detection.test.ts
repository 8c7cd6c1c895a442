import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeClaim } from '../../apis/v1/types.js';
import type { CloudProvider } from '../../cloudprovider/cloud-provider.js';
import { nodePool } from '../../test/builders.js';
import { VirtualClock } from '../../utils/clock.js';
import { DriftDetector } from './drift-detection.js';
import type { Candidate, PoolInfo } from './types.js';

/** A cloud whose isDrifted answers from `answers` in turn (an Error is thrown), counting calls. */
function cloud(answers: (string | undefined | Error)[]): { cloud: CloudProvider; calls: () => number } {
  let calls = 0;
  const isDrifted = (): Promise<string | undefined> => {
    const a = answers[calls++];
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return { cloud: { isDrifted } as unknown as CloudProvider, calls: () => calls };
}

function candidate(name: string): Candidate {
  const pool: PoolInfo = { name: 'default', nodePool: nodePool({ name: 'default' }), instanceTypes: [], typesByName: new Map() } as unknown as PoolInfo;
  const claim: NodeClaim = { metadata: { name }, spec: { requirements: [], nodeClassRef: { group: 'g', kind: 'k', name: 'n' } } };
  return { claimName: name, nodeName: name, pool, instanceType: undefined, stateNode: { nodeClaim: claim } } as unknown as Candidate;
}

describe('DriftDetector', () => {
  it('asks the cloud once per recheck interval and answers from its verdict in between, at once', async () => {
    const clock = new VirtualClock();
    const { cloud: c, calls } = cloud(['ImageDrift', undefined]);
    const drift = new DriftDetector(c, clock, 60_000);
    const m = candidate('m');
    const first = drift.reason(m);
    assert.ok(first instanceof Promise, 'unknown: the cloud is asked');
    assert.match((await first) ?? '', /^ImageDrift: /);
    const kept = drift.reason(m);
    assert.ok(!(kept instanceof Promise), 'known: answered at once');
    assert.match(kept ?? '', /^ImageDrift: /);
    assert.equal(calls(), 1);
    await clock.step(60_000);
    assert.equal(await drift.reason(m), undefined, 'asked again after the interval');
    assert.equal(calls(), 2);
    assert.equal(drift.reason(m), undefined);
  });

  it('counts a failing cloud call as not drifted and asks again next time', async () => {
    const { cloud: c, calls } = cloud([new Error('throttled'), 'AMIDrift']);
    const drift = new DriftDetector(c, new VirtualClock());
    const m = candidate('m');
    assert.equal(await drift.reason(m), undefined);
    assert.match((await drift.reason(m)) ?? '', /^AMIDrift: /);
    assert.equal(calls(), 2);
  });
});
