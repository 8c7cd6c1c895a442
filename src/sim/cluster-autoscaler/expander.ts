/**
 * Expanders: how the Cluster Autoscaler picks one scale-up option among the node groups that could
 * help. They form a chain (`--expander=priority,least-waste`): each keeps its best options and hands
 * them on; as soon as one option is left it wins; ties left at the end are broken at random (seeded).
 *
 * - least-waste: least idle cpu share of the new nodes' capacity after the pods are placed; ties
 *   by least idle memory share (the Cluster Autoscaler FAQ's rule).
 * - most-pods: most pods helped. least-nodes: fewest new nodes.
 * - price: least $/h of the new nodes per pod helped (the Cluster Autoscaler's price expander,
 *   without its preferred-node-size term).
 * - priority: the groups matching the highest priority's patterns (all options when none match).
 * - random: one at random.
 */
import type { Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import type { Random } from '../../utils/random.js';
import { CPU, MEMORY } from '../../utils/resources.js';
import type { ExpanderName } from './options.js';
import type { GroupTemplate } from './templates.js';

export interface ExpansionOption {
  readonly group: string;
  readonly nodeCount: number;
  readonly pods: readonly Pod[];
  readonly template: GroupTemplate;
}

export interface ExpanderContext {
  readonly random: Random;
  readonly priorities: Readonly<Record<number, readonly string[]>>;
}

export interface Expansion {
  readonly chosen: ExpansionOption;
  /** Per option not chosen, why (in the words of the expander that dropped it). */
  readonly rejected: ReadonlyMap<string, string>;
  /** What the deciding expander saw in the chosen option ("cpu idle 12%, memory idle 40%"). */
  readonly chosenBecause: string;
}

const EPSILON = 1e-9;

function requested(pods: readonly Pod[], resource: string): number {
  let sum = 0;
  for (const p of pods) {
    try {
      sum += podRequests(p)[resource] ?? 0;
    } catch {
      // A pod with a malformed quantity was never placed by the estimate.
    }
  }
  return sum;
}

/** The idle share of the new nodes' cpu and memory capacity once the option's pods are on them. */
export function wasteOf(o: ExpansionOption): { cpu: number; memory: number } {
  const share = (resource: string): number => {
    const available = (o.template.capacity[resource] ?? 0) * o.nodeCount;
    return available > 0 ? (available - requested(o.pods, resource)) / available : 1;
  };
  return { cpu: share(CPU), memory: share(MEMORY) };
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

type Scored = { option: ExpansionOption; score: readonly number[]; text: string };

/** Scores each option (lower is better, compared in order); the ones tied for best are kept. */
function keepBest(options: readonly ExpansionOption[], score: (o: ExpansionOption) => { score: readonly number[]; text: string }): Scored[] {
  const scored = options.map((option) => ({ option, ...score(option) }));
  const cmp = (a: readonly number[], b: readonly number[]): number => {
    for (let i = 0; i < a.length; i++) {
      const d = a[i]! - b[i]!;
      if (Math.abs(d) > EPSILON) return d;
    }
    return 0;
  };
  const best = scored.reduce((m, s) => (cmp(s.score, m.score) < 0 ? s : m), scored[0]!);
  return scored.map((s) => ({ ...s, keep: cmp(s.score, best.score) === 0 })).filter((s) => s.keep);
}

function scorer(name: Exclude<ExpanderName, 'random' | 'priority'>): (o: ExpansionOption) => { score: readonly number[]; text: string } {
  switch (name) {
    case 'least-waste':
      return (o) => {
        const w = wasteOf(o);
        return { score: [w.cpu, w.memory], text: `cpu idle ${pct(w.cpu)}, memory idle ${pct(w.memory)}` };
      };
    case 'most-pods':
      return (o) => ({ score: [-o.pods.length], text: `${o.pods.length} pods` });
    case 'least-nodes':
      return (o) => ({ score: [o.nodeCount], text: `${o.nodeCount} nodes` });
    case 'price':
      return (o) => {
        const perPod = (o.template.price * o.nodeCount) / Math.max(1, o.pods.length);
        return { score: [Number.isFinite(perPod) ? perPod : Number.MAX_VALUE], text: `$${perPod.toFixed(4)}/h per pod` };
      };
  }
}

function byPriority(options: readonly ExpansionOption[], priorities: ExpanderContext['priorities']): Scored[] {
  const levels = Object.keys(priorities).map(Number).sort((a, b) => b - a);
  for (const level of levels) {
    const patterns = (priorities[level] ?? []).map((p) => new RegExp(`^(?:${p})$`));
    const matching = options.filter((o) => patterns.some((r) => r.test(o.group)));
    if (matching.length > 0) return matching.map((option) => ({ option, score: [-level], text: `priority ${level}` }));
  }
  return options.map((option) => ({ option, score: [0], text: 'no priority matches' }));
}

/**
 * Runs the chain over the options. @throws RangeError when there are no options.
 */
export function expand(options: readonly ExpansionOption[], chain: readonly ExpanderName[], ctx: ExpanderContext): Expansion {
  if (options.length === 0) throw new RangeError('choosing a scale-up: no option to choose from');
  const rejected = new Map<string, string>();
  let left: Scored[] = options.map((option) => ({ option, score: [], text: '' }));
  let because = '';
  for (const name of chain) {
    if (left.length === 1) break;
    if (name === 'random') break;
    const current = left.map((s) => s.option);
    const all = name === 'priority' ? byPriority(current, ctx.priorities) : current.map((option) => ({ option, ...scorer(name)(option) }));
    const kept = name === 'priority' ? all : keepBest(current, scorer(name));
    const keptGroups = new Set(kept.map((k) => k.option.group));
    for (const s of name === 'priority' ? current.map((option) => ({ option, text: 'lower priority' })) : all) {
      if (!keptGroups.has(s.option.group)) rejected.set(s.option.group, `${name}: ${s.text}`);
    }
    left = kept;
    because = `${name}: ${kept[0]!.text}`;
  }
  let chosen = left[0]!;
  if (left.length > 1) {
    chosen = left[ctx.random.int(0, left.length - 1)]!;
    for (const s of left) if (s !== chosen) rejected.set(s.option.group, `tied${because ? ` (${because})` : ''}; lost the random tie-break`);
    because = because ? `${because}; won a random tie-break` : 'random';
  }
  return { chosen: chosen.option, rejected, chosenBecause: because };
}
