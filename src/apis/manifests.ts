/**
 * Reads multi-document Kubernetes YAML (the text of `kubectl apply -f` files) into typed objects
 * grouped by kind, keeping where each came from so every problem can name the file, the document,
 * the line and the field. Pure: the caller reads the files.
 */
import { LineCounter, isMap as isYamlMap, isNode, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type {
  DaemonSet,
  Deployment,
  Job,
  KubeObject,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReplicaSet,
  StatefulSet,
  StorageClass,
} from './core.js';
import type { NodePool } from './v1/types.js';
import type { Provisioner } from './v1alpha5/types.js';
import { isMap } from './manifests-checks.js';
import type { Json } from './manifests-checks.js';
import { checkShape, isKnownKind } from './manifests-shapes.js';
import type { KnownKind } from './manifests-shapes.js';

/** Where an object was read from. */
export interface ManifestSource {
  readonly file: string;
  /** 1-based index of the YAML document in the file (empty documents count). */
  readonly document: number;
  /** 1-based line where the object starts. */
  readonly line: number;
  /** The object's field path inside the document ("" for a document, "items[2]" inside a List). */
  readonly prefix: string;
  /** The line of a field path inside the object, or of its nearest ancestor that exists. */
  lineOf(path: string): number;
}

/** An object with its source. */
export interface Manifest<T> {
  readonly object: T;
  readonly source: ManifestSource;
}

/** Every object read, by kind, in input order. */
export interface ManifestSet {
  readonly pods: Manifest<Pod>[];
  readonly deployments: Manifest<Deployment>[];
  readonly replicaSets: Manifest<ReplicaSet>[];
  readonly statefulSets: Manifest<StatefulSet>[];
  readonly jobs: Manifest<Job>[];
  readonly daemonSets: Manifest<DaemonSet>[];
  readonly nodes: Manifest<Node>[];
  readonly persistentVolumes: Manifest<PersistentVolume>[];
  readonly persistentVolumeClaims: Manifest<PersistentVolumeClaim>[];
  readonly storageClasses: Manifest<StorageClass>[];
  readonly nodePools: Manifest<NodePool>[];
  /** karpenter.sh/v1alpha5 Provisioners as read (shape checked, not validated: apis/v1alpha5 does that). */
  readonly provisioners: Manifest<Provisioner>[];
}

const FIELD_OF_KIND = {
  Pod: 'pods',
  Deployment: 'deployments',
  ReplicaSet: 'replicaSets',
  StatefulSet: 'statefulSets',
  Job: 'jobs',
  DaemonSet: 'daemonSets',
  Node: 'nodes',
  PersistentVolume: 'persistentVolumes',
  PersistentVolumeClaim: 'persistentVolumeClaims',
  StorageClass: 'storageClasses',
  NodePool: 'nodePools',
  Provisioner: 'provisioners',
} as const satisfies Record<KnownKind, keyof ManifestSet>;

/** A problem with the input. Errors make the input unusable; warnings say what was ignored. */
export interface ManifestProblem {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly document: number;
  readonly line: number;
  /** "Deployment web", when the object's kind (and name) are known. */
  readonly object?: string;
  /** Field path inside the object. */
  readonly path?: string;
  readonly message: string;
}

/** An empty set, to fill or merge into. */
export function emptyManifestSet(): ManifestSet {
  return {
    pods: [], deployments: [], replicaSets: [], statefulSets: [], jobs: [], daemonSets: [], nodes: [],
    persistentVolumes: [], persistentVolumeClaims: [], storageClasses: [], nodePools: [], provisioners: [],
  };
}

/**
 * `pods.yaml: document 3 (line 41): Deployment web: spec.replicas: must be a non-negative integer`
 * (warnings are prefixed with "warning: ").
 */
export function formatProblem(p: ManifestProblem): string {
  const parts = [`${p.file}: document ${p.document} (line ${p.line})`];
  if (p.object !== undefined) parts.push(p.object);
  if (p.path !== undefined && p.path !== '') parts.push(p.path);
  parts.push(p.message);
  return (p.severity === 'warning' ? 'warning: ' : '') + parts.join(': ');
}

/**
 * A problem at a field of an object read from a manifest (e.g. one that v1/validation.ts found),
 * located by the object's source.
 */
export function problemAt(
  manifest: Manifest<KubeObject>,
  path: string,
  message: string,
  severity: ManifestProblem['severity'] = 'error',
): ManifestProblem {
  const { source, object } = manifest;
  return {
    severity,
    file: source.file,
    document: source.document,
    line: source.lineOf(path),
    object: describeObject(object.kind, object.metadata.name),
    path,
    message,
  };
}

/**
 * Parses every YAML document of `text` (from `file`, used only in messages) and adds the objects
 * it reads to `into` (a fresh set by default). Objects of a `kind: List` are read one by one.
 * Objects with shape problems are left out and each problem is returned; unknown kinds are left
 * out with a warning. Never throws for bad input.
 */
export function parseManifests(text: string, file: string, into: ManifestSet = emptyManifestSet()): { manifests: ManifestSet; problems: ManifestProblem[] } {
  const problems: ManifestProblem[] = [];
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  if (!Array.isArray(documents)) return { manifests: into, problems };
  documents.forEach((doc, i) => {
    const document = i + 1;
    const docLine = lines.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const line = err.linePos?.[0].line ?? docLine;
        problems.push({ severity: 'error', file, document, line, message: `invalid YAML: ${err.message.split('\n')[0] ?? err.code}` });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      // The yaml package throws (not reports) for an alias without its anchor or too many aliases.
      const message = err instanceof Error ? err.message : String(err);
      problems.push({ severity: 'error', file, document, line: docLine, message: `invalid YAML: ${message.split('\n')[0] ?? message}` });
      return;
    }
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing `---`
    const locate = (prefix: string) => (path: string): number => lineOfPath(doc, lines, joinPath(prefix, path)) ?? docLine;
    const sourceAt = (prefix: string): ManifestSource => ({ file, document, prefix, line: locate(prefix)(''), lineOf: locate(prefix) });
    if (isMap(value) && value.kind === 'List') {
      if (!Array.isArray(value.items)) {
        problems.push({ severity: 'error', file, document, line: docLine, object: 'List', path: 'items', message: 'must be a list of objects' });
        return;
      }
      value.items.forEach((item, j) => readObject(item, sourceAt(`items[${j}]`), into, problems));
      return;
    }
    readObject(value, sourceAt(''), into, problems);
  });
  return { manifests: into, problems };
}

function readObject(value: unknown, source: ManifestSource, into: ManifestSet, problems: ManifestProblem[]): void {
  const base = { file: source.file, document: source.document, line: source.line };
  if (!isMap(value)) {
    problems.push({ ...base, severity: 'error', message: 'must be a Kubernetes object (a mapping with apiVersion, kind and metadata)' });
    return;
  }
  const kind = value.kind;
  const name = isMap(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : undefined;
  if (typeof kind !== 'string' || kind === '') {
    problems.push({ ...base, severity: 'error', path: 'kind', message: 'is required' });
    return;
  }
  if (!isKnownKind(kind)) {
    problems.push({ ...base, severity: 'warning', object: describeObject(kind, name), message: `kind ${kind} is not read by nodewright; ignored` });
    return;
  }
  const shapeProblems = checkShape(kind, value);
  if (shapeProblems.length > 0) {
    for (const p of shapeProblems) {
      problems.push({ ...base, severity: 'error', line: source.lineOf(p.path), object: describeObject(kind, name), path: p.path, message: p.message });
    }
    return;
  }
  addObject(into, kind, value, source);
}

function addObject(into: ManifestSet, kind: KnownKind, value: Json, source: ManifestSource): void {
  // The shape check above established the fields the readers rely on.
  const list = into[FIELD_OF_KIND[kind]] as Manifest<unknown>[];
  list.push({ object: value, source });
}

function describeObject(kind: string | undefined, name: string | undefined): string | undefined {
  if (kind === undefined) return undefined;
  return name === undefined ? kind : `${kind} ${name}`;
}

function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? prefix + path : `${prefix}.${path}`;
}

/**
 * Splits "spec.template.spec.containers[0].resources.requests[\"nvidia.com/gpu\"]" into keys.
 * Returns undefined for a path it cannot read (the caller falls back to the document's line).
 */
export function splitPath(path: string): (string | number)[] | undefined {
  const keys: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|(\.)/gy;
  let expectKey = true;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (m === null) return undefined;
    if (m[1] !== undefined) {
      if (!expectKey) return undefined;
      keys.push(m[1]);
      expectKey = false;
    } else if (m[2] !== undefined) {
      keys.push(Number(m[2]));
      expectKey = false;
    } else if (m[3] !== undefined) {
      keys.push(JSON.parse(m[3]) as string);
      expectKey = false;
    } else {
      if (expectKey) return undefined;
      expectKey = true;
    }
  }
  return expectKey && keys.length > 0 ? undefined : keys;
}

function lineOfPath(doc: Document, lines: LineCounter, path: string): number | undefined {
  const keys = splitPath(path);
  if (keys === undefined) return undefined;
  const offset = offsetOfPath(doc, keys);
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

/**
 * Where a field path points in a YAML document: the offset of the deepest part of the path that
 * exists. A map entry is located by its key, so a missing field points at its nearest existing
 * ancestor's key. Shared by manifests and simulation scenarios.
 */
export function offsetOfPath(doc: Document, keys: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const key of keys) {
    if (isYamlMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item: unknown = node.items[key];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}
