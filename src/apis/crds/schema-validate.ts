/**
 * The API server's handling of a custom resource against its structural schema, done locally:
 * defaulting (the apiextensions algorithm: a missing or null property takes its default, then
 * defaults apply inside it) and validation (types, enums, patterns, bounds, required properties,
 * set uniqueness, and each CEL rule through its TypeScript predicate). Unknown fields are ignored,
 * as the server prunes them. Formats (date-time) are not checked.
 */
import { childPath, isRecord } from '../v1/validation-fields.js';
import type { ValidationProblem } from '../v1/validation-fields.js';
import type { JSONSchemaProps } from './schema.js';

/**
 * A deep copy of `value` with the schema's defaults applied, as the server does when it decodes
 * an object. Never throws; values of the wrong shape are left for validation to report.
 */
export function applySchemaDefaults<T>(schema: JSONSchemaProps, value: T): T {
  const copy = structuredClone(value);
  defaultInPlace(schema, copy);
  return copy;
}

function defaultInPlace(schema: JSONSchemaProps | undefined, value: unknown): void {
  if (schema === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) defaultInPlace(schema.items, item);
    return;
  }
  if (!isRecord(value)) return;
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.default !== undefined && (value[name] === undefined || value[name] === null)) value[name] = structuredClone(prop.default);
  }
  for (const [name, child] of Object.entries(value)) {
    defaultInPlace(schema.properties?.[name] ?? schema.additionalProperties, child);
  }
}

/** Options of {@link validateAgainstSchema}. */
export interface SchemaValidationOptions {
  /** The stored object, for an update: transition rules (oldSelf) run only when it is given. */
  readonly old?: unknown;
  /** Path of `value` inside the object ("" for the object itself). */
  readonly path?: string;
}

/**
 * Every way `value` breaks `schema`, with field paths in the server's style
 * ("spec.template.spec.requirements[0].values"). Does not apply defaults (see
 * {@link applySchemaDefaults}). A node's CEL rules are checked only when the node and everything
 * under it is structurally valid (types, enums, patterns, bounds), so their predicates see the
 * declared shape. Never throws unless a rule
 * predicate does.
 */
export function validateAgainstSchema(schema: JSONSchemaProps, value: unknown, opts: SchemaValidationOptions = {}): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  walk(schema, value, opts.old, opts.path ?? '', problems);
  return problems;
}

/** Validates `value` and what is under it; returns whether all of it is structurally valid. */
function walk(schema: JSONSchemaProps, value: unknown, old: unknown, path: string, problems: ValidationProblem[]): boolean {
  let valid = true;
  const add = (message: string, at = path): void => {
    problems.push({ path: at, message });
    valid = false;
  };
  if (!hasType(schema, value)) {
    add(`must be of type ${schema['x-kubernetes-int-or-string'] ? 'integer or string' : schema.type}, got ${shown(value)}`);
    return false;
  }
  if (typeof value === 'string') checkString(schema, value, add);
  else if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) add(`must be at least ${schema.minimum}, got ${value}`);
    if (schema.maximum !== undefined && value > schema.maximum) add(`must be at most ${schema.maximum}, got ${value}`);
  } else if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) add(`must have at least ${schema.minItems} items, got ${value.length}`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) add(`must have at most ${schema.maxItems} items, got ${value.length}`);
    if (schema['x-kubernetes-list-type'] === 'set') {
      value.forEach((item, i) => {
        if (value.indexOf(item) !== i) add(`duplicate value ${shown(item)}`, childPath(path, i));
      });
    }
    if (schema.items) value.forEach((item, i) => (valid = walk(schema.items!, item, undefined, childPath(path, i), problems) && valid));
  } else if (isRecord(value)) {
    const oldRecord = isRecord(old) ? old : undefined;
    for (const name of schema.required ?? []) if (value[name] === undefined) add('is required', childPath(path, name));
    const entries = Object.entries(value);
    if (schema.maxProperties !== undefined && entries.length > schema.maxProperties) {
      add(`must have at most ${schema.maxProperties} entries, got ${entries.length}`);
    }
    for (const [name, child] of entries) {
      const childSchema = schema.properties?.[name] ?? schema.additionalProperties;
      if (childSchema !== undefined) valid = walk(childSchema, child, oldRecord?.[name], childPath(path, name), problems) && valid;
    }
  }
  if (!valid) return false;
  // A failed rule does not make the value structurally invalid: rules above it still run.
  for (const r of schema['x-kubernetes-validations'] ?? []) {
    if (r.transition && old === undefined) continue;
    const check = r.check as (self: unknown, oldSelf: unknown) => boolean;
    if (!check(value, old)) problems.push({ path: r.fieldPath === undefined ? path : path + r.fieldPath, message: r.message });
  }
  return true;
}

function hasType(schema: JSONSchemaProps, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case undefined:
      return value !== null && value !== undefined;
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
  }
}

function checkString(schema: JSONSchemaProps, value: string, add: (message: string) => void): void {
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    add(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`);
  }
  // The server counts characters (runes), not UTF-16 units.
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) add(`must be at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined && length > schema.maxLength) add(`must be at most ${schema.maxLength} characters`);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    add(`${JSON.stringify(value)} must match ${schema.pattern}`);
  }
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  // JSON.stringify throws on a bigint: validation accepts any value, not only parsed YAML or JSON.
  if (typeof value === 'bigint') return `bigint ${value}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
