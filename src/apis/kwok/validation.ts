/**
 * Validation of KWOKNodeClasses: exactly what their CRD enforces (schema.ts defines both).
 */
import { resourceValidator, validateResource } from '../crds/validate-resource.js';
import type { ValidationProblem } from '../v1/validation-fields.js';
import { kwokNodeClassKind } from './schema.js';

const VALIDATOR = resourceValidator(kwokNodeClassKind());

/** Every problem with a KWOKNodeClass, with field paths. Accepts anything and never throws. */
export function validateKWOKNodeClass(nodeClass: unknown): ValidationProblem[] {
  return validateResource(VALIDATOR, nodeClass);
}
