import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestEnv } from './env.js';
import { pod } from './builders.js';

describe('makeTestEnv', () => {
  it('feeds the cluster state from the memory API server', async () => {
    const env = await makeTestEnv();
    await env.kube.create('Pod', pod({ name: 'a', cpu: '1' }));
    await env.settle();
    assert.equal(env.state.podCount, 1);
    await env.stop();
  });
});
