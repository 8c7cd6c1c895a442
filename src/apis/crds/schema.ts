/**
 * A small builder for the OpenAPI v3 schemas of CustomResourceDefinitions. Each node is a plain
 * `JSONSchemaProps` object (what the API server reads), and each CEL rule carries, beside its CEL
 * text, the same rule as a TypeScript predicate, so one definition both goes into the CRD and
 * validates objects locally (schema-validate.ts). Builders are pure and return fresh objects.
 */

/** A CEL validation rule (`x-kubernetes-validations` entry) and its TypeScript twin. */
export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
  /** Where the server reports the failure, relative to the node (".values"); default the node. */
  readonly fieldPath?: string;
  /**
   * The rule as a predicate on a value that already passed its structural checks. Transition rules
   * (CEL `oldSelf`) get the old value and run only on update, as on the server.
   */
  readonly check: (self: never, oldSelf: never) => boolean;
  /** True when the rule reads `oldSelf`. */
  readonly transition: boolean;
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'boolean';

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps the project's CRDs use. */
export interface JSONSchemaProps {
  type?: SchemaType;
  description?: string;
  format?: string;
  default?: unknown;
  enum?: readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set';
  'x-kubernetes-validations'?: ValidationRule[];
}

/** Options every builder takes. */
export interface Common {
  readonly description?: string;
  readonly default?: unknown;
  readonly rules?: readonly ValidationRule[];
}

function common(node: JSONSchemaProps, opts: Common): JSONSchemaProps {
  if (opts.description !== undefined) node.description = opts.description;
  if (opts.default !== undefined) node.default = structuredClone(opts.default);
  if (opts.rules !== undefined && opts.rules.length > 0) node['x-kubernetes-validations'] = [...opts.rules];
  return node;
}

/**
 * A CEL rule with its predicate. `check` receives the node's value typed as the caller declares
 * (the validator calls it only once the value has the schema's shape).
 */
export function rule<T>(cel: string, message: string, check: (self: T) => boolean, opts: { fieldPath?: string } = {}): ValidationRule {
  return { rule: cel, message, check, transition: false, ...opts };
}

/** A transition rule (reads `oldSelf`): checked on update only, against the stored value. */
export function transitionRule<T>(cel: string, message: string, check: (self: T, oldSelf: T) => boolean): ValidationRule {
  return { rule: cel, message, check, transition: true };
}

export interface StringOptions extends Common {
  /** A RegExp is written as its source; the API server uses RE2, so keep to the common subset. */
  readonly pattern?: RegExp | string;
  readonly enum?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly format?: 'date-time';
}

export function string(opts: StringOptions = {}): JSONSchemaProps {
  const node: JSONSchemaProps = { type: 'string' };
  if (opts.enum !== undefined) node.enum = [...opts.enum];
  if (opts.pattern !== undefined) node.pattern = typeof opts.pattern === 'string' ? opts.pattern : opts.pattern.source;
  if (opts.minLength !== undefined) node.minLength = opts.minLength;
  if (opts.maxLength !== undefined) node.maxLength = opts.maxLength;
  if (opts.format !== undefined) node.format = opts.format;
  return common(node, opts);
}

export interface IntegerOptions extends Common {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly format?: 'int32' | 'int64';
}

export function integer(opts: IntegerOptions = {}): JSONSchemaProps {
  const node: JSONSchemaProps = { type: 'integer' };
  if (opts.format !== undefined) node.format = opts.format;
  if (opts.minimum !== undefined) node.minimum = opts.minimum;
  if (opts.maximum !== undefined) node.maximum = opts.maximum;
  return common(node, opts);
}

export function boolean(opts: Common = {}): JSONSchemaProps {
  return common({ type: 'boolean' }, opts);
}

/** An integer or a string matching `pattern` (Kubernetes' int-or-string, as quantities use). */
export function intOrString(opts: Common & { readonly pattern?: RegExp } = {}): JSONSchemaProps {
  const node: JSONSchemaProps = { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
  if (opts.pattern !== undefined) node.pattern = opts.pattern.source;
  return common(node, opts);
}

const REQUIRED: unique symbol = Symbol('required');
/** A property that must be present; wrap a schema with {@link required}. */
export interface RequiredProperty {
  readonly [REQUIRED]: JSONSchemaProps;
}
export type Property = JSONSchemaProps | RequiredProperty;

/** Marks an object property as required. */
export function required(schema: JSONSchemaProps): RequiredProperty {
  return { [REQUIRED]: schema };
}

function isRequired(p: Property): p is RequiredProperty {
  return REQUIRED in p;
}

/** An object with known properties (unknown fields are pruned by the server). */
export function object(properties: Readonly<Record<string, Property>>, opts: Common = {}): JSONSchemaProps {
  const props: Record<string, JSONSchemaProps> = {};
  const req: string[] = [];
  for (const [name, p] of Object.entries(properties)) {
    if (isRequired(p)) {
      props[name] = p[REQUIRED];
      req.push(name);
    } else props[name] = p;
  }
  const node: JSONSchemaProps = { type: 'object', properties: props };
  if (req.length > 0) node.required = req;
  return common(node, opts);
}

/** An object whose every value has the `values` schema (a Go map). */
export function map(values: JSONSchemaProps, opts: Common & { readonly maxProperties?: number } = {}): JSONSchemaProps {
  const node: JSONSchemaProps = { type: 'object', additionalProperties: values };
  if (opts.maxProperties !== undefined) node.maxProperties = opts.maxProperties;
  return common(node, opts);
}

export interface ArrayOptions extends Common {
  readonly minItems?: number;
  readonly maxItems?: number;
  /** "set": items must be unique scalars (the server rejects duplicates). */
  readonly listType?: 'atomic' | 'set';
}

export function array(items: JSONSchemaProps, opts: ArrayOptions = {}): JSONSchemaProps {
  const node: JSONSchemaProps = { type: 'array', items };
  if (opts.minItems !== undefined) node.minItems = opts.minItems;
  if (opts.maxItems !== undefined) node.maxItems = opts.maxItems;
  if (opts.listType !== undefined) node['x-kubernetes-list-type'] = opts.listType;
  return common(node, opts);
}

/** A copy of `schema` with more rules appended. */
export function withRules(schema: JSONSchemaProps, ...rules: ValidationRule[]): JSONSchemaProps {
  return { ...schema, 'x-kubernetes-validations': [...(schema['x-kubernetes-validations'] ?? []), ...rules] };
}

/** A CEL string literal (single-quoted) for `text`. */
export function celString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** A CEL list literal of strings. */
export function celList(items: readonly string[]): string {
  return `[${items.map(celString).join(', ')}]`;
}

/**
 * The schema as the API server reads it: validation rules reduced to rule, message and fieldPath
 * (predicates dropped), keys in a stable order.
 */
export function toOpenAPI(schema: JSONSchemaProps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (value === undefined) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JSONSchemaProps>).map(([k, v]) => [k, toOpenAPI(v)]));
    } else if (key === 'items' || key === 'additionalProperties') out[key] = toOpenAPI(value as JSONSchemaProps);
    else if (key === 'anyOf') out[key] = (value as JSONSchemaProps[]).map(toOpenAPI);
    else if (key === 'x-kubernetes-validations') {
      out[key] = (value as ValidationRule[]).map((r) => ({ rule: r.rule, message: r.message, ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}) }));
    } else out[key] = value;
  }
  return out;
}
