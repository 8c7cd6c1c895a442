/**
 * The karpenter.sh/v1 NodePool kind: schema with the defaults of defaults.ts, Karpenter's
 * cross-field rules as CEL, status, printer columns.
 */
import { LABEL_VALUE, labelMapRules } from './label-rules.js';
import { AGE_COLUMN, conditionColumn } from './crd.js';
import type { KindDefinition } from './crd.js';
import { claimSpecProperties, conditions, quantities } from './karpenter-fields.js';
import { array, integer, map, object, required, rule, string, transitionRule } from './schema.js';
import type { JSONSchemaProps } from './schema.js';
import {
  DEFAULT_BUDGET_NODES,
  DEFAULT_CONSOLIDATE_AFTER,
  DEFAULT_CONSOLIDATION_POLICY,
} from '../v1/defaults.js';
import { BUDGET_DURATION, DURATION_OR_NEVER } from '../v1/validation-fields.js';
import { DISRUPTION_REASONS, GROUP, VERSION } from '../v1/types.js';
import type { Budget, NodePoolSpec } from '../v1/types.js';

export const CONSOLIDATION_POLICIES = ['WhenEmpty', 'WhenEmptyOrUnderutilized'] as const;
export const BUDGET_NODES = /^((100|[0-9]{1,2})%|[0-9]+)$/;
/** Five cron fields or a macro; parseCron (utils/cron.ts) then checks the fields themselves. */
export const CRON = /^\s*(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s*$/;
export const MAX_BUDGETS = 50;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function budget(): JSONSchemaProps {
  return object(
    {
      nodes: required(string({
        pattern: BUDGET_NODES,
        default: DEFAULT_BUDGET_NODES,
        description: 'How many of the pool\'s nodes may be disrupted at once: a count ("5") or a percentage ("10%", rounded up).',
      })),
      schedule: string({ pattern: CRON, description: 'When the budget starts being active: cron in UTC ("0 9 * * mon-fri") or a macro ("@daily").' }),
      duration: string({ pattern: BUDGET_DURATION, description: 'How long the budget stays active after each schedule tick ("8h", "1h30m").' }),
      reasons: array(string({ enum: DISRUPTION_REASONS }), {
        maxItems: 50,
        listType: 'set',
        description: 'The disruption reasons the budget limits; all when absent.',
      }),
    },
    {
      rules: [
        rule<Budget>(
          'has(self.schedule) == has(self.duration)',
          "'schedule' must be set with 'duration'",
          (self) => (self.schedule === undefined) === (self.duration === undefined),
        ),
      ],
    },
  );
}

function disruption(): JSONSchemaProps {
  return object(
    {
      consolidationPolicy: string({
        enum: CONSOLIDATION_POLICIES,
        default: DEFAULT_CONSOLIDATION_POLICY,
        description: 'Which nodes consolidation may remove or replace: WhenEmpty or WhenEmptyOrUnderutilized.',
      }),
      consolidateAfter: string({
        pattern: DURATION_OR_NEVER,
        default: DEFAULT_CONSOLIDATE_AFTER,
        description: 'How long a node must go without pod changes before it is consolidated, or "Never".',
      }),
      budgets: array(budget(), {
        maxItems: MAX_BUDGETS,
        default: [{ nodes: DEFAULT_BUDGET_NODES }],
        description: 'Limits on concurrent disruption; the most restrictive active budget wins.',
      }),
    },
    // Karpenter's CRD requires consolidateAfter once the block is present; nodewright defaults it.
    { default: {}, description: 'How and when nodes of the pool may be disrupted.' },
  );
}

type Spec = NodePoolSpec;

/** The NodePool spec schema. */
export function nodePoolSpec(): JSONSchemaProps {
  const template = object({
    metadata: object({
      labels: map(string({ maxLength: 63, pattern: LABEL_VALUE }), {
        maxProperties: 100,
        rules: labelMapRules({ forbidNodePool: true }),
        description: 'Labels put on every node of the pool.',
      }),
      // No key-syntax rule here: on a map without maxProperties its estimated CEL cost exceeds the
      // server's budget, and a bound would refuse what validateNodePool accepts.
      annotations: map(string(), { description: 'Annotations put on every node of the pool.' }),
    }),
    spec: required(object(claimSpecProperties({ forbidNodePool: true, immutableGroupKind: true }))),
  }, { description: 'The NodeClaims this pool launches.' });
  return object(
    {
      template: required(template),
      disruption: disruption(),
      limits: quantities('Resource totals the pool\'s nodes may not exceed (cpu, memory, nodes, ...).'),
      weight: integer({ minimum: 1, maximum: 100, format: 'int32', description: 'Priority among pools; higher is tried first.' }),
      replicas: integer({ minimum: 0, format: 'int64', description: 'A static pool: keep exactly this many nodes.' }),
    },
    {
      description: 'Which nodes to launch for pending pods, and how to disrupt them.',
      rules: [
        transitionRule<Spec>(
          'has(self.replicas) == has(oldSelf.replicas)',
          'Cannot transition NodePool between static (replicas set) and dynamic (replicas unset) provisioning modes',
          (self, old) => (self.replicas === undefined) === (old.replicas === undefined),
        ),
        rule<Spec>(
          "!has(self.replicas) || !has(self.limits) || self.limits.all(k, k == 'nodes')",
          "only 'limits.nodes' is supported on static NodePools",
          (self) => self.replicas === undefined || Object.keys(self.limits ?? {}).every((k) => k === 'nodes'),
        ),
        rule<Spec>(
          '!has(self.replicas) || !has(self.weight)',
          "'weight' is not supported on static NodePools",
          (self) => self.replicas === undefined || self.weight === undefined,
        ),
      ],
    },
  );
}

function status(): JSONSchemaProps {
  return object({
    resources: quantities('Resources of the pool\'s nodes, summed.'),
    nodes: integer({ minimum: 0, format: 'int64', description: 'How many nodes the pool has.' }),
    nodeClassObservedGeneration: integer({ format: 'int64' }),
    conditions: conditions(),
  });
}

/** The NodePool kind. */
export function nodePoolKind(): KindDefinition {
  return {
    group: GROUP,
    version: VERSION,
    kind: 'NodePool',
    plural: 'nodepools',
    singular: 'nodepool',
    shortNames: ['np'],
    categories: ['karpenter'],
    scope: 'Cluster',
    description: 'A NodePool: the constraints and disruption settings of the nodes nodewright launches for pending pods.',
    spec: nodePoolSpec(),
    specRequired: true,
    status: status(),
    // The name becomes the value of the karpenter.sh/nodepool label on every node.
    name: string({ maxLength: 63, pattern: DNS_SUBDOMAIN }),
    printerColumns: [
      { name: 'NodeClass', type: 'string', jsonPath: '.spec.template.spec.nodeClassRef.name' },
      { name: 'Nodes', type: 'integer', jsonPath: '.status.nodes' },
      conditionColumn('Ready'),
      AGE_COLUMN,
      { name: 'Weight', type: 'integer', jsonPath: '.spec.weight', priority: 1 },
      { name: 'CPU', type: 'string', jsonPath: '.status.resources.cpu', priority: 1 },
      { name: 'Memory', type: 'string', jsonPath: '.status.resources.memory', priority: 1 },
    ],
  };
}
