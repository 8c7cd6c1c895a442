/**
 * `explain pod NS/NAME`: the decisions that name the pod, and where it was last planned and why —
 * the JSON counterpart of the live DecisionLog's whyPending / plannedFor.
 */
import type { Decision, StrategyName } from '../result.js';
import { alternativeLines, alternativesAbout, at, clausesAbout, costChange, existingNodeOf } from './text.js';

/** What `explain` prints, and whether any decision matched (exit code is 0 either way). */
export interface Answer {
  readonly matched: boolean;
  readonly text: string;
}

/** Where the decision planned the pod, in words, with the why and alternatives for that node. */
function planLines(d: Decision): string[] {
  const nodes = d.details.nodes ?? [];
  if (d.kind === 'scale-up') {
    return [`  planned: the Cluster Autoscaler scaled up for it at ${at(d.t)}: ${d.summary}`, `    why: ${d.details.why}`,
      ...alternativeLines(d.details.alternativesRejected, '    ')];
  }
  if (nodes.length === 1) {
    const node = nodes[0]!;
    return [`  planned: onto new NodeClaim ${node}, launched at ${at(d.t)}`, `    why: ${clausesAbout(d.details.why, node)}`,
      ...alternativeLines(alternativesAbout(d, node), '    ')];
  }
  if (nodes.length > 1) {
    return [`  planned: onto one of the NodeClaims ${nodes.join(', ')} launched at ${at(d.t)} (the log does not keep which pod went to which)`,
      `    why: ${d.details.why}`, ...alternativeLines(d.details.alternativesRejected, '    ')];
  }
  const existing = existingNodeOf(d);
  return [`  planned: onto existing or in-flight capacity${existing ? ` (${existing})` : ''} at ${at(d.t)}, no new machine`, `    why: ${d.details.why}`];
}

const PLANNING: readonly string[] = ['provision', 'scale-up'];

/**
 * Explains pod `pod` ("namespace/name") from `decisions` (one strategy's log, oldest first): every
 * decision naming it, then where it was last planned (the latest provision or scale-up), and
 * whether a later decision moved it off its node. Never throws.
 */
export function explainPod(decisions: readonly Decision[], pod: string, strategy: StrategyName, pendingAtEnd?: number): Answer {
  const naming = decisions.filter((d) => d.details.pods?.includes(pod));
  if (naming.length === 0) {
    const pending = pendingAtEnd !== undefined && pendingAtEnd > 0
      ? ` ${pendingAtEnd} pod(s) were still pending at the end of the run; pods that fit nowhere are not in the saved log.`
      : '';
    return {
      matched: false,
      text: `no ${strategy} decision mentions pod ${pod}; pods are named in decisions only when a decision planned, launched ` +
        `capacity for, or moved them (pods that fit on existing nodes as they came are bound by the scheduler without one, and ` +
        `a decision keeps at most a bounded list of names).${pending}\n`,
    };
  }
  const lines = [`pod ${pod} (${strategy}): ${naming.length} decision(s) name it`];
  for (const d of naming) {
    lines.push(`  ${at(d.t)}  ${d.kind}: ${d.summary}`);
    const cost = costChange(d);
    if (!PLANNING.includes(d.kind)) lines.push(`      why: ${d.details.why}`, ...(cost ? [`      cost: ${cost}`] : []));
  }
  const planned = naming.filter((d) => PLANNING.includes(d.kind)).at(-1);
  if (planned) lines.push(...planLines(planned));
  else lines.push('  planned: no provisioning decision names it (it was bound to capacity that already fit it)');
  const last = naming.at(-1)!;
  if (!PLANNING.includes(last.kind)) {
    lines.push(`  then: moved off its node at ${at(last.t)} by ${last.kind}; no later decision names it`);
  }
  return { matched: true, text: `${lines.join('\n')}\n` };
}
