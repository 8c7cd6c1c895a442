/**
 * The only writers of ClusterState: one informer per kind the cache holds, each applying what it
 * sees, and the synced gate opened once every one of them has listed.
 */
import type { InformerError, InformerOptions } from '../kube/informer.js';
import { Informer } from '../kube/informer.js';
import type { KindMap } from '../kube/kinds.js';
import type { KubeClient } from '../kube/types.js';
import type { Clock } from '../utils/clock.js';
import type { ClusterState, StateKind } from './cluster-state.js';
import { STATE_KINDS } from './cluster-state.js';

export interface ClusterStateInformersOptions {
  clock: Clock;
  /** Kinds to watch (default: all of STATE_KINDS). */
  kinds?: readonly StateKind[];
  /** Passed to every informer (watch timeout, backoff); resync is pointless here and left off. */
  watchTimeoutSeconds?: number;
  backoff?: InformerOptions<unknown>['backoff'];
  /** Failures of any informer (they keep running). */
  onError?: (error: InformerError) => void;
}

type AnyInformer = Informer<StateKind>;

export class ClusterStateInformers {
  readonly state: ClusterState;
  readonly #informers = new Map<StateKind, AnyInformer>();
  #stopped = false;

  constructor(client: KubeClient, state: ClusterState, options: ClusterStateInformersOptions) {
    this.state = state;
    for (const kind of options.kinds ?? STATE_KINDS) {
      const informer: AnyInformer = new Informer<StateKind>(client, kind, {
        clock: options.clock,
        watchTimeoutSeconds: options.watchTimeoutSeconds,
        backoff: options.backoff,
        onError: options.onError,
      });
      informer.addHandler({
        onAdd: (obj) => state.apply(kind, obj),
        // A resync (old === new) carries nothing new for the cache.
        onUpdate: (old, obj) => (old === obj ? undefined : state.apply(kind, obj)),
        onDelete: (obj) => state.remove(kind, obj),
      });
      this.#informers.set(kind, informer);
    }
  }

  /** The informer of a kind (for its store and indexes), if that kind is watched. */
  informer<K extends StateKind>(kind: K): Informer<K> | undefined {
    return this.#informers.get(kind) as Informer<K> | undefined;
  }

  /** Whether every informer has synced. */
  hasSynced(): boolean {
    for (const i of this.#informers.values()) if (!i.hasSynced()) return false;
    return true;
  }

  /**
   * Starts every informer; the state is marked synced once all have listed.
   * @throws InformerError when already started or stopped.
   */
  start(): void {
    for (const i of this.#informers.values()) i.start();
    void Promise.all([...this.#informers.values()].map((i) => i.waitForSync())).then(
      () => {
        if (!this.#stopped) this.state.markSynced();
      },
      () => { /* stopped before syncing: the gate stays shut */ },
    );
  }

  /** Stops every informer; resolves when all have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }
}

/** The object type of a state kind (re-exported for callers wiring handlers). */
export type StateObject<K extends StateKind> = KindMap[K];
