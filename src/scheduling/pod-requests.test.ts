import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Container, Pod } from '../apis/core.js';
import { QuantityError } from '../utils/quantity.js';
import { podRequests } from './pod-requests.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function c(name: string, requests?: Record<string, string | number>, limits?: Record<string, string | number>): Container {
  return { name, resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } };
}
const sidecar = (name: string, requests: Record<string, string | number>): Container => ({ ...c(name, requests), restartPolicy: 'Always' });
function pod(containers: Container[], initContainers?: Container[], overhead?: Record<string, string>): Pod {
  return { metadata: { name: 'p', namespace: 'default' }, spec: { containers, ...(initContainers ? { initContainers } : {}), ...(overhead ? { overhead } : {}) } };
}

describe('podRequests', () => {
  it('sums regular containers and counts the pod', () => {
    assert.deepEqual(podRequests(pod([c('a', { cpu: '100m', memory: '128Mi' }), c('b', { cpu: '1.5', memory: '1Gi' })])),
      { cpu: 1600, memory: 128 * MiB + GiB, pods: 1 });
  });

  it('counts a pod without requests as one pod', () => {
    assert.deepEqual(podRequests(pod([{ name: 'a' }, c('b')])), { pods: 1 });
  });

  it('takes the larger init container when it exceeds the containers (max of init vs sum)', () => {
    const p = pod([c('app', { cpu: '500m', memory: '1Gi' })], [c('migrate', { cpu: '2', memory: '256Mi' }), c('warm', { cpu: '1' })]);
    assert.deepEqual(podRequests(p), { cpu: 2000, memory: GiB, pods: 1 });
  });

  it('uses limits as requests where only a limit is set, per resource', () => {
    const p = pod([c('app', { cpu: '250m' }, { cpu: '1', memory: '512Mi' }), c('b', undefined, { 'nvidia.com/gpu': 1 })]);
    assert.deepEqual(podRequests(p), { cpu: 250, memory: 512 * MiB, 'nvidia.com/gpu': 1, pods: 1 });
  });

  it('applies the limit default to init containers too', () => {
    const p = pod([c('app', { cpu: '100m' })], [c('init', undefined, { cpu: '3' })]);
    assert.deepEqual(podRequests(p), { cpu: 3000, pods: 1 });
  });

  it('adds pod overhead after the max', () => {
    const p = pod([c('app', { cpu: '1', memory: '1Gi' })], [c('init', { cpu: '2' })], { cpu: '250m', memory: '120Mi' });
    assert.deepEqual(podRequests(p), { cpu: 2250, memory: GiB + 120 * MiB, pods: 1 });
  });

  // KEP-753: InitContainerUse(i) = sum(sidecars with index < i) + init(i);
  // total = max(max_i InitContainerUse(i), sum(sidecars) + sum(containers)) + overhead.
  describe('sidecars (restartable init containers, KEP-753)', () => {
    it('sums sidecars with the containers', () => {
      const p = pod([c('app', { cpu: '1', memory: '1Gi' })], [sidecar('proxy', { cpu: '500m', memory: '256Mi' })]);
      assert.deepEqual(podRequests(p), { cpu: 1500, memory: GiB + 256 * MiB, pods: 1 });
    });

    it('adds sidecars started before an init container to that init container', () => {
      // init-use: proxy(1) + setup(2) = 3 > app(1) + proxy(1) = 2
      const p = pod([c('app', { cpu: '1' })], [sidecar('proxy', { cpu: '1' }), c('setup', { cpu: '2' })]);
      assert.equal(podRequests(p).cpu, 3000);
    });

    it('does not add sidecars started after an init container', () => {
      // setup runs alone: 2; running: app(1) + proxy(1) = 2
      const p = pod([c('app', { cpu: '1' })], [c('setup', { cpu: '2' }), sidecar('proxy', { cpu: '1' })]);
      assert.equal(podRequests(p).cpu, 2000);
    });

    it('follows the documented worked example: the pod fits exactly in 9 cpus', () => {
      // The sidecar-containers docs' example: a 9 cpu init container, and sidecars plus app
      // containers summing to 9 cpu, on a node with 9 cpus free. Raising either side by 1 breaks the fit.
      const inits = [c('init-1', { cpu: '9' }), sidecar('sidecar-1', { cpu: '3' }), sidecar('sidecar-2', { cpu: '3' })];
      assert.equal(podRequests(pod([c('app', { cpu: '3' })], inits)).cpu, 9000);
      assert.equal(podRequests(pod([c('app', { cpu: '3' })], [c('init-1', { cpu: '10' }), ...inits.slice(1)])).cpu, 10000);
      assert.equal(podRequests(pod([c('app', { cpu: '4' })], inits)).cpu, 10000);
    });

    it('handles interleaved sidecars and init containers', () => {
      // InitContainerUse: init-1 5; sc-1 1; init-2 1+5 = 6; sc-2 1+2 = 3; init-3 3+3 = 6.
      // Running: app 1 + sidecars 3 = 4. Effective: max(6, 4) = 6.
      const inits = [
        c('init-1', { cpu: '5' }), sidecar('sc-1', { cpu: '1' }), c('init-2', { cpu: '5' }),
        sidecar('sc-2', { cpu: '2' }), c('init-3', { cpu: '3' }),
      ];
      assert.equal(podRequests(pod([c('app', { cpu: '1' })], inits)).cpu, 6000);
    });

    it('computes each resource on its own', () => {
      // cpu: init peak proxy(1)+setup(4) = 5 vs running 1+1 = 2 → 5.
      // memory: init peak 1Gi + 0 = 1Gi vs running 1Gi + 2Gi = 3Gi → 3Gi.
      const p = pod([c('app', { cpu: '1', memory: '2Gi' })], [sidecar('proxy', { cpu: '1', memory: '1Gi' }), c('setup', { cpu: '4' })]);
      assert.deepEqual(podRequests(p), { cpu: 5000, memory: 3 * GiB, pods: 1 });
    });

    it('counts a pod whose only container is a sidecar', () => {
      const p = pod([], [sidecar('big', { cpu: '2' })]);
      assert.equal(podRequests(p).cpu, 2000);
    });

    it('adds overhead on top', () => {
      const p = pod([c('app', { cpu: '1' })], [sidecar('proxy', { cpu: '1' }), c('setup', { cpu: '3' })], { cpu: '100m' });
      assert.equal(podRequests(p).cpu, 4100);
    });
  });

  it('matches the KEP-753 formula on random pods', () => {
    const ctr = fc.record({ cpu: fc.integer({ min: 0, max: 4000 }), side: fc.boolean() });
    fc.assert(fc.property(fc.array(ctr, { maxLength: 4 }), fc.array(ctr, { maxLength: 5 }), fc.integer({ min: 0, max: 500 }), (apps, inits, overhead) => {
      const p = pod(
        apps.map((x, i) => c(`app-${i}`, { cpu: `${x.cpu}m` })),
        inits.map((x, i) => (x.side ? sidecar(`init-${i}`, { cpu: `${x.cpu}m` }) : c(`init-${i}`, { cpu: `${x.cpu}m` }))),
        { cpu: `${overhead}m` },
      );
      const initUse = inits.map((x, i) => inits.slice(0, i).filter((y) => y.side).reduce((s, y) => s + y.cpu, 0) + x.cpu);
      const running = apps.reduce((s, x) => s + x.cpu, 0) + inits.filter((x) => x.side).reduce((s, x) => s + x.cpu, 0);
      return podRequests(p).cpu === Math.max(running, ...initUse) + overhead;
    }), { numRuns: 500 });
  });

  describe('errors', () => {
    function throwsNaming(p: Pod, ...fragments: string[]): void {
      assert.throws(() => podRequests(p), (err: unknown) => {
        assert.ok(err instanceof QuantityError);
        for (const f of fragments) assert.ok(err.message.includes(f), `${err.message} lacks ${f}`);
        return true;
      });
    }
    it('names the container, field and resource of a bad quantity', () => {
      throwsNaming(pod([c('ok', { cpu: '1' }), c('web', { memory: '1GB' })]),
        'container "web"', 'spec.containers[1]', 'resources.requests', 'memory', '"1GB"');
      throwsNaming(pod([c('app')], [c('init', undefined, { cpu: 'lots' })]),
        'container "init"', 'spec.initContainers[0]', 'resources.limits', 'cpu', '"lots"');
      throwsNaming(pod([c('app')], undefined, { cpu: 'x' }), 'spec.overhead', 'cpu', '"x"');
    });
    it('rejects negative requests', () => {
      throwsNaming(pod([c('web', { cpu: '-100m' })]), 'container "web"', 'cpu', 'negative');
    });
    it('rejects amounts too large to add exactly', () => {
      throwsNaming(pod([c('web', { memory: '12Ei' })]), 'container "web"', 'memory', 'too large');
    });
    it('rejects resource names the API server refuses, including ones an object inherits', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'gpu', 'hasOwnProperty']) {
        throwsNaming(pod([c('web', { cpu: '1', [name]: '1' })]), 'container "web"', `resource name "${name}"`);
      }
      throwsNaming(pod([c('app')], undefined, { valueOf: '1' }), 'spec.overhead', 'resource name "valueOf"');
      assert.deepEqual(podRequests(pod([c('web', { 'hugepages-2Mi': '4Mi', 'example.com/foo': 2 })])),
        { 'hugepages-2Mi': 4 * MiB, 'example.com/foo': 2, pods: 1 });
    });
  });
});
