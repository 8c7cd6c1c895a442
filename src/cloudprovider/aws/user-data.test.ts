import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { labelKeyProblems, labelValueProblems } from '../../apis/labels.js';
import type { ClusterInfo } from './user-data.js';
import { al2023UserData, checkClusterInfo, customParts, nodeConfig, UserDataError } from './user-data.js';

const cluster: ClusterInfo = { name: 'prod', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', certificateAuthority: 'TUlJQ0FURS0tLS0=', cidr: '10.100.0.0/16' };

interface NodeConfigDoc { spec: { cluster: Record<string, string>; kubelet: { config: Record<string, unknown>; flags: string[] } } }

/** The parts of a MIME document: content type and body. */
function parts(mime: string): { type: string; body: string }[] {
  const boundary = /boundary="([^"]+)"/.exec(mime)![1]!;
  const chunks = mime.split(`--${boundary}`);
  assert.equal(chunks.at(-1), '--\n', 'ends with the closing boundary');
  return chunks.slice(1, -1).map((c) => {
    const [head, ...rest] = c.replace(/^\n/, '').split('\n\n');
    return { type: /Content-Type: ([^\n]+)/.exec(head!)![1]!, body: rest.join('\n\n').trimEnd() };
  });
}

describe('AL2023 user data', () => {
  it('a nodeadm NodeConfig with the cluster, kubelet settings, labels and taints', () => {
    const mime = al2023UserData({
      cluster,
      labels: { 'karpenter.sh/nodepool': 'default', team: 'a', 'kubernetes.io/hostname': 'x', 'node.kubernetes.io/lifecycle': 'spot' },
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'karpenter.sh/unregistered', effect: 'NoExecute' }],
      kubelet: { maxPods: 42, clusterDNS: ['10.100.0.10'] },
    });
    const [part] = parts(mime);
    assert.equal(part!.type, 'application/node.eks.aws');
    const doc = parse(part!.body) as NodeConfigDoc & { apiVersion: string; kind: string };
    assert.equal(doc.apiVersion, 'node.eks.aws/v1alpha1');
    assert.equal(doc.kind, 'NodeConfig');
    assert.deepEqual(doc.spec.cluster, { name: 'prod', apiServerEndpoint: cluster.endpoint, certificateAuthority: cluster.certificateAuthority, cidr: cluster.cidr });
    assert.deepEqual(doc.spec.kubelet.config, { maxPods: 42, clusterDNS: ['10.100.0.10'] });
    assert.deepEqual(doc.spec.kubelet.flags, [
      // kubernetes.io/hostname is not the kubelet's to set (NodeRestriction): left out.
      '--node-labels=karpenter.sh/nodepool=default,node.kubernetes.io/lifecycle=spot,team=a',
      '--register-with-taints=dedicated=gpu:NoSchedule,karpenter.sh/unregistered:NoExecute',
    ]);
  });

  it('refuses labels and taints that could add flags, lines or parts', () => {
    const bad: [Record<string, string>, string][] = [
      [{ team: 'a,kubernetes.io/role=admin' }, 'comma'],
      [{ team: 'a\n--//\nContent-Type: text/x-shellscript' }, 'newline'],
      [{ team: 'a" --cloud-provider=x' }, 'quote'],
      [{ 'team name': 'a' }, 'space in key'],
      [{ [`x/${'a'.repeat(64)}`]: 'a' }, 'long name'],
    ];
    for (const [labels, what] of bad) assert.throws(() => nodeConfig({ cluster, labels, taints: [] }), UserDataError, what);
    assert.throws(() => nodeConfig({ cluster, labels: {}, taints: [{ key: 'a', value: 'b:NoSchedule,c', effect: 'NoSchedule' }] }), UserDataError);
    assert.throws(() => nodeConfig({ cluster, labels: {}, taints: [{ key: 'a', effect: 'Evict' }] }), UserDataError);
  });

  it('property: any label is either refused or appears as exactly one key=value in one flag, with no other flag added', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', ',', '=', ' ', '\n', '"', ':', '\\', '#', '{'), maxLength: 12 });
    fc.assert(fc.property(text, text, (key, value) => {
      let doc: NodeConfigDoc;
      try {
        doc = parse(nodeConfig({ cluster, labels: { [key]: value }, taints: [] })) as NodeConfigDoc;
      } catch (e) {
        assert.ok(e instanceof UserDataError);
        assert.ok(labelKeyProblems(key).length + labelValueProblems(value).length > 0, `refused a valid label ${JSON.stringify(key)}=${JSON.stringify(value)}`);
        return;
      }
      assert.equal(labelKeyProblems(key).length + labelValueProblems(value).length, 0);
      assert.deepEqual(doc.spec.kubelet.flags, [`--node-labels=${key}=${value}`]);
      assert.equal(doc.spec.cluster.name, 'prod');
    }), { numRuns: 500, seed: 6 });
  });

  it('keeps the node class user data: a script, a NodeConfig, or the parts of a MIME document, before its own', () => {
    assert.deepEqual(customParts('#!/bin/bash\necho hi\n').map((p) => p.headers), ['Content-Type: text/x-shellscript; charset="us-ascii"']);
    assert.deepEqual(customParts('apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n').map((p) => p.headers), ['Content-Type: application/node.eks.aws']);
    const custom = 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BOUNDARY"\n\n--BOUNDARY\nContent-Type: text/x-shellscript\n\necho one\n--BOUNDARY\nContent-Type: text/x-shellscript\n\necho two\n--BOUNDARY--\n';
    const mime = al2023UserData({ cluster, labels: {}, taints: [], custom });
    const got = parts(mime);
    assert.deepEqual(got.map((p) => p.type), ['text/x-shellscript', 'text/x-shellscript', 'application/node.eks.aws']);
    assert.deepEqual(got.slice(0, 2).map((p) => p.body), ['echo one', 'echo two']);
    assert.throws(() => customParts('MIME-Version: 1.0\nContent-Type: multipart/mixed\n\nhello'), UserDataError);
  });

  it('chooses a boundary that no part contains', () => {
    const first = al2023UserData({ cluster, labels: {}, taints: [], custom: '#!/bin/sh\n' });
    const boundary = /boundary="([^"]+)"/.exec(first)![1]!;
    const tricky = al2023UserData({ cluster, labels: {}, taints: [], custom: `#!/bin/sh\necho --${boundary}\n` });
    const second = /boundary="([^"]+)"/.exec(tricky)![1]!;
    assert.equal(tricky.split(`--${second}`).length, 4, 'two parts and the end: the script did not split anything');
  });

  it('cluster settings are checked', () => {
    assert.doesNotThrow(() => checkClusterInfo(cluster));
    assert.throws(() => checkClusterInfo({ ...cluster, endpoint: 'http://plain' }), /https URL/);
    assert.throws(() => checkClusterInfo({ ...cluster, endpoint: 'https://x\n  evil: true' }), /https URL/);
    assert.throws(() => checkClusterInfo({ ...cluster, certificateAuthority: 'not base64!' }), /base64/);
    assert.throws(() => checkClusterInfo({ ...cluster, name: 'a b' }), /cluster name/);
    assert.throws(() => checkClusterInfo({ ...cluster, cidr: '10.0.0.0' }), /CIDR/);
  });
});
