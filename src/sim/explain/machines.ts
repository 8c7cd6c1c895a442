/**
 * A machine's two names, and what it costs. A NodeClaim (default-gm8pw) registers a Node under
 * another name (ip-10-0-1-7.…): provisioning records name the claim, disruption records the Node.
 * The link comes from the result's optional `machines` list (one entry per machine, both names),
 * and otherwise from the few records whose words give both names (an expiry deletes "nodeclaim C"
 * of node N; an interruption of node N is "deleting nodeclaim C"). Prices come from that list, or
 * from the records that launched or removed the machine.
 */
import type { LoggedDecision as Decision, MachineRecord } from '../result.js';
import { formatDollars } from '../report/format.js';
import { mentions } from './text.js';

export type { MachineRecord } from '../result.js';

/** Where a price was read: the billed price from `machines`, or the one a record gave. */
export type PriceSource = 'billed' | 'kept record' | 'removal record' | 'launch plan';

/** What is known of one machine. */
export interface Machine {
  readonly claim?: string;
  readonly node?: string;
  readonly instanceType?: string;
  readonly capacityType?: string;
  readonly zone?: string;
  readonly price?: { readonly perHour: number; readonly source: PriceSource };
  readonly launchedAt?: number;
  readonly registeredAt?: number;
  readonly terminatedAt?: number;
}

const PRICE_NOTE: Readonly<Record<PriceSource, string>> = {
  billed: '',
  'kept record': ', as recorded when it was kept',
  'removal record': ', as recorded when it was removed',
  'launch plan': ', as planned at launch',
};

/** "$5.17/h", or "$5.17/h, as planned at launch" for a price not from the bill; undefined when unknown. */
export function priceText(m: Machine | undefined): string | undefined {
  return m?.price ? `${formatDollars(m.price.perHour)}/h${PRICE_NOTE[m.price.source]}` : undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const RANK: Readonly<Record<PriceSource, number>> = { billed: 0, 'kept record': 1, 'removal record': 2, 'launch plan': 3 };

/** The nodes a disrupting record takes away: those its summary names before the replacements. */
export function disruptedNodes(d: Decision): readonly string[] {
  const nodes = d.details.nodes ?? [];
  const cut = [' with ', ': launched', ': its pods'].map((s) => d.summary.indexOf(s)).filter((i) => i >= 0);
  if (cut.length === 0) return nodes;
  const head = d.summary.slice(0, Math.min(...cut));
  return nodes.filter((n) => mentions(head, n));
}

/** claim ↔ node pairs that a record's words give. */
function linksIn(d: Decision): [claim: string, node: string][] {
  const nodes = d.details.nodes ?? [];
  if (d.kind === 'expire' && nodes.length === 1) {
    const claim = /^deleting expired nodeclaim (\S+)$/.exec(d.summary)?.[1];
    if (claim !== undefined && claim !== nodes[0]) return [[claim, nodes[0]!]];
  }
  if (d.kind === 'interruption') {
    const m = /\bof node (\S+?): .*\bdeleting nodeclaim (\S+)$/.exec(d.summary);
    if (m && m[1] !== m[2] && nodes.includes(m[1]!)) return [[m[2]!, m[1]!]];
  }
  return [];
}

/** "nodeclaim X (nodepool P): TYPE at $0.1234/h" clauses of a provision's why. */
function plannedTypes(d: Decision): [claim: string, type: string, price: number][] {
  if (d.kind !== 'provision') return [];
  const out: [string, string, number][] = [];
  for (const m of d.details.why.matchAll(/\bnodeclaim (\S+) \(nodepool [^)]*\): (\S+) at \$([\d.]+)\/h/g)) {
    const price = Number(m[3]);
    if (Number.isFinite(price)) out.push([m[1]!, m[2]!, price]);
  }
  return out;
}

/** The replacements a replace record launched: the names in "with N new NodeClaim(s) (A, B)". */
function replacementsOf(d: Decision): readonly string[] {
  if (d.kind !== 'consolidate-replace' && d.kind !== 'drift' && d.kind !== 'interruption') return [];
  const nodes = d.details.nodes ?? [];
  const taken = new Set(disruptedNodes(d));
  return nodes.filter((n) => !taken.has(n));
}

/** The machines of one strategy's log, found by either name. */
export class Machines {
  readonly #byName = new Map<string, Mutable<Machine>>();

  /**
   * Builds the index from the result's `machines` list (when it has one) and the links and prices
   * the records give. Never throws.
   */
  constructor(decisions: readonly Decision[], records: readonly MachineRecord[] = []) {
    for (const r of records) {
      const m = this.#merge(r.nodeClaim, r.node);
      Object.assign(m, {
        ...(r.instanceType !== undefined ? { instanceType: r.instanceType } : {}),
        ...(r.capacityType !== undefined ? { capacityType: r.capacityType } : {}),
        ...(r.zone !== undefined ? { zone: r.zone } : {}),
        ...(r.launchedAt !== undefined ? { launchedAt: r.launchedAt } : {}),
        ...(r.registeredAt !== undefined ? { registeredAt: r.registeredAt } : {}),
        ...(r.terminatedAt !== undefined ? { terminatedAt: r.terminatedAt } : {}),
      });
      if (r.pricePerHour !== undefined) this.#price(m, r.pricePerHour, 'billed');
    }
    for (const d of decisions) for (const [claim, node] of linksIn(d)) this.#merge(claim, node);
    for (const d of decisions) this.#pricesIn(d);
  }

  /** What is known of the machine named `name` (its NodeClaim or Node name), if anything is. */
  get(name: string): Machine | undefined {
    return this.#byName.get(name);
  }

  /** Both names of the machine, `name` first; just `name` when the other is not known. */
  namesOf(name: string): readonly string[] {
    const m = this.#byName.get(name);
    return [name, ...[m?.claim, m?.node].filter((n): n is string => n !== undefined && n !== name)];
  }

  /** The machine's other name, when known. */
  otherName(name: string): string | undefined {
    return this.namesOf(name)[1];
  }

  #merge(claim: string, node: string | undefined): Mutable<Machine> {
    const a = this.#byName.get(claim);
    const b = node === undefined ? undefined : this.#byName.get(node);
    const m: Mutable<Machine> = { ...b, ...a, claim };
    if (node !== undefined) m.node = node;
    if (a?.price && b?.price) m.price = RANK[a.price.source] <= RANK[b.price.source] ? a.price : b.price;
    else if (b?.price) m.price = b.price;
    this.#byName.set(claim, m);
    if (node !== undefined) this.#byName.set(node, m);
    return m;
  }

  #entry(name: string): Mutable<Machine> {
    const found = this.#byName.get(name);
    if (found) return found;
    const m: Mutable<Machine> = {};
    this.#byName.set(name, m);
    return m;
  }

  #price(m: Mutable<Machine>, perHour: number, source: PriceSource): void {
    if (!m.price || RANK[source] < RANK[m.price.source]) m.price = { perHour, source };
  }

  #pricesIn(d: Decision): void {
    for (const [claim, type, price] of plannedTypes(d)) {
      const m = this.#entry(claim);
      m.claim ??= claim;
      m.instanceType ??= type;
      this.#price(m, price, 'launch plan');
    }
    const { costPerHourBefore: before, costPerHourAfter: after } = d.details;
    const nodes = d.details.nodes ?? [];
    if (d.kind === 'disruption-blocked' && nodes.length === 1 && before !== undefined) this.#price(this.#entry(nodes[0]!), before, 'kept record');
    if (d.kind === 'consolidate-delete' || d.kind === 'consolidate-replace' || d.kind === 'interruption' || d.kind === 'expire' || d.kind === 'drift') {
      const gone = disruptedNodes(d);
      if (gone.length === 1 && before !== undefined) this.#price(this.#entry(gone[0]!), before, 'removal record');
      // "the 3 pods of ip-… (m6i.xlarge, on-demand, $0.1920/h) fit on …"
      for (const m of d.details.why.matchAll(/\bof (\S+) \(([\w.-]+), (spot|on-demand), \$([\d.]+)\/h\)/g)) {
        if (!gone.includes(m[1]!)) continue;
        const e = this.#entry(m[1]!);
        e.instanceType ??= m[2]!;
        e.capacityType ??= m[3]!;
        if (gone.length > 1) this.#price(e, Number(m[4]), 'removal record');
      }
      const added = replacementsOf(d);
      if (added.length === 1 && after !== undefined) {
        const m = this.#entry(added[0]!);
        m.claim ??= added[0]!;
        this.#price(m, after, 'launch plan');
      }
    }
  }
}
