import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { InterruptionMessage, InterruptionSource } from '../controllers/interruption/source.js';
import { noopMetrics } from '../controllers/metrics.js';
import { makeTestEnv } from '../test/env.js';
import { CONTROLLERS } from './controllers.js';

class CountingSource implements InterruptionSource {
  readonly name = 'counting';
  subscribed = 0;
  unsubscribed = 0;
  subscribe(_handler: (m: InterruptionMessage) => void): () => void {
    this.subscribed++;
    return () => { this.unsubscribed++; };
  }
}

describe('CONTROLLERS', () => {
  it('runs the interruption controller on the interruption source the cloud offers, and none without one', async () => {
    const env = await makeTestEnv({ cloud: 'fake' });
    try {
      const source = new CountingSource();
      for (const reg of CONTROLLERS) {
        const withSource = reg.build(env.ctx, noopMetrics, { interruptions: source });
        withSource.start();
        await withSource.stop();
        const without = reg.build(env.ctx, noopMetrics);
        without.start();
        await without.stop();
      }
      assert.equal(source.subscribed, 1, 'subscribed once, by the set built with it');
      assert.equal(source.unsubscribed, 1, 'and unsubscribed when stopped');
    } finally {
      await env.stop();
    }
  });
});
