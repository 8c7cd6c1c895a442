/**
 * Label selectors (metav1.LabelSelector) compiled once into predicates. Used by the solver (topology
 * spread, pod affinity), PodDisruptionBudgets and controllers alike.
 */
import type { Labels, LabelSelector } from './core.js';

export type LabelPredicate = (labels: Labels | undefined) => boolean;

/** Thrown for a selector Kubernetes would reject (unknown operator, missing or extra values). */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

const matchNothing: LabelPredicate = () => false;
const matchEverything: LabelPredicate = () => true;

/**
 * Compiles a selector. As in Kubernetes, an absent selector matches nothing and an empty one
 * (`{}`) matches everything.
 * @throws SelectorError for an invalid expression.
 */
export function compileSelector(selector: LabelSelector | undefined | null): LabelPredicate {
  if (!selector) return matchNothing;
  const checks: LabelPredicate[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    checks.push((labels) => labels?.[key] === value);
  }
  for (const [i, expr] of (selector.matchExpressions ?? []).entries()) {
    const values = expr.values ?? [];
    const where = `matchExpressions[${i}] (key ${expr.key})`;
    switch (expr.operator) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) throw new SelectorError(`${where}: operator ${expr.operator} needs at least one value`);
        const set = new Set(values);
        const key = expr.key;
        checks.push(expr.operator === 'In'
          ? (labels) => labels?.[key] !== undefined && set.has(labels[key])
          : (labels) => labels?.[key] === undefined || !set.has(labels[key]));
        break;
      }
      case 'Exists':
      case 'DoesNotExist': {
        if (values.length > 0) throw new SelectorError(`${where}: operator ${expr.operator} takes no values`);
        const key = expr.key;
        checks.push(expr.operator === 'Exists'
          ? (labels) => labels?.[key] !== undefined
          : (labels) => labels?.[key] === undefined);
        break;
      }
      default:
        throw new SelectorError(`${where}: unknown operator "${expr.operator}" (want In, NotIn, Exists or DoesNotExist)`);
    }
  }
  if (checks.length === 0) return matchEverything;
  if (checks.length === 1) return checks[0]!;
  return (labels) => checks.every((c) => c(labels));
}

/** True when the labels satisfy the selector (see compileSelector for absent/empty selectors). */
export function selectorMatches(selector: LabelSelector | undefined | null, labels: Labels | undefined): boolean {
  return compileSelector(selector)(labels);
}
