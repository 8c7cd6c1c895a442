/**
 * A pod's effective resource requests, computed the way kube-scheduler's NodeResourcesFit does
 * (k8s.io/component-helpers resource.PodRequests), including restartable init containers (sidecars,
 * KEP-753) and pod overhead.
 */
import type { Container, Pod } from '../apis/core.js';
import { QuantityError, resourceAmount } from '../utils/quantity.js';
import { PODS, resourceNameProblem, type ResourceList } from '../utils/resources.js';

type Amounts = Record<string, number>;

/**
 * A fresh tally. A plain object, not a prototype-less one (those are hash tables, slow to fill and
 * to copy, and this runs for every pod of every solve): every name is checked by amountOf before it
 * is written, and no valid resource name is a property objects inherit ("constructor", "__proto__"
 * and the like are refused; see resourceNameProblem).
 */
const amounts = (from?: Amounts): Amounts => Object.assign({}, from);

/** Where a quantity sits, spelled out only when it is wrong. */
interface Site {
  readonly container: Container | undefined;
  readonly list: 'containers' | 'initContainers' | 'overhead';
  readonly index: number;
}

function describe(site: Site, field: string): string {
  if (!site.container) return 'pod overhead (spec.overhead)';
  return `container "${site.container.name}" (spec.${site.list}[${site.index}]) ${field}`;
}

/** Names resourceNameProblem accepted (bounded): the same few names come up for every pod. */
const validNames = new Set<string>();

function amountOf(site: Site, field: string, name: string, value: string | number): number {
  if (!validNames.has(name)) {
    const badName = resourceNameProblem(name);
    if (badName !== undefined) throw new QuantityError(`${describe(site, field)}: ${badName}`);
    if (validNames.size < 1024) validNames.add(name);
  }
  let amount: number;
  try {
    amount = resourceAmount(name, value);
  } catch (err) {
    if (err instanceof QuantityError) throw new QuantityError(`${describe(site, field)}: ${err.message}`, { cause: err });
    throw err;
  }
  if (amount < 0) throw new QuantityError(`${describe(site, field)}: ${name}: must not be negative, got "${String(value)}"`);
  return amount;
}

/**
 * Adds a container's requests into `into`. A resource with a limit but no request counts its limit,
 * as the API server's defaulting would have copied it into requests.
 */
function addContainer(into: Amounts, site: Site & { readonly container: Container }): void {
  const res = site.container.resources;
  if (!res) return;
  const { requests, limits } = res;
  if (requests) {
    for (const name in requests) into[name] = (into[name] ?? 0) + amountOf(site, 'resources.requests', name, requests[name]!);
  }
  if (limits) {
    for (const name in limits) {
      if (requests?.[name] !== undefined) continue;
      into[name] = (into[name] ?? 0) + amountOf(site, 'resources.limits', name, limits[name]!);
    }
  }
}

function addInto(into: Amounts, from: Amounts): void {
  for (const name in from) into[name] = (into[name] ?? 0) + from[name]!;
}

function maxInto(into: Amounts, from: Amounts): void {
  for (const name in from) {
    const current = into[name];
    if (current === undefined || from[name]! > current) into[name] = from[name]!;
  }
}

/**
 * Effective requests as kube-scheduler computes them:
 * max(sum(containers) + sum(sidecars), max over init containers i of (init i + sidecars declared
 * before i)) + pod overhead, with `pods: 1`. A sidecar is an init container with restartPolicy Always;
 * it counts in the init maximum too, together with the sidecars before it. Limits stand in for
 * requests a container does not set (the API server's default).
 * @throws QuantityError naming the container (and its field path) and resource, for an invalid,
 *   negative or too large quantity.
 */
export function podRequests(pod: Pod): ResourceList {
  const spec = pod.spec;
  const total = amounts();
  // Manifests read from files may lack the list; a pod without containers requests nothing of its own.
  const containers = spec.containers ?? [];
  for (let i = 0; i < containers.length; i++) {
    addContainer(total, { container: containers[i]!, list: 'containers', index: i });
  }
  const inits = spec.initContainers;
  if (inits && inits.length > 0) {
    const sidecars = amounts();
    const initPeak = amounts();
    for (let i = 0; i < inits.length; i++) {
      const site = { container: inits[i]!, list: 'initContainers', index: i } as const;
      if (site.container.restartPolicy === 'Always') {
        addContainer(sidecars, site);
        maxInto(initPeak, sidecars);
      } else {
        const use = amounts(sidecars);
        addContainer(use, site);
        maxInto(initPeak, use);
      }
    }
    addInto(total, sidecars);
    maxInto(total, initPeak);
  }
  const overhead = spec.overhead;
  if (overhead) {
    const site: Site = { container: undefined, list: 'overhead', index: 0 };
    for (const name in overhead) total[name] = (total[name] ?? 0) + amountOf(site, '', name, overhead[name]!);
  }
  // The scheduler counts pods on a node, whatever a container might claim under "pods".
  total[PODS] = 1;
  return total;
}
