/**
 * Watches over the object store: replay from a resourceVersion out of the bounded history (410
 * Gone past it), live fan-out of committed changes, selector entry/exit as ADDED/DELETED,
 * bookmarks and timeouts on the injected clock.
 */
import type { Clock } from '../../utils/clock.js';
import { KubeError } from '../errors.js';
import type { Kind } from '../kinds.js';
import type { WatchOptions } from '../types.js';
import type { CompiledFilter } from './filters.js';
import { compileFilter } from './filters.js';
import { copyJson, copyJsonReusing, deepFreeze } from './json.js';
import type { Change, ObjectStore, StoredObject } from './object-store.js';
import type { WatchCopy } from './watch-stream.js';
import { MemoryWatchStream } from './watch-stream.js';

export interface WatchHubOptions {
  /** How often a watch that allows bookmarks gets one (the API server's default is a minute). */
  bookmarkIntervalMs: number;
  /** A consumer this many events behind is dropped, as the API server drops slow watchers. */
  maxQueue: number;
  /** Watchers share one copy of each object: see MemoryKubeClientOptions.shareWatchObjects. */
  shareObjects: boolean;
}

/** As the API server does: the last bookmark comes 2 s before a watch's timeout. */
const PRE_TIMEOUT_BOOKMARK_MS = 2_000;

interface Watcher {
  readonly kind: Kind;
  readonly filter: CompiledFilter;
  readonly stream: MemoryWatchStream<unknown>;
  /** Pods watched by spec.nodeName are indexed by it, so node agents do not see every pod change. */
  readonly nodeName: string | undefined;
}

/**
 * A copy function whose copies are shared: the watchers that take one change (every informer of
 * the kind, woken by it) get the same copy. Copies, not the stored object itself, because copies
 * all have the object shapes copyJson builds, which keeps the consumers' property lookups fast;
 * stored objects are made by spreads and merge patches, in many shapes. The last copy of each
 * object (by uid) is kept until its deletion is copied, and a copy of the next version is made
 * from it: the subtrees the new version shares with the one before (a status patch leaves spec
 * and most of metadata as they were) take their copies from it (see copyJsonReusing), so the
 * consumers' versions of an object share what did not change. Copies are frozen when the store
 * freezes.
 */
function sharedCopies(freeze: boolean): WatchCopy {
  const latest = new Map<string, { stored: StoredObject; copy: object }>();
  let last: StoredObject | undefined;
  let lastCopy: object | undefined;
  return (ev) => {
    const obj = ev.object;
    if (obj === last) return lastCopy;
    const uid = obj.metadata.uid;
    const known = uid !== undefined ? latest.get(uid) : undefined;
    let copy: object;
    if (known?.stored === obj) copy = known.copy;
    else {
      const previous = ev.previous;
      copy = known !== undefined && previous !== undefined && known.stored === previous
        ? copyJsonReusing(obj, previous, known.copy)
        : copyJson(obj);
      if (freeze) deepFreeze(copy);
      if (uid !== undefined) {
        if (ev.type === 'DELETED') latest.delete(uid);
        else if (known !== undefined) {
          known.stored = obj;
          known.copy = copy;
        } else latest.set(uid, { stored: obj, copy });
      }
    }
    last = obj;
    lastCopy = copy;
    return copy;
  };
}

export class WatchHub {
  readonly #byKind = new Map<Kind, Set<Watcher>>();
  readonly #podsByNode = new Map<string, Set<Watcher>>();
  readonly #copy: WatchCopy | undefined;

  constructor(readonly store: ObjectStore, readonly clock: Clock, readonly options: WatchHubOptions) {
    store.subscribe((c) => this.#publish(c));
    this.#copy = options.shareObjects ? sharedCopies(store.options.freeze) : undefined;
  }

  /** Open watches, optionally of one kind. */
  count(kind?: Kind): number {
    if (kind) return (this.#byKind.get(kind)?.size ?? 0) + (kind === 'Pod' ? this.#nodeWatchers() : 0);
    let n = this.#nodeWatchers();
    for (const set of this.#byKind.values()) n += set.size;
    return n;
  }

  #nodeWatchers(): number {
    let n = 0;
    for (const set of this.#podsByNode.values()) n += set.size;
    return n;
  }

  /** Opens a watch; problems (bad selector, Gone) surface from the stream's first next(). */
  open<T>(kind: Kind, opts: WatchOptions = {}): MemoryWatchStream<T> {
    const stream = new MemoryWatchStream<T>(this.options.maxQueue, this.#copy);
    try {
      this.#start(kind, opts, stream as MemoryWatchStream<unknown>);
    } catch (e) {
      stream.fail(e);
    }
    return stream;
  }

  #start(kind: Kind, opts: WatchOptions, stream: MemoryWatchStream<unknown>): void {
    const filter = compileFilter(kind, opts);
    const rvText = opts.resourceVersion;
    let backlog: Change[] | undefined;
    if (rvText !== undefined && rvText !== '' && rvText !== '0') {
      const rv = Number(rvText);
      if (!Number.isSafeInteger(rv) || rv < 0) {
        throw new KubeError('BadRequest', `watching ${kind}: resourceVersion "${rvText}" is not a valid version`, { kind });
      }
      if (rv > this.store.resourceVersion) {
        // The API server would wait for a version it has not reached; this store never will.
        throw new KubeError('Gone', `watching ${kind}: resourceVersion ${rv} is newer than the store's ${this.store.resourceVersion}`, { kind });
      }
      const changes = this.store.changesSince(kind, rv);
      if (changes === 'gone') {
        throw new KubeError('Expired', `watching ${kind}: too old resource version: ${rv} (history kept from ${this.store.resourceVersion})`, { kind });
      }
      backlog = changes;
    }
    if (opts.signal?.aborted) {
      stream.end();
      return;
    }
    const nodeName = kind === 'Pod' ? filter.scope.nodeName : undefined;
    const watcher: Watcher = { kind, filter, stream, nodeName };
    if (backlog) {
      for (const c of backlog) this.#offer(watcher, c);
    } else {
      for (const obj of this.store.scan(kind, filter.scope)) {
        if (filter.matches(obj)) stream.push({ type: 'ADDED', object: obj, previous: undefined });
      }
    }
    this.#register(watcher, opts);
  }

  #register(w: Watcher, opts: WatchOptions): void {
    const set = w.nodeName !== undefined ? getOrCreate(this.#podsByNode, w.nodeName) : getOrCreate(this.#byKind, w.kind);
    set.add(w);
    const deadline = opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0
      ? this.clock.now() + opts.timeoutSeconds * 1000
      : undefined;
    const cancelTimeout = deadline !== undefined ? this.clock.setTimer(deadline - this.clock.now(), () => w.stream.end()) : undefined;
    let cancelBookmark: (() => void) | undefined;
    const armBookmark = (): void => {
      const now = this.clock.now();
      let at = now + this.options.bookmarkIntervalMs;
      if (deadline !== undefined) at = Math.min(at, deadline - PRE_TIMEOUT_BOOKMARK_MS);
      cancelBookmark = at > now
        ? this.clock.setTimer(at - now, () => {
          w.stream.push({ type: 'BOOKMARK', resourceVersion: String(this.store.resourceVersion) });
          armBookmark();
        })
        : undefined;
    };
    if (opts.allowBookmarks) armBookmark();
    const signal = opts.signal;
    const onAbort = (): void => w.stream.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    w.stream.setOnClose(() => {
      set.delete(w);
      if (set.size === 0 && w.nodeName !== undefined) this.#podsByNode.delete(w.nodeName);
      cancelTimeout?.();
      cancelBookmark?.();
      signal?.removeEventListener('abort', onAbort);
    });
  }

  #publish(c: Change): void {
    const all = this.#byKind.get(c.kind);
    if (all) for (const w of all) this.#offer(w, c);
    if (c.kind !== 'Pod' || this.#podsByNode.size === 0) return;
    const before = (c.previous?.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
    const after = (c.object.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
    const targets = new Set<Watcher>(this.#podsByNode.get(after) ?? []);
    if (c.previous && before !== after) for (const w of this.#podsByNode.get(before) ?? []) targets.add(w);
    for (const w of targets) this.#offer(w, c);
  }

  #offer(w: Watcher, c: Change): void {
    const was = c.previous !== undefined ? w.filter.matches(c.previous) : c.type === 'DELETED' && w.filter.matches(c.object);
    if (c.type === 'DELETED') {
      if (was) w.stream.push({ type: 'DELETED', object: c.object, previous: c.previous });
      return;
    }
    const is = w.filter.matches(c.object);
    if (is) w.stream.push({ type: was ? 'MODIFIED' : 'ADDED', object: c.object, previous: c.previous });
    else if (was) {
      // As the API server's watch cache does: the last state the watcher could see, at the new version.
      // Not told as a version after `prev`: the watchers still matching take the version that is.
      const prev = c.previous!;
      w.stream.push({ type: 'DELETED', object: { ...prev, metadata: { ...prev.metadata, resourceVersion: String(c.rv) } }, previous: undefined });
    }
  }

  /** Ends open watches (of one kind, or all) as a dropped connection would. Returns how many. */
  drop(kind?: Kind): number {
    const victims: Watcher[] = [];
    for (const [k, set] of this.#byKind) if (!kind || k === kind) victims.push(...set);
    if (!kind || kind === 'Pod') for (const set of this.#podsByNode.values()) victims.push(...set);
    for (const w of victims) w.stream.end();
    return victims.length;
  }
}

function getOrCreate<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}
