/**
 * The requirements algebra: a set of allowed values per label key, as Karpenter models node
 * selector requirements. A requirement is either a finite set of values (In, DoesNotExist = empty)
 * or the complement of one (NotIn, Exists = complement of empty), optionally bounded by integer
 * Gt/Lt. Intersection is exact; the empty set means "the label must not exist".
 */

export class RequirementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequirementError';
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const existsCache = new Map<string, Requirement>();

function parseBound(key: string, operator: string, values: readonly string[] | undefined): number {
  if (values?.length !== 1) throw new RequirementError(`${key}: operator ${operator} needs exactly one value`);
  const v = values[0]!;
  if (!/^-?\d+$/.test(v)) throw new RequirementError(`${key}: operator ${operator} needs an integer, got "${v}"`);
  return Number(v);
}

export class Requirement {
  /**
   * @param complement when true the requirement allows every value except `values` (NotIn/Exists).
   * @param gt exclusive lower bound on the integer value, if any.
   * @param lt exclusive upper bound on the integer value, if any.
   */
  constructor(
    readonly key: string,
    readonly complement: boolean,
    readonly values: ReadonlySet<string>,
    readonly gt?: number,
    readonly lt?: number,
    readonly minValues?: number,
  ) {}

  /** Exists(key); shared instances, since requirements are immutable. */
  static exists(key: string): Requirement {
    let r = existsCache.get(key);
    if (!r) existsCache.set(key, (r = new Requirement(key, true, EMPTY)));
    return r;
  }

  static doesNotExist(key: string): Requirement {
    return new Requirement(key, false, EMPTY);
  }

  static in(key: string, values: Iterable<string>, minValues?: number): Requirement {
    return new Requirement(key, false, new Set(values), undefined, undefined, minValues);
  }

  /**
   * Builds a requirement from a node selector expression (Karpenter's operators, including Gte/Lte).
   * @throws RequirementError for an unknown operator or values that do not fit it.
   */
  static fromSelector(key: string, operator: string, values: readonly string[] | undefined, minValues?: number): Requirement {
    switch (operator) {
      case 'In':
        if (!values?.length) throw new RequirementError(`${key}: operator In needs at least one value`);
        return new Requirement(key, false, new Set(values), undefined, undefined, minValues);
      case 'NotIn':
        return new Requirement(key, true, new Set(values ?? []), undefined, undefined, minValues);
      case 'Exists':
        if (values?.length) throw new RequirementError(`${key}: operator Exists takes no values`);
        return new Requirement(key, true, EMPTY, undefined, undefined, minValues);
      case 'DoesNotExist':
        if (values?.length) throw new RequirementError(`${key}: operator DoesNotExist takes no values`);
        return new Requirement(key, false, EMPTY);
      case 'Gt':
        return new Requirement(key, true, EMPTY, parseBound(key, operator, values), undefined, minValues);
      case 'Gte':
        return new Requirement(key, true, EMPTY, parseBound(key, operator, values) - 1, undefined, minValues);
      case 'Lt':
        return new Requirement(key, true, EMPTY, undefined, parseBound(key, operator, values), minValues);
      case 'Lte':
        return new Requirement(key, true, EMPTY, undefined, parseBound(key, operator, values) + 1, minValues);
      default:
        throw new RequirementError(`${key}: unknown operator "${operator}" (want In, NotIn, Exists, DoesNotExist, Gt, Gte, Lt or Lte)`);
    }
  }

  #withinBounds(value: string): boolean {
    if (this.gt === undefined && this.lt === undefined) return true;
    if (!/^-?\d+$/.test(value)) return false;
    const n = Number(value);
    return (this.gt === undefined || n > this.gt) && (this.lt === undefined || n < this.lt);
  }

  /** True when a node with this label value satisfies the requirement. */
  has(value: string): boolean {
    if (this.complement) return !this.values.has(value) && this.#withinBounds(value);
    return this.values.has(value) && this.#withinBounds(value);
  }

  /** Number of allowed values; Infinity for a complement. */
  get size(): number {
    if (this.complement) {
      if (this.gt !== undefined && this.lt !== undefined) return Math.max(0, this.lt - this.gt - 1 - this.values.size);
      return Infinity;
    }
    return this.values.size;
  }

  /** True when no value is allowed: the label must be absent. */
  isEmpty(): boolean {
    return this.size === 0;
  }

  /** The Kubernetes operator that best describes this requirement. */
  operator(): 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' {
    if (this.complement) {
      if (this.values.size > 0) return 'NotIn';
      if (this.gt !== undefined) return 'Gt';
      if (this.lt !== undefined) return 'Lt';
      return 'Exists';
    }
    return this.values.size > 0 ? 'In' : 'DoesNotExist';
  }

  /** The intersection: values allowed by both. minValues keeps the larger. */
  intersect(other: Requirement): Requirement {
    if (other === this) return this;
    // A finite set the other allows whole comes back as itself: a node's single label value
    // against a spread's allowed domains, every slot tried for every pod; no sets to build.
    if (!this.complement && this.gt === undefined && this.lt === undefined && other.gt === undefined && other.lt === undefined && other.minValues === undefined && this.#within(other)) return this;
    const gt = this.gt === undefined ? other.gt : other.gt === undefined ? this.gt : Math.max(this.gt, other.gt);
    const lt = this.lt === undefined ? other.lt : other.lt === undefined ? this.lt : Math.min(this.lt, other.lt);
    const minValues = this.minValues === undefined ? other.minValues : other.minValues === undefined ? this.minValues : Math.max(this.minValues, other.minValues);
    if (gt !== undefined && lt !== undefined && gt >= lt - 1) return new Requirement(this.key, false, EMPTY, undefined, undefined, minValues);
    if (this.complement && other.complement) {
      const values = other.values.size === 0 ? this.values : this.values.size === 0 ? other.values : new Set([...this.values, ...other.values]);
      return new Requirement(this.key, true, values, gt, lt, minValues);
    }
    const [finite, rest] = this.complement ? [other, this] : [this, other];
    const values = new Set<string>();
    for (const v of finite.values) if (rest.has(v)) values.add(v);
    const bounded = new Requirement(this.key, false, values, gt, lt, minValues);
    const kept = new Set<string>();
    for (const v of values) if (bounded.has(v)) kept.add(v);
    return new Requirement(this.key, false, kept, undefined, undefined, minValues);
  }

  /** Every value of this (finite) set is allowed by `other`. */
  #within(other: Requirement): boolean {
    for (const v of this.values) if (!other.has(v)) return false;
    return true;
  }

  /** Whether some value is allowed by both: `!this.intersect(other).isEmpty()`, without building the intersection. */
  overlaps(other: Requirement): boolean {
    if (this.gt !== undefined || this.lt !== undefined || other.gt !== undefined || other.lt !== undefined) return !this.intersect(other).isEmpty();
    if (this.complement && other.complement) return true;
    const [finite, rest] = this.complement ? [other, this] : [this, other];
    for (const v of finite.values) if (rest.has(v)) return true;
    return false;
  }

  /** Same allowed values (and minValues) as `other`. */
  equals(other: Requirement): boolean {
    if (this === other) return true;
    if (this.complement !== other.complement || this.gt !== other.gt || this.lt !== other.lt || this.minValues !== other.minValues) return false;
    if (this.values.size !== other.values.size) return false;
    for (const v of this.values) if (!other.values.has(v)) return false;
    return true;
  }

  /** Some allowed value, deterministic (the smallest for finite sets); undefined for the empty set. */
  any(): string | undefined {
    if (!this.complement) {
      let best: string | undefined;
      for (const v of this.values) if (best === undefined || v < best) best = v;
      return best;
    }
    if (this.gt !== undefined || this.lt !== undefined) {
      let n = this.gt !== undefined ? this.gt + 1 : (this.lt ?? 0) - 1;
      while (this.values.has(String(n))) n++;
      return this.#withinBounds(String(n)) ? String(n) : undefined;
    }
    return undefined;
  }

  toString(): string {
    const op = this.operator();
    switch (op) {
      case 'In':
      case 'NotIn':
        return `${this.key} ${op} [${[...this.values].sort().join(', ')}]`;
      case 'Gt':
      case 'Lt':
        return `${this.key}${this.gt !== undefined ? ` > ${this.gt}` : ''}${this.lt !== undefined ? ` < ${this.lt}` : ''}`;
      case 'Exists':
      case 'DoesNotExist':
        return `${this.key} ${op}`;
    }
  }
}

/** Why two requirement sets cannot be satisfied together; undefined when they can. */
export type Incompatibility = string | undefined;

/**
 * A set of requirements keyed by label. Mutable for speed inside the solver: copy with clone()
 * before narrowing a set that others share.
 */
export class Requirements {
  readonly #byKey: Map<string, Requirement>;

  constructor(requirements: Iterable<Requirement> = []) {
    this.#byKey = new Map();
    for (const r of requirements) this.add(r);
  }

  /** Requirements from labels: each key In [value]. */
  static fromLabels(labels: Readonly<Record<string, string>> | undefined): Requirements {
    const out = new Requirements();
    for (const [k, v] of Object.entries(labels ?? {})) out.add(Requirement.in(k, [v]));
    return out;
  }

  clone(): Requirements {
    const out = new Requirements();
    for (const [k, r] of this.#byKey) out.#byKey.set(k, r);
    return out;
  }

  /** Narrows the set: the requirement is intersected with any existing one for its key. */
  add(r: Requirement): this {
    const existing = this.#byKey.get(r.key);
    if (!existing) {
      this.#byKey.set(r.key, r);
      return this;
    }
    const next = existing.intersect(r);
    // Keep the old object when nothing narrowed, so callers can detect change by identity.
    if (!next.equals(existing)) this.#byKey.set(r.key, next);
    return this;
  }

  addAll(other: Requirements): this {
    for (const r of other.#byKey.values()) this.add(r);
    return this;
  }

  get(key: string): Requirement | undefined {
    return this.#byKey.get(key);
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#byKey.keys();
  }

  values(): IterableIterator<Requirement> {
    return this.#byKey.values();
  }

  get size(): number {
    return this.#byKey.size;
  }

  /**
   * Whether `incoming` (a pod's requirements) can be met by a node with these requirements (a
   * NodePool's or NodeClaim's). A key that only `incoming` names must be NotIn/DoesNotExist or be
   * allowed undefined (well-known labels the instance type will supply); keys both name must
   * intersect, except that two "must not be X" requirements never conflict.
   */
  compatible(incoming: Requirements, allowUndefined: (key: string) => boolean): Incompatibility {
    for (const [key, inc] of incoming.#byKey) {
      const existing = this.#byKey.get(key);
      if (!existing) {
        const op = inc.operator();
        if (op === 'NotIn' || op === 'DoesNotExist' || allowUndefined(key)) continue;
        return `label ${key} is not provided by this node pool (required: ${inc.toString()})`;
      }
      const why = intersectionProblem(existing, inc);
      if (why) return why;
    }
    return undefined;
  }

  /** Whether every key both sets name has a common value (see compatible for the NotIn rule). */
  intersects(incoming: Requirements): Incompatibility {
    for (const [key, inc] of incoming.#byKey) {
      const existing = this.#byKey.get(key);
      if (!existing) continue;
      const why = intersectionProblem(existing, inc);
      if (why) return why;
    }
    return undefined;
  }

  /**
   * Whether a node carrying exactly these labels satisfies every requirement (an absent label
   * satisfies only NotIn/DoesNotExist-style requirements).
   */
  matchesLabels(labels: Readonly<Record<string, string>> | undefined): Incompatibility {
    for (const [key, r] of this.#byKey) {
      const v = labels?.[key];
      if (v === undefined) {
        const op = r.operator();
        if (op === 'NotIn' || op === 'DoesNotExist') continue;
        return `node has no label ${key} (required: ${r.toString()})`;
      }
      if (!r.has(v)) return `node label ${key}=${v} does not satisfy ${r.toString()}`;
    }
    return undefined;
  }

  /** Labels for a node: every key allowed exactly one value. */
  singleValuedLabels(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, r] of this.#byKey) {
      if (!r.complement && r.values.size === 1) out[k] = r.values.values().next().value!;
    }
    return out;
  }

  /** Node selector expressions (the form NodeClaims and NodePools carry). */
  toSelectorRequirements(): { key: string; operator: string; values?: string[]; minValues?: number }[] {
    const out: { key: string; operator: string; values?: string[]; minValues?: number }[] = [];
    for (const r of [...this.#byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      const op = r.operator();
      const base: { key: string; operator: string; values?: string[]; minValues?: number } = { key: r.key, operator: op };
      if (op === 'In' || op === 'NotIn') base.values = [...r.values].sort();
      if (op === 'Gt' && r.gt !== undefined) base.values = [String(r.gt)];
      if (op === 'Lt' && r.lt !== undefined) base.values = [String(r.lt)];
      if (op === 'Gt' && r.lt !== undefined) {
        out.push({ key: r.key, operator: 'Lt', values: [String(r.lt)] });
      }
      if (r.minValues !== undefined) base.minValues = r.minValues;
      out.push(base);
    }
    return out;
  }

  toString(): string {
    return [...this.#byKey.values()].map((r) => r.toString()).join(', ');
  }
}

function intersectionProblem(existing: Requirement, incoming: Requirement): Incompatibility {
  // overlaps, not intersect: this runs per key of every node a spread's owner is checked against.
  if (existing.overlaps(incoming)) return undefined;
  const inOp = incoming.operator();
  const exOp = existing.operator();
  if ((inOp === 'NotIn' || inOp === 'DoesNotExist') && (exOp === 'NotIn' || exOp === 'DoesNotExist')) return undefined;
  return `${incoming.toString()} conflicts with ${existing.toString()}`;
}
