/**
 * Schema pieces shared by the karpenter.sh/v1 kinds: taints, requirements with minValues, the node
 * class reference, the template spec NodePools and NodeClaims share, quantities and conditions.
 * Limits and enums come from apis/v1 so the CRD and validation.ts cannot disagree on them.
 */
import { DEFAULT_EXPIRE_AFTER } from '../v1/defaults.js';
import { V1_OPERATORS } from '../v1/validation.js';
import { DURATION, DURATION_OR_NEVER, MAX_REQUIREMENTS } from '../v1/validation-fields.js';
import { LABEL_VALUE, MAX_KEY_LENGTH, QUALIFIED_NAME, labelKeyRules } from './label-rules.js';
import { array, integer, intOrString, map, object, required, rule, string, transitionRule } from './schema.js';
import type { JSONSchemaProps, Property, ValidationRule } from './schema.js';
import type { NodeSelectorRequirementWithMinValues } from '../v1/types.js';

/** Kubernetes' resource.Quantity syntax. */
export const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export const MAX_MIN_VALUES = 50;
const NUMERIC_OPERATORS = ['Gt', 'Lt', 'Gte', 'Lte'];

/** A map of resource names to quantities (integers or quantity strings). */
export function quantities(description: string): JSONSchemaProps {
  return map(intOrString({ pattern: QUANTITY }), { description });
}

const nonEmpty = (what: string): ValidationRule => rule<string>("self != ''", `${what} may not be empty`, (self) => self !== '');

/** A label value: at most 63 characters of the label-value syntax. */
export function labelValue(description?: string): JSONSchemaProps {
  return string({ maxLength: 63, pattern: LABEL_VALUE, ...(description ? { description } : {}) });
}

function taint(): JSONSchemaProps {
  return object({
    key: required(string({ minLength: 1, maxLength: MAX_KEY_LENGTH, pattern: QUALIFIED_NAME, description: 'The taint key.' })),
    value: labelValue('The taint value.'),
    effect: required(string({ enum: TAINT_EFFECTS, description: 'NoSchedule, PreferNoSchedule or NoExecute.' })),
    timeAdded: string({ format: 'date-time', description: 'When the taint was added (NoExecute taints only).' }),
  });
}

/** A list of taints. */
export function taints(description: string): JSONSchemaProps {
  return array(taint(), { description });
}

type Requirement = NodeSelectorRequirementWithMinValues;
const valueCount = (r: Requirement): number => r.values?.length ?? 0;

/** Requirements with minValues; `forbidNodePool` refuses karpenter.sh/nodepool (NodePools set it). */
export function requirements(opts: { forbidNodePool: boolean }): JSONSchemaProps {
  const item = object(
    {
      key: required(string({ maxLength: MAX_KEY_LENGTH, pattern: QUALIFIED_NAME, rules: labelKeyRules(opts), description: 'The label key.' })),
      operator: required(string({ enum: V1_OPERATORS, description: "The key's relationship to the values." })),
      values: array(labelValue(), { listType: 'atomic', description: 'The values; a single integer for Gt, Lt, Gte and Lte.' }),
      minValues: integer({ minimum: 1, maximum: MAX_MIN_VALUES, description: 'The least number of distinct values the launch must keep open.' }),
    },
    {
      rules: [
        rule<Requirement>(
          "self.operator != 'In' || (has(self.values) && size(self.values) > 0)",
          "requirements with operator 'In' must have a value defined",
          (self) => self.operator !== 'In' || valueCount(self) > 0,
          { fieldPath: '.values' },
        ),
        rule<Requirement>(
          "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
          "requirements with operator 'Exists' or 'DoesNotExist' must have no values",
          (self) => !['Exists', 'DoesNotExist'].includes(self.operator) || valueCount(self) === 0,
          { fieldPath: '.values' },
        ),
        rule<Requirement>(
          "!(self.operator in ['Gt', 'Lt', 'Gte', 'Lte']) || (has(self.values) && size(self.values) == 1 && self.values[0].matches('^[+]?[0-9]+$'))",
          "requirements with operator 'Gt', 'Lt', 'Gte' or 'Lte' must have a single non-negative integer value",
          (self) => !NUMERIC_OPERATORS.includes(self.operator) || (valueCount(self) === 1 && /^[+]?[0-9]+$/.test(self.values![0]!)),
          { fieldPath: '.values' },
        ),
        rule<Requirement>(
          "!has(self.minValues) || self.operator != 'In' || (has(self.values) && size(self.values) >= self.minValues)",
          "requirements with 'minValues' must have at least that many values specified in the 'values' field",
          (self) => self.minValues === undefined || self.operator !== 'In' || valueCount(self) >= self.minValues,
          { fieldPath: '.minValues' },
        ),
      ],
    },
  );
  return array(item, { maxItems: MAX_REQUIREMENTS, description: 'Node label requirements; pods constrain launches within them.' });
}

/** The node class reference; with `immutableGroupKind`, group and kind may not change on update. */
export function nodeClassRef(opts: { immutableGroupKind: boolean }): JSONSchemaProps {
  type Ref = { group: string; kind: string };
  return object(
    {
      group: required(string({ pattern: /^[^/]*$/, rules: [nonEmpty('group')], description: 'API group of the node class, without a version.' })),
      kind: required(string({ rules: [nonEmpty('kind')], description: 'Kind of the node class.' })),
      name: required(string({ rules: [nonEmpty('name')], description: 'Name of the node class.' })),
    },
    {
      description: 'The node class (provider-specific configuration) of the nodes.',
      rules: opts.immutableGroupKind
        ? [
            transitionRule<Ref>('self.group == oldSelf.group', 'nodeClassRef.group is immutable', (s, o) => s.group === o.group),
            transitionRule<Ref>('self.kind == oldSelf.kind', 'nodeClassRef.kind is immutable', (s, o) => s.kind === o.kind),
          ]
        : [],
    },
  );
}

/** The fields a NodePool's template spec and a NodeClaim's spec share. */
export function claimSpecProperties(opts: { forbidNodePool: boolean; immutableGroupKind: boolean }): Record<string, Property> {
  return {
    taints: taints("Taints put on the node; pods must tolerate them."),
    startupTaints: taints('Taints present while the node starts and removed by something else; ignored when fitting pods.'),
    requirements: required(requirements(opts)),
    nodeClassRef: required(nodeClassRef(opts)),
    expireAfter: string({
      pattern: DURATION_OR_NEVER,
      default: DEFAULT_EXPIRE_AFTER,
      description: 'How long after launch the node is replaced ("720h"), or "Never".',
    }),
    terminationGracePeriod: string({
      pattern: DURATION,
      description: 'How long draining may take before pods are deleted regardless of PDBs and do-not-disrupt.',
    }),
  };
}

/** metav1.Condition; reason, message and lastTransitionTime are optional here, type and status not. */
export function conditions(): JSONSchemaProps {
  return array(
    object({
      type: required(string({ maxLength: 316, description: 'Condition type, e.g. Ready.' })),
      status: required(string({ enum: ['True', 'False', 'Unknown'] })),
      reason: string({ maxLength: 1024 }),
      message: string({ maxLength: 32768 }),
      lastTransitionTime: string({ format: 'date-time' }),
      observedGeneration: integer({ minimum: 0, format: 'int64' }),
    }),
    { description: 'Conditions of the object.' },
  );
}
