/**
 * Field checks shared by NodePool, NodeClaim and v1alpha5 Provisioner validation: requirements,
 * taints, labels, annotations, node class references, durations and quantities. Each check records
 * every problem it finds at its field path and never throws, whatever shape the input has.
 */
import { QuantityError, parseQuantity } from '../../utils/quantity.js';
import { labelKeyProblems, labelValueProblems, normalizeLabelKey, restrictedLabelReason } from '../labels.js';

/** One thing wrong with an object, at a dotted field path such as "spec.template.spec.requirements[2].minValues". */
export interface ValidationProblem {
  readonly path: string;
  readonly message: string;
}

/** Collects problems. */
export class Problems {
  readonly list: ValidationProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `path.key`, `path[3]`, or `path["kubernetes.io/arch"]` for keys that are not plain identifiers. */
export function childPath(path: string, ...keys: (string | number)[]): string {
  let out = path;
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  // Values JSON cannot spell (validators accept anything, not only parsed YAML or JSON).
  if (typeof value === 'bigint') return `bigint ${value}`;
  if (typeof value === 'symbol' || typeof value === 'function' || value === undefined) return typeof value;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** A present, non-empty string; records why not otherwise. */
export function requireString(value: unknown, path: string, problems: Problems): value is string {
  if (value === undefined || value === null) problems.add(path, 'is required');
  else if (typeof value !== 'string') problems.add(path, `must be a string, got ${describe(value)}`);
  else if (value === '') problems.add(path, 'must not be empty');
  else return true;
  return false;
}

/** An optional integer within [min, max]; true when absent or valid. */
export function checkInteger(value: unknown, path: string, problems: Problems, min: number, max = Infinity): boolean {
  if (value === undefined) return true;
  const range = max !== Infinity ? ` between ${min} and ${max}` : min !== -Infinity ? ` at least ${min}` : '';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.add(path, `must be an integer${range}, got ${describe(value)}`);
    return false;
  }
  return true;
}

export interface RequirementRules {
  readonly operators: readonly string[];
  readonly allowMinValues: boolean;
  /** Keys refused outright, with the reason. */
  readonly forbiddenKeys: ReadonlyMap<string, string>;
}

export const MAX_REQUIREMENTS = 100;
const NUMERIC_OPERATORS = new Set(['Gt', 'Lt', 'Gte', 'Lte']);

/** Checks a requirements list (required: absent is a problem). */
export function checkRequirements(value: unknown, path: string, problems: Problems, rules: RequirementRules): void {
  if (value === undefined || value === null) return problems.add(path, 'is required (use [] for no requirements)');
  if (!Array.isArray(value)) return problems.add(path, `must be a list, got ${describe(value)}`);
  if (value.length > MAX_REQUIREMENTS) problems.add(path, `must have at most ${MAX_REQUIREMENTS} requirements, got ${value.length}`);
  value.forEach((item, i) => checkRequirement(item, childPath(path, i), problems, rules));
}

function checkRequirement(item: unknown, path: string, problems: Problems, rules: RequirementRules): void {
  if (!isRecord(item)) return problems.add(path, `must be a mapping with key and operator, got ${describe(item)}`);
  const { key, operator, values, minValues } = item;
  if (requireString(key, childPath(path, 'key'), problems)) checkRequirementKey(key, childPath(path, 'key'), problems, rules);
  const known = requireString(operator, childPath(path, 'operator'), problems) && rules.operators.includes(operator);
  if (typeof operator === 'string' && operator !== '' && !known) {
    problems.add(childPath(path, 'operator'), `"${operator}" is not supported; use one of ${rules.operators.join(', ')}`);
  }
  const valuesPath = childPath(path, 'values');
  let list: string[] = [];
  if (values !== undefined && values !== null) {
    if (!Array.isArray(values)) problems.add(valuesPath, `must be a list of strings, got ${describe(values)}`);
    else {
      values.forEach((v, j) => {
        if (typeof v !== 'string') problems.add(childPath(valuesPath, j), `must be a string, got ${describe(v)} (quote it in YAML)`);
        else for (const why of labelValueProblems(v)) problems.add(childPath(valuesPath, j), why);
      });
      list = values.filter((v): v is string => typeof v === 'string');
    }
  }
  const count = Array.isArray(values) ? values.length : 0;
  if (known) {
    if (operator === 'In' && count === 0) problems.add(valuesPath, 'must list at least one value with operator In');
    if ((operator === 'Exists' || operator === 'DoesNotExist') && count > 0) {
      problems.add(valuesPath, `must be empty with operator ${operator}`);
    }
    if (NUMERIC_OPERATORS.has(operator) && (count !== 1 || !/^\+?[0-9]+$/.test(list[0] ?? ''))) {
      problems.add(valuesPath, `must be a single non-negative integer with operator ${operator}, got ${JSON.stringify(values ?? [])}`);
    }
  }
  if (minValues === undefined) return;
  const minPath = childPath(path, 'minValues');
  if (!rules.allowMinValues) return problems.add(minPath, 'is not supported here');
  if (typeof minValues !== 'number' || !Number.isInteger(minValues) || minValues < 1 || minValues > 50) {
    return problems.add(minPath, `must be between 1 and 50, got ${describe(minValues)}`);
  }
  if (operator === 'In' && count < minValues) {
    problems.add(minPath, `is ${minValues} but only ${count} value${count === 1 ? ' is' : 's are'} listed; an In requirement needs at least minValues values`);
  }
}

function checkRequirementKey(key: string, path: string, problems: Problems, rules: RequirementRules): void {
  for (const why of labelKeyProblems(key)) problems.add(path, why);
  const forbidden = rules.forbiddenKeys.get(normalizeLabelKey(key));
  if (forbidden !== undefined) return problems.add(path, forbidden);
  const restricted = restrictedLabelReason(key);
  if (restricted !== undefined) problems.add(path, restricted);
}

/** Checks the labels a node will carry: key syntax, restricted domains, forbidden keys, values. */
export function checkLabels(value: unknown, path: string, problems: Problems, forbiddenKeys: ReadonlyMap<string, string>): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) return problems.add(path, `must be a mapping of label keys to values, got ${describe(value)}`);
  const entries = Object.entries(value);
  if (entries.length > 100) problems.add(path, `must have at most 100 labels, got ${entries.length}`);
  for (const [key, v] of entries) {
    const at = childPath(path, key);
    for (const why of labelKeyProblems(key)) problems.add(at, `key ${why}`);
    const forbidden = forbiddenKeys.get(normalizeLabelKey(key));
    const restricted = forbidden ?? restrictedLabelReason(key);
    if (restricted !== undefined) problems.add(at, restricted);
    if (typeof v !== 'string') problems.add(at, `must be a string, got ${describe(v)} (quote it in YAML)`);
    else for (const why of labelValueProblems(v)) problems.add(at, why);
  }
}

/** Checks annotations: keys are qualified names, values strings. */
export function checkAnnotations(value: unknown, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) return problems.add(path, `must be a mapping of annotation keys to values, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    const at = childPath(path, key);
    for (const why of labelKeyProblems(key)) problems.add(at, `key ${why}`);
    if (typeof v !== 'string') problems.add(at, `must be a string, got ${describe(v)} (quote it in YAML)`);
  }
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/**
 * Checks taint lists; a key and effect may appear once across all of them (taints and startupTaints
 * together), as Karpenter requires.
 */
export function checkTaints(lists: readonly { value: unknown; path: string }[], problems: Problems): void {
  const seen = new Map<string, string>();
  for (const { value, path } of lists) {
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) {
      problems.add(path, `must be a list of taints, got ${describe(value)}`);
      continue;
    }
    value.forEach((taint, i) => {
      const at = childPath(path, i);
      if (!isRecord(taint)) return problems.add(at, `must be a mapping with key and effect, got ${describe(taint)}`);
      if (requireString(taint.key, childPath(at, 'key'), problems)) {
        for (const why of labelKeyProblems(taint.key)) problems.add(childPath(at, 'key'), why);
      }
      // Kubernetes requires a taint value to be a valid label value, so check that (Karpenter's
      // looser check lets through values the API server then refuses on the Node).
      if (taint.value !== undefined && taint.value !== null) {
        if (typeof taint.value !== 'string') problems.add(childPath(at, 'value'), `must be a string, got ${describe(taint.value)}`);
        else for (const why of labelValueProblems(taint.value)) problems.add(childPath(at, 'value'), why);
      }
      if (requireString(taint.effect, childPath(at, 'effect'), problems) && !TAINT_EFFECTS.includes(taint.effect)) {
        problems.add(childPath(at, 'effect'), `"${taint.effect}" is not a taint effect; use one of ${TAINT_EFFECTS.join(', ')}`);
      }
      if (typeof taint.key === 'string' && typeof taint.effect === 'string') {
        const id = `${taint.key}\u0000${taint.effect}`;
        const first = seen.get(id);
        if (first !== undefined) problems.add(at, `duplicates ${first}: taint ${taint.key}:${taint.effect} may appear once`);
        else seen.set(id, at);
      }
    });
  }
}

/** Checks nodeClassRef {group, kind, name} (required). */
export function checkNodeClassRef(value: unknown, path: string, problems: Problems): void {
  if (!isRecord(value)) {
    return problems.add(path, value === undefined || value === null ? 'is required' : `must be a mapping with group, kind and name, got ${describe(value)}`);
  }
  if (value.group === undefined && typeof value.apiVersion === 'string') {
    problems.add(childPath(path, 'group'), `is required: karpenter.sh/v1 replaced apiVersion with group (here "${value.apiVersion.split('/')[0]}")`);
  } else if (requireString(value.group, childPath(path, 'group'), problems) && value.group.includes('/')) {
    problems.add(childPath(path, 'group'), `must be an API group without a version, such as "${value.group.split('/')[0]}"`);
  }
  requireString(value.kind, childPath(path, 'kind'), problems);
  requireString(value.name, childPath(path, 'name'), problems);
}

/** Karpenter's duration patterns: whole s/m/h, optionally "Never"; budgets allow only h and m. */
export const DURATION_OR_NEVER = /^(([0-9]+(s|m|h))+|Never)$/;
export const DURATION = /^([0-9]+(s|m|h))+$/;
export const BUDGET_DURATION = /^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$/;

/** Checks an optional duration string against one of the patterns above. */
export function checkDuration(value: unknown, path: string, problems: Problems, pattern: RegExp): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string' && pattern.test(value)) return;
  const what =
    pattern === BUDGET_DURATION
      ? 'a duration in hours and minutes, such as "8h" or "1h30m"'
      : `a duration in whole hours, minutes and seconds, such as "720h" or "1h30m"${pattern === DURATION_OR_NEVER ? ', or "Never"' : ''}`;
  problems.add(path, `must be ${what}; got ${describe(value)}`);
}

/** Checks a map of resource names to quantities (integers or quantity strings). */
export function checkQuantities(value: unknown, path: string, problems: Problems): void {
  if (value === undefined || value === null) return;
  if (!isRecord(value)) return problems.add(path, `must be a mapping of resource names to quantities, got ${describe(value)}`);
  for (const [name, q] of Object.entries(value)) {
    const at = childPath(path, name);
    if (typeof q === 'number') {
      // The CRD types quantities as int-or-string, so a fractional number is refused.
      if (!Number.isSafeInteger(q)) problems.add(at, `must be an integer or a quantity string such as "1.5" or "512Mi", got ${q}`);
      continue;
    }
    if (typeof q !== 'string') {
      problems.add(at, `must be a quantity such as "4", "500m" or "16Gi", got ${describe(q)}`);
      continue;
    }
    try {
      parseQuantity(q);
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
      problems.add(at, e.message);
    }
  }
}

/** Checks apiVersion when present. */
export function checkApiVersion(apiVersion: unknown, expected: string, problems: Problems): void {
  if (apiVersion === undefined || apiVersion === expected) return;
  problems.add('apiVersion', `must be ${expected}, got ${describe(apiVersion)}`);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks metadata.name: required (unless generateName is allowed and set), a DNS subdomain, and at
 * most 63 characters when it becomes the value of `labelValue` on every node.
 */
export function checkName(metadata: unknown, problems: Problems, options: { allowGenerateName?: boolean; labelValue?: string }): void {
  if (!isRecord(metadata)) {
    problems.add('metadata', metadata === undefined ? 'is required' : `must be a mapping, got ${describe(metadata)}`);
    return;
  }
  const { name } = metadata;
  if (name === undefined && options.allowGenerateName && typeof metadata.generateName === 'string') return;
  if (typeof name !== 'string' || name === '') {
    problems.add('metadata.name', name === undefined ? 'is required' : `must be a non-empty string, got ${describe(name)}`);
  } else if (!DNS_SUBDOMAIN.test(name)) {
    problems.add('metadata.name', `"${name}" must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit`);
  } else if (options.labelValue !== undefined && name.length > 63) {
    problems.add('metadata.name', `must be at most 63 characters: it becomes the value of the ${options.labelValue} label on every node`);
  }
}

/**
 * The checks every karpenter.sh resource starts with: an object, its apiVersion and kind (each
 * optional, but right when given), its name and a spec mapping. Returns the spec to check further, or undefined when there is none to check (the
 * problem is already recorded).
 */
export function checkResourceHeader(
  obj: unknown,
  kind: string,
  apiVersion: string,
  problems: Problems,
  nameOptions: { allowGenerateName?: boolean; labelValue?: string },
): Record<string, unknown> | undefined {
  if (!isRecord(obj)) {
    problems.add('', `must be a ${kind} object, got ${describe(obj)}`);
    return undefined;
  }
  checkApiVersion(obj.apiVersion, apiVersion, problems);
  // Like apiVersion, kind may be left out (scenarios and typed callers omit it) but never be wrong.
  if (obj.kind !== undefined && obj.kind !== kind) problems.add('kind', `must be ${kind}, got ${describe(obj.kind)}`);
  checkName(obj.metadata, problems, nameOptions);
  const spec = obj.spec;
  if (!isRecord(spec)) {
    problems.add('spec', spec === undefined ? 'is required' : `must be a mapping, got ${describe(spec)}`);
    return undefined;
  }
  return spec;
}
