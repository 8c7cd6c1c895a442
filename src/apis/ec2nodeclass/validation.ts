/**
 * Validation of EC2NodeClasses: exactly what the EC2NodeClass CRD enforces (schema.ts is the one
 * definition of both), so an object that passes here is accepted by the API server.
 */
import { resourceValidator, validateResource } from '../crds/validate-resource.js';
import type { ValidationProblem } from '../v1/validation-fields.js';
import { ec2NodeClassKind } from './schema.js';

const VALIDATOR = resourceValidator(ec2NodeClassKind());

/**
 * Every problem with an EC2NodeClass (defaults applied first, as the server does), with field
 * paths. Pass the stored object as `old` to check an update (role/instanceProfile switches).
 * Accepts anything and never throws.
 */
export function validateEC2NodeClass(nodeClass: unknown, old?: unknown): ValidationProblem[] {
  return validateResource(VALIDATOR, nodeClass, old);
}
