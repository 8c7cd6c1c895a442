/**
 * `explain node NAME`: a machine's story under either of its names (the NodeClaim and the Node it
 * registered as): when and why it was launched, what was planned onto it, why consolidation passed
 * it over, and whether it was disrupted (consolidated, replaced, expired, drifted, interrupted,
 * scaled down) — the JSON counterpart of the live DecisionLog's whyNotConsolidated.
 */
import type { LoggedDecision as Decision, LoggedKind, StrategyName } from '../result.js';
import { disruptedNodes, Machines, priceText, type Machine } from './machines.js';
import type { Answer } from './pod.js';
import { alternativeLines, alternativesAbout, at, clausesAbout, costChange, existingNodeOf, lastTime, mentions, omittedLine, span, summaryOf, when } from './text.js';

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

/** The node is a machine a disruption launched in place of the ones it took away. */
function isReplacement(d: Decision, node: string): boolean {
  return DISRUPTING.has(d.kind) && (d.details.nodes?.includes(node) ?? false) && !disruptedNodes(d).includes(node);
}

/** The decision takes the machine away (not one it launched in its place). */
function disrupts(d: Decision, node: string): boolean {
  return DISRUPTING.has(d.kind) && disruptedNodes(d).includes(node);
}

function entryLines(d: Decision, node: string): string[] {
  const named = d.details.nodes?.includes(node) ?? false;
  if (d.kind === 'provision' && !named) {
    // A round can launch claims and place pods on several machines: keep to what it put here.
    const placed = d.details.placements?.find((p) => p.node === node)?.pods.length;
    const what = placed === undefined ? `pods planned onto it: ${d.summary}` : `${placed} pod(s) planned onto it, as existing or in-flight capacity`;
    return [`  ${at(d.t)}  ${what}`, `      why: ${clausesAbout(d.details.why, node)}`];
  }
  if (d.kind === 'disruption-blocked' && named) {
    // The summary already says what was not done ("not consolidating node X"); a label would repeat it.
    return [...omittedLine(d, '  '), `  ${when(d)}  ${d.summary}`, `      why: ${d.details.why}`];
  }
  if (!named) {
    const reason = blockedReason(d, node);
    if (reason !== undefined) return [`  ${at(d.t)}  not consolidated: ${reason}`, `      (while ${d.kind}: ${summaryOf(d)})`];
    return [`  ${at(d.t)}  mentioned by ${d.kind}: ${summaryOf(d)}`, `      why: ${d.details.why}`];
  }
  const cost = costChange(d);
  const why = d.kind === 'provision' ? clausesAbout(d.details.why, node) : d.details.why;
  const alternatives = d.kind === 'provision' ? alternativesAbout(d, node) : d.details.alternativesRejected;
  const label = isReplacement(d, node) ? 'launched as the replacement' : LABEL[d.kind];
  return [`  ${when(d)}  ${label}: ${summaryOf(d)}`, `      why: ${why}`, ...(cost ? [`      cost: ${cost}`] : []),
    ...alternativeLines(alternatives, '      ')];
}

/** The NodePool-wide "budget used up" records of the machine's pool while it lived, in one line. */
function budgetLines(decisions: readonly Decision[], naming: readonly Decision[], from: number, until: number | undefined): string[] {
  const pool = naming.find((d) => d.details.nodePool !== undefined)?.details.nodePool;
  if (pool === undefined) return [];
  const held = decisions.filter((d) => d.kind === 'disruption-blocked' && !d.details.nodes?.length && d.details.nodePool === pool
    && lastTime(d) >= from && (until === undefined || d.t <= until));
  if (held.length === 0) return [];
  const count = held.reduce((n, d) => n + (d.repeats?.count ?? 1) + (d.omittedBefore ?? 0), 0);
  const latest = held.at(-1)!;
  // The summary repeats the pool and "budget used up"; the why says which budget and reason.
  return [`  nodepool ${pool}: its disruption budget held disruptions back ${count} time(s) from ${at(held[0]!.t)} to ${at(lastTime(latest))}`,
    `      latest: ${latest.details.why}`];
}

function mentionsNode(d: Decision, node: string): boolean {
  if (d.details.nodes?.includes(node)) return true;
  if (d.kind === 'provision') return existingNodeOf(d) === node || (d.details.placements?.some((p) => p.node === node) ?? false);
  return blockedReason(d, node) !== undefined || mentions(d.summary, node) || mentions(d.details.why, node);
}

/** "m5.large, spot, us-east-1a, $0.0960/h": what is known of the machine, or nothing. */
function describe(m: Machine | undefined): string {
  if (!m) return '';
  return [m.instanceType, m.capacityType, m.zone, priceText(m)].filter((s) => s !== undefined).join(', ');
}

/** Who the machine is, and a note when the records under its other name cannot be found. */
function identityLines(node: string, m: Machine | undefined, strategy: StrategyName): string[] {
  const what = describe(m);
  const tail = what ? `; ${what}` : '';
  if (m?.claim !== undefined && m.node !== undefined) return [`  machine: NodeClaim ${m.claim}, Node ${m.node}${tail}`];
  if (strategy === 'cluster-autoscaler') return what ? [`  machine: ${what}`] : [];
  const isClaim = m?.claim === node;
  return [`  machine: ${isClaim ? 'NodeClaim' : 'Node'} ${node}${tail}`,
    `  note: this result does not link ${isClaim ? 'this NodeClaim to the Node it registered as, so that Node\'s disruption' : 'this Node to a NodeClaim, so a NodeClaim\'s launch'}` +
    ' records are not shown'];
}

/** Records about other nodes that only mention this one (their pods would go onto it), e.g. "would schedule against uninitialized node X". */
function isAside(d: Decision, node: string): boolean {
  return d.kind === 'disruption-blocked' && !(d.details.nodes?.includes(node) ?? false) && blockedReason(d, node) === undefined;
}

const MAX_ASIDE_NODES = 3;

/** The timeline entries of the records naming the machine; a run of asides becomes one entry. */
function entries(naming: readonly Decision[], nameIn: (d: Decision) => string | undefined): { t: number; lines: string[] }[] {
  const out: { t: number; lines: string[] }[] = [];
  for (let i = 0; i < naming.length;) {
    const d = naming[i]!;
    const name = nameIn(d)!;
    let j = i;
    while (j < naming.length && isAside(naming[j]!, nameIn(naming[j]!)!)) j++;
    if (j - i < 2) {
      out.push({ t: d.t, lines: entryLines(d, name) });
      i++;
      continue;
    }
    const run = naming.slice(i, j);
    const others = [...new Set(run.flatMap((r) => r.details.nodes ?? []))];
    const listed = others.length > MAX_ASIDE_NODES ? `${others.slice(0, MAX_ASIDE_NODES).join(', ')} and ${others.length - MAX_ASIDE_NODES} more` : others.join(', ');
    const last = lastTime(run.at(-1)!);
    out.push({ t: d.t, lines: [
      `  ${at(d.t)}${last > d.t ? ` to ${at(last)}` : ''}  named in ${run.length} record(s) that kept ${others.length} other node(s) (${listed}), e.g.:`,
      `      ${d.summary}: ${d.details.why}`,
    ] });
    i = j;
  }
  return out;
}

/** Lines from the machines list: when it ran, registered and went. */
function machineEvents(m: Machine | undefined): { t: number; lines: string[] }[] {
  if (!m) return [];
  const events: { t: number; lines: string[] }[] = [];
  if (m.launchedAt !== undefined) events.push({ t: m.launchedAt, lines: [`  ${at(m.launchedAt)}  running: the instance started (billed from here)`] });
  if (m.registeredAt !== undefined && m.node !== undefined) {
    events.push({ t: m.registeredAt, lines: [`  ${at(m.registeredAt)}  registered as Node ${m.node}`] });
  }
  if (m.terminatedAt !== undefined) events.push({ t: m.terminatedAt, lines: [`  ${at(m.terminatedAt)}  terminated (billed until here)`] });
  return events;
}

/**
 * Explains the machine named `node` (its NodeClaim or its Node name, matched exactly) from
 * `decisions` (one strategy's log, oldest first): each decision that names it under either name,
 * what `machines` knows of it (both names, type, price, when it ran and registered), then its fate
 * — taken away by the last disrupting decision naming it, or kept, with the latest reason
 * consolidation gave for passing it over after its last disruption. `matched` is false when
 * nothing names it. Never throws.
 */
export function explainNode(decisions: readonly Decision[], node: string, strategy: StrategyName, machines = new Machines(decisions)): Answer {
  const names = machines.namesOf(node);
  // The name the record lists the machine under, before one its words merely mention.
  const nameIn = (d: Decision): string | undefined => names.find((n) => d.details.nodes?.includes(n)) ?? names.find((n) => mentionsNode(d, n));
  const naming = decisions.filter((d) => nameIn(d) !== undefined);
  const machine = machines.get(node);
  const events = machineEvents(machine);
  if (naming.length === 0 && events.length === 0) {
    return {
      matched: false,
      text: `no ${strategy} decision mentions node ${node}; decisions name the NodeClaims they launch and the Nodes they ` +
        `disrupt, and a NodeClaim's Node has another name (ip-…), so try the other name too.\n`,
    };
  }
  const lines = [`node ${node} (${strategy}): ${naming.length} decision(s) mention it`,
    ...identityLines(node, machine, strategy)];
  const timeline = [...entries(naming, nameIn), ...events];
  // Stable: a decision and a machine event at the same second keep the decision first.
  for (const e of timeline.map((e, i) => ({ ...e, i })).sort((a, b) => a.t - b.t || a.i - b.i)) lines.push(...e.lines);
  const lastDisruption = naming.filter((d) => names.some((n) => disrupts(d, n))).at(-1);
  const from = Math.min(naming[0]?.t ?? Infinity, machine?.launchedAt ?? Infinity);
  lines.push(...budgetLines(decisions, naming, from, lastDisruption?.t ?? machine?.terminatedAt));
  const blocked = naming.filter((d) => (lastDisruption === undefined || d.t > lastDisruption.t) && names.some((n) => blockedReason(d, n) !== undefined)).at(-1);
  if (lastDisruption && !blocked) {
    const cost = costChange(lastDisruption);
    lines.push(`  outcome: ${LABEL[lastDisruption.kind]} at ${at(lastDisruption.t)}${cost ? `, ${cost}` : ''}`);
  } else if (blocked) {
    const reason = names.map((n) => blockedReason(blocked, n)).find((r) => r !== undefined)!;
    lines.push(`  outcome: not consolidated; last reason (${span(blocked)}): ${reason}`);
  } else if (strategy === 'nodewright' && machine?.claim === node && machine.node === undefined) {
    // Disruptions name the Node, which this result does not link to the claim: silence here proves nothing.
    lines.push('  outcome: no record under this NodeClaim name disrupted or kept it; such records name its Node (see the note)');
  } else {
    lines.push('  outcome: no decision disrupted it, and none recorded a reason for keeping it: consolidation found nothing cheaper, ' +
      'or it was never a candidate (consolidateAfter not yet elapsed, not initialised, or nominated for pending pods: these are not recorded)');
  }
  return { matched: true, text: `${lines.join('\n')}\n` };
}
