/**
 * Consolidation of a set of candidates (Karpenter's computeConsolidation): simulate their pods
 * elsewhere; all fit on existing capacity → delete them; they fit with exactly one new NodeClaim
 * cheaper than all of them together → replace them with it. An on-demand candidate replaced by a
 * claim that could be spot or on-demand is pinned to spot (the price filter assumed spot).
 * Spot-to-spot replacement is off unless enabled, and for one node needs at least 15 cheaper spot
 * types (the replacement keeps the 15 cheapest; Karpenter's minValues widening is not done).
 */
import { CAPACITY_TYPE_ON_DEMAND, CAPACITY_TYPE_SPOT } from '../../apis/labels.js';
import { consolidationImpossible } from './consolidation-precheck.js';
import { describeCandidate, describeReplacements, nameList, plural, usd } from './format.js';
import { allowsCapacityType, cheaperThan, replacementOf, restrictCapacityType, withOptions, withoutSameType } from './replacement-options.js';
import type { SimulationBase } from './simulation-base.js';
import { describeFailures, simulate } from './simulation.js';
import type { Candidate, Command, MethodName, Rejection } from './types.js';
import { candidatesPrice } from './types.js';

/** Cheaper spot types a single spot node needs before it is replaced by spot (Karpenter's MinInstanceTypesForSpotToSpotConsolidation). */
export const MIN_SPOT_TO_SPOT_OPTIONS = 15;

export interface ConsolidationSettings {
  /** Allow replacing spot nodes with cheaper spot nodes (Karpenter's SpotToSpotConsolidation gate; default off). */
  readonly spotToSpot: boolean;
}

export type ConsolidationOutcome =
  | { readonly decision: 'delete' | 'replace'; readonly command: Command }
  | { readonly decision: 'none'; readonly reason: string };

const none = (reason: string): ConsolidationOutcome => ({ decision: 'none', reason });

type ConsolidationMethod = Extract<MethodName, 'multi-node-consolidation' | 'single-node-consolidation'>;

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
): ConsolidationOutcome {
  if (candidates.length === 0) return none('no candidates');
  const unpriced = candidates.find((c) => c.price === undefined);
  if (unpriced) return none(`the price of ${unpriced.nodeName}'s offering (${unpriced.instanceType ?? '?'} in ${unpriced.zone ?? '?'}, ${unpriced.capacityType ?? '?'}) is not in the catalogue`);
  const impossible = consolidationImpossible(base, candidates, candidatesPrice(candidates), settings);
  if (impossible !== undefined) return none(impossible);
  return simulateConsolidation(base, candidates, method, settings, rejected);
}

/** computeConsolidation without the quick test: always runs the solver. Candidates must all be priced. */
export function simulateConsolidation(
  base: SimulationBase,
  candidates: readonly Candidate[],
  method: ConsolidationMethod,
  settings: ConsolidationSettings,
  rejected: readonly Rejection[] = [],
): ConsolidationOutcome {
  const sim = simulate(base, candidates);
  const names = nameList(candidates.map((c) => c.nodeName));
  const podCount = candidates.reduce((n, c) => n + c.reschedulablePods.length, 0);
  if (sim.failures.length > 0) return none(`not every pod would find a place: ${describeFailures(sim.failures)}`);
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
  if (sim.newClaims.length > 1) return none(`its pods would need ${sim.newClaims.length} new nodes, and consolidation replaces with at most one`);
  let r = replacementOf(sim.newClaims[0]!);
  const cheapestFitting = r.pricePerHour;
  const multi = candidates.length > 1;
  const allSpot = candidates.every((c) => c.capacityType === CAPACITY_TYPE_SPOT);
  let pinned: string | undefined;
  let options = r.instanceTypeOptions;
  if (allSpot && allowsCapacityType(r, CAPACITY_TYPE_SPOT)) {
    if (!settings.spotToSpot) return none('replacing spot with spot is disabled (spot-to-spot consolidation is off)');
    pinned = CAPACITY_TYPE_SPOT;
    options = cheaperThan(restrictCapacityType(options, CAPACITY_TYPE_SPOT), before);
    if (multi) options = withoutSameType(options, candidates);
    if (options.length === 0) return none(`no spot instance type cheaper than ${usd(before)} fits its pods`);
    if (!multi) {
      if (options.length < MIN_SPOT_TO_SPOT_OPTIONS) {
        return none(`spot-to-spot needs ${MIN_SPOT_TO_SPOT_OPTIONS} cheaper spot instance types to keep the node flexible, found ${options.length}`);
      }
      options = options.slice(0, MIN_SPOT_TO_SPOT_OPTIONS);
    }
  } else {
    if (allowsCapacityType(r, CAPACITY_TYPE_SPOT) && allowsCapacityType(r, CAPACITY_TYPE_ON_DEMAND)) {
      pinned = CAPACITY_TYPE_SPOT;
      options = restrictCapacityType(options, CAPACITY_TYPE_SPOT);
    }
    options = cheaperThan(options, before);
    if (multi) options = withoutSameType(options, candidates);
    if (options.length === 0) {
      return none(`the cheapest replacement that fits its pods costs ${usd(cheapestFitting)}, not less than the ${usd(before)} of ${names}`);
    }
  }
  r = withOptions(r, options, pinned);
  const after = r.pricePerHour;
  return {
    decision: 'replace',
    command: {
      method, reason: 'Underutilized', kind: 'consolidate-replace', candidates, replacements: [r], rejected,
      why: `${method}: the ${plural(podCount, 'pod')} of ${candidates.map(describeCandidate).join(', ')} fit on ${describeReplacements([r])}`
        + `${pinned ? ` (pinned to ${pinned})` : ''}; saves ${usd(before - after)}`,
    },
  };
}
