/** `workload.podDisruptionBudgets[i]`: a policy/v1 PodDisruptionBudget over the scenario's pods. */
import type { Labels, PodDisruptionBudget } from '../../apis/core.js';
import { DEFAULT_NAMESPACE } from '../../apis/workloads.js';
import { SelectorError, compileSelector } from '../../apis/selectors.js';
import { readLabelSelector } from './read-k8s.js';
import type { Reader } from './reader.js';

const PERCENT = /^(100|[1-9]?[0-9])%$/;

/**
 * Reads one budget: name, namespace, selector, and exactly one of minAvailable / maxUnavailable
 * (a count or a percentage). The selector must select pods of some workload in its namespace
 * (`selectable`; undefined skips the check), since a budget over nothing is almost always a typo.
 * `names` tracks names per kind for duplicate checks.
 */
export function readPdb(
  r: Reader,
  value: unknown,
  path: string,
  selectable: readonly { readonly namespace: string; readonly labels: Labels }[] | undefined,
  names: Map<string, Set<string>>,
): PodDisruptionBudget | undefined {
  const f = r.fields(value, path, ['name', 'namespace', 'selector', 'minAvailable', 'maxUnavailable'], true);
  if (f === undefined) return undefined;
  const name = r.str(f.get('name'), f.at('name'), true);
  const namespace = r.str(f.get('namespace'), f.at('namespace')) ?? DEFAULT_NAMESPACE;
  const selector = readLabelSelector(r, f.get('selector'), f.at('selector'), true);
  const minAvailable = readBound(r, f.get('minAvailable'), f.at('minAvailable'));
  const maxUnavailable = readBound(r, f.get('maxUnavailable'), f.at('maxUnavailable'));
  if (name === undefined || selector === undefined) return undefined;
  if (f.has('minAvailable') === f.has('maxUnavailable')) {
    return void r.fail(path, 'set exactly one of minAvailable and maxUnavailable');
  }
  if (minAvailable === undefined && maxUnavailable === undefined) return undefined;
  const seen = names.get('podDisruptionBudget') ?? new Set<string>();
  names.set('podDisruptionBudget', seen);
  if (seen.has(`${namespace}/${name}`)) return void r.fail(f.at('name'), `duplicates podDisruptionBudget "${namespace}/${name}"`);
  seen.add(`${namespace}/${name}`);
  try {
    const matches = compileSelector(selector);
    if (selectable !== undefined && !selectable.some((w) => w.namespace === namespace && matches(w.labels))) {
      return void r.fail(f.at('selector'), `selects no pod of any deployment, StatefulSet or job in namespace "${namespace}"`);
    }
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    return void r.fail(f.at('selector'), err.message);
  }
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { selector, ...(minAvailable !== undefined && { minAvailable }), ...(maxUnavailable !== undefined && { maxUnavailable }) },
  };
}

function readBound(r: Reader, value: unknown, path: string): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (PERCENT.test(value)) return value;
    return void r.fail(path, `must be a count or a percentage from "0%" to "100%", got ${JSON.stringify(value)}`);
  }
  return r.int(value, path, 0);
}
