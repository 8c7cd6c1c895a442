/**
 * Resource lists as plain numbers: "cpu" in millicores, every other resource in whole base units
 * (memory and storage in bytes, pods and extended resources as counts). Exact for integers up to
 * 2^53 (8 PiB of memory), which covers any real machine.
 *
 * Every function here is pure and returns a new object; a missing key means 0.
 */
import { formatResourceAmount, resourceAmount } from './quantity.js';

export type ResourceList = Readonly<Record<string, number>>;

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const PODS = 'pods';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';

const STANDARD_RESOURCE = /^(cpu|memory|ephemeral-storage|storage|pods|hugepages-[0-9A-Za-z.]+)$/;
const EXTENDED_RESOURCE = /^[a-z0-9A-Z.-]+\/[-A-Za-z0-9_.]+$/;

/**
 * Why the API server would refuse `name` in a container's resources, or undefined when it takes it:
 * a standard resource (cpu, memory, ...) or a domain-qualified extended one (vendor.example/gpu).
 */
export function resourceNameProblem(name: string): string | undefined {
  if (STANDARD_RESOURCE.test(name) || EXTENDED_RESOURCE.test(name)) return undefined;
  return `resource name "${name}" must be a standard resource (cpu, memory, ephemeral-storage, hugepages-<size>) or a domain-qualified extended resource`;
}

/**
 * Converts Kubernetes quantities ({cpu: "500m", memory: "1Gi"}) to amounts; undefined gives {}.
 * @throws QuantityError naming the resource whose quantity is invalid or too large.
 */
export function resourcesFromQuantities(q: Record<string, string | number> | undefined): ResourceList {
  const out: Record<string, number> = {};
  if (q) for (const [name, value] of Object.entries(q)) out[name] = resourceAmount(name, value);
  return out;
}

/** Amounts back to quantity strings ({cpu: "1500m", memory: "2Gi"}), which parse to the same amounts. */
export function resourcesToQuantities(r: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, amount] of Object.entries(r)) out[name] = formatResourceAmount(name, amount);
  return out;
}

/** Per-key sum. */
export function addResources(...lists: ResourceList[]): ResourceList {
  const out: Record<string, number> = {};
  for (const list of lists) {
    for (const [name, amount] of Object.entries(list)) out[name] = (out[name] ?? 0) + amount;
  }
  return out;
}

/** Per-key a - b over the keys of both; results may be negative. */
export function subtractResources(a: ResourceList, b: ResourceList): ResourceList {
  const out: Record<string, number> = { ...a };
  for (const [name, amount] of Object.entries(b)) out[name] = (out[name] ?? 0) - amount;
  return out;
}

/** Per-key maximum over the keys of all lists, a missing key counting as 0. */
export function maxResources(...lists: ResourceList[]): ResourceList {
  const out: Record<string, number> = {};
  for (const list of lists) {
    for (const [name, amount] of Object.entries(list)) {
      const current = out[name];
      out[name] = current === undefined ? amount : Math.max(current, amount);
    }
  }
  if (lists.length > 1) {
    // A key absent from some list met a 0 there.
    for (const name of Object.keys(out)) {
      if (lists.some((l) => l[name] === undefined)) out[name] = Math.max(out[name]!, 0);
    }
  }
  return out;
}

/** Whether every requested key with an amount > 0 is <= its available amount (missing = 0). */
export function fitsIn(request: ResourceList, available: ResourceList): boolean {
  for (const name in request) {
    const amount = request[name]!;
    if (amount > 0 && amount > (available[name] ?? 0)) return false;
  }
  return true;
}

/** The requested resources (in the request's key order) that do not fit in `available`; [] when it fits. */
export function exceededResources(request: ResourceList, available: ResourceList): string[] {
  const out: string[] = [];
  for (const [name, amount] of Object.entries(request)) {
    if (amount > 0 && amount > (available[name] ?? 0)) out.push(name);
  }
  return out;
}

/** "cpu=1500m, memory=2Gi, pods=1": keys sorted, amounts as quantities; "" for an empty list. */
export function formatResources(r: ResourceList): string {
  return Object.keys(r)
    .sort()
    .map((name) => `${name}=${formatResourceAmount(name, r[name]!)}`)
    .join(', ');
}
