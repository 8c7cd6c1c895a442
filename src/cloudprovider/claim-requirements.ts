/**
 * Node selector requirements evaluated against what a machine could be: for each label key, the
 * values an instance type and offering allow. A small evaluator of its own (cloud providers must
 * not import scheduling/), covering In, NotIn, Exists, DoesNotExist, Gt, Lt and Karpenter's Gte/Lte.
 */
import type { NodeSelectorRequirement } from '../apis/core.js';
import { normalizeLabelKey } from '../apis/labels.js';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt', 'Gte', 'Lte'] as const;
type Operator = (typeof OPERATORS)[number];

/** A requirement checked once: key normalised (deprecated aliases), operator known, bounds parsed. */
export interface CompiledRequirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: ReadonlySet<string>;
  /** For Gt, Lt, Gte, Lte. */
  readonly bound: number;
}

const INTEGER = /^-?\d+$/;

function isOperator(op: string): op is Operator {
  return (OPERATORS as readonly string[]).includes(op);
}

/**
 * Checks and normalises requirements once, so they can be evaluated against many domains.
 * @throws RangeError naming the requirement when its operator is unknown or a Gt/Lt/Gte/Lte
 *   bound is not a single integer.
 */
export function compileRequirements(requirements: readonly NodeSelectorRequirement[]): CompiledRequirement[] {
  return requirements.map((r) => {
    if (!isOperator(r.operator)) throw new RangeError(`requirement on "${r.key}": unsupported operator "${r.operator}"`);
    const values = r.values ?? [];
    let bound = Number.NaN;
    if (r.operator === 'Gt' || r.operator === 'Lt' || r.operator === 'Gte' || r.operator === 'Lte') {
      const [only] = values;
      if (values.length !== 1 || only === undefined || !INTEGER.test(only)) {
        throw new RangeError(`requirement on "${r.key}": ${r.operator} needs exactly one integer value, got [${values.join(', ')}]`);
      }
      bound = Number(only);
    }
    return { key: normalizeLabelKey(r.key), operator: r.operator, values: new Set(values), bound };
  });
}

/** Whether a label carrying `value` satisfies the requirement. */
function admits(r: CompiledRequirement, value: string): boolean {
  switch (r.operator) {
    case 'In':
      return r.values.has(value);
    case 'NotIn':
      return !r.values.has(value);
    case 'Exists':
      return true;
    case 'DoesNotExist':
      return false;
    case 'Gt':
    case 'Lt':
    case 'Gte':
    case 'Lte': {
      if (!INTEGER.test(value)) return false;
      const n = Number(value);
      if (r.operator === 'Gt') return n > r.bound;
      if (r.operator === 'Lt') return n < r.bound;
      if (r.operator === 'Gte') return n >= r.bound;
      return n <= r.bound;
    }
  }
}

/** Label key → the values a machine could carry; a key absent is one the machine does not define. */
export type LabelDomain = Readonly<Record<string, readonly string[]>>;

/**
 * Narrows the domain to what the requirements allow, for the keys the domain defines; requirements
 * on keys it does not define are ignored (they are the NodePool's own labels, or well-known labels
 * this catalogue leaves open, as Karpenter allows). Only the keys some requirement touches are
 * returned.
 * @returns the narrowed values per touched key, or undefined when some defined key has no value left.
 */
export function narrowDomain(domain: LabelDomain, requirements: readonly CompiledRequirement[]): Record<string, string[]> | undefined {
  const narrowed: Record<string, string[]> = {};
  for (const r of requirements) {
    const current = narrowed[r.key] ?? domain[r.key];
    if (current === undefined) continue;
    const kept = current.filter((v) => admits(r, v));
    if (kept.length === 0) return undefined;
    narrowed[r.key] = kept;
  }
  return narrowed;
}

/** Whether a single value for `key` satisfies every requirement on that key (none: true). */
export function admitsValue(requirements: readonly CompiledRequirement[], key: string, value: string): boolean {
  return requirements.every((r) => r.key !== key || admits(r, value));
}
