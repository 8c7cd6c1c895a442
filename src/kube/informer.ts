/**
 * An informer over any KubeClient: a local, indexed copy of one kind that follows the server
 * through list + watch, and tells handlers what changed. It survives what real API servers do:
 * watches that end (timeouts, dropped connections: re-watch from the last resourceVersion seen),
 * history that expired (410 Gone: relist and deliver the differences), and other failures
 * (exponential backoff on the Clock, then resume).
 *
 * Guarantees: handlers are called synchronously, one event at a time, in the order the server
 * made the changes; replaying the events a handler receives onto an empty map gives the store.
 */
import { keyOf } from '../apis/core.js';
import type { Clock } from '../utils/clock.js';
import { isGone } from './errors.js';
import type { IndexFunc } from './informer-store.js';
import { IndexedStore } from './informer-store.js';
import type { Kind, KindMap } from './kinds.js';
import { SyncGate } from './sync-gate.js';
import type { KubeClient, ListOptions } from './types.js';

export type { IndexFunc } from './informer-store.js';
export { IndexedStore, NAMESPACE_INDEX, namespaceIndex, POD_NODE_NAME_INDEX, podNodeNameIndex, UnknownIndexError } from './informer-store.js';

/** What a handler is told. Objects are shared with the store and other handlers: do not mutate them. */
export interface InformerHandler<T> {
  /** A new object; `initial` is true for objects of the first list (and for replays to late handlers). */
  onAdd?(obj: T, initial: boolean): void;
  /** A changed object. On a periodic resync `oldObj === newObj`. */
  onUpdate?(oldObj: T, newObj: T): void;
  /**
   * A deleted object. `finalStateUnknown` is true when the deletion was found by a relist: `obj`
   * is then the last state this informer saw, not the state at deletion.
   */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export type InformerPhase = 'list' | 'watch' | 'handler';

/** A failure inside an informer (it keeps running; this is reported to `onError`). */
export class InformerError extends Error {
  constructor(readonly kind: Kind, readonly phase: InformerPhase, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InformerError';
  }
}

export interface InformerOptions<T> {
  clock: Clock;
  /** Namespace and selectors for both list and watch. */
  listOptions?: ListOptions;
  /** Ask the server to end each watch after this long (default 300 s); the informer re-watches. */
  watchTimeoutSeconds?: number;
  /** Re-deliver every stored object as an update this often (default 0: never). */
  resyncPeriodMs?: number;
  /** Backoff after failures: initialMs doubling to maxMs (defaults 800 ms and 30 s, as client-go). */
  backoff?: { initialMs?: number; maxMs?: number };
  indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** Told about every failure (list, watch or a throwing handler); the informer carries on. */
  onError?: (error: InformerError) => void;
}

/** How many of each thing happened (for tests and metrics). */
export interface InformerStats {
  lists: number;
  watches: number;
  /** Relists forced by 410 Gone. */
  relists: number;
  errors: number;
}

/** A watch that ends normally this soon without a single event counts as a failure (no hot loop). */
const SHORT_WATCH_MS = 1_000;

/**
 * One informer per kind (and list options). `start()` once; `stop()` ends it for good.
 */
export class Informer<K extends Kind> {
  readonly kind: K;
  readonly stats: InformerStats = { lists: 0, watches: 0, relists: 0, errors: 0 };
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #opts: InformerOptions<KindMap[K]>;
  readonly #store: IndexedStore<KindMap[K]>;
  #handlers: readonly InformerHandler<KindMap[K]>[] = [];
  readonly #abort = new AbortController();
  #state: 'new' | 'running' | 'stopped' = 'new';
  readonly #sync: SyncGate;
  #lastResourceVersion: string | undefined;
  #loop: Promise<void> = Promise.resolve();
  #cancelResync: (() => void) | undefined;

  constructor(client: KubeClient, kind: K, options: InformerOptions<KindMap[K]>) {
    this.kind = kind;
    this.#client = client;
    this.#clock = options.clock;
    this.#opts = options;
    this.#store = new IndexedStore(options.indexers);
    this.#sync = new SyncGate(`waiting for the ${kind} informer to sync`);
  }

  /** The resourceVersion the informer has caught up to (undefined before the first list). */
  get lastSyncResourceVersion(): string | undefined {
    return this.#lastResourceVersion;
  }

  /** True once the first list has been stored and delivered to handlers. */
  hasSynced(): boolean {
    return this.#sync.isOpen;
  }

  /**
   * Resolves once synced. Rejects with an InformerError if the informer stops first, or with the
   * signal's reason if it aborts first.
   */
  waitForSync(signal?: AbortSignal): Promise<void> {
    return this.#sync.wait(signal);
  }

  /**
   * Adds a handler. If objects are already stored, they are replayed to it as adds (initial=true)
   * before this returns. Returns a function that removes the handler.
   */
  addHandler(handler: InformerHandler<KindMap[K]>): () => void {
    this.#handlers = [...this.#handlers, handler];
    if (handler.onAdd) {
      for (const obj of this.#store.values()) {
        try {
          handler.onAdd(obj, true);
        } catch (e) {
          this.#handlerFailed(e);
        }
      }
    }
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  /** The stored object with this key ("namespace/name", or "name" for cluster-scoped kinds). */
  get(key: string): KindMap[K] | undefined {
    return this.#store.get(key);
  }

  getByName(name: string, namespace?: string): KindMap[K] | undefined {
    return this.#store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): KindMap[K][] {
    return [...this.#store.values()];
  }

  get size(): number {
    return this.#store.size;
  }

  /** @throws UnknownIndexError for an index not given in the options. */
  byIndex(index: string, value: string): KindMap[K][] {
    return this.#store.byIndex(index, value);
  }

  /**
   * Starts listing and watching in the background.
   * @throws InformerError if already started or stopped.
   */
  start(): void {
    if (this.#state !== 'new') throw new InformerError(this.kind, 'list', `starting the ${this.kind} informer: it was already ${this.#state === 'running' ? 'started' : 'stopped'}`);
    this.#state = 'running';
    this.#loop = this.#run();
  }

  /** Stops watching (idempotent). Resolves once the background loop has ended; no handler runs after. */
  stop(): Promise<void> {
    if (this.#state === 'stopped') return this.#loop;
    this.#state = 'stopped';
    this.#abort.abort(new InformerError(this.kind, 'watch', `${this.kind} informer stopped`));
    this.#cancelResync?.();
    this.#sync.fail(new InformerError(this.kind, 'list', `waiting for the ${this.kind} informer to sync: it was stopped`));
    return this.#loop;
  }

  get #stopped(): boolean {
    return this.#state === 'stopped';
  }

  async #run(): Promise<void> {
    let needList = true;
    let failures = 0;
    let lastWasGone = false;
    while (!this.#stopped) {
      let phase: InformerPhase = 'list';
      try {
        if (needList) {
          await this.#listAndReplace();
          needList = false;
        }
        phase = 'watch';
        const started = this.#clock.now();
        const events = await this.#watchOnce();
        if (events > 0) {
          failures = 0;
          lastWasGone = false;
          continue;
        }
        if (this.#clock.now() - started >= SHORT_WATCH_MS) continue;
        throw new Error('the watch ended at once without any event');
      } catch (e) {
        if (this.#stopped) break;
        const gone = isGone(e);
        if (gone) {
          needList = true;
          this.stats.relists++;
        }
        this.#report(phase, `${phase === 'list' ? 'listing' : 'watching'} ${this.kind}${gone ? ' (history expired: relisting)' : ''}`, e);
        failures++;
        // A 410 relists at once, unless the previous failure was one too (a server that keeps
        // answering 410 must not be hammered); anything else waits.
        const relistNow = gone && !lastWasGone;
        lastWasGone = gone;
        if (relistNow) continue;
        try {
          await this.#clock.sleep(this.#backoffMs(failures), this.#abort.signal);
        } catch {
          break;
        }
      }
    }
  }

  #backoffMs(failures: number): number {
    const initial = this.#opts.backoff?.initialMs ?? 800;
    const max = this.#opts.backoff?.maxMs ?? 30_000;
    return Math.min(max, initial * 2 ** Math.min(failures - 1, 40));
  }

  async #listAndReplace(): Promise<void> {
    this.stats.lists++;
    const res = await this.#client.list(this.kind, this.#opts.listOptions);
    if (this.#stopped) return;
    const initial = !this.#sync.isOpen;
    const seen = new Set<string>();
    for (const obj of res.items) {
      const key = keyOf(obj);
      seen.add(key);
      this.#upsert(key, obj, initial);
    }
    const vanished: string[] = [];
    for (const key of this.#store.keys()) if (!seen.has(key)) vanished.push(key);
    for (const key of vanished) this.#dispatchDelete(this.#store.delete(key)!, true);
    this.#lastResourceVersion = res.resourceVersion;
    if (this.#sync.open()) this.#armResync();
  }

  /** Watches from the last resourceVersion until the stream ends; returns how many events came. */
  async #watchOnce(): Promise<number> {
    this.stats.watches++;
    const stream = this.#client.watch(this.kind, {
      ...this.#opts.listOptions,
      resourceVersion: this.#lastResourceVersion,
      allowBookmarks: true,
      timeoutSeconds: this.#opts.watchTimeoutSeconds ?? 300,
      signal: this.#abort.signal,
    });
    let events = 0;
    for await (const ev of stream) {
      if (this.#stopped) break;
      events++;
      if (ev.type === 'BOOKMARK') {
        this.#lastResourceVersion = ev.resourceVersion;
        continue;
      }
      const obj = ev.object;
      const key = keyOf(obj);
      if (ev.type === 'DELETED') {
        if (this.#store.delete(key) !== undefined) this.#dispatchDelete(obj, false);
      } else {
        this.#upsert(key, obj, false);
      }
      this.#lastResourceVersion = obj.metadata.resourceVersion ?? this.#lastResourceVersion;
    }
    return events;
  }

  #upsert(key: string, obj: KindMap[K], initial: boolean): void {
    const old = this.#store.set(key, obj);
    if (old === undefined) this.#dispatchAdd(obj, initial);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion || old.metadata.resourceVersion === undefined) {
      this.#dispatchUpdate(old, obj);
    }
  }

  #armResync(): void {
    const period = this.#opts.resyncPeriodMs ?? 0;
    if (period <= 0 || this.#stopped) return;
    this.#cancelResync = this.#clock.setTimer(period, () => {
      if (this.#stopped) return;
      for (const obj of this.#store.values()) this.#dispatchUpdate(obj, obj);
      this.#armResync();
    });
  }

  // One method per event type, each calling the handlers directly: every watch event goes
  // through one of them, and they make no closure per event or per handler.

  #dispatchAdd(obj: KindMap[K], initial: boolean): void {
    for (const h of this.#handlers) {
      try {
        h.onAdd?.(obj, initial);
      } catch (e) {
        this.#handlerFailed(e);
      }
    }
  }

  #dispatchUpdate(oldObj: KindMap[K], newObj: KindMap[K]): void {
    for (const h of this.#handlers) {
      try {
        h.onUpdate?.(oldObj, newObj);
      } catch (e) {
        this.#handlerFailed(e);
      }
    }
  }

  #dispatchDelete(obj: KindMap[K], finalStateUnknown: boolean): void {
    for (const h of this.#handlers) {
      try {
        h.onDelete?.(obj, finalStateUnknown);
      } catch (e) {
        this.#handlerFailed(e);
      }
    }
  }

  #handlerFailed(cause: unknown): void {
    this.#report('handler', `handling a ${this.kind} event`, cause);
  }

  #report(phase: InformerPhase, doing: string, cause: unknown): void {
    this.stats.errors++;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#opts.onError?.(new InformerError(this.kind, phase, `${doing}: ${message}`, { cause }));
  }
}
