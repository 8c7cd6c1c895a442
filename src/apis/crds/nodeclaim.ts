/**
 * The karpenter.sh/v1 NodeClaim kind: the template spec plus resource requests, immutable once
 * created; status as the lifecycle controllers write it.
 */
import { isDeepStrictEqual } from 'node:util';
import { AGE_COLUMN, conditionColumn } from './crd.js';
import type { KindDefinition } from './crd.js';
import { claimSpecProperties, conditions, quantities } from './karpenter-fields.js';
import { object, string, transitionRule } from './schema.js';
import type { JSONSchemaProps } from './schema.js';
import { GROUP, VERSION } from '../v1/types.js';

/** The NodeClaim spec schema. */
export function nodeClaimSpec(): JSONSchemaProps {
  return object(
    {
      ...claimSpecProperties({ forbidNodePool: false, immutableGroupKind: false }),
      resources: object(
        { requests: quantities('The least resources the node must offer (the pods it was launched for, plus daemonsets).') },
        { description: 'Resources the launch must satisfy.' },
      ),
    },
    {
      description: 'The node to launch: requirements, taints, node class and lifetime.',
      rules: [transitionRule<unknown>('self == oldSelf', 'spec is immutable', (self, old) => isDeepStrictEqual(self, old))],
    },
  );
}

function status(): JSONSchemaProps {
  return object({
    nodeName: string({ description: 'The Node registered for this claim.' }),
    providerID: string({ description: "The cloud provider's id of the instance." }),
    imageID: string({ description: 'The image the instance runs.' }),
    capacity: quantities('Resources of the instance.'),
    allocatable: quantities('Resources of the instance available to pods.'),
    conditions: conditions(),
    lastPodEventTime: string({ format: 'date-time', description: 'When a pod was last scheduled to or removed from the node.' }),
  });
}

/** The NodeClaim kind. */
export function nodeClaimKind(): KindDefinition {
  return {
    group: GROUP,
    version: VERSION,
    kind: 'NodeClaim',
    plural: 'nodeclaims',
    singular: 'nodeclaim',
    shortNames: ['nc'],
    categories: ['karpenter'],
    scope: 'Cluster',
    description: 'A NodeClaim: one node nodewright launched or is launching, from a NodePool\'s template.',
    spec: nodeClaimSpec(),
    specRequired: true,
    status: status(),
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.metadata.labels.node\\.kubernetes\\.io/instance-type' },
      { name: 'Capacity', type: 'string', jsonPath: '.metadata.labels.karpenter\\.sh/capacity-type' },
      { name: 'Zone', type: 'string', jsonPath: '.metadata.labels.topology\\.kubernetes\\.io/zone' },
      { name: 'Node', type: 'string', jsonPath: '.status.nodeName' },
      conditionColumn('Ready'),
      AGE_COLUMN,
      { name: 'ImageID', type: 'string', jsonPath: '.status.imageID', priority: 1 },
      { name: 'ID', type: 'string', jsonPath: '.status.providerID', priority: 1 },
      { name: 'NodePool', type: 'string', jsonPath: '.metadata.labels.karpenter\\.sh/nodepool', priority: 1 },
      { name: 'NodeClass', type: 'string', jsonPath: '.spec.nodeClassRef.name', priority: 1 },
      conditionColumn('Drifted', 1),
    ],
  };
}
