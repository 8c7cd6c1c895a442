/**
 * The disruption benchmark (`npx tsx bench/disruption.ts [--json] [--only NAME,...]`): one
 * consolidation pass of the disruption controller over a cluster state of 5,000 nodes and 100,000
 * pods (issue 3's target: ≤ 5 s). The pass is timed as the controller runs it, minus the 15 s
 * validation wait: pools, snapshot and candidates; the methods in order until one has a command;
 * then the validation (fresh snapshot, candidates, budgets, re-simulation). CPU work only, on the
 * virtual clock; each row runs in its own child process so its peak RSS is its own. The first pass
 * (cold) is reported beside the median of three more.
 *
 * The cluster: EC2 c/m/r generation 5+ catalogue (996 types), two NodePools (on-demand only and
 * spot only; a fifth of the nodes spot), nodes in three zones holding 1,000 deployments' pods, each
 * pod pinned to its pool's capacity type by nodeSelector, a tenth of the deployments spread across
 * zones (ScheduleAnyway); 100 PDBs; budgets 10%.
 *  - `underused`: after a scale-down. 16-vCPU nodes (m5, m6i, m5a 4xlarge) 75–95% full, and 3% of
 *    them holding only 2–6 small pods: there is something to consolidate.
 *  - `packed`: every node the cheapest type that holds its pods, 97–100% of 16 vCPU requested:
 *    nothing to consolidate, so the pass has to look at every candidate before saying so (the case
 *    Karpenter bounds with its 3-minute timeout).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Node, Pod, PodDisruptionBudget } from '../src/apis/core.js';
import type { NodeClaim, NodePool } from '../src/apis/v1/types.js';
import { ec2Catalog } from '../src/cloudprovider/catalog/index.js';
import { FakeCloudProvider } from '../src/cloudprovider/fake/fake-cloud-provider.js';
import type { InstanceType } from '../src/cloudprovider/types.js';
import { renderTable } from '../src/cli/table.js';
import { DEFAULT_CONTROLLER_OPTIONS, silentLogger, type ControllerContext } from '../src/controllers/context.js';
import { DisruptionController } from '../src/controllers/disruption/controller.js';
import { preparePass } from '../src/controllers/disruption/pass-state.js';
import type { Command } from '../src/controllers/disruption/types.js';
import { candidatesPrice, replacementsPrice } from '../src/controllers/disruption/types.js';
import { validateCommand } from '../src/controllers/disruption/validation.js';
import { MemoryKubeClient } from '../src/kube/memory/memory-client.js';
import { ClusterState } from '../src/state/cluster-state.js';
import { VirtualClock } from '../src/utils/clock.js';
import type { ResourceList } from '../src/utils/resources.js';
import { fitsIn, resourcesToQuantities } from '../src/utils/resources.js';
import { allocatableOf } from '../src/cloudprovider/launch.js';
import { Random } from '../src/utils/random.js';

export interface DisruptionBenchRow {
  readonly workload: string;
  readonly nodes: number;
  readonly pods: number;
  /** prepare + find + validate of the median of PASSES passes after a first one, ms. */
  readonly passMs: number;
  /** The same for the first pass (cold code, cold caches), ms. */
  readonly firstPassMs: number;
  /**
   * CPU time of the median pass (process.cpuUsage: this thread plus GC helpers), ms: on a shared
   * machine the wall time includes waiting for a core, this does not.
   */
  readonly passCpuMs: number;
  readonly prepareMs: number;
  readonly findMs: number;
  readonly validateMs: number;
  readonly method: string;
  readonly decision: string;
  readonly disrupted: number;
  readonly savingPerHour: number;
  /** Time to load the cluster state (not part of the pass), ms. */
  readonly loadMs: number;
  readonly peakRssMiB: number;
}

export const NODES = 5_000;
export const PODS = 100_000;
/** Passes timed after the first (the median is reported). */
export const PASSES = 3;
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const NODE_TYPES = ['m5.4xlarge', 'm6i.4xlarge', 'm5a.4xlarge'];
const APPS = 1_000;

function catalogue(): InstanceType[] {
  return ec2Catalog({ categories: ['c', 'm', 'r'] })
    .filter((t) => Number(t.requirements['karpenter.k8s.aws/instance-generation']?.[0] ?? '0') >= 5);
}

function pool(name: string, capacityType: string): NodePool {
  return {
    apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name, uid: `uid-${name}` },
    spec: {
      template: { spec: {
        requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: [capacityType] }, { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] }],
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' }, expireAfter: '720h',
      } },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s', budgets: [{ nodes: '10%' }] },
    },
  };
}

export interface Cluster { state: ClusterState; clock: VirtualClock; types: InstanceType[]; loadMs: number }

/** Picks the cheapest amd64 type with an offering of the capacity type in the zone whose allocatable holds `need`. */
function cheapestFit(types: readonly InstanceType[]): (capacityType: string, zone: string, need: ResourceList) => InstanceType {
  const byOffering = new Map<string, { type: InstanceType; price: number; allocatable: ResourceList }[]>();
  return (capacityType, zone, need) => {
    const key = `${capacityType}/${zone}`;
    let list = byOffering.get(key);
    if (!list) {
      list = [];
      for (const t of types) {
        if (!t.requirements['kubernetes.io/arch']?.includes('amd64')) continue;
        const o = t.offerings.find((x) => x.available && x.zone === zone && x.capacityType === capacityType);
        if (o) list.push({ type: t, price: o.price, allocatable: allocatableOf(t) });
      }
      list.sort((a, b) => a.price - b.price);
      byOffering.set(key, list);
    }
    const hit = list.find((x) => fitsIn(need, x.allocatable));
    if (!hit) throw new Error(`bench: no ${capacityType} type in ${zone} holds ${JSON.stringify(need)}`);
    return hit.type;
  };
}

/** Loads the cluster straight into a ClusterState (as its informers would). */
export async function buildCluster(kind: 'underused' | 'packed'): Promise<Cluster> {
  const started = performance.now();
  const clock = new VirtualClock();
  const state = new ClusterState({ clock });
  const types = catalogue();
  const byName = new Map(types.map((t) => [t.name, t]));
  const random = new Random(kind === 'packed' ? 11 : 7);
  const pools = [pool('on-demand', 'on-demand'), pool('spot', 'spot')];
  for (const p of pools) state.apply('NodePool', p);
  for (let i = 0; i < 100; i++) {
    const pdb: PodDisruptionBudget = { metadata: { name: `pdb-${i}`, namespace: 'default' }, spec: { selector: { matchLabels: { app: `app-${i}` } }, maxUnavailable: 1 }, status: { disruptionsAllowed: 1 } };
    state.apply('PodDisruptionBudget', pdb);
  }
  const created = new Date(clock.now() - 2 * 86_400_000).toISOString();
  const underused = new Set<number>();
  if (kind === 'underused') while (underused.size < NODES * 0.03) underused.add(random.int(0, NODES - 1));
  // Pods per node: underused ones 2–6, the rest share what is left evenly (about 20).
  const counts: number[] = [];
  for (let i = 0; i < NODES; i++) counts.push(underused.has(i) ? random.int(2, 6) : 0);
  const budget = PODS - counts.reduce((a, b) => a + b, 0);
  const packedNodes = NODES - underused.size;
  for (let i = 0, k = 0; i < NODES; i++) {
    if (underused.has(i)) continue;
    const share = Math.floor(((k + 1) * budget) / packedNodes) - Math.floor((k * budget) / packedNodes);
    counts[i] = share;
    k++;
  }
  let podSeq = 0;
  const cheapest = cheapestFit(types);
  for (let i = 0; i < NODES; i++) {
    const spot = i % 5 === 4;
    const capacityType = spot ? 'spot' : 'on-demand';
    const zone = ZONES[i % ZONES.length]!;
    const name = `ip-10-0-${i >> 8}-${i & 255}.ec2.internal`;
    // Pods first: the node's share, sized to fill 16 vCPU (97–100% when packed, 75–95% or 15% otherwise).
    const fill = kind === 'packed' ? random.int(97, 100) / 100 : underused.has(i) ? 0.15 : random.int(75, 95) / 100;
    const n = counts[i]!;
    const cpu = Math.max(50, Math.floor((fill * 15_800) / n));
    const pods: Pod[] = [];
    for (let j = 0; j < n; j++) {
      const app = random.int(0, APPS - 1);
      pods.push({
        metadata: { name: `pod-${podSeq++}`, namespace: 'default', labels: { app: `app-${app}` }, creationTimestamp: created },
        spec: {
          nodeName: name,
          nodeSelector: { 'karpenter.sh/capacity-type': capacityType },
          containers: [{ name: 'main', resources: { requests: { cpu: `${cpu}m`, memory: `${cpu * 2}Mi` } } }],
          topologySpreadConstraints: app % 10 === 0
            ? [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: `app-${app}` } } }]
            : undefined,
        },
        status: { phase: 'Running' },
      });
    }
    // Packed nodes are what Karpenter would have launched for their pods: the cheapest type that
    // holds them; the others a fixed 16-vCPU mix, as after a scale-down.
    const type = kind === 'packed'
      ? cheapest(capacityType, zone, { cpu: cpu * n, memory: cpu * n * 2 * 2 ** 20, pods: n })
      : byName.get(NODE_TYPES[i % NODE_TYPES.length]!)!;
    const providerID = `aws:///${zone}/i-${i.toString(16).padStart(17, '0')}`;
    const labels: Record<string, string> = {
      'karpenter.sh/nodepool': capacityType, 'node.kubernetes.io/instance-type': type.name, 'topology.kubernetes.io/zone': zone,
      'karpenter.sh/capacity-type': capacityType, 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux',
      'kubernetes.io/hostname': name, 'karpenter.sh/initialized': 'true', 'karpenter.sh/registered': 'true',
    };
    const capacity = resourcesToQuantities(type.capacity);
    const allocatable = resourcesToQuantities(allocatableOf(type));
    const claim: NodeClaim = {
      metadata: { name: `claim-${i}`, labels, creationTimestamp: created },
      spec: { requirements: [], nodeClassRef: pools[0]!.spec.template.spec.nodeClassRef, expireAfter: '720h' },
      status: { providerID, nodeName: name, capacity, allocatable, conditions: [{ type: 'Initialized', status: 'True', lastTransitionTime: created }] },
    };
    const node: Node = {
      metadata: { name, labels, creationTimestamp: created }, spec: { providerID },
      status: { capacity, allocatable, conditions: [{ type: 'Ready', status: 'True' }] },
    };
    state.apply('NodeClaim', claim);
    state.apply('Node', node);
    for (const p of pods) state.apply('Pod', p);
  }
  state.markSynced();
  // Everything has been stable for an hour.
  await clock.advanceTo(clock.now() + 3_600_000);
  return { state, clock, types, loadMs: performance.now() - started };
}

/** Runs one row in this process. */
interface PassTiming {
  readonly prepareMs: number;
  readonly findMs: number;
  readonly validateMs: number;
  readonly found: Command | undefined;
  readonly validated: Command | undefined;
  readonly cpuMs: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One pass as the controller runs it, minus the validation wait, timed. */
async function timePass(ctx: ControllerContext): Promise<PassTiming> {
  // A fresh controller: nothing remembered from an earlier pass (drift verdicts, "consolidated").
  const ctrl = new DisruptionController(ctx);
  const c0 = cpuNow();
  const t0 = performance.now();
  const pass = await preparePass(ctx);
  const t1 = performance.now();
  const found = (await ctrl.findCommand(pass))?.command;
  const t2 = performance.now();
  let validated: Command | undefined;
  if (found) {
    const verdict = validateCommand(found, await preparePass(ctx), { spotToSpot: false });
    validated = 'command' in verdict ? verdict.command : undefined;
  }
  const t3 = performance.now();
  return { prepareMs: t1 - t0, findMs: t2 - t1, validateMs: t3 - t2, found, validated, cpuMs: cpuNow() - c0 };
}

const total = (t: PassTiming): number => t.prepareMs + t.findMs + t.validateMs;

/** Runs one row in this process: a first (cold) pass, then PASSES more; the median one is reported. */
export async function runRow(workload: string): Promise<DisruptionBenchRow> {
  const kind = workload.startsWith('packed') ? 'packed' : 'underused';
  const { state, clock, types, loadMs } = await buildCluster(kind);
  const cloud = new FakeCloudProvider({ instanceTypes: types, clock });
  const ctx: ControllerContext = {
    clock, kube: new MemoryKubeClient({ clock }), cloud, state, options: DEFAULT_CONTROLLER_OPTIONS, log: silentLogger,
    decisions: { record: () => undefined }, unavailableOfferings: cloud.unavailableOfferings,
  };
  const first = await timePass(ctx);
  const runs: PassTiming[] = [];
  for (let i = 0; i < PASSES; i++) runs.push(await timePass(ctx));
  const t = runs.sort((a, b) => total(a) - total(b))[Math.floor(runs.length / 2)]!;
  const cmd = t.validated ?? t.found;
  return {
    workload, nodes: state.nodeCount, pods: state.podCount,
    passMs: total(t), prepareMs: t.prepareMs, findMs: t.findMs, validateMs: t.validateMs, firstPassMs: total(first), passCpuMs: t.cpuMs,
    method: t.found?.method ?? 'none',
    decision: t.found === undefined ? 'nothing to do' : t.validated === undefined ? `${t.found.kind} (abandoned at validation)` : t.found.kind,
    disrupted: cmd?.candidates.length ?? 0,
    savingPerHour: cmd ? candidatesPrice(cmd.candidates) - replacementsPrice(cmd.replacements) : 0,
    loadMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

export const WORKLOADS = [`underused-${NODES}n-${PODS}p`, `packed-${NODES}n-${PODS}p`] as const;

const SELF = fileURLToPath(import.meta.url);

/** Runs the rows (all by default), each in a child process. @throws Error naming a row that fails. */
export function runDisruptionSuite(only: readonly string[] = [], onRow: (row: DisruptionBenchRow) => void = () => {}): DisruptionBenchRow[] {
  const rows: DisruptionBenchRow[] = [];
  for (const workload of WORKLOADS) {
    if (only.length > 0 && !only.includes(workload)) continue;
    const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--row', workload], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    if (child.status !== 0 || line === '') throw new Error(`benchmark row ${workload} failed (exit ${child.status ?? child.signal}): ${child.stderr.trim()}`);
    const row = JSON.parse(line) as DisruptionBenchRow;
    rows.push(row);
    onRow(row);
  }
  return rows;
}

/** The rows as a table. */
export function disruptionTable(rows: readonly DisruptionBenchRow[]): string {
  return renderTable(
    ['WORKLOAD', 'NODES', 'PODS', 'PASS MS', 'PASS CPU MS', 'FIRST PASS MS', 'PREPARE', 'FIND', 'VALIDATE', 'METHOD', 'DECISION', 'NODES OUT', 'SAVES $/H', 'PEAK RSS MIB'],
    rows.map((r) => [
      r.workload, r.nodes, r.pods, Math.round(r.passMs), Math.round(r.passCpuMs), Math.round(r.firstPassMs), Math.round(r.prepareMs), Math.round(r.findMs), Math.round(r.validateMs),
      r.method, r.decision, r.disrupted, r.savingPerHour.toFixed(2), Math.round(r.peakRssMiB),
    ]),
    { alignRight: [1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13] },
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, row: { type: 'string' }, only: { type: 'string' } }, strict: true });
  if (values.row !== undefined) {
    process.stdout.write(`${JSON.stringify(await runRow(values.row))}\n`);
    return;
  }
  const only = values.only?.split(',').filter((s) => s !== '') ?? [];
  if (values.json) runDisruptionSuite(only, (row) => process.stdout.write(`${JSON.stringify({ suite: 'disruption', ...row })}\n`));
  else process.stdout.write(disruptionTable(runDisruptionSuite(only, (row) => process.stderr.write(`  done: disruption ${row.workload}\n`))));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
