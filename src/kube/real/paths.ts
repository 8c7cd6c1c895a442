/**
 * URL paths and query strings of the Kubernetes REST API, derived from the kind table, so every
 * kind (core, grouped and custom resources alike) goes through one request path.
 */
import type { LabelSelector } from '../../apis/core.js';
import type { KindInfo } from '../kinds.js';
import type { FieldSelector } from '../types.js';

const enc = encodeURIComponent;

function groupVersionPath(info: KindInfo): string {
  return info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
}

/**
 * The collection of a kind: in `namespace` for namespaced kinds, across all namespaces when it is
 * absent; cluster-scoped kinds ignore the namespace.
 */
export function collectionPath(info: KindInfo, namespace?: string): string {
  const ns = info.namespaced && namespace !== undefined ? `/namespaces/${enc(namespace)}` : '';
  return `${groupVersionPath(info)}${ns}/${info.plural}`;
}

/** One object, or one of its subresources ("status", "binding", "eviction"). */
export function objectPath(info: KindInfo, name: string, namespace: string | undefined, subresource?: string): string {
  const ns = info.namespaced ? namespace ?? 'default' : undefined;
  const sub = subresource === undefined ? '' : `/${subresource}`;
  return `${collectionPath(info, ns)}/${enc(name)}${sub}`;
}

/**
 * The selector in the API server's text form ("app=web,tier in (a,b),!legacy"), or undefined
 * when it selects everything.
 * @throws RangeError for an operator the API does not know (the server would answer 400).
 */
export function labelSelectorString(selector: LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const req of selector.matchExpressions ?? []) {
    const values = (req.values ?? []).join(',');
    switch (req.operator) {
      case 'In': parts.push(`${req.key} in (${values})`); break;
      case 'NotIn': parts.push(`${req.key} notin (${values})`); break;
      case 'Exists': parts.push(req.key); break;
      case 'DoesNotExist': parts.push(`!${req.key}`); break;
      default: throw new RangeError(`building a label selector: unknown operator "${req.operator}" for key "${req.key}"`);
    }
  }
  return parts.length === 0 ? undefined : parts.join(',');
}

/** A field value escaped as the API server's selector parser expects: backslash, comma and "=" get a backslash. */
const escapeFieldValue = (v: string): string => v.replace(/[\\,=]/g, (c) => `\\${c}`);

/** "spec.nodeName=node-1,metadata.name=x"; an empty value selects an empty field. */
export function fieldSelectorString(selector: FieldSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => `${k}=${escapeFieldValue(v)}`);
  return parts.length === 0 ? undefined : parts.join(',');
}
