/**
 * List/watch options compiled once into a predicate plus the index scope that narrows the scan.
 */
import type { Pod } from '../../apis/core.js';
import { compileSelector, SelectorError } from '../../apis/selectors.js';
import { KubeError } from '../errors.js';
import type { Kind } from '../kinds.js';
import { KINDS } from '../kinds.js';
import type { ListOptions } from '../types.js';
import type { ScanScope, StoredObject } from './object-store.js';

export interface CompiledFilter {
  /** Index scope for ObjectStore.scan. */
  scope: ScanScope;
  matches(obj: StoredObject): boolean;
}

const SUPPORTED_FIELDS = new Set(['spec.nodeName', 'metadata.name', 'metadata.namespace']);

/**
 * @throws KubeError BadRequest for an invalid label selector or an unsupported field selector
 *   (spec.nodeName is supported for Pods only).
 */
export function compileFilter(kind: Kind, opts: ListOptions = {}): CompiledFilter {
  const namespaced = KINDS[kind].namespaced;
  const fields = opts.fieldSelector ?? {};
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (!SUPPORTED_FIELDS.has(field) || (field === 'spec.nodeName' && kind !== 'Pod')) {
      throw new KubeError('BadRequest', `listing ${kind}: field selector "${field}" is not supported for ${kind}`, { kind });
    }
  }
  let labels: ((l: Record<string, string> | undefined) => boolean) | undefined;
  if (opts.labelSelector) {
    try {
      labels = compileSelector(opts.labelSelector);
    } catch (e) {
      if (e instanceof SelectorError) throw new KubeError('BadRequest', `listing ${kind}: invalid label selector: ${e.message}`, { kind }, { cause: e });
      throw e;
    }
  }
  const namespace = namespaced ? (opts.namespace ?? fields['metadata.namespace']) : undefined;
  const nsFromField = fields['metadata.namespace'];
  const name = fields['metadata.name'];
  const nodeName = kind === 'Pod' ? fields['spec.nodeName'] : undefined;
  const scope: ScanScope = {};
  if (namespace !== undefined) scope.namespace = namespace;
  if (nodeName !== undefined) scope.nodeName = nodeName;
  return {
    scope,
    matches(obj: StoredObject): boolean {
      const meta = obj.metadata;
      if (namespace !== undefined && meta.namespace !== namespace) return false;
      if (nsFromField !== undefined && (meta.namespace ?? '') !== nsFromField) return false;
      if (name !== undefined && meta.name !== name) return false;
      if (nodeName !== undefined && ((obj as unknown as Pod).spec?.nodeName ?? '') !== nodeName) return false;
      if (labels && !labels(meta.labels)) return false;
      return true;
    },
  };
}
