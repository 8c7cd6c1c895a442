/**
 * Validation of a whole custom resource as the API server would do it on create (or on update,
 * given the stored object): apiVersion, kind and name, then the schema's defaults and checks.
 */
import { Problems, checkApiVersion, checkName, describe, isRecord } from '../v1/validation-fields.js';
import type { ValidationProblem } from '../v1/validation-fields.js';
import { objectSchema } from './crd.js';
import type { KindDefinition } from './crd.js';
import { applySchemaDefaults, validateAgainstSchema } from './schema-validate.js';
import type { JSONSchemaProps } from './schema.js';

/** A kind ready for validation: its identity and whole-object schema, built once. */
export interface ResourceValidator {
  readonly apiVersion: string;
  readonly kind: string;
  readonly schema: JSONSchemaProps;
}

/** Builds the validator of a kind (the schema is built here, once). */
export function resourceValidator(def: KindDefinition): ResourceValidator {
  return { apiVersion: `${def.group}/${def.version}`, kind: def.kind, schema: objectSchema(def) };
}

/**
 * Every problem with `obj` as a resource of the validator's kind, in the order found. Accepts
 * anything and never throws. With `old` (the stored object), transition rules are checked too.
 */
export function validateResource(v: ResourceValidator, obj: unknown, old?: unknown): ValidationProblem[] {
  if (!isRecord(obj)) return [{ path: '', message: `must be a ${v.kind} object, got ${describe(obj)}` }];
  const problems = new Problems();
  checkApiVersion(obj.apiVersion, v.apiVersion, problems);
  if (obj.kind !== undefined && obj.kind !== v.kind) problems.add('kind', `must be ${v.kind}, got ${describe(obj.kind)}`);
  checkName(obj.metadata, problems, {});
  const defaulted = applySchemaDefaults(v.schema, obj);
  const storedOld = old === undefined ? undefined : applySchemaDefaults(v.schema, old);
  return [...problems.list, ...validateAgainstSchema(v.schema, defaulted, { old: storedOld })];
}
