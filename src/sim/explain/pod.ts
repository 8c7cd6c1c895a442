/**
 * `explain pod NS/NAME`: why the pod was pending (its unschedulable records, per NodePool and
 * constraint), what became of it after, where it was planned and why that instance type — the JSON
 * counterpart of the live DecisionLog's whyPending / plannedFor.
 */
import type { LoggedDecision as Decision, StrategyName } from '../result.js';
import { disruptedNodes, Machines } from './machines.js';
import {
  alternativeLines, alternativesAbout, at, clausesAbout, costChange, existingNodeOf, lastTime, omittedLine, placementOf, summaryOf, when,
} from './text.js';

/** What `explain` prints, and whether any decision matched (the CLI exits 2 when none did). */
export interface Answer {
  readonly matched: boolean;
  readonly text: string;
}

const PLANNING: readonly string[] = ['provision', 'scale-up'];

/** The node the pod was on when a disruption moved it: the decision's only candidate, when it has one. */
function nodeMovedFrom(d: Decision): string | undefined {
  const candidates = disruptedNodes(d);
  return candidates.length === 1 ? candidates[0] : undefined;
}

/**
 * `name` with the machine's other name: "default-x (became node ip-…)", "ip-… (NodeClaim default-x)";
 * inside parentheses already, "default-x, became node ip-…".
 */
function withOtherName(machines: Machines, name: string, inParens = false): string {
  const m = machines.get(name);
  if (m?.claim === undefined || m.node === undefined) return name;
  const other = m.claim === name ? `became node ${m.node}` : `NodeClaim ${m.claim}`;
  return inParens ? `${name}, ${other}` : `${name} (${other})`;
}

/** Where the decision planned the pod, in words, with the why and alternatives for that node. */
function planLines(d: Decision, pod: string, machines: Machines): string[] {
  if (d.kind === 'scale-up') {
    return [`  planned: the Cluster Autoscaler scaled up for it at ${at(d.t)}: ${summaryOf(d)}`, `    why: ${d.details.why}`,
      ...alternativeLines(d.details.alternativesRejected, '    ')];
  }
  const placement = placementOf(d, pod);
  const nodes = d.details.nodes ?? [];
  const launchedOnto = placement ? (placement.launched ? placement.node : undefined) : nodes.length === 1 ? nodes[0] : undefined;
  if (launchedOnto !== undefined) {
    const cost = costChange(d);
    return [`  planned: onto new NodeClaim ${withOtherName(machines, launchedOnto)}, launched at ${at(d.t)}`, `    why: ${clausesAbout(d.details.why, launchedOnto)}`,
      ...alternativeLines(alternativesAbout(d, launchedOnto), '    '), ...(cost ? [`    cost of the round: ${cost}`] : [])];
  }
  if (!placement && nodes.length > 1) {
    return [`  planned: onto one of the NodeClaims ${nodes.join(', ')} launched at ${at(d.t)} (the log does not keep which pod went to which)`,
      `    why: ${d.details.why}`, ...alternativeLines(d.details.alternativesRejected, '    ')];
  }
  const existing = placement?.node ?? existingNodeOf(d);
  return [`  planned: onto existing or in-flight capacity${existing ? ` (${withOtherName(machines, existing, true)})` : ''} at ${at(d.t)}, no new machine`,
    `    why: ${d.details.why}`];
}

/** Why it was pending: the span of its unschedulable records and the latest reasons, per NodePool and constraint. */
function pendingLines(unschedulable: readonly Decision[]): string[] {
  const first = unschedulable[0]!;
  const latest = unschedulable.at(-1)!;
  const records = unschedulable.reduce((n, d) => n + (d.repeats?.count ?? 1) + (d.omittedBefore ?? 0), 0);
  const span = lastTime(latest) > first.t ? `from ${at(first.t)} to ${at(lastTime(latest))}` : `at ${at(first.t)}`;
  return [
    `  pending: it fit on no node and no NodePool could launch one for it, ${span} (${records} record(s))`,
    `    latest reason: ${latest.details.why}`,
    ...(latest.details.alternativesRejected.length > 0
      ? ['    per NodePool / constraint:', ...latest.details.alternativesRejected.map((a) => `      - ${a}`)]
      : []),
  ];
}

/** What happened after its last unschedulable record: planned, seen running on a node, or nothing. */
function afterLines(naming: readonly Decision[], lastPending: Decision, pod: string, pendingAtEnd: number | undefined, machines: Machines): string[] {
  const placed = naming.slice(naming.indexOf(lastPending) + 1).find((d) => d.kind !== 'unschedulable');
  if (!placed) {
    const pending = pendingAtEnd !== undefined ? ` ${pendingAtEnd} pod(s) were still pending at the end of the run;` : '';
    return [`  then: no later decision places or moves it.${pending} unless capacity freed later let the scheduler bind it ` +
      '(bindings are not in the log), it never ran.'];
  }
  if (PLANNING.includes(placed.kind)) {
    const p = placementOf(placed, pod);
    const where = p ? `${p.launched ? 'new NodeClaim' : 'existing capacity'} ${withOtherName(machines, p.node)}` : 'capacity';
    return [`  then: planned onto ${where} at ${at(placed.t)}, ${Math.round(placed.t - lastTime(lastPending))} s after its last unschedulable record`];
  }
  const node = nodeMovedFrom(placed);
  return [`  then: it ran${node ? ` on ${withOtherName(machines, node)}` : ''} by ${at(placed.t)}, when ${placed.kind} moved it off (the log keeps no bind ` +
    'times: the scheduler bound it to capacity freed or launched for other pods)'];
}

/**
 * Explains pod `pod` ("namespace/name") from `decisions` (one strategy's log, oldest first): every
 * decision naming it, why it was pending (its unschedulable records) and what followed, where it
 * was last planned (the latest provision or scale-up) and whether a later decision moved it off its
 * node, naming each machine by both its NodeClaim and Node names when `machines` links them.
 * `matched` is false when no decision names the pod. Never throws.
 */
export function explainPod(decisions: readonly Decision[], pod: string, strategy: StrategyName, pendingAtEnd?: number,
  machines = new Machines(decisions)): Answer {
  const naming = decisions.filter((d) => d.details.pods?.includes(pod) || placementOf(d, pod) !== undefined);
  if (naming.length === 0) {
    const pending = pendingAtEnd !== undefined && pendingAtEnd > 0 ? ` ${pendingAtEnd} pod(s) were still pending at the end of the run.` : '';
    return {
      matched: false,
      text: `no ${strategy} decision mentions pod ${pod}; check the name (namespace/name, as in the decisions). Pods are named ` +
        'in decisions only when one planned, launched capacity for, moved, or could not place them (pods that fit on existing ' +
        `nodes as they came are bound by the scheduler without one, and a decision keeps at most a bounded list of names).${pending}\n`,
    };
  }
  const lines = [`pod ${pod} (${strategy}): ${naming.length} decision(s) name it`];
  const planned = naming.filter((d) => PLANNING.includes(d.kind)).at(-1);
  // The machine of the previous placement: a pod nominated to an in-flight NodeClaim is often planned
  // again onto its Node once it registers, which reads like a move unless said.
  let previous: string | undefined;
  for (const d of naming) {
    if (d.kind === 'unschedulable') {
      // Its summary only repeats the pod's name and "fits on no node"; the reason is what differs.
      lines.push(...omittedLine(d, '  '), `  ${when(d)}  unschedulable: ${d.details.why}`);
      continue;
    }
    lines.push(...omittedLine(d, '  '), `  ${when(d)}  ${d.kind}: ${summaryOf(d)}`);
    const cost = costChange(d);
    const placement = placementOf(d, pod);
    const machine = placement ? machines.get(placement.node)?.claim ?? placement.node : undefined;
    const same = machine !== undefined && machine === previous && placement!.node !== machines.get(previous)?.claim ? ', the same machine as before, now registered' : '';
    previous = machine ?? previous;
    // The last plan is told in full under "planned:" below.
    if (placement && d !== planned) {
      lines.push(`      onto: ${placement.launched ? 'new NodeClaim' : 'existing or in-flight capacity'} ${withOtherName(machines, placement.node)}${same}`);
    }
    if (!PLANNING.includes(d.kind)) lines.push(`      why: ${d.details.why}`, ...(cost ? [`      cost: ${cost}`] : []));
  }
  const unschedulable = naming.filter((d) => d.kind === 'unschedulable');
  if (unschedulable.length > 0) lines.push(...pendingLines(unschedulable), ...afterLines(naming, unschedulable.at(-1)!, pod, pendingAtEnd, machines));
  if (planned) lines.push(...planLines(planned, pod, machines));
  else if (unschedulable.length === 0) lines.push('  planned: no provisioning decision names it (it was bound to capacity that already fit it)');
  const last = naming.at(-1)!;
  const alreadyTold = unschedulable.length > 0 && naming.slice(naming.indexOf(unschedulable.at(-1)!) + 1).find((d) => d.kind !== 'unschedulable') === last;
  if (!PLANNING.includes(last.kind) && last.kind !== 'unschedulable' && !alreadyTold) {
    const from = nodeMovedFrom(last);
    lines.push(`  then: moved off ${from ? `node ${withOtherName(machines, from)}` : 'its node'} at ${at(last.t)} by ${last.kind}; no later decision names it`);
  }
  return { matched: true, text: `${lines.join('\n')}\n` };
}
