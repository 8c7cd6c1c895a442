/**
 * A lower bound on the $/h of any placement of a batch of pods on new machines: the linear
 * programming relaxation of "buy machines whose summed allocatable covers the summed demand".
 *
 *   minimise   Σ_t price_t · x_t
 *   subject to Σ_t allocatable_t,r · x_t ≥ Σ_pods request_r     for r in cpu, memory, pods
 *              x_t ≥ 0 (fractional)
 *
 * where t ranges over instance types at their cheapest available offering. It is only a bound:
 * machine counts may be fractional, pods are not packed one by one (a pod never straddles two
 * machines in reality), and every other constraint (selectors, affinity, spread, taints, zones,
 * limits, daemonset overhead) is ignored. Every real solution costs at least this much, so
 * `solution / bound` says how far from optimal a solver can at most be.
 *
 * Solved with HiGHS (the `highs` package, WebAssembly), loaded once per process and reused.
 * No I/O besides loading that module.
 */
import highsPackage from 'highs';
import type { Highs } from 'highs';
import type { InstanceType, Offering } from '../cloudprovider/types.js';
import { CPU, MEMORY, PODS } from '../utils/resources.js';
import type { ResourceList } from '../utils/resources.js';

/** The bound could not be computed: no machine can cover a resource, or the LP solver failed. */
export class LowerBoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LowerBoundError';
  }
}

export interface LowerBoundCount {
  readonly instanceType: string;
  /** The cheapest available offering, whose price the bound uses. */
  readonly offering: Offering;
  /** Fractional machine count in the LP optimum (> 0). */
  readonly count: number;
}

export interface CostLowerBound {
  /** The LP optimum in USD per hour; 0 when nothing is demanded. */
  readonly pricePerHour: number;
  /** The machines of the LP optimum, most expensive share first. */
  readonly counts: readonly LowerBoundCount[];
  /** The summed demand covered, per resource, in ResourceList units. */
  readonly demand: ResourceList;
}

export interface CostLowerBoundOptions {
  /** Resources to cover (default cpu, memory, pods). A pod without a `pods` request counts as 1 pod. */
  readonly resources?: readonly string[];
}

type Loader = () => Promise<Highs>;

/**
 * The package's types describe its CommonJS build (where the loader is `module.exports.default`),
 * while Node loads its ES module build (where it is the default export): accept either.
 */
function loaderOf(pkg: unknown): Loader {
  if (typeof pkg === 'function') return pkg as Loader;
  const inner = (pkg as { default?: unknown } | undefined)?.default;
  if (typeof inner === 'function') return inner as Loader;
  throw new LowerBoundError('loading HiGHS: the highs package exports no loader function');
}

let highsModule: Promise<Highs> | undefined;

function highs(): Promise<Highs> {
  highsModule ??= Promise.resolve().then(() => loaderOf(highsPackage)()).catch((err: unknown) => {
    highsModule = undefined; // let a later call try again
    if (err instanceof LowerBoundError) throw err;
    throw new LowerBoundError('loading the HiGHS WebAssembly module', { cause: err });
  });
  return highsModule;
}

// Scale to cores and GiB so the LP's coefficients are of similar magnitude.
const SCALE: Readonly<Record<string, number>> = { [CPU]: 1000, [MEMORY]: 2 ** 30 };

/** Below this a coefficient is treated as zero (it would only add numerical noise). */
const EPSILON = 1e-9;

/**
 * The LP lower bound on the cost of machines for pods with these requests (see the module doc).
 * Instance types without an available offering are left out.
 * @throws LowerBoundError when some demanded resource is offered by no instance type (no bound
 *   exists), when HiGHS cannot be loaded, or when it does not reach an optimum.
 */
export async function costLowerBound(
  podRequests: readonly ResourceList[],
  instanceTypes: readonly InstanceType[],
  options: CostLowerBoundOptions = {},
): Promise<CostLowerBound> {
  const resources = options.resources ?? [CPU, MEMORY, PODS];
  const demand: Record<string, number> = {};
  for (const r of resources) demand[r] = 0;
  for (const req of podRequests) {
    for (const r of resources) demand[r] = (demand[r] ?? 0) + (req[r] ?? (r === PODS ? 1 : 0));
  }
  const wanted = resources.filter((r) => (demand[r] ?? 0) > 0);
  if (wanted.length === 0) return { pricePerHour: 0, counts: [], demand };

  const columns = columnsOf(instanceTypes, wanted);
  for (const r of wanted) {
    if (!columns.some((c) => (c.allocatable.get(r) ?? 0) > EPSILON)) {
      throw new LowerBoundError(`computing the cost lower bound: ${demand[r]} ${r} is demanded but no instance type with an available offering has any allocatable ${r}`);
    }
  }
  const model = lpText(columns, wanted, demand);
  const solver = await highs();
  let solution: ReturnType<Highs['solve']>;
  try {
    solution = solver.solve(model, { output_flag: false });
  } catch (err) {
    throw new LowerBoundError(`computing the cost lower bound: HiGHS failed on a model of ${columns.length} instance types`, { cause: err });
  }
  if (solution.Status !== 'Optimal') {
    throw new LowerBoundError(`computing the cost lower bound: HiGHS ended with status ${solution.Status}`);
  }
  const counts: LowerBoundCount[] = [];
  columns.forEach((c, i) => {
    const column = solution.Columns[`x${i}`];
    const count = column !== undefined && 'Primal' in column ? column.Primal : 0;
    if (count > EPSILON) counts.push({ instanceType: c.name, offering: c.offering, count });
  });
  counts.sort((a, b) => b.count * b.offering.price - a.count * a.offering.price || a.instanceType.localeCompare(b.instanceType));
  return { pricePerHour: Math.max(0, solution.ObjectiveValue), counts, demand };
}

interface Column {
  readonly name: string;
  readonly offering: Offering;
  /** Scaled allocatable of each wanted resource. */
  readonly allocatable: ReadonlyMap<string, number>;
}

function columnsOf(instanceTypes: readonly InstanceType[], wanted: readonly string[]): Column[] {
  const columns: Column[] = [];
  for (const it of instanceTypes) {
    let cheapest: Offering | undefined;
    for (const o of it.offerings) if (o.available && (cheapest === undefined || o.price < cheapest.price)) cheapest = o;
    if (cheapest === undefined) continue;
    const allocatable = new Map<string, number>();
    for (const r of wanted) {
      const amount = ((it.capacity[r] ?? 0) - (it.overhead[r] ?? 0)) / (SCALE[r] ?? 1);
      if (amount > EPSILON) allocatable.set(r, amount);
    }
    columns.push({ name: it.name, offering: cheapest, allocatable });
  }
  return columns;
}

/** The LP in CPLEX LP format, a few terms per line to stay within reader line limits. */
function lpText(columns: readonly Column[], wanted: readonly string[], demand: Readonly<Record<string, number>>): string {
  const lines = ['Minimize', ...terms(' cost:', columns.map((c, i) => [c.offering.price, i])), 'Subject To'];
  wanted.forEach((r, k) => {
    const row = columns.flatMap((c, i): [number, number][] => {
      const a = c.allocatable.get(r);
      return a === undefined ? [] : [[a, i]];
    });
    const rhs = (demand[r] ?? 0) / (SCALE[r] ?? 1);
    lines.push(...terms(` r${k}:`, row), `  >= ${num(rhs)}`);
  });
  lines.push('End');
  return lines.join('\n');
}

function terms(label: string, coefficients: readonly (readonly [number, number])[]): string[] {
  const out = [label];
  for (let i = 0; i < coefficients.length; i += 8) {
    out.push('  ' + coefficients.slice(i, i + 8).map(([a, j]) => `+ ${num(a)} x${j}`).join(' '));
  }
  return out;
}

/** A finite number in plain decimal (LP readers differ on exponent notation). */
function num(x: number): string {
  return x.toFixed(12).replace(/\.?0+$/, '');
}
