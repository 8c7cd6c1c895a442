/**
 * Consolidation of a set of candidates (Karpenter's computeConsolidation): simulate their pods
 * elsewhere; all fit on existing capacity → delete them; they fit with new NodeClaims cheaper than
 * all of them together → replace them. Karpenter replaces with exactly one NodeClaim; nodewright
 * lets single-node consolidation replace one node with up to `maxReplacements` (a big node left
 * nearly empty whose pods want different zones is otherwise kept forever). Each replacement keeps
 * only options below its share of the candidates' price, so whatever the cloud launches saves money.
 * An on-demand candidate replaced by a claim that could be spot or on-demand is pinned to spot (the
 * price filter assumed spot). Spot-to-spot replacement is off unless enabled, and for one node needs
 * at least 15 cheaper spot types per replacement (it keeps the 15 cheapest; Karpenter's minValues
 * widening is not done).
 */
import { CAPACITY_TYPE_ON_DEMAND, CAPACITY_TYPE_SPOT } from '../../apis/labels.js';
import { consolidationImpossible } from './consolidation-precheck.js';
import { describeCandidate, describeReplacements, nameList, plural, usd } from './format.js';
import { allowsCapacityType, cheaperThan, MULTI_REPLACEMENT_PRICE_RATIO, replacementOf, restrictCapacityType, withOptions, withoutSameType } from './replacement-options.js';
import type { SimulationBase } from './simulation-base.js';
import { describeFailures, simulate } from './simulation.js';
import type { Candidate, Command, MethodName, Rejection, Replacement } from './types.js';
import { candidatesPrice, replacementsPrice } from './types.js';

/** Cheaper spot types a single spot node needs before it is replaced by spot (Karpenter's MinInstanceTypesForSpotToSpotConsolidation). */
export const MIN_SPOT_TO_SPOT_OPTIONS = 15;

export interface ConsolidationSettings {
  /** Allow replacing spot nodes with cheaper spot nodes (Karpenter's SpotToSpotConsolidation gate; default off). */
  readonly spotToSpot: boolean;
  /** Most NodeClaims single-node consolidation may replace one node with (Karpenter: 1, the default). */
  readonly maxReplacements?: number;
}

export type ConsolidationOutcome =
  | { readonly decision: 'delete' | 'replace'; readonly command: Command }
  /** `stopped`: a 'verdict' simulation stopped once the answer was certain, and the reason says only that. */
  | { readonly decision: 'none'; readonly reason: string; readonly stopped?: true };

const none = (reason: string): ConsolidationOutcome => ({ decision: 'none', reason });

type ConsolidationMethod = Extract<MethodName, 'multi-node-consolidation' | 'single-node-consolidation'>;

/**
 * What a caller needs of a "no": 'reason' works out why, 'verdict' only that it is a no, and lets
 * the simulation stop once more new nodes than the method may replace with hold the pods (the
 * reason then says only that).
 */
export type Detail = 'reason' | 'verdict';

/**
 * What consolidating exactly these candidates would do: ruled out by consolidationImpossible when
 * that can tell without the solver, else simulated (simulateConsolidation). `rejected` is copied
 * onto the command (alternatives the method turned down before this one).
 */
export function computeConsolidation(
  base: SimulationBase,
  candidates: readonly Candidate[],
  method: ConsolidationMethod,
  settings: ConsolidationSettings,
  rejected: readonly Rejection[] = [],
  detail: Detail = 'reason',
): ConsolidationOutcome {
  if (candidates.length === 0) return none('no candidates');
  const unpriced = candidates.find((c) => c.price === undefined);
  if (unpriced) return none(`the price of ${unpriced.nodeName}'s offering (${unpriced.instanceType ?? '?'} in ${unpriced.zone ?? '?'}, ${unpriced.capacityType ?? '?'}) is not in the catalogue`);
  const impossible = consolidationImpossible(base, candidates, candidatesPrice(candidates), settings);
  if (impossible !== undefined) return none(impossible);
  return simulateConsolidation(base, candidates, method, settings, rejected, detail);
}

/** computeConsolidation without the quick test: always runs the solver. Candidates must all be priced. */
export function simulateConsolidation(
  base: SimulationBase,
  candidates: readonly Candidate[],
  method: ConsolidationMethod,
  settings: ConsolidationSettings,
  rejected: readonly Rejection[] = [],
  detail: Detail = 'reason',
): ConsolidationOutcome {
  const most = method === 'single-node-consolidation' ? Math.max(1, settings.maxReplacements ?? 1) : 1;
  const sim = simulate(base, candidates, detail === 'verdict' ? most : undefined);
  if (sim.tooManyClaims) return { decision: 'none', reason: `its pods would need more than ${plural(most, 'new node')}, or some would find no place`, stopped: true };
  if (sim.failures.length > 0) return none(`not every pod would find a place: ${describeFailures(sim.failures)}`);
  const names = nameList(candidates.map((c) => c.nodeName));
  const podCount = candidates.reduce((n, c) => n + c.reschedulablePods.length, 0);
  const before = candidatesPrice(candidates);
  if (sim.newClaims.length === 0) {
    return {
      decision: 'delete',
      command: {
        method, reason: 'Underutilized', kind: 'consolidate-delete', candidates, replacements: [], rejected,
        why: `${method}: the ${plural(podCount, 'pod')} of ${names} fit on other nodes; removing ${plural(candidates.length, 'node')} saves ${usd(before)}`,
      },
    };
  }
  if (sim.newClaims.length > most) {
    return none(`its pods would need ${sim.newClaims.length} new nodes, and consolidation replaces with at most ${plural(most, 'node')}`);
  }
  const planned = sim.newClaims.map(replacementOf);
  const cheapestFitting = replacementsPrice(planned);
  if (cheapestFitting >= before) {
    const what = planned.length === 1 ? 'the cheapest replacement that fits its pods costs' : `the cheapest ${planned.length} replacements that fit its pods cost`;
    return none(`${what} ${usd(cheapestFitting)}, not less than the ${usd(before)} of ${names}`);
  }
  // Splitting a node is worth its churn only when it saves a lot (else the node is kept, as Karpenter would).
  const budget = planned.length === 1 ? before : before * MULTI_REPLACEMENT_PRICE_RATIO;
  if (cheapestFitting >= budget) {
    return none(`${planned.length} new nodes for its pods cost ${usd(cheapestFitting)}, and replacing one node with several must at least halve its ${usd(before)} (the node is kept)`);
  }
  // Each replacement may cost up to its share of the budget, so any mix of launched options saves.
  const scale = budget / cheapestFitting;
  const replacements: Replacement[] = [];
  const pins = new Set<string>();
  for (const r of planned) {
    const narrowed = narrow(r, planned.length === 1 ? before : r.pricePerHour * scale, candidates, settings);
    if ('reason' in narrowed) return none(narrowed.reason);
    replacements.push(narrowed.replacement);
    if (narrowed.pinned) pins.add(narrowed.pinned);
  }
  const after = replacementsPrice(replacements);
  return {
    decision: 'replace',
    command: {
      method, reason: 'Underutilized', kind: 'consolidate-replace', candidates, replacements, rejected,
      why: `${method}: the ${plural(podCount, 'pod')} of ${candidates.map(describeCandidate).join(', ')} fit on ${describeReplacements(replacements)}`
        + `${pins.size > 0 ? ` (pinned to ${[...pins].join(', ')})` : ''}; saves ${usd(before - after)}`,
    },
  };
}

/**
 * One planned replacement narrowed to the options it may launch: below `maxPrice`, pinned to spot
 * where the price assumed spot, and (multi-node) not the type of a candidate unless cheaper than it.
 */
function narrow(
  r: Replacement,
  maxPrice: number,
  candidates: readonly Candidate[],
  settings: ConsolidationSettings,
): { readonly replacement: Replacement; readonly pinned: string | undefined } | { readonly reason: string } {
  const multi = candidates.length > 1;
  const allSpot = candidates.every((c) => c.capacityType === CAPACITY_TYPE_SPOT);
  let pinned: string | undefined;
  let options = r.instanceTypeOptions;
  if (allSpot && allowsCapacityType(r, CAPACITY_TYPE_SPOT)) {
    if (!settings.spotToSpot) return { reason: 'replacing spot with spot is disabled (spot-to-spot consolidation is off)' };
    pinned = CAPACITY_TYPE_SPOT;
    options = cheaperThan(restrictCapacityType(options, CAPACITY_TYPE_SPOT), maxPrice);
    if (multi) options = withoutSameType(options, candidates);
    if (options.length === 0) return { reason: `no spot instance type cheaper than ${usd(maxPrice)} fits its pods` };
    if (!multi) {
      if (options.length < MIN_SPOT_TO_SPOT_OPTIONS) {
        return { reason: `spot-to-spot needs ${MIN_SPOT_TO_SPOT_OPTIONS} cheaper spot instance types to keep the node flexible, found ${options.length}` };
      }
      options = options.slice(0, MIN_SPOT_TO_SPOT_OPTIONS);
    }
  } else {
    if (allowsCapacityType(r, CAPACITY_TYPE_SPOT) && allowsCapacityType(r, CAPACITY_TYPE_ON_DEMAND)) {
      pinned = CAPACITY_TYPE_SPOT;
      options = restrictCapacityType(options, CAPACITY_TYPE_SPOT);
    }
    options = cheaperThan(options, maxPrice);
    if (multi) options = withoutSameType(options, candidates);
    if (options.length === 0) return { reason: `no replacement cheaper than ${usd(maxPrice)} fits its pods` };
  }
  return { replacement: withOptions(r, options, pinned), pinned };
}
