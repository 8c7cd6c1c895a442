import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KubeConfigError, loadKubeConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'nodewright-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = JSON.stringify({
  apiVersion: 'v1', kind: 'Config',
  clusters: [{ name: 'a', cluster: { server: 'https://a.example:6443' } }, { name: 'b', cluster: { server: 'https://b.example:6443' } }],
  users: [{ name: 'u', user: { token: 't' } }],
  contexts: [{ name: 'ctx-a', context: { cluster: 'a', user: 'u' } }, { name: 'ctx-b', context: { cluster: 'b', user: 'u' } }],
  'current-context': 'ctx-a',
});

/** Runs `body` with the service environment set, restoring it after. */
function withEnv(env: Record<string, string | undefined>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (e: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(e)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  };
  apply(env);
  try {
    body();
  } finally {
    apply(saved);
  }
}

describe('loading the kubeconfig', () => {
  it('reads a file and its current context, or the context asked for', () => {
    const path = join(dir, 'config');
    writeFileSync(path, kubeconfig);
    assert.equal(loadKubeConfig({ kind: 'file', path }).getCurrentCluster()?.server, 'https://a.example:6443');
    assert.equal(loadKubeConfig({ kind: 'file', path, context: 'ctx-b' }).getCurrentCluster()?.server, 'https://b.example:6443');
    assert.throws(() => loadKubeConfig({ kind: 'file', path, context: 'nope' }), (e: unknown) => e instanceof KubeConfigError && /has no context "nope"/.test(e.message));
  });

  it('says which file is missing or malformed', () => {
    assert.throws(() => loadKubeConfig({ kind: 'file', path: join(dir, 'absent') }), /kubeconfig .*absent: the file does not exist/);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [');
    assert.throws(() => loadKubeConfig({ kind: 'file', path: bad }), (e: unknown) => e instanceof KubeConfigError && e.message.startsWith(`loading kubeconfig ${bad}:`));
  });

  it('builds the in-cluster configuration from the environment and the mounted service account', () => {
    const prefix = join(dir, 'root');
    const sa = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'tok');
    writeFileSync(join(sa, 'ca.crt'), 'ca');
    writeFileSync(join(sa, 'namespace'), 'karpenter');
    withEnv({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, () => {
      const kc = loadKubeConfig({ kind: 'in-cluster', pathPrefix: prefix });
      assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:443');
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'karpenter');
    });
  });

  it('refuses in-cluster loading outside a pod, saying what is missing', () => {
    withEnv({ KUBERNETES_SERVICE_HOST: undefined, KUBERNETES_SERVICE_PORT: undefined }, () => {
      assert.throws(() => loadKubeConfig({ kind: 'in-cluster' }), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/);
    });
    withEnv({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, () => {
      assert.throws(() => loadKubeConfig({ kind: 'in-cluster', pathPrefix: join(dir, 'empty') }), /serviceaccount\/token does not exist/);
    });
  });
});
