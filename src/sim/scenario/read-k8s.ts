/**
 * Kubernetes scheduling fields of a pod template, read strictly (unknown fields are problems) into
 * the core types: affinity, tolerations, topology spread constraints and label selectors.
 */
import type {
  Affinity,
  LabelSelector,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodAffinity,
  PodAffinityTerm,
  Taint,
  Toleration,
  TopologySpreadConstraint,
} from '../../apis/core.js';
import type { Reader } from './reader.js';

const NODE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;
const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** A label selector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
export function readLabelSelector(r: Reader, value: unknown, path: string, required = false): LabelSelector | undefined {
  const f = r.fields(value, path, ['matchLabels', 'matchExpressions'], required);
  if (f === undefined) return undefined;
  const matchLabels = r.labels(f.get('matchLabels'), f.at('matchLabels'));
  const matchExpressions = r.items(f.get('matchExpressions'), f.at('matchExpressions'), (e, p) => readExpression(r, e, p, LABEL_OPERATORS));
  return { ...(matchLabels && { matchLabels }), ...(f.has('matchExpressions') && { matchExpressions }) };
}

function readExpression(r: Reader, value: unknown, path: string, operators: readonly string[]): NodeSelectorRequirement | undefined {
  const f = r.fields(value, path, ['key', 'operator', 'values'], true);
  if (f === undefined) return undefined;
  const key = r.str(f.get('key'), f.at('key'), true);
  const operator = r.choice(f.get('operator'), f.at('operator'), operators, true);
  const values = f.has('values') ? r.strings(f.get('values'), f.at('values')) : [];
  if (key === undefined || operator === undefined || values === undefined) return undefined;
  const wanted = operator === 'In' || operator === 'NotIn' ? 'at least one value' : operator === 'Gt' || operator === 'Lt' ? 'exactly one integer value' : 'no values';
  const ok = operator === 'In' || operator === 'NotIn' ? values.length > 0
    : operator === 'Gt' || operator === 'Lt' ? values.length === 1 && /^-?\d+$/.test(values[0] ?? '')
    : values.length === 0;
  if (!ok) return void r.fail(f.at('values'), `operator ${operator} takes ${wanted}`);
  return { key, operator, ...(values.length > 0 && { values }) };
}

function readSelectorTerm(r: Reader, value: unknown, path: string): NodeSelectorTerm | undefined {
  const f = r.fields(value, path, ['matchExpressions', 'matchFields'], true);
  if (f === undefined) return undefined;
  const matchExpressions = r.items(f.get('matchExpressions'), f.at('matchExpressions'), (e, p) => readExpression(r, e, p, NODE_OPERATORS));
  const matchFields = r.items(f.get('matchFields'), f.at('matchFields'), (e, p) => readExpression(r, e, p, NODE_OPERATORS));
  return { ...(f.has('matchExpressions') && { matchExpressions }), ...(f.has('matchFields') && { matchFields }) };
}

function readWeight(r: Reader, value: unknown, path: string): number | undefined {
  const weight = r.int(value, path, 1, true);
  if (weight !== undefined && weight > 100) return void r.fail(path, `must be an integer between 1 and 100, got ${weight}`);
  return weight;
}

function readPodAffinityTerm(r: Reader, value: unknown, path: string): PodAffinityTerm | undefined {
  const f = r.fields(value, path, ['labelSelector', 'namespaceSelector', 'namespaces', 'topologyKey', 'matchLabelKeys', 'mismatchLabelKeys'], true);
  if (f === undefined) return undefined;
  const topologyKey = r.str(f.get('topologyKey'), f.at('topologyKey'), true);
  const labelSelector = readLabelSelector(r, f.get('labelSelector'), f.at('labelSelector'));
  const namespaceSelector = readLabelSelector(r, f.get('namespaceSelector'), f.at('namespaceSelector'));
  const namespaces = r.strings(f.get('namespaces'), f.at('namespaces'));
  const matchLabelKeys = r.strings(f.get('matchLabelKeys'), f.at('matchLabelKeys'));
  const mismatchLabelKeys = r.strings(f.get('mismatchLabelKeys'), f.at('mismatchLabelKeys'));
  if (topologyKey === undefined) return undefined;
  return {
    topologyKey,
    ...(labelSelector && { labelSelector }),
    ...(namespaceSelector && { namespaceSelector }),
    ...(namespaces && { namespaces }),
    ...(matchLabelKeys && { matchLabelKeys }),
    ...(mismatchLabelKeys && { mismatchLabelKeys }),
  };
}

function readPodAffinity(r: Reader, value: unknown, path: string): PodAffinity | undefined {
  const f = r.fields(value, path, ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution']);
  if (f === undefined) return undefined;
  const required = r.items(f.get('requiredDuringSchedulingIgnoredDuringExecution'), f.at('requiredDuringSchedulingIgnoredDuringExecution'), (t, p) => readPodAffinityTerm(r, t, p));
  const preferred = r.items(f.get('preferredDuringSchedulingIgnoredDuringExecution'), f.at('preferredDuringSchedulingIgnoredDuringExecution'), (t, p) => {
    const w = r.fields(t, p, ['weight', 'podAffinityTerm'], true);
    if (w === undefined) return undefined;
    const weight = readWeight(r, w.get('weight'), w.at('weight'));
    const podAffinityTerm = readPodAffinityTerm(r, w.get('podAffinityTerm'), w.at('podAffinityTerm'));
    return weight === undefined || podAffinityTerm === undefined ? undefined : { weight, podAffinityTerm };
  });
  return {
    ...(f.has('requiredDuringSchedulingIgnoredDuringExecution') && { requiredDuringSchedulingIgnoredDuringExecution: required }),
    ...(f.has('preferredDuringSchedulingIgnoredDuringExecution') && { preferredDuringSchedulingIgnoredDuringExecution: preferred }),
  };
}

/** `affinity` as in a PodSpec: nodeAffinity, podAffinity, podAntiAffinity. */
export function readAffinity(r: Reader, value: unknown, path: string): Affinity | undefined {
  const f = r.fields(value, path, ['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
  if (f === undefined) return undefined;
  const out: Affinity = {};
  const n = r.fields(f.get('nodeAffinity'), f.at('nodeAffinity'), ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution']);
  if (n !== undefined) {
    const req = r.fields(n.get('requiredDuringSchedulingIgnoredDuringExecution'), n.at('requiredDuringSchedulingIgnoredDuringExecution'), ['nodeSelectorTerms']);
    let required: NodeSelector | undefined;
    if (req !== undefined) {
      const terms = r.items(req.get('nodeSelectorTerms'), req.at('nodeSelectorTerms'), (t, p) => readSelectorTerm(r, t, p), true);
      if (Array.isArray(req.get('nodeSelectorTerms')) && terms.length === 0) r.fail(req.at('nodeSelectorTerms'), 'must have at least one term');
      required = { nodeSelectorTerms: terms };
    }
    const preferred = r.items(n.get('preferredDuringSchedulingIgnoredDuringExecution'), n.at('preferredDuringSchedulingIgnoredDuringExecution'), (t, p) => {
      const w = r.fields(t, p, ['weight', 'preference'], true);
      if (w === undefined) return undefined;
      const weight = readWeight(r, w.get('weight'), w.at('weight'));
      const preference = readSelectorTerm(r, w.get('preference'), w.at('preference'));
      return weight === undefined || preference === undefined ? undefined : { weight, preference };
    });
    out.nodeAffinity = {
      ...(required && { requiredDuringSchedulingIgnoredDuringExecution: required }),
      ...(n.has('preferredDuringSchedulingIgnoredDuringExecution') && { preferredDuringSchedulingIgnoredDuringExecution: preferred }),
    };
  }
  const podAffinity = readPodAffinity(r, f.get('podAffinity'), f.at('podAffinity'));
  if (podAffinity) out.podAffinity = podAffinity;
  const podAntiAffinity = readPodAffinity(r, f.get('podAntiAffinity'), f.at('podAntiAffinity'));
  if (podAntiAffinity) out.podAntiAffinity = podAntiAffinity;
  return out;
}

/** One toleration (operator Equal or Exists; Exists takes no value). */
export function readToleration(r: Reader, value: unknown, path: string): Toleration | undefined {
  const f = r.fields(value, path, ['key', 'operator', 'value', 'effect', 'tolerationSeconds'], true);
  if (f === undefined) return undefined;
  const key = r.str(f.get('key'), f.at('key'));
  const operator = r.choice(f.get('operator'), f.at('operator'), ['Equal', 'Exists'] as const);
  const tolValue = f.get('value') === '' ? '' : r.str(f.get('value'), f.at('value'));
  const effect = r.choice(f.get('effect'), f.at('effect'), EFFECTS);
  const seconds = r.int(f.get('tolerationSeconds'), f.at('tolerationSeconds'), 0);
  if (operator === 'Exists' && tolValue) r.fail(f.at('value'), 'must be empty when operator is Exists');
  if (key === undefined && operator !== 'Exists') r.fail(f.at('operator'), 'must be Exists when key is empty (a toleration of every taint)');
  return {
    ...(key !== undefined && { key }),
    ...(operator !== undefined && { operator }),
    ...(tolValue !== undefined && { value: tolValue }),
    ...(effect !== undefined && { effect }),
    ...(seconds !== undefined && { tolerationSeconds: seconds }),
  };
}

/**
 * One topology spread constraint. Unlike Kubernetes, an absent labelSelector selects the pod's
 * own labels (`ownLabels`), which is what a workload spreading itself means.
 */
export function readSpread(r: Reader, value: unknown, path: string, ownLabels: Record<string, string>): TopologySpreadConstraint | undefined {
  const f = r.fields(value, path, ['maxSkew', 'topologyKey', 'whenUnsatisfiable', 'labelSelector', 'minDomains', 'nodeAffinityPolicy', 'nodeTaintsPolicy', 'matchLabelKeys'], true);
  if (f === undefined) return undefined;
  const maxSkew = r.int(f.get('maxSkew'), f.at('maxSkew'), 1, true);
  const topologyKey = r.str(f.get('topologyKey'), f.at('topologyKey'), true);
  const whenUnsatisfiable = r.choice(f.get('whenUnsatisfiable'), f.at('whenUnsatisfiable'), ['DoNotSchedule', 'ScheduleAnyway'] as const);
  const labelSelector = readLabelSelector(r, f.get('labelSelector'), f.at('labelSelector'));
  const minDomains = r.int(f.get('minDomains'), f.at('minDomains'), 1);
  const nodeAffinityPolicy = r.choice(f.get('nodeAffinityPolicy'), f.at('nodeAffinityPolicy'), ['Honor', 'Ignore'] as const);
  const nodeTaintsPolicy = r.choice(f.get('nodeTaintsPolicy'), f.at('nodeTaintsPolicy'), ['Honor', 'Ignore'] as const);
  const matchLabelKeys = r.strings(f.get('matchLabelKeys'), f.at('matchLabelKeys'));
  if (maxSkew === undefined || topologyKey === undefined) return undefined;
  return {
    maxSkew,
    topologyKey,
    whenUnsatisfiable: whenUnsatisfiable ?? 'DoNotSchedule',
    labelSelector: labelSelector ?? { matchLabels: { ...ownLabels } },
    ...(minDomains !== undefined && { minDomains }),
    ...(nodeAffinityPolicy && { nodeAffinityPolicy }),
    ...(nodeTaintsPolicy && { nodeTaintsPolicy }),
    ...(matchLabelKeys && { matchLabelKeys }),
  };
}

/** A node taint: key, optional value, effect. */
export function readTaint(r: Reader, value: unknown, path: string): Taint | undefined {
  const f = r.fields(value, path, ['key', 'value', 'effect'], true);
  if (f === undefined) return undefined;
  const key = r.str(f.get('key'), f.at('key'), true);
  const effect = r.choice(f.get('effect'), f.at('effect'), EFFECTS, true);
  const taintValue = r.str(f.get('value'), f.at('value'));
  return key === undefined || effect === undefined ? undefined : { key, effect, ...(taintValue !== undefined && { value: taintValue }) };
}
