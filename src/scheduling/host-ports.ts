/**
 * Host ports a pod claims on its node, and whether two sets collide, as kube-scheduler's NodePorts
 * plugin decides.
 */
import type { Container, Pod } from '../apis/core.js';

export interface HostPort {
  readonly ip: string;
  readonly port: number;
  readonly protocol: string;
}

/** The wildcard address: a port bound on it collides with the same port on any address. */
export const ANY_IP = '0.0.0.0';

function collect(out: HostPort[], containers: readonly Container[], hostNetwork: boolean): void {
  for (const c of containers) {
    if (!c.ports) continue;
    for (const p of c.ports) {
      // With hostNetwork the API server defaults an unset (or 0) hostPort to containerPort.
      const port = p.hostPort || (hostNetwork ? p.containerPort : 0);
      if (!(port > 0)) continue;
      out.push({ ip: p.hostIP || ANY_IP, port, protocol: p.protocol || 'TCP' });
    }
  }
}

/**
 * The host ports of a pod's containers and restartable (sidecar) init containers, in declaration order:
 * ports with hostPort > 0 (or, for a hostNetwork pod, any containerPort without a hostPort), with the
 * IP defaulting to 0.0.0.0 and the protocol to TCP. One-shot init containers are left out: they have
 * exited before the pod runs.
 */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const hostNetwork = pod.spec.hostNetwork === true;
  const sidecars = pod.spec.initContainers?.filter((c) => c.restartPolicy === 'Always');
  if (sidecars) collect(out, sidecars, hostNetwork);
  collect(out, pod.spec.containers ?? [], hostNetwork);
  return out;
}

/** Whether two host ports collide: same port and protocol, and equal IPs or either on 0.0.0.0. */
export function hostPortConflicts(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === b.ip || a.ip === ANY_IP || b.ip === ANY_IP);
}

/** Whether any port of `a` collides with any port of `b`. */
export function hostPortsConflict(a: readonly HostPort[], b: readonly HostPort[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  for (const x of a) for (const y of b) if (hostPortConflicts(x, y)) return true;
  return false;
}
