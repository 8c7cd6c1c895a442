/**
 * The total demand of the pods that want to run (pending or running, not finished, not
 * daemonset pods) kept up to date from pod events, so the engine can compute the cost lower bound
 * at every sample without scanning every pod.
 */
import type { Pod } from '../../apis/core.js';
import { podRequests } from '../../scheduling/pod-requests.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import { controllerOf } from '../cluster/pod-facts.js';

export interface Demand {
  /** Millicores. */
  readonly cpu: number;
  /** Bytes. */
  readonly memory: number;
  readonly pods: number;
}

function counts(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp && controllerOf(pod)?.kind !== 'DaemonSet';
}

export class DemandTracker {
  #cpu = 0;
  #memory = 0;
  #pods = 0;
  readonly #counted = new Map<string, { cpu: number; memory: number }>();
  readonly #unsubscribe: () => void;

  constructor(view: ClusterView) {
    this.#unsubscribe = view.pods.addHandler({
      onAdd: (p) => this.#update(p, false),
      onUpdate: (_, p) => this.#update(p, false),
      onDelete: (p) => this.#update(p, true),
    });
  }

  get demand(): Demand {
    return { cpu: this.#cpu, memory: this.#memory, pods: this.#pods };
  }

  stop(): void {
    this.#unsubscribe();
  }

  #update(pod: Pod, deleted: boolean): void {
    const uid = pod.metadata.uid ?? '';
    const had = this.#counted.get(uid);
    const wants = !deleted && counts(pod);
    if (had && !wants) {
      this.#cpu -= had.cpu;
      this.#memory -= had.memory;
      this.#pods--;
      this.#counted.delete(uid);
    } else if (!had && wants) {
      let r: { cpu: number; memory: number };
      try {
        const req = podRequests(pod);
        r = { cpu: req.cpu ?? 0, memory: req.memory ?? 0 };
      } catch {
        r = { cpu: 0, memory: 0 };
      }
      this.#cpu += r.cpu;
      this.#memory += r.memory;
      this.#pods++;
      this.#counted.set(uid, r);
    }
  }
}
