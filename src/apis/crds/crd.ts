/**
 * A CustomResourceDefinition (apiextensions.k8s.io/v1) from a kind's schema: one served and stored
 * version, the status subresource, printer columns, short names and categories.
 */
import { object, required, string, toOpenAPI } from './schema.js';
import type { JSONSchemaProps, Property, ValidationRule } from './schema.js';

/** A `kubectl get` column. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
  readonly jsonPath: string;
  /** 0 (default) shows it always; 1 only with `-o wide`. */
  readonly priority?: 0 | 1;
  readonly description?: string;
}

/** Everything that makes one kind's CRD. */
export interface KindDefinition {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly scope: 'Cluster' | 'Namespaced';
  readonly description: string;
  readonly spec: JSONSchemaProps;
  /** Whether `spec` must be present (NodePool, NodeClaim and the node classes require it). */
  readonly specRequired: boolean;
  readonly status: JSONSchemaProps;
  /** Restrictions on metadata.name (the only metadata a CRD schema may constrain, with generateName). */
  readonly name?: JSONSchemaProps;
  /** Rules on the whole object (CEL sees metadata.name and generateName, spec and status). */
  readonly rules?: readonly ValidationRule[];
  readonly printerColumns: readonly PrinterColumn[];
}

/** The YAML/JSON form of a CRD as the API server takes it. */
export interface CustomResourceDefinition {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string };
  readonly spec: Record<string, unknown>;
}

/**
 * The whole-object schema of a kind: apiVersion, kind, metadata (left to the server), spec and
 * status. This is the schema local validation uses.
 */
export function objectSchema(def: KindDefinition): JSONSchemaProps {
  const properties: Record<string, Property> = {
    apiVersion: string({ description: 'The versioned schema of this representation of an object.' }),
    kind: string({ description: 'The REST resource this object represents.' }),
    metadata: def.name ? object({ name: def.name }) : { type: 'object' },
    spec: def.specRequired ? required(def.spec) : def.spec,
    status: def.status,
  };
  return object(properties, { description: def.description, rules: def.rules ?? [] });
}

/** The CRD for `def`. Pure; the result is plain data ready for YAML or JSON. */
export function customResourceDefinition(def: KindDefinition): CustomResourceDefinition {
  const names: Record<string, unknown> = {
    kind: def.kind,
    listKind: `${def.kind}List`,
    plural: def.plural,
    singular: def.singular,
  };
  if (def.shortNames && def.shortNames.length > 0) names.shortNames = [...def.shortNames];
  if (def.categories && def.categories.length > 0) names.categories = [...def.categories];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}` },
    spec: {
      group: def.group,
      names,
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: toOpenAPI(objectSchema(def)) },
        },
      ],
    },
  };
}

/** The printer column of a condition's status ("Ready": True/False/Unknown). */
export function conditionColumn(type: string, priority: 0 | 1 = 0): PrinterColumn {
  return { name: type, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status`, ...(priority ? { priority } : {}) };
}

/** The usual Age column. */
export const AGE_COLUMN: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
