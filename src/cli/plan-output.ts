/** Renders a solver result as the `nodewright plan` JSON object or as tables for a terminal. */
import type { Pod } from '../apis/core.js';
import type { PlannedNodeClaim, SolverResult } from '../scheduling/types.js';
import { resourcesToQuantities } from '../utils/resources.js';
import type { ResourceList } from '../utils/resources.js';
import { renderTable } from './table.js';

export interface PlanNodeClaimJson {
  readonly nodePool: string;
  /** The cheapest compatible type, the one the price is for. */
  readonly instanceType: string;
  /** Every compatible type, cheapest first (what the launch may fall back to). */
  readonly instanceTypes: string[];
  readonly zone: string;
  readonly capacityType: string;
  readonly pricePerHour: number;
  /** "namespace/name" of each pod. */
  readonly pods: string[];
  readonly hostname: string;
  /** Pods' requests plus daemonset overhead, as quantities. */
  readonly requests: Record<string, string>;
}

export interface PlanJson {
  readonly nodeClaims: PlanNodeClaimJson[];
  readonly existingNodes: { node: string; pods: string[] }[];
  readonly unschedulable: { pod: string; reason: string }[];
  readonly totalPricePerHour: number;
  readonly catalog: string;
}

/** "namespace/name" of a pod. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

function claimJson(claim: PlannedNodeClaim): PlanNodeClaimJson {
  const cheapest = claim.instanceTypeOptions[0];
  const offering = cheapest?.offerings[0];
  return {
    nodePool: claim.nodePool,
    instanceType: cheapest?.instanceType.name ?? '',
    instanceTypes: claim.instanceTypeOptions.map((o) => o.instanceType.name),
    zone: offering?.zone ?? '',
    capacityType: offering?.capacityType ?? '',
    pricePerHour: claim.pricePerHour,
    pods: claim.pods.map(podKey),
    hostname: claim.hostname,
    requests: resourcesToQuantities(claim.requests),
  };
}

/** The plan as the JSON object `nodewright plan --output json` prints (issue 2 §6, plus hostname, requests, catalog). */
export function planJson(result: SolverResult, catalog: string): PlanJson {
  return {
    nodeClaims: result.newNodeClaims.map(claimJson),
    existingNodes: result.existingNodes.map((e) => ({ node: e.node, pods: e.pods.map(podKey) })),
    unschedulable: result.unschedulable.map((u) => ({ pod: podKey(u.pod), reason: u.reason })),
    totalPricePerHour: result.totalPricePerHour,
    catalog,
  };
}

function dollars(x: number): string {
  return `$${x.toFixed(4)}`;
}

function cores(r: ResourceList): string {
  return ((r.cpu ?? 0) / 1000).toFixed(2).replace(/\.?0+$/, '');
}

function gib(r: ResourceList): string {
  return `${((r.memory ?? 0) / 2 ** 30).toFixed(1)}Gi`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The plan as tables: new NodeClaims, pods placed on existing nodes, unschedulable pods, and the total. */
export function planTable(result: SolverResult, catalog: string): string {
  const out: string[] = [];
  const claims = result.newNodeClaims;
  out.push(`New NodeClaims (${claims.length}) from catalogue ${catalog}:\n`);
  if (claims.length > 0) {
    out.push(renderTable(
      ['NODEPOOL', 'INSTANCE TYPE', 'ZONE', 'CAPACITY', '$/H', 'PODS', 'CPU', 'MEMORY', 'OPTIONS'],
      claims.map((c) => {
        const j = claimJson(c);
        return [j.nodePool, j.instanceType, j.zone, j.capacityType, dollars(j.pricePerHour), c.pods.length, cores(c.requests), gib(c.requests), j.instanceTypes.length];
      }),
      { alignRight: [4, 5, 6, 7, 8] },
    ));
  }
  const placements = result.existingNodes.filter((e) => e.pods.length > 0);
  if (placements.length > 0) {
    out.push(`\nPods placed on existing nodes (${plural(placements.length, 'node')}):\n`);
    out.push(renderTable(['NODE', 'PODS', 'NAMES'], placements.map((e) => [e.node, e.pods.length, abbreviate(e.pods.map(podKey))])));
  }
  if (result.unschedulable.length > 0) {
    out.push(`\nUnschedulable pods (${result.unschedulable.length}):\n`);
    out.push(renderTable(['POD', 'REASON'], result.unschedulable.map((u) => [podKey(u.pod), u.reason])));
  }
  const onNew = claims.reduce((n, c) => n + c.pods.length, 0);
  const onExisting = placements.reduce((n, e) => n + e.pods.length, 0);
  out.push(`\nTotal: ${plural(claims.length, 'new node')} at ${dollars(result.totalPricePerHour)}/h; `
    + `${plural(onNew, 'pod')} on new nodes, ${onExisting} on existing nodes, ${result.unschedulable.length} unschedulable.\n`);
  return out.join('');
}

function abbreviate(names: readonly string[], max = 3): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (+${names.length - max})`;
}
