/**
 * Turns what a run recorded (cluster samples, pod timings, the cloud's instance records, the
 * strategy's decisions) into a StrategyResult.
 */
import type { InstanceType } from '../../cloudprovider/types.js';
import { costLowerBound } from '../../scheduling/lower-bound.js';
import type { ClusterMetrics, ClusterSample } from '../cluster/metrics.js';
import {
  averageUtilisation, emptyDisruptions, summariseWaits,
  type LoggedDecision, type DisruptionReason, type InstanceTypeUsage, type MachineRecord, type StrategyResult, type TimeSample,
} from '../result.js';
import type { Demand } from './demand.js';
import type { World } from './world.js';

const GiB = 2 ** 30;
const HOUR = 3_600_000;

export interface RecordedSample {
  readonly sample: ClusterSample;
  readonly costPerHour: number;
  readonly demand: Demand;
}

/** The LP lower bound ($/h) of each distinct demand, computed once each. */
export class LowerBounds {
  readonly #cache = new Map<string, Promise<number>>();
  constructor(private readonly instanceTypes: readonly InstanceType[]) {}

  of(d: Demand): Promise<number> {
    if (d.pods === 0) return Promise.resolve(0);
    const key = `${d.cpu}|${d.memory}|${d.pods}`;
    let p = this.#cache.get(key);
    if (!p) {
      p = costLowerBound([{ cpu: d.cpu, memory: d.memory, pods: d.pods }], this.instanceTypes).then((b) => b.pricePerHour);
      this.#cache.set(key, p);
    }
    return p;
  }
}

/** The record without its undefined fields (JSON leaves them out anyway; tests compare objects). */
function omitUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function reasonOf(d: LoggedDecision): DisruptionReason | undefined {
  switch (d.kind) {
    case 'consolidate-delete':
    case 'consolidate-replace':
    case 'scale-down':
      return /\bempty\b/i.test(d.summary) ? 'empty' : 'underutilized';
    case 'drift':
      return 'drifted';
    case 'expire':
      return 'expired';
    case 'provision':
    case 'scale-up':
    case 'interruption':
    case 'unschedulable':
    case 'disruption-blocked':
    case 'launch-failed':
      return undefined;
  }
}

export async function collect(
  world: World,
  metrics: ClusterMetrics,
  recorded: readonly RecordedSample[],
  decisions: readonly LoggedDecision[],
  bounds: LowerBounds,
  evictions: number,
  wallSeconds: number,
): Promise<StrategyResult> {
  const { t0, end, cloud } = world;
  const stepMs = recorded.length > 1 ? recorded[1]!.sample.at - recorded[0]!.sample.at : 60_000;
  const samples: TimeSample[] = [];
  let lowerBoundCost = 0;
  for (const r of recorded) {
    const s = r.sample;
    const lb = await bounds.of(r.demand);
    lowerBoundCost += lb * (stepMs / HOUR);
    samples.push({
      t: (s.at - t0) / 1000,
      nodes: s.nodes,
      costPerHour: r.costPerHour,
      pendingPods: s.pendingPods,
      runningPods: s.runningPods,
      cpuRequested: s.cpuRequested / 1000,
      cpuAllocatable: s.cpuAllocatable / 1000,
      memoryRequestedGiB: s.memoryRequested / GiB,
      memoryAllocatableGiB: s.memoryAllocatable / GiB,
      lowerBoundCostPerHour: lb,
    });
  }

  const instanceTypes: Record<string, InstanceTypeUsage> = {};
  const disruptions = emptyDisruptions();
  const machines: MachineRecord[] = [];
  const since = (t: number | undefined): number | undefined => (t === undefined || t > end ? undefined : (t - t0) / 1000);
  for (const m of cloud.instances()) {
    if (m.requestedAt <= end) {
      machines.push(omitUndefined({
        nodeClaim: m.claimName, node: since(m.registeredAt) === undefined ? undefined : m.nodeName,
        instanceType: m.instanceType, capacityType: m.capacityType, zone: m.zone, pricePerHour: m.price,
        launchedAt: since(m.launchedAt), registeredAt: since(m.registeredAt), terminatedAt: since(m.terminatedAt),
      }));
    }
    const from = Math.max(m.launchedAt ?? Infinity, t0);
    const to = Math.min(m.terminatedAt ?? end, end);
    if (m.interruptedAt !== undefined && m.interruptedAt >= t0 && m.interruptedAt <= end) disruptions.interrupted++;
    if (!(to > from)) continue;
    const hours = (to - from) / HOUR;
    const u = instanceTypes[m.instanceType] ?? { nodeHours: 0, spotNodeHours: 0, cost: 0 };
    instanceTypes[m.instanceType] = {
      nodeHours: u.nodeHours + hours,
      spotNodeHours: u.spotNodeHours + (m.capacityType === 'spot' ? hours : 0),
      cost: u.cost + hours * m.price,
    };
  }
  for (const d of decisions) {
    const reason = reasonOf(d);
    if (reason) disruptions[reason] += Math.max(1, d.details.nodes?.length ?? 1);
  }

  const waits = metrics.podWaitsMs((t) => t.createdAt >= t0 && t.owner?.kind !== 'DaemonSet').map((ms) => ms / 1000);
  const last = recorded[recorded.length - 1]?.sample;
  return {
    podWaitSeconds: summariseWaits(waits),
    totalCost: cloud.costUntil(end) - cloud.costUntil(t0),
    peakNodes: recorded.reduce((m, r) => Math.max(m, r.sample.nodes), 0),
    pendingAtEnd: last?.pendingPods ?? 0,
    evictions,
    disruptions,
    lowerBoundCost,
    replayWallSeconds: wallSeconds,
    utilisation: averageUtilisation(samples),
    series: { stepSeconds: stepMs / 1000, samples },
    instanceTypes,
    decisions,
    machines,
  };
}
