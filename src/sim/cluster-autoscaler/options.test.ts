import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_AUTOSCALER_DEFAULTS, ClusterAutoscalerOptionsError, resolveOptions } from './options.js';

describe('cluster autoscaler options', () => {
  it('defaults to the Cluster Autoscaler flags\' defaults', () => {
    const o = resolveOptions();
    assert.equal(o.scanIntervalMs, 10_000);
    assert.equal(o.scaleDownUtilizationThreshold, 0.5);
    assert.equal(o.scaleDownUnneededTimeMs, 600_000);
    assert.equal(o.scaleDownDelayAfterAddMs, 600_000);
    assert.equal(o.maxNodeProvisionTimeMs, 900_000);
    assert.equal(o.initialNodeGroupBackoffMs, 300_000);
    assert.equal(o.maxNodeGroupBackoffMs, 1_800_000);
    assert.equal(o.groupCacheRefreshMs, 60_000);
    assert.equal(o.maxEmptyBulkDelete, 10);
    assert.equal(o.maxPodEvictionTimeMs, 120_000);
    assert.equal(o.maxGracefulTerminationSec, 600);
    assert.equal(o.expendablePodsPriorityCutoff, -10);
    assert.deepEqual(o.expanders, ['least-waste']);
    assert.deepEqual(o, CLUSTER_AUTOSCALER_DEFAULTS);
  });

  it('lets --scale-down-delay-after-delete follow the scan interval unless given', () => {
    assert.equal(resolveOptions({ scanIntervalMs: 30_000 }).scaleDownDelayAfterDeleteMs, 30_000);
    assert.equal(resolveOptions({ scanIntervalMs: 30_000, scaleDownDelayAfterDeleteMs: 0 }).scaleDownDelayAfterDeleteMs, 0);
    assert.equal(resolveOptions({ scanIntervalMs: undefined }).scanIntervalMs, 10_000);
  });

  it('refuses options out of range, naming them', () => {
    const bad: [Parameters<typeof resolveOptions>[0], RegExp][] = [
      [{ scanIntervalMs: 0 }, /scanIntervalMs must be a finite number of ms > 0/],
      [{ scaleDownUnneededTimeMs: -1 }, /scaleDownUnneededTimeMs/],
      [{ scaleDownUtilizationThreshold: 1.5 }, /scaleDownUtilizationThreshold must be within \[0, 1\]/],
      [{ maxEmptyBulkDelete: 0 }, /maxEmptyBulkDelete must be an integer > 0/],
      [{ maxNodesTotal: 1.5 }, /maxNodesTotal must be an integer >= 0/],
      [{ initialNodeGroupBackoffMs: 3_600_000 }, /initialNodeGroupBackoffMs must be at most maxNodeGroupBackoffMs/],
      [{ expanders: [] }, /expanders must name at least one/],
      [{ expanders: ['cheapest' as 'price'] }, /expanders must be among least-waste, random/],
      [{ expanderPriorities: { 10: ['(unclosed'] } }, /invalid regular expression at priority 10/],
    ];
    for (const [o, message] of bad) assert.throws(() => resolveOptions(o), (e: unknown) => e instanceof ClusterAutoscalerOptionsError && message.test(e.message));
  });
});
