/**
 * RealKubeClient: the KubeClient over a live API server through @kubernetes/client-node (its
 * KubeConfig authentication, request machinery and Watch), for every kind in the kind table.
 * It passes the same contract suite as the memory client (real-client.integration.test.ts).
 */
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { PatchStrategy, Watch } from '@kubernetes/client-node';
import type { KubeObject } from '../../apis/core.js';
import type { Clock } from '../../utils/clock.js';
import { RealClock } from '../../utils/clock.js';
import { KubeError } from '../errors.js';
import type { Kind, KindInfo, KindMap } from '../kinds.js';
import { KINDS } from '../kinds.js';
import { buildEvent } from '../memory/event-recorder.js';
import type {
  DeleteOptions, EventInput, EvictOptions, KubeClient, ListOptions, ListResult, MergePatch, PodRef, WatchOptions,
  WatchStream,
} from '../types.js';
import type { KubeConfigSource } from './config.js';
import { loadKubeConfig } from './config.js';
import { toKubeError } from './error-mapping.js';
import { collectionPath, fieldSelectorString, labelSelectorString, objectPath } from './paths.js';
import { ApiTransport } from './transport.js';
import { watchStream } from './watch-stream.js';

export interface RealKubeClientOptions {
  /** Times of recorded Events (default: the real clock). */
  clock?: Clock;
  /** A request without an answer after this long fails with KubeError Timeout (default 30 s; not watches). */
  requestTimeoutMs?: number;
  /** Events' reportingInstance: which replica recorded them (default: the reporting controller's name). */
  reportingInstance?: string;
  /** Objects per page when listing (default 500); a list is still one consistent snapshot. */
  pageSize?: number;
}

interface RawList {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const where = (name: string, namespace: string | undefined): string => (namespace ? `${namespace}/${name}` : name);

export class RealKubeClient implements KubeClient {
  readonly #transport: ApiTransport;
  readonly #watch: Watch;
  readonly #clock: Clock;
  readonly #reportingInstance: string | undefined;
  readonly #pageSize: number;

  /** @throws Error when the KubeConfig has no current cluster. */
  constructor(kubeConfig: KubeConfig, opts: RealKubeClientOptions = {}) {
    this.#transport = new ApiTransport(kubeConfig, opts.requestTimeoutMs);
    this.#watch = new Watch(kubeConfig);
    this.#clock = opts.clock ?? new RealClock();
    this.#reportingInstance = opts.reportingInstance;
    this.#pageSize = opts.pageSize ?? 500;
  }

  /** Closes the connections kept open between requests (the client stays usable). */
  close(): void {
    this.#transport.close();
  }

  /** A client for a kubeconfig file or the in-cluster service account. @throws KubeConfigError */
  static fromSource(source: KubeConfigSource, opts: RealKubeClientOptions = {}): RealKubeClient {
    return new RealKubeClient(loadKubeConfig(source), opts);
  }

  async list<K extends Kind>(kind: K, opts: ListOptions = {}): Promise<ListResult<KindMap[K]>> {
    const info = KINDS[kind];
    const doing = `listing ${kind}${info.namespaced && opts.namespace ? ` in ${opts.namespace}` : ''}`;
    const path = collectionPath(info, opts.namespace);
    const query = selectorQuery(doing, opts);
    const items: KindMap[K][] = [];
    let resourceVersion = '';
    let next: string | undefined;
    do {
      const page = await this.#transport.request(doing, 'GET', path, { query: { ...query, limit: this.#pageSize, continue: next } }) as RawList;
      for (const item of page.items ?? []) items.push(decode(info, item));
      // Every page carries the version of the first page's snapshot.
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      next = page.metadata?.continue || undefined;
    } while (next);
    return { items, resourceVersion };
  }

  watch<K extends Kind>(kind: K, opts: WatchOptions = {}): WatchStream<KindMap[K]> {
    const info = KINDS[kind];
    const doing = `watching ${kind}${info.namespaced && opts.namespace ? ` in ${opts.namespace}` : ''}`;
    let selectors: ReturnType<typeof selectorQuery>;
    try {
      selectors = selectorQuery(doing, opts);
    } catch (err) {
      return failedStream(toKubeError(doing, err));
    }
    return watchStream<KindMap[K]>(
      (path, query, onEvent, done) => this.#watch.watch(path, query, onEvent, done),
      {
        doing,
        path: collectionPath(info, opts.namespace),
        query: {
          ...selectors,
          resourceVersion: opts.resourceVersion,
          allowWatchBookmarks: opts.allowBookmarks ? true : undefined,
          timeoutSeconds: opts.timeoutSeconds,
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
        decode: (obj) => decode(info, obj),
      },
    );
  }

  async get<K extends Kind>(kind: K, name: string, namespace?: string): Promise<KindMap[K]> {
    const info = KINDS[kind];
    const ns = scope(info, namespace);
    return decode(info, await this.#transport.request(`getting ${kind} ${where(name, ns)}`, 'GET', objectPath(info, name, ns)));
  }

  async create<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]> {
    const info = KINDS[kind];
    const body = encode(info, obj);
    const ns = body.metadata.namespace;
    const doing = `creating ${kind} ${where(body.metadata.name ?? `${body.metadata.generateName ?? ''}*`, ns)}`;
    return decode(info, await this.#transport.request(doing, 'POST', collectionPath(info, ns), { body }));
  }

  async update<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]> {
    const info = KINDS[kind];
    const body = encode(info, obj);
    const { name, namespace: ns } = body.metadata;
    if (!name) throw new KubeError('Invalid', `updating ${kind}: metadata.name is required`, { kind });
    return decode(info, await this.#transport.request(`updating ${kind} ${where(name, ns)}`, 'PUT', objectPath(info, name, ns), { body }));
  }

  patch<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]> {
    return this.#mergePatch(kind, name, patch, namespace, undefined);
  }

  patchStatus<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]> {
    if (!KINDS[kind].statusSubresource) {
      return Promise.reject(new KubeError('BadRequest', `patching the status of ${kind} ${name}: ${kind} has no status subresource`, { kind, name }));
    }
    return this.#mergePatch(kind, name, patch, namespace, 'status');
  }

  async #mergePatch<K extends Kind>(kind: K, name: string, patch: unknown, namespace: string | undefined, sub: 'status' | undefined): Promise<KindMap[K]> {
    const info = KINDS[kind];
    const ns = scope(info, namespace);
    const doing = `patching ${sub ? 'the status of ' : ''}${kind} ${where(name, ns)}`;
    const res = await this.#transport.request(doing, 'PATCH', objectPath(info, name, ns, sub), { body: patch, contentType: PatchStrategy.MergePatch });
    return decode(info, res);
  }

  async delete<K extends Kind>(kind: K, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<void> {
    const info = KINDS[kind];
    const ns = scope(info, namespace);
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...deleteOptions(opts) };
    await this.#transport.request(`deleting ${kind} ${where(name, ns)}`, 'DELETE', objectPath(info, name, ns), { body });
  }

  async bind(pod: PodRef, nodeName: string): Promise<void> {
    const { name, namespace: ns } = podName(pod, 'binding');
    const metadata = { name, namespace: ns, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) };
    const body = { apiVersion: 'v1', kind: 'Binding', metadata, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
    await this.#transport.request(`binding pod ${ns}/${name} to node ${nodeName}`, 'POST', objectPath(KINDS.Pod, name, ns, 'binding'), { body });
  }

  async evict(pod: PodRef, opts: EvictOptions = {}): Promise<void> {
    const { name, namespace: ns } = podName(pod, 'evicting');
    const body = {
      apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns },
      deleteOptions: deleteOptions({ ...opts, ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}) }),
    };
    await this.#transport.request(`evicting pod ${ns}/${name}`, 'POST', objectPath(KINDS.Pod, name, ns, 'eviction'), { body });
  }

  async recordEvent(event: EventInput): Promise<void> {
    const now = this.#clock.now();
    const built = buildEvent(event, now);
    const ns = built.metadata.namespace ?? 'default';
    // The API server refuses buildEvent's generateName ("web-1.": a trailing dot is no valid
    // prefix), so name it as client-go does: the object's name, a dot, a time-based hex suffix.
    const metadata = { name: eventName(event.regarding.name, now), namespace: ns };
    // apis/core.ts's Event leaves out reportingInstance; buildEvent sets it to the controller's name.
    const body = { ...built, metadata, ...(this.#reportingInstance === undefined ? {} : { reportingInstance: this.#reportingInstance }) };
    const doing = `recording event ${event.reason} about ${event.regarding.kind} ${where(event.regarding.name, event.regarding.namespace)}`;
    await this.#transport.request(doing, 'POST', collectionPath(KINDS.Event, ns), { body });
  }
}

/** Selectors as query parameters. @throws KubeError BadRequest for one the API cannot express. */
function selectorQuery(doing: string, opts: ListOptions): { labelSelector: string | undefined; fieldSelector: string | undefined } {
  try {
    return { labelSelector: labelSelectorString(opts.labelSelector), fieldSelector: fieldSelectorString(opts.fieldSelector) };
  } catch (err) {
    throw new KubeError('BadRequest', `${doing}: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
  }
}

/** A stream whose first read fails with `err` (watch errors come from the stream, not the call). */
function failedStream<T>(err: KubeError): WatchStream<T> {
  return {
    [Symbol.asyncIterator]: () => {
      let failed = false;
      return {
        next: () => {
          if (failed) return Promise.resolve({ done: true, value: undefined });
          failed = true;
          return Promise.reject(err);
        },
      };
    },
  };
}

/** The namespace a request addresses: "default" when absent for namespaced kinds, none otherwise. */
function scope(info: KindInfo, namespace: string | undefined): string | undefined {
  return info.namespaced ? namespace ?? 'default' : undefined;
}

/** What is sent: a copy with apiVersion and kind, in its namespace (none for cluster-scoped kinds). */
function encode(info: KindInfo, obj: KubeObject): KubeObject {
  const metadata = { ...obj.metadata };
  if (info.namespaced) metadata.namespace = obj.metadata.namespace ?? 'default';
  else delete metadata.namespace;
  return { ...obj, apiVersion: info.apiVersion, kind: info.kind, metadata };
}

/** What is returned: the server's object, with apiVersion and kind even where lists leave them out. */
function decode<K extends Kind>(info: KindInfo, raw: unknown): KindMap[K] {
  const obj = raw as KubeObject;
  obj.apiVersion ??= info.apiVersion;
  obj.kind ??= info.kind;
  return obj as KindMap[K];
}

const MAX_NAME = 253;

/** "<object>.<hex time><hex random>": unique per event, sorted by time, a valid object name. */
function eventName(regarding: string, nowMs: number): string {
  const suffix = `${Math.floor(nowMs).toString(16)}${randomBytes(4).toString('hex')}`;
  return `${regarding.slice(0, MAX_NAME - suffix.length - 1)}.${suffix}`;
}

function deleteOptions(opts: DeleteOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.preconditions) out.preconditions = { ...opts.preconditions };
  return out;
}

function podName(pod: PodRef, doing: string): { name: string; namespace: string } {
  const name = pod.metadata.name;
  if (!name) throw new KubeError('Invalid', `${doing} a pod: metadata.name is required`, { kind: 'Pod' });
  return { name, namespace: pod.metadata.namespace ?? 'default' };
}
