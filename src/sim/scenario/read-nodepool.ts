/**
 * `cluster.nodePools[i]`: a full karpenter.sh/v1 NodePool, checked by validateNodePool (its
 * problems prefixed with the NodePool's path), for unknown fields, for instance types the
 * catalogue does not have, and for requirements no instance type satisfies; then defaulted.
 */
import { INSTANCE_TYPE_LABEL } from '../../apis/labels.js';
import { isMap } from '../../apis/manifests-checks.js';
import { withDefaults } from '../../apis/v1/defaults.js';
import type { DefaultedNodePool } from '../../apis/v1/defaults.js';
import type { NodePool } from '../../apis/v1/types.js';
import { API_VERSION } from '../../apis/v1/types.js';
import { validateNodePool } from '../../apis/v1/validation.js';
import type { InstanceType } from '../../cloudprovider/types.js';
import { poolOptions } from './instance-types.js';
import { childPath } from './reader.js';
import type { Reader } from './reader.js';

/** A shape for the unknown-field check: any value, a mapping of shapes, or a list of one shape. */
type Shape = 'any' | { readonly [key: string]: Shape } | readonly [Shape];

const TAINT: Shape = { key: 'any', value: 'any', effect: 'any', timeAdded: 'any' };
const LABELS: Shape = 'any';
const NODEPOOL: Shape = {
  apiVersion: 'any',
  kind: 'any',
  metadata: { name: 'any', labels: LABELS, annotations: LABELS },
  spec: {
    template: {
      metadata: { labels: LABELS, annotations: LABELS },
      spec: {
        taints: [TAINT],
        startupTaints: [TAINT],
        requirements: [{ key: 'any', operator: 'any', values: 'any', minValues: 'any' }],
        nodeClassRef: { group: 'any', kind: 'any', name: 'any' },
        expireAfter: 'any',
        terminationGracePeriod: 'any',
        // validateNodePool explains where kubelet went; listed so it is not also "unknown".
        kubelet: 'any',
      },
    },
    disruption: {
      consolidationPolicy: 'any',
      consolidateAfter: 'any',
      budgets: [{ nodes: 'any', schedule: 'any', duration: 'any', reasons: 'any' }],
      expireAfter: 'any',
    },
    limits: 'any',
    weight: 'any',
    replicas: 'any',
  },
};

/**
 * Reads one NodePool at `path`. `kind` and `apiVersion` may be left out (they can only be
 * NodePool and karpenter.sh/v1). Undefined when it has any problem.
 */
export function readNodePool(r: Reader, value: unknown, path: string, types: readonly InstanceType[] | undefined): DefaultedNodePool | undefined {
  if (!r.map(value, path, true)) return undefined;
  const before = r.problems.length;
  if (value.kind !== undefined && value.kind !== 'NodePool') r.fail(childPath(path, 'kind'), `must be NodePool, got ${JSON.stringify(value.kind)}`);
  for (const p of validateNodePool(value)) {
    r.fail(p.path === '' ? path : p.path.startsWith('[') ? path + p.path : `${path}.${p.path}`, p.message);
  }
  checkKnownFields(r, value, path, NODEPOOL);
  if (r.problems.length > before) return undefined;
  const nodePool = withDefaults({ ...(value as unknown as NodePool), apiVersion: API_VERSION, kind: 'NodePool' });
  if (types !== undefined) checkInstanceTypes(r, nodePool, path, types);
  return r.problems.length > before ? undefined : nodePool;
}

function checkKnownFields(r: Reader, value: unknown, path: string, shape: Shape): void {
  if (shape === 'any') return;
  if (Array.isArray(shape)) {
    if (Array.isArray(value)) value.forEach((item, i) => checkKnownFields(r, item, childPath(path, i), (shape as readonly [Shape])[0]));
    return;
  }
  if (!isMap(value)) return;
  const fields = shape as { readonly [key: string]: Shape };
  for (const [key, child] of Object.entries(value)) {
    const sub = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (sub === undefined) r.fail(childPath(path, key), `unknown field; expected one of ${Object.keys(fields).filter((k) => k !== 'kubelet').join(', ')}`);
    else checkKnownFields(r, child, childPath(path, key), sub);
  }
}

/** Instance types named by the requirements exist, and some type fits the requirements at all. */
function checkInstanceTypes(r: Reader, nodePool: DefaultedNodePool, path: string, types: readonly InstanceType[]): void {
  const known = new Set(types.map((t) => t.name));
  nodePool.spec.template.spec.requirements.forEach((req, i) => {
    if (req.key !== INSTANCE_TYPE_LABEL) return;
    (req.values ?? []).forEach((v, j) => {
      if (!known.has(v)) r.fail(childPath(path, 'spec', 'template', 'spec', 'requirements', i, 'values', j), `unknown instance type "${v}": the catalogue has no such type`);
    });
  });
  if (poolOptions(nodePool, types).length === 0) {
    r.fail(childPath(path, 'spec', 'template', 'spec', 'requirements'), 'no instance type of the catalogue satisfies these requirements in cluster.zones');
  }
}
