/**
 * The KWOKNodeClass kind as schema: the one definition its CRD and validateKWOKNodeClass share.
 */
import { AGE_COLUMN, conditionColumn } from '../crds/crd.js';
import type { KindDefinition } from '../crds/crd.js';
import { conditions } from '../crds/karpenter-fields.js';
import { object, string } from '../crds/schema.js';
import { DURATION } from '../v1/validation-fields.js';
import { GROUP, KIND, VERSION } from './types.js';

/** The KWOKNodeClass kind. */
export function kwokNodeClassKind(): KindDefinition {
  return {
    group: GROUP,
    version: VERSION,
    kind: KIND,
    plural: 'kwoknodeclasses',
    singular: 'kwoknodeclass',
    shortNames: ['kwoknc'],
    categories: ['karpenter'],
    scope: 'Cluster',
    description: 'A KWOKNodeClass: nodes that are Node objects only (kwok provider), for tests and demos.',
    spec: object(
      {
        nodeRegistrationDelay: string({
          pattern: DURATION,
          description: 'How long after launch the Node object appears ("30s"); the provider default when absent.',
        }),
      },
      { description: 'Settings of the fake nodes.' },
    ),
    // An empty node class is valid: `spec: {}` may be omitted entirely.
    specRequired: false,
    status: object({ conditions: conditions() }),
    printerColumns: [conditionColumn('Ready'), AGE_COLUMN, { name: 'Delay', type: 'string', jsonPath: '.spec.nodeRegistrationDelay', priority: 1 }],
  };
}
