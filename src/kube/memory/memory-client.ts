/**
 * MemoryKubeClient: the embedded cluster. A KubeClient over an in-process store with the API
 * server's semantics (see the modules it composes), on an injected Clock, so the simulator runs
 * the whole controller stack against it and tests step it deterministically.
 *
 * Not modelled: namespaces need not exist before objects are put in them; no admission plugins
 * or garbage collector (owner references are stored, not acted on); no scale subresource.
 */
import type { Clock } from '../../utils/clock.js';
import type { Kind, KindMap } from '../kinds.js';
import type {
  DeleteOptions, EventInput, EvictOptions, KubeClient, ListOptions, ListResult, MergePatch, PodRef, WatchOptions,
  WatchStream,
} from '../types.js';
import { EventRecorder } from './event-recorder.js';
import type { WriteFault } from './faults.js';
import { WriteFaults } from './faults.js';
import { compileFilter } from './filters.js';
import { copyJson } from './json.js';
import { KubeletEmulator } from './kubelet-emulator.js';
import { NameGenerator } from './names.js';
import type { StoredObject } from './object-store.js';
import { ObjectStore } from './object-store.js';
import { PdbTracker } from './pdb-tracker.js';
import { PodSubresources } from './pod-subresources.js';
import { WatchHub } from './watch-hub.js';
import { ObjectWriter } from './writer.js';

export interface MemoryKubeClientOptions {
  clock: Clock;
  /** Seeds generated names and uids (default 1): the same seed replays the same names. */
  seed?: number;
  /** Changes kept per kind for watches to resume from (default 20,000); older versions get 410 Gone. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them (default 60 s, as the API server). */
  bookmarkIntervalMs?: number;
  /** A watch consumer this many events behind is dropped (default 1,000,000). */
  maxWatchQueue?: number;
  /**
   * Complete graceful pod deletions as a kubelet would, after the grace period or `podShutdownMs`
   * if shorter (default true). Off: terminating pods stay until deleted with grace 0.
   */
  emulateKubelet?: boolean;
  /** Upper bound on a pod's shutdown time in ms (default: the full grace period). */
  podShutdownMs?: number;
  /** Events are deleted this long after they are recorded (default 1 h; 0 keeps them). */
  eventTtlMs?: number;
  /** Deep-freeze stored objects so an internal in-place mutation throws (for tests; default false). */
  freezeStored?: boolean;
  /**
   * Watchers that take the same change one after the other share one copy of the object instead
   * of a copy each (default false). Only for a process whose watchers never modify what they
   * receive, as informers promise: a change made by one would be seen by the others.
   */
  shareWatchObjects?: boolean;
}

/** Chaos hooks. */
export interface MemoryFaults {
  /** Fail a later write (the nth matching one) with a Conflict or the given error. */
  failWrite(fault?: WriteFault): void;
  /** End open watches (of a kind, or all) as a dropped connection would; returns how many. */
  dropWatches(kind?: Kind): number;
  /** Forget watch history (of a kind, or all): resuming from any earlier version gets 410 Gone. */
  expireHistory(kind?: Kind): void;
  /** Disarm pending write faults. */
  clear(): void;
}

export class MemoryKubeClient implements KubeClient {
  readonly clock: Clock;
  readonly faults: MemoryFaults;
  readonly #store: ObjectStore;
  readonly #writer: ObjectWriter;
  readonly #hub: WatchHub;
  readonly #pods: PodSubresources;
  readonly #events: EventRecorder;
  readonly #kubelet: KubeletEmulator | undefined;
  readonly #writeFaults = new WriteFaults();

  constructor(options: MemoryKubeClientOptions) {
    this.clock = options.clock;
    this.#store = new ObjectStore({ historyLimit: options.historyLimit ?? 20_000, freeze: options.freezeStored ?? false });
    this.#writer = new ObjectWriter(this.#store, this.clock, new NameGenerator(options.seed ?? 1));
    this.#hub = new WatchHub(this.#store, this.clock, {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      maxQueue: options.maxWatchQueue ?? 1_000_000,
      shareObjects: options.shareWatchObjects ?? false,
    });
    const pdbs = new PdbTracker(this.#store, this.clock);
    this.#pods = new PodSubresources(this.#writer, pdbs);
    this.#events = new EventRecorder(this.#writer, this.clock, options.eventTtlMs ?? 3600_000);
    if (options.emulateKubelet ?? true) {
      this.#kubelet = new KubeletEmulator(this.#store, this.clock, this.#writer, options.podShutdownMs ?? Number.POSITIVE_INFINITY);
    }
    const faults = this.#writeFaults;
    const hub = this.#hub;
    const store = this.#store;
    this.faults = {
      failWrite: (f) => faults.add(f),
      dropWatches: (kind) => hub.drop(kind),
      expireHistory: (kind) => store.compact(kind),
      clear: () => faults.clear(),
    };
  }

  /** The latest resourceVersion (a count of all writes so far). */
  get resourceVersion(): string {
    return String(this.#store.resourceVersion);
  }

  /** Objects of a kind (cheap: no copies). */
  count(kind: Kind): number {
    return this.#store.count(kind);
  }

  /** Open watches (of a kind, or all). */
  openWatches(kind?: Kind): number {
    return this.#hub.count(kind);
  }

  /** Stops the client's own timers and ends its watches (the store stays readable). */
  close(): void {
    this.#hub.drop();
    this.#events.stop();
    this.#kubelet?.stop();
  }

  list<K extends Kind>(kind: K, opts: ListOptions = {}): Promise<ListResult<KindMap[K]>> {
    return run(() => {
      const filter = compileFilter(kind, opts);
      const items: KindMap[K][] = [];
      for (const obj of this.#store.scan(kind, filter.scope)) if (filter.matches(obj)) items.push(out<K>(obj));
      return { items, resourceVersion: this.resourceVersion };
    });
  }

  watch<K extends Kind>(kind: K, opts: WatchOptions = {}): WatchStream<KindMap[K]> {
    return this.#hub.open<KindMap[K]>(kind, opts);
  }

  get<K extends Kind>(kind: K, name: string, namespace?: string): Promise<KindMap[K]> {
    return run(() => out<K>(this.#writer.require(kind, name, namespace)));
  }

  create<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]> {
    return run(() => {
      this.#writeFaults.check('create', kind, obj.metadata?.name ?? obj.metadata?.generateName ?? '');
      return out<K>(this.#writer.create(kind, obj));
    });
  }

  update<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]> {
    return run(() => {
      this.#writeFaults.check('update', kind, obj.metadata?.name ?? '');
      return out<K>(this.#writer.update(kind, obj));
    });
  }

  patch<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]> {
    return run(() => {
      this.#writeFaults.check('patch', kind, name);
      return out<K>(this.#writer.patch(kind, name, namespace, patch, 'main'));
    });
  }

  patchStatus<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]> {
    return run(() => {
      this.#writeFaults.check('patchStatus', kind, name);
      return out<K>(this.#writer.patch(kind, name, namespace, patch, 'status'));
    });
  }

  delete<K extends Kind>(kind: K, name: string, namespace?: string, opts?: DeleteOptions): Promise<void> {
    return run(() => {
      this.#writeFaults.check('delete', kind, name);
      this.#writer.delete(kind, name, namespace, opts);
    });
  }

  bind(pod: PodRef, nodeName: string): Promise<void> {
    return run(() => {
      this.#writeFaults.check('bind', 'Pod', pod.metadata.name ?? '');
      this.#pods.bind(pod, nodeName);
    });
  }

  evict(pod: PodRef, opts?: EvictOptions): Promise<void> {
    return run(() => {
      this.#writeFaults.check('evict', 'Pod', pod.metadata.name ?? '');
      this.#pods.evict(pod, opts);
    });
  }

  recordEvent(event: EventInput): Promise<void> {
    return run(() => {
      this.#writeFaults.check('recordEvent', 'Event', event.regarding.name);
      this.#events.record(event);
    });
  }
}

/** Runs a synchronous store operation as a promise (a throw becomes a rejection). */
function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

function out<K extends Kind>(obj: StoredObject): KindMap[K] {
  return copyJson(obj) as unknown as KindMap[K];
}
