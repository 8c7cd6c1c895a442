/**
 * The decisions a provisioning round records, in words: what was launched and why that instance
 * type, which NodePools were passed over and why, and what the cluster costs before and after;
 * and, per pod that fits nowhere, the solver's reason split by NodePool.
 */
import type { Pod } from '../../apis/core.js';
import { keyOf } from '../../apis/core.js';
import type { PlannedNodeClaim, SolverNodePool } from '../../scheduling/types.js';
import type { Decision } from '../context.js';
import type { Placement, PlacementDecision } from '../decisions/placement.js';
import type { SkippedPool } from './pools.js';

export interface LaunchedClaim {
  readonly name: string;
  readonly planned: PlannedNodeClaim;
}

export interface RoundOutcome {
  readonly now: number;
  readonly launched: readonly LaunchedClaim[];
  /** Pods placed on existing or in-flight machines. */
  readonly existing: readonly { readonly node: string; readonly pods: readonly Pod[] }[];
  readonly pools: readonly SolverNodePool[];
  readonly skipped: readonly SkippedPool[];
  readonly costBefore: number;
}

const MAX_LINES = 10;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
export const formatPrice = (p: number): string => `$${p.toFixed(4)}/h`;

function claimLine(c: LaunchedClaim): string {
  const first = c.planned.instanceTypeOptions[0];
  const type = first ? `${first.instanceType.name} at ${formatPrice(first.price)}` : 'no instance type';
  return `nodeclaim ${c.name} (nodepool ${c.planned.nodePool}): ${type}, the cheapest of ${plural(c.planned.instanceTypeOptions.length, 'compatible instance type')}, for ${plural(c.planned.pods.length, 'pod')}`;
}

function capped(lines: string[]): string[] {
  return lines.length <= MAX_LINES ? lines : [...lines.slice(0, MAX_LINES), `... and ${lines.length - MAX_LINES} more`];
}

/** Higher weight first, then name: the order the solver tries pools in. */
function poolOrder(pools: readonly SolverNodePool[]): SolverNodePool[] {
  return [...pools].sort((a, b) => (b.nodePool.spec.weight ?? 0) - (a.nodePool.spec.weight ?? 0)
    || (a.nodePool.metadata.name ?? '').localeCompare(b.nodePool.metadata.name ?? ''));
}

function rejectedAlternatives(o: RoundOutcome): { option: string; reason: string }[] {
  const out: { option: string; reason: string }[] = [];
  for (const c of o.launched.slice(0, MAX_LINES)) {
    const [first, second] = c.planned.instanceTypeOptions;
    if (first && second) {
      out.push({ option: `${second.instanceType.name} for ${c.name}`, reason: `${formatPrice(second.price)}, more than ${first.instanceType.name} at ${formatPrice(first.price)}` });
    }
  }
  if (o.launched.length > 0) {
    const used = new Set(o.launched.map((c) => c.planned.nodePool));
    const ordered = poolOrder(o.pools);
    const firstUsed = ordered.find((p) => used.has(p.nodePool.metadata.name ?? ''));
    let seenUsed = false;
    for (const p of ordered) {
      const name = p.nodePool.metadata.name ?? '';
      if (used.has(name)) {
        seenUsed = true;
        continue;
      }
      const reason = seenUsed && firstUsed
        ? `comes after nodepool ${firstUsed.nodePool.metadata.name ?? ''} in weight order, and that pool took the pods`
        : 'took none of these pods: its requirements, taints or limits rule them out';
      out.push({ option: `nodepool ${name}`, reason });
    }
  }
  for (const s of o.skipped) out.push({ option: `nodepool ${s.name}`, reason: s.reason });
  return out;
}

/** The 'provision' decision of a round that placed pods (on new claims or existing capacity). */
export function provisionDecision(o: RoundOutcome): PlacementDecision {
  const podsOnNew = o.launched.reduce((n, c) => n + c.planned.pods.length, 0);
  const podsOnExisting = o.existing.reduce((n, e) => n + e.pods.length, 0);
  const added = o.launched.reduce((s, c) => s + c.planned.pricePerHour, 0);
  const parts: string[] = [];
  if (o.launched.length > 0) parts.push(`launched ${plural(o.launched.length, 'NodeClaim')} for ${plural(podsOnNew, 'pod')}`);
  if (podsOnExisting > 0) parts.push(`placed ${plural(podsOnExisting, 'pod')} on existing or in-flight capacity`);
  const lines = capped(o.launched.map(claimLine));
  if (podsOnExisting > 0) lines.push(`${plural(podsOnExisting, 'pod')} fit on ${o.existing.map((e) => e.node).join(', ')}, so no new machine is needed for them`);
  const pools = new Set(o.launched.map((c) => c.planned.nodePool));
  const placements: Placement[] = [
    ...o.launched.map((c) => ({ node: c.name, pods: c.planned.pods.map(keyOf), launched: true })),
    ...o.existing.map((e) => ({ node: e.node, pods: e.pods.map(keyOf), launched: false })),
  ];
  return {
    time: o.now,
    kind: 'provision',
    summary: parts.join('; '),
    why: lines.join('; '),
    alternativesRejected: rejectedAlternatives(o),
    costPerHourBefore: o.costBefore,
    costPerHourAfter: o.costBefore + added,
    nodes: o.launched.map((c) => c.name),
    pods: placements.flatMap((p) => p.pods),
    ...(pools.size === 1 ? { nodePool: [...pools][0]! } : {}),
    placements,
  };
}

/** The 'unschedulable' decision for a pod the solver could place nowhere. */
export function unschedulableDecision(now: number, pod: Pod, reason: string, skipped: readonly SkippedPool[]): Decision {
  // The solver joins one reason per NodePool (and one for existing nodes) with "; ".
  const alternatives = reason.split('; ').filter((r) => r !== '').map((r) => {
    const m = /\bnodepool ([^\s:;,]+)/.exec(r);
    return { option: m ? `nodepool ${m[1]!.replace(/:$/, '')}` : 'existing nodes', reason: r };
  });
  for (const s of skipped) alternatives.push({ option: `nodepool ${s.name}`, reason: s.reason });
  return {
    time: now,
    kind: 'unschedulable',
    summary: `pod ${keyOf(pod)} fits on no node, and no NodePool can launch one for it`,
    why: reason,
    alternativesRejected: alternatives,
    pods: [keyOf(pod)],
  };
}
