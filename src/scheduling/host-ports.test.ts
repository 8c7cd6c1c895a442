import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ContainerPort, Pod } from '../apis/core.js';
import { hostPortConflicts, hostPortsConflict, podHostPorts, type HostPort } from './host-ports.js';

const ctr = (name: string, ports: ContainerPort[], restartPolicy?: 'Always'): Container =>
  ({ name, ports, ...(restartPolicy ? { restartPolicy } : {}) });
const pod = (containers: Container[], initContainers?: Container[], hostNetwork?: boolean): Pod =>
  ({ metadata: { name: 'p' }, spec: { containers, ...(initContainers ? { initContainers } : {}), ...(hostNetwork ? { hostNetwork } : {}) } });
const hp = (port: number, ip = '0.0.0.0', protocol = 'TCP'): HostPort => ({ ip, port, protocol });

describe('podHostPorts', () => {
  it('lists ports with a hostPort, defaulting ip and protocol', () => {
    const p = pod([ctr('web', [
      { containerPort: 8080, hostPort: 80 },
      { containerPort: 8443 },
      { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' },
      { containerPort: 9, hostPort: 0 },
    ])]);
    assert.deepEqual(podHostPorts(p), [hp(80), hp(53, '10.0.0.1', 'UDP')]);
  });
  it('includes sidecar init containers but not one-shot init containers', () => {
    const p = pod([ctr('app', [])], [ctr('setup', [{ containerPort: 1, hostPort: 1000 }]), ctr('proxy', [{ containerPort: 15001, hostPort: 15001 }], 'Always')]);
    assert.deepEqual(podHostPorts(p), [hp(15001)]);
  });
  it('uses containerPort as hostPort for a hostNetwork pod, as the API server defaults', () => {
    const p = pod([ctr('agent', [{ containerPort: 9100 }, { containerPort: 9101, hostPort: 0 }, { containerPort: 1, hostPort: 2 }])], undefined, true);
    assert.deepEqual(podHostPorts(p), [hp(9100), hp(9101), hp(2)]);
  });
  it('is empty for a pod without ports', () => {
    assert.deepEqual(podHostPorts(pod([{ name: 'a' }])), []);
  });
});

describe('hostPortsConflict', () => {
  const cases: [string, HostPort[], HostPort[], boolean][] = [
    ['same port, protocol and ip', [hp(80, '10.0.0.1')], [hp(80, '10.0.0.1')], true],
    ['wildcard against a specific ip', [hp(80)], [hp(80, '10.0.0.1')], true],
    ['specific ip against the wildcard', [hp(80, '10.0.0.1')], [hp(80)], true],
    ['two wildcards', [hp(80)], [hp(80)], true],
    ['different ips', [hp(80, '10.0.0.1')], [hp(80, '10.0.0.2')], false],
    ['different protocols', [hp(53, '0.0.0.0', 'UDP')], [hp(53)], false],
    ['different ports', [hp(80)], [hp(81)], false],
    ['any pair is enough', [hp(1), hp(2)], [hp(3), hp(2, '10.0.0.9')], true],
    ['empty sets', [], [hp(80)], false],
  ];
  for (const [name, a, b, want] of cases) {
    it(name, () => {
      assert.equal(hostPortsConflict(a, b), want);
      assert.equal(hostPortsConflict(b, a), want, 'symmetric');
    });
  }
  it('agrees with the pairwise check', () => {
    assert.equal(hostPortConflicts(hp(80), hp(80, '1.2.3.4')), true);
    assert.equal(hostPortConflicts(hp(80, '1.2.3.4', 'SCTP'), hp(80, '1.2.3.4', 'TCP')), false);
  });
  it('finds conflicts between two pods', () => {
    const a = pod([ctr('a', [{ containerPort: 80, hostPort: 8080 }])]);
    const b = pod([ctr('b', [{ containerPort: 81, hostPort: 8080, hostIP: '192.168.1.1' }])]);
    const c = pod([ctr('c', [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }])]);
    assert.equal(hostPortsConflict(podHostPorts(a), podHostPorts(b)), true);
    assert.equal(hostPortsConflict(podHostPorts(a), podHostPorts(c)), false);
  });
});
