/**
 * The shape each manifest kind must have before nodewright reads it: the fields it relies on are
 * present and of the right type, quantities parse, counts are non-negative integers. Deeper
 * NodePool rules live in v1/validation.ts; this only guards against objects that would crash or
 * silently mislead the readers. No I/O.
 */
import { Checker, childPath, isMap } from './manifests-checks.js';
import type { FieldProblem, Json } from './manifests-checks.js';

/** The kinds nodewright reads, by `kind`. */
export const KNOWN_KINDS = [
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'Job',
  'DaemonSet',
  'Node',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'StorageClass',
  'NodePool',
  'Provisioner',
] as const;
export type KnownKind = (typeof KNOWN_KINDS)[number];

export function isKnownKind(kind: string): kind is KnownKind {
  return (KNOWN_KINDS as readonly string[]).includes(kind);
}

const CLUSTER_SCOPED: ReadonlySet<KnownKind> = new Set(['Node', 'PersistentVolume', 'StorageClass', 'NodePool', 'Provisioner']);

/** Whether objects of this kind live outside namespaces. */
export function isClusterScoped(kind: KnownKind): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/**
 * Every shape problem of `object` read as `kind`; empty when nodewright can read it.
 * Never throws.
 */
export function checkShape(kind: KnownKind, object: Json): FieldProblem[] {
  const c = new Checker();
  checkMetadata(c, object.metadata);
  const spec = object.spec;
  switch (kind) {
    case 'Pod':
      if (c.map(spec, 'spec', true)) checkPodSpec(c, spec, 'spec');
      break;
    case 'Deployment':
    case 'ReplicaSet':
      if (c.map(spec, 'spec', true)) {
        c.integer(spec.replicas, 'spec.replicas', 0);
        checkTemplate(c, spec.template, 'spec.template');
      }
      break;
    case 'StatefulSet':
      if (c.map(spec, 'spec', true)) {
        c.integer(spec.replicas, 'spec.replicas', 0);
        checkTemplate(c, spec.template, 'spec.template');
        c.each(spec.volumeClaimTemplates, 'spec.volumeClaimTemplates', (t, p) => {
          if (!c.map(t, p, true)) return;
          checkMetadata(c, t.metadata, childPath(p, 'metadata'));
          c.map(t.spec, childPath(p, 'spec'));
        });
      }
      break;
    case 'Job':
      if (c.map(spec, 'spec', true)) {
        c.integer(spec.parallelism, 'spec.parallelism', 0);
        c.integer(spec.completions, 'spec.completions', 0);
        checkTemplate(c, spec.template, 'spec.template');
      }
      break;
    case 'DaemonSet':
      if (c.map(spec, 'spec', true)) checkTemplate(c, spec.template, 'spec.template');
      break;
    case 'Node':
      checkNode(c, object);
      break;
    case 'PersistentVolume':
      if (c.map(spec, 'spec', true)) {
        c.string(spec.storageClassName, 'spec.storageClassName');
        if (c.map(spec.claimRef, 'spec.claimRef')) {
          c.string(spec.claimRef.name, 'spec.claimRef.name');
          c.string(spec.claimRef.namespace, 'spec.claimRef.namespace');
        }
        if (c.map(spec.nodeAffinity, 'spec.nodeAffinity') && c.map(spec.nodeAffinity.required, 'spec.nodeAffinity.required')) {
          checkNodeSelector(c, spec.nodeAffinity.required, 'spec.nodeAffinity.required');
        }
      }
      break;
    case 'PersistentVolumeClaim':
      if (c.map(spec, 'spec', true)) {
        c.string(spec.storageClassName, 'spec.storageClassName');
        c.string(spec.volumeName, 'spec.volumeName');
      }
      break;
    case 'StorageClass':
      c.string(object.provisioner, 'provisioner', true);
      c.oneOf(object.volumeBindingMode, 'volumeBindingMode', ['Immediate', 'WaitForFirstConsumer']);
      c.each(object.allowedTopologies, 'allowedTopologies', (term, p) => {
        if (!c.map(term, p)) return;
        c.each(term.matchLabelExpressions, childPath(p, 'matchLabelExpressions'), (e, ep) => {
          if (!c.map(e, ep)) return;
          c.string(e.key, childPath(ep, 'key'), true);
          c.each(e.values, childPath(ep, 'values'), (v, vp) => c.string(v, vp), true);
        });
      });
      break;
    case 'NodePool':
      if (c.map(spec, 'spec', true) && c.map(spec.template, 'spec.template', true)) {
        if (c.map(spec.template.spec, 'spec.template.spec', true)) {
          c.list(spec.template.spec.requirements, 'spec.template.spec.requirements');
        }
        c.map(spec.template.metadata, 'spec.template.metadata');
      }
      break;
    case 'Provisioner':
      c.map(spec, 'spec', true);
      break;
    default: {
      const never: never = kind;
      throw new Error(`checking a manifest: unhandled kind ${String(never)}`);
    }
  }
  return c.problems;
}

function checkMetadata(c: Checker, metadata: unknown, path = 'metadata'): void {
  if (!c.map(metadata, path, true)) return;
  c.string(metadata.name, childPath(path, 'name'), true);
  c.string(metadata.namespace, childPath(path, 'namespace'));
  c.string(metadata.uid, childPath(path, 'uid'));
  c.stringMap(metadata.labels, childPath(path, 'labels'));
  c.stringMap(metadata.annotations, childPath(path, 'annotations'));
}

function checkTemplate(c: Checker, template: unknown, path: string): void {
  if (!c.map(template, path, true)) return;
  if (c.map(template.metadata, childPath(path, 'metadata'))) {
    c.stringMap(template.metadata.labels, childPath(path, 'metadata', 'labels'));
    c.stringMap(template.metadata.annotations, childPath(path, 'metadata', 'annotations'));
  }
  if (c.map(template.spec, childPath(path, 'spec'), true)) checkPodSpec(c, template.spec, childPath(path, 'spec'));
}

function checkPodSpec(c: Checker, spec: Json, path: string): void {
  const at = (key: string): string => childPath(path, key);
  c.each(spec.containers, at('containers'), (ct, p) => checkContainer(c, ct, p), true);
  if (Array.isArray(spec.containers) && spec.containers.length === 0) c.fail(at('containers'), 'must have at least one container');
  c.each(spec.initContainers, at('initContainers'), (ct, p) => checkContainer(c, ct, p));
  c.quantities(spec.overhead, at('overhead'));
  c.string(spec.nodeName, at('nodeName'));
  c.stringMap(spec.nodeSelector, at('nodeSelector'));
  c.integer(spec.priority, at('priority'), -2147483648);
  c.each(spec.tolerations, at('tolerations'), (t, p) => {
    if (!c.map(t, p)) return;
    c.oneOf(t.operator, childPath(p, 'operator'), ['Exists', 'Equal']);
    c.oneOf(t.effect, childPath(p, 'effect'), ['NoSchedule', 'PreferNoSchedule', 'NoExecute', '']);
    c.string(t.key, childPath(p, 'key'));
    c.string(t.value, childPath(p, 'value'));
  });
  c.each(spec.topologySpreadConstraints, at('topologySpreadConstraints'), (t, p) => {
    if (!c.map(t, p)) return;
    c.integer(t.maxSkew, childPath(p, 'maxSkew'), 1, true);
    c.string(t.topologyKey, childPath(p, 'topologyKey'), true);
    c.oneOf(t.whenUnsatisfiable, childPath(p, 'whenUnsatisfiable'), ['DoNotSchedule', 'ScheduleAnyway'], true);
    c.integer(t.minDomains, childPath(p, 'minDomains'), 1);
    c.map(t.labelSelector, childPath(p, 'labelSelector'));
  });
  if (c.map(spec.affinity, at('affinity'))) checkAffinity(c, spec.affinity, at('affinity'));
  c.each(spec.volumes, at('volumes'), (v, p) => {
    if (!c.map(v, p)) return;
    c.string(v.name, childPath(p, 'name'), true);
    if (c.map(v.persistentVolumeClaim, childPath(p, 'persistentVolumeClaim'))) {
      c.string(v.persistentVolumeClaim.claimName, childPath(p, 'persistentVolumeClaim', 'claimName'), true);
    }
  });
}

function checkContainer(c: Checker, container: unknown, path: string): void {
  if (!c.map(container, path, true)) return;
  c.string(container.name, childPath(path, 'name'), true);
  if (c.map(container.resources, childPath(path, 'resources'))) {
    c.quantities(container.resources.requests, childPath(path, 'resources', 'requests'));
    c.quantities(container.resources.limits, childPath(path, 'resources', 'limits'));
  }
  c.each(container.ports, childPath(path, 'ports'), (port, p) => {
    if (!c.map(port, p)) return;
    c.integer(port.containerPort, childPath(p, 'containerPort'), 1, true);
    c.integer(port.hostPort, childPath(p, 'hostPort'), 0);
  });
}

function checkAffinity(c: Checker, affinity: Json, path: string): void {
  const node = affinity.nodeAffinity;
  if (c.map(node, childPath(path, 'nodeAffinity'))) {
    const required = node.requiredDuringSchedulingIgnoredDuringExecution;
    const rp = childPath(path, 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution');
    if (c.map(required, rp)) checkNodeSelector(c, required, rp);
    c.each(node.preferredDuringSchedulingIgnoredDuringExecution, childPath(path, 'nodeAffinity', 'preferredDuringSchedulingIgnoredDuringExecution'), (t, p) => {
      if (!c.map(t, p)) return;
      c.integer(t.weight, childPath(p, 'weight'), 1, true);
      if (c.map(t.preference, childPath(p, 'preference'), true)) checkSelectorTerm(c, t.preference, childPath(p, 'preference'));
    });
  }
  for (const key of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = affinity[key];
    const pp = childPath(path, key);
    if (!c.map(pa, pp)) continue;
    c.each(pa.requiredDuringSchedulingIgnoredDuringExecution, childPath(pp, 'requiredDuringSchedulingIgnoredDuringExecution'), (t, p) => checkPodAffinityTerm(c, t, p));
    c.each(pa.preferredDuringSchedulingIgnoredDuringExecution, childPath(pp, 'preferredDuringSchedulingIgnoredDuringExecution'), (t, p) => {
      if (!c.map(t, p)) return;
      c.integer(t.weight, childPath(p, 'weight'), 1, true);
      checkPodAffinityTerm(c, t.podAffinityTerm, childPath(p, 'podAffinityTerm'));
    });
  }
}

function checkPodAffinityTerm(c: Checker, term: unknown, path: string): void {
  if (!c.map(term, path, true)) return;
  c.string(term.topologyKey, childPath(path, 'topologyKey'), true);
  c.map(term.labelSelector, childPath(path, 'labelSelector'));
  c.each(term.namespaces, childPath(path, 'namespaces'), (n, p) => c.string(n, p));
}

function checkNodeSelector(c: Checker, selector: Json, path: string): void {
  c.each(selector.nodeSelectorTerms, childPath(path, 'nodeSelectorTerms'), (t, p) => {
    if (c.map(t, p)) checkSelectorTerm(c, t, p);
  }, true);
}

function checkSelectorTerm(c: Checker, term: Json, path: string): void {
  for (const key of ['matchExpressions', 'matchFields'] as const) {
    c.each(term[key], childPath(path, key), (e, p) => {
      if (!c.map(e, p)) return;
      c.string(e.key, childPath(p, 'key'), true);
      c.string(e.operator, childPath(p, 'operator'), true);
      c.each(e.values, childPath(p, 'values'), (v, vp) => c.string(v, vp));
    });
  }
}

function checkNode(c: Checker, node: Json): void {
  if (c.map(node.spec, 'spec')) {
    c.boolean(node.spec.unschedulable, 'spec.unschedulable');
    c.each(node.spec.taints, 'spec.taints', (t, p) => {
      if (!c.map(t, p)) return;
      c.string(t.key, childPath(p, 'key'), true);
      c.string(t.value, childPath(p, 'value'));
      c.oneOf(t.effect, childPath(p, 'effect'), ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], true);
    });
  }
  if (c.map(node.status, 'status')) {
    c.quantities(node.status.capacity, 'status.capacity');
    c.quantities(node.status.allocatable, 'status.allocatable');
  }
  const status = isMap(node.status) ? node.status : {};
  if (!isMap(status.allocatable) && !isMap(status.capacity)) {
    c.fail('status.allocatable', 'is required: a node without allocatable resources cannot take pods');
  }
}
