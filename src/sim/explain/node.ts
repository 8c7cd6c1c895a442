/**
 * `explain node NAME`: when and why a NodeClaim or Node was launched, what was planned onto it, and
 * whether it was disrupted (consolidated, replaced, expired, drifted, interrupted, scaled down) or
 * why consolidation passed it over — the JSON counterpart of the live DecisionLog's whyNotConsolidated.
 */
import type { LoggedDecision as Decision, LoggedKind, StrategyName } from '../result.js';
import type { Answer } from './pod.js';
import { alternativeLines, alternativesAbout, at, clausesAbout, costChange, existingNodeOf, lastTime, mentions, omittedLine, when } from './text.js';

const DISRUPTING: ReadonlySet<LoggedKind> = new Set(['consolidate-delete', 'consolidate-replace', 'expire', 'drift', 'interruption', 'scale-down']);

const LABEL: Readonly<Record<LoggedKind, string>> = {
  provision: 'launched',
  'scale-up': 'launched (scale-up)',
  'consolidate-delete': 'consolidated (deleted)',
  'consolidate-replace': 'consolidated (replaced)',
  expire: 'expired',
  drift: 'drifted',
  interruption: 'interrupted',
  'scale-down': 'scaled down',
  unschedulable: 'unschedulable pods',
  'disruption-blocked': 'not disrupted',
  'launch-failed': 'launch failed',
};

/** "consolidate NAME: reason" among a decision's rejected alternatives: the reason it was kept. */
function blockedReason(d: Decision, node: string): string | undefined {
  if (d.kind === 'disruption-blocked' && d.details.nodes?.includes(node)) return d.details.why;
  for (const a of d.details.alternativesRejected) {
    const colon = a.indexOf(': ');
    if (colon > 0 && /^consolidat/.test(a) && mentions(a.slice(0, colon), node)) return a.slice(colon + 2);
  }
  return undefined;
}

/** The node is the new NodeClaim of a replacement ("replacing X with 1 new NodeClaim (Y)"), not the one replaced. */
function isReplacement(d: Decision, node: string): boolean {
  if (d.kind !== 'consolidate-replace') return false;
  const withAt = d.summary.indexOf(' with ');
  return withAt >= 0 && mentions(d.summary.slice(withAt), node) && !mentions(d.summary.slice(0, withAt), node);
}

function entryLines(d: Decision, node: string): string[] {
  const named = d.details.nodes?.includes(node) ?? false;
  if (d.kind === 'provision' && !named) {
    return [`  ${at(d.t)}  pods planned onto it: ${d.summary}`, `      why: ${d.details.why}`];
  }
  if (d.kind === 'disruption-blocked' && named) {
    return [...omittedLine(d, '  '), `  ${when(d)}  not disrupted: ${d.summary}`, `      why: ${d.details.why}`];
  }
  if (!named) {
    const reason = blockedReason(d, node);
    if (reason !== undefined) return [`  ${at(d.t)}  not consolidated: ${reason}`, `      (while ${d.kind}: ${d.summary})`];
    return [`  ${at(d.t)}  mentioned by ${d.kind}: ${d.summary}`, `      why: ${d.details.why}`];
  }
  const cost = costChange(d);
  const why = d.kind === 'provision' ? clausesAbout(d.details.why, node) : d.details.why;
  const alternatives = d.kind === 'provision' ? alternativesAbout(d, node) : d.details.alternativesRejected;
  const label = isReplacement(d, node) ? 'launched as the replacement' : LABEL[d.kind];
  return [`  ${when(d)}  ${label}: ${d.summary}`, `      why: ${why}`, ...(cost ? [`      cost: ${cost}`] : []),
    ...alternativeLines(alternatives, '      ')];
}

/** The NodePool-wide "budget used up" records of the node's pool while it lived, in one line. */
function budgetLines(decisions: readonly Decision[], naming: readonly Decision[], until: number | undefined): string[] {
  const pool = naming.find((d) => d.details.nodePool !== undefined)?.details.nodePool;
  if (pool === undefined) return [];
  const from = naming[0]!.t;
  const held = decisions.filter((d) => d.kind === 'disruption-blocked' && !d.details.nodes?.length && d.details.nodePool === pool
    && lastTime(d) >= from && (until === undefined || d.t <= until));
  if (held.length === 0) return [];
  const count = held.reduce((n, d) => n + (d.repeats?.count ?? 1) + (d.omittedBefore ?? 0), 0);
  const latest = held.at(-1)!;
  return [`  nodepool ${pool}: its disruption budget held disruptions back ${count} time(s) from ${at(held[0]!.t)} to ${at(lastTime(latest))}`,
    `      latest: ${latest.summary}: ${latest.details.why}`];
}

function mentionsNode(d: Decision, node: string): boolean {
  if (d.details.nodes?.includes(node)) return true;
  if (d.kind === 'provision') return existingNodeOf(d) === node || (d.details.placements?.some((p) => p.node === node) ?? false);
  return blockedReason(d, node) !== undefined || mentions(d.summary, node) || mentions(d.details.why, node);
}

/**
 * Explains node `node` (NodeClaim or Node name, matched exactly) from `decisions` (one strategy's
 * log, oldest first): each decision that names it, then its fate — taken away by the last
 * disrupting decision naming it, or kept, with the latest reason consolidation gave for passing it
 * over after its last disruption. Never throws.
 */
export function explainNode(decisions: readonly Decision[], node: string, strategy: StrategyName): Answer {
  const naming = decisions.filter((d) => mentionsNode(d, node));
  if (naming.length === 0) {
    return {
      matched: false,
      text: `no ${strategy} decision mentions node ${node}; decisions name the NodeClaims they launch and the Nodes they ` +
        `disrupt, and a NodeClaim's Node has another name (ip-…), so try the other name too.\n`,
    };
  }
  const lines = [`node ${node} (${strategy}): ${naming.length} decision(s) mention it`];
  for (const d of naming) lines.push(...entryLines(d, node));
  const disruptions = naming.filter((d) => DISRUPTING.has(d.kind) && d.details.nodes?.includes(node) && !isReplacement(d, node));
  const lastDisruption = disruptions.at(-1);
  lines.push(...budgetLines(decisions, naming, lastDisruption?.t));
  const blocked = naming.filter((d) => (lastDisruption === undefined || d.t > lastDisruption.t) && blockedReason(d, node) !== undefined).at(-1);
  if (lastDisruption && !blocked) {
    const cost = costChange(lastDisruption);
    lines.push(`  outcome: ${LABEL[lastDisruption.kind]} at ${at(lastDisruption.t)}${cost ? `, ${cost}` : ''}`);
  } else if (blocked) {
    lines.push(`  outcome: not consolidated; last reason (${when(blocked)}): ${blockedReason(blocked, node)}`);
  } else {
    lines.push('  outcome: no decision disrupted it, and none recorded a reason for keeping it: consolidation found nothing cheaper, ' +
      'or it was never a candidate (consolidateAfter not yet elapsed, not initialised, or nominated for pending pods: these are not recorded)');
  }
  return { matched: true, text: `${lines.join('\n')}\n` };
}
