/**
 * User data cannot be steered by what NodePools and node classes put into it: for any labels and
 * taints Kubernetes accepts, kubelet settings and node class scripts, the MIME document parses
 * (strictly) into exactly the intended parts, and the NodeConfig YAML into exactly the intended
 * object; anything else is refused with an error naming it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import type { Taint } from '../../apis/core.js';
import type { KubeletConfiguration } from '../../apis/ec2nodeclass/types.js';
import { labelKeyProblems, labelValueProblems } from '../../apis/labels.js';
import type { ClusterInfo } from './user-data.js';
import { al2023UserData, checkKubeletStrings, UserDataError } from './user-data.js';

const cluster: ClusterInfo = { name: 'prod', endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com', certificateAuthority: 'TUlJQ0FURS0tLS0=', cidr: '10.100.0.0/16' };

interface Part { readonly headers: readonly string[]; readonly body: string }

/**
 * A strict reading of the multipart document (RFC 2046): the top-level headers, then parts between
 * delimiter lines that are exactly "--<boundary>", closed by "--<boundary>--" as the last line. Any
 * other line starting with the delimiter, or a CR anywhere, fails the assertion.
 */
function parseMime(text: string): Part[] {
  assert.ok(!text.includes('\r'), 'no carriage return');
  const lines = text.split('\n');
  assert.equal(lines[0], 'MIME-Version: 1.0');
  const boundary = /^Content-Type: multipart\/mixed; boundary="([A-Za-z0-9'()+_,./:=?-]{1,70})"$/.exec(lines[1] ?? '')?.[1];
  assert.ok(boundary !== undefined, `a boundary header, got ${lines[1]}`);
  assert.equal(lines[2], '');
  const delimiter = `--${boundary}`;
  assert.deepEqual(lines.slice(-2), [`${delimiter}--`, ''], 'closed by the final delimiter');
  const parts: string[][] = [];
  for (const line of lines.slice(3, -2)) {
    if (line === delimiter) parts.push([]);
    else {
      assert.ok(!line.startsWith(delimiter), `a line that looks like a delimiter: ${line}`);
      assert.ok(parts.length > 0, 'nothing before the first delimiter');
      parts.at(-1)!.push(line);
    }
  }
  return parts.map((p) => {
    const blank = p.indexOf('');
    assert.ok(blank > 0, 'headers, a blank line, the body');
    const body = p.slice(blank + 1);
    assert.equal(body.at(-1), '', 'each body ends with a line break before the next delimiter');
    return { headers: p.slice(0, blank), body: body.slice(0, -1).join('\n') };
  });
}

// Kubernetes label grammar: an optional DNS-subdomain prefix (not kubernetes.io or k8s.io, which
// kubelet may not set and so are left out on purpose) and a name; values are names or empty.
const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,12}[a-z0-9])?$/);
const prefix = fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((l) => l.join('.')).filter((p) => p.length <= 253 && !/(kubernetes\.io|k8s\.io)$/.test(p));
const name = fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
const labelKey = fc.tuple(fc.option(prefix, { nil: undefined }), name).map(([p, n]) => (p === undefined ? n : `${p}/${n}`));
const labelValue = fc.oneof(fc.constant(''), name);
const taint: fc.Arbitrary<Taint> = fc.record({ key: labelKey, value: labelValue, effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute') })
  .map((t) => (t.value === '' ? { key: t.key, effect: t.effect } : t));
// Printable ASCII with the characters YAML, shell and MIME care about made likely.
const printable = fc.string({ unit: fc.oneof(fc.constantFrom(':', '#', '"', "'", '-', '|', '>', '&', '*', '!', '%', '@', '`', '{', '}', '[', ']', ',', ' ', '\\'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })), maxLength: 24 })
  .filter((s) => /^[\x20-\x7e]*$/.test(s));
const kubelet: fc.Arbitrary<KubeletConfiguration> = fc.record({
  maxPods: fc.integer({ min: 1, max: 737 }),
  clusterDNS: fc.array(printable, { maxLength: 3 }),
  systemReserved: fc.dictionary(fc.constantFrom('cpu', 'memory', 'ephemeral-storage', 'pid'), printable, { noNullPrototype: true }),
  evictionHard: fc.dictionary(fc.constantFrom('memory.available', 'nodefs.available'), printable, { noNullPrototype: true }),
}, { requiredKeys: [], noNullPrototype: true });
const scriptLine = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('--', '--nodewright-', '--BOUNDARY', 'MIME-Version: 1.0', 'Content-Type: text/x-shellscript', ''));
const script = fc.array(scriptLine, { maxLength: 6 }).map((l) => `#!/bin/bash\n${l.join('\n')}\n`).filter((s) => !s.includes('\r'));

/** The flag's comma-separated key=value (or key=value:effect) items, read back. */
const items = (flag: string | undefined, name: string): string[] => (flag === undefined ? [] : flag.slice(`--${name}=`.length).split(','));

describe('user data injection', () => {
  it('property: valid labels, taints, kubelet settings and scripts give exactly the intended MIME parts and NodeConfig', () => {
    fc.assert(fc.property(
      fc.dictionary(labelKey, labelValue, { maxKeys: 8, noNullPrototype: true }), fc.array(taint, { maxLength: 4 }), fc.option(kubelet, { nil: undefined }), fc.option(script, { nil: undefined }),
      (labels, taints, kubeletConfig, custom) => {
        for (const [k, v] of Object.entries(labels)) assert.deepEqual([...labelKeyProblems(k), ...labelValueProblems(v)], [], 'the generator makes valid labels');
        const parts = parseMime(al2023UserData({ cluster, labels, taints, ...(kubeletConfig ? { kubelet: kubeletConfig } : {}), ...(custom ? { custom } : {}) }));
        assert.equal(parts.length, custom === undefined ? 1 : 2);
        if (custom !== undefined) {
          assert.deepEqual(parts[0]!.headers, ['Content-Type: text/x-shellscript; charset="us-ascii"']);
          assert.equal(parts[0]!.body, custom.replace(/\n$/, ''), 'the script unchanged');
        }
        const last = parts.at(-1)!;
        assert.deepEqual(last.headers, ['Content-Type: application/node.eks.aws']);
        const doc = parse(last.body) as { spec: { kubelet: { flags: string[] } } };
        const labelFlag = doc.spec.kubelet.flags.find((f) => f.startsWith('--node-labels='));
        const taintFlag = doc.spec.kubelet.flags.find((f) => f.startsWith('--register-with-taints='));
        const keys = Object.keys(labels).sort();
        const expectedFlags = [
          ...(keys.length > 0 ? [`--node-labels=${keys.map((k) => `${k}=${labels[k]}`).join(',')}`] : []),
          ...(taints.length > 0 ? [`--register-with-taints=${taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(',')}`] : []),
        ];
        assert.deepEqual(doc, {
          apiVersion: 'node.eks.aws/v1alpha1',
          kind: 'NodeConfig',
          spec: {
            cluster: { name: cluster.name, apiServerEndpoint: cluster.endpoint, certificateAuthority: cluster.certificateAuthority, cidr: cluster.cidr },
            kubelet: { config: kubeletConfig ?? {}, flags: expectedFlags },
          },
        });
        // Read back as kubelet reads the flags: exactly the labels and taints given, no more.
        assert.deepEqual(Object.fromEntries(items(labelFlag, 'node-labels').map((i) => [i.slice(0, i.indexOf('=')), i.slice(i.indexOf('=') + 1)])), labels);
        assert.equal(items(taintFlag, 'register-with-taints').length, taints.length);
      },
    ), { numRuns: 300, seed: 7 });
  });

  it('property: any label or taint text is refused (naming it) unless Kubernetes accepts it', () => {
    const payload = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom('a\n--x\nContent-Type: text/x-shellscript', 'a,b=c', 'a" --kubeconfig=/tmp/x', "a'", 'a\u2028b', 'a:NoSchedule', 'a b', '--', 'a=b'));
    fc.assert(fc.property(payload, payload, fc.boolean(), (key, value, asTaint) => {
      const valid = labelKeyProblems(key).length + labelValueProblems(value).length === 0;
      const input = asTaint
        ? { cluster, labels: {}, taints: [{ key, value, effect: 'NoSchedule' as const }] }
        : { cluster, labels: { [key]: value }, taints: [] };
      let text: string;
      try {
        text = al2023UserData(input);
      } catch (e) {
        assert.ok(e instanceof UserDataError, String(e));
        assert.ok(!valid, `refused a valid ${asTaint ? 'taint' : 'label'} ${JSON.stringify(key)}=${JSON.stringify(value)}`);
        assert.ok(e.message.includes(JSON.stringify(key)), `the error names it: ${e.message}`);
        return;
      }
      assert.ok(valid, `accepted ${JSON.stringify(key)}=${JSON.stringify(value)}`);
      assert.equal(parseMime(text).length, 1);
    }), { numRuns: 400, seed: 8 });
  });

  it('property: kubelet strings outside printable ASCII are refused naming the field; printable ones round-trip', () => {
    const any = fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\r', '\u2028', '\u0085', '\t', '\u0000'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('a', '1', ':', '-')), maxLength: 10 });
    fc.assert(fc.property(any, any, (key, value) => {
      const config: KubeletConfiguration = { systemReserved: { [key]: value }, clusterDNS: [value] };
      const printableAll = /^[\x20-\x7e]*$/.test(key) && /^[\x20-\x7e]*$/.test(value);
      if (!printableAll) {
        assert.throws(() => al2023UserData({ cluster, labels: {}, taints: [], kubelet: config }), (e: unknown) => e instanceof UserDataError && /^refusing to put kubelet\.(systemReserved|clusterDNS)/.test(e.message));
        return;
      }
      const [part] = parseMime(al2023UserData({ cluster, labels: {}, taints: [], kubelet: config }));
      assert.deepEqual((parse(part!.body) as { spec: { kubelet: { config: unknown } } }).spec.kubelet.config, config);
    }), { numRuns: 300, seed: 9 });
  });

  it('names the field of a refused kubelet string', () => {
    assert.throws(() => checkKubeletStrings({ evictionHard: { 'memory.available': '100Mi\nmaxPods: 1000' } }), /refusing to put kubelet\.evictionHard\[memory\.available\] into user data: "100Mi\\nmaxPods: 1000"/);
    assert.throws(() => checkKubeletStrings({ clusterDNS: ['10.0.0.10', '1.1.1.1\u2028x'] }), /kubelet\.clusterDNS\[1\]/);
    assert.throws(() => checkKubeletStrings({ kubeReserved: { 'cpu\r': '1' } }), /kubelet\.kubeReserved key "cpu\\r"/);
    assert.deepEqual(checkKubeletStrings({ maxPods: 3, cpuCFSQuota: true, clusterDNS: ['10.0.0.10'] }), { maxPods: 3, cpuCFSQuota: true, clusterDNS: ['10.0.0.10'] });
  });
});
