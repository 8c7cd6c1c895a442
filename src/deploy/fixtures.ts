/**
 * Test helpers for the chart on a real API server: applying rendered objects as the admin, a
 * kubeconfig for a service-account token, a KubeClient that records every Forbidden answer, and
 * the chart's container environment.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../controllers/context.js';
import type { KindMap } from '../kube/kinds.js';
import { KubeError } from '../kube/errors.js';
import type { ApiTransport } from '../kube/real/transport.js';
import type {
  DeleteOptions, EventInput, EvictOptions, Kind, KubeClient, ListOptions, ListResult, MergePatch, PodRef, WatchOptions, WatchStream,
} from '../kube/types.js';

/** An object as `helm template` renders it. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** The kinds of a chart render that the RBAC test applies, with their URL and scope. */
const RESOURCES: Readonly<Record<string, { plural: string; namespaced: boolean }>> = {
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  CustomResourceDefinition: { plural: 'customresourcedefinitions', namespaced: false },
  Namespace: { plural: 'namespaces', namespaced: false },
};

/**
 * Creates the object as it is (POST to its collection).
 * @throws Error for a kind not in the table above; KubeError from the server.
 */
export async function createManifest(api: ApiTransport, obj: ManifestObject): Promise<void> {
  const r = RESOURCES[obj.kind];
  if (!r) throw new Error(`applying ${obj.kind} ${obj.metadata.name}: the test does not know where ${obj.kind} lives`);
  const base = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  await api.request(`creating ${obj.kind} ${obj.metadata.name}`, 'POST', `${base}${ns}/${r.plural}`, { body: obj });
}

/**
 * A short-lived token of a service account (the TokenRequest API, as the kubelet gets one).
 * @throws Error when the server answers without a token.
 */
export async function serviceAccountToken(api: ApiTransport, namespace: string, name: string): Promise<string> {
  const res = await api.request(`requesting a token of ${namespace}/${name}`, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  }) as { status?: { token?: string } } | undefined;
  const token = res?.status?.token;
  if (!token) throw new Error(`requesting a token of ${namespace}/${name}: the answer has no status.token`);
  return token;
}

/** A kubeconfig (JSON) that authenticates with a bearer token only. */
export function tokenKubeconfig(server: string, caPem: string, user: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user } }],
    'current-context': 'test',
  });
}

/**
 * Delegates to another client and keeps every Forbidden (403) it answers, from calls and from
 * watch streams, so a test can show that no call was refused.
 */
export class ForbiddenRecorder implements KubeClient {
  readonly forbidden: string[] = [];
  readonly #inner: KubeClient;

  constructor(inner: KubeClient) {
    this.#inner = inner;
  }

  #seen<T>(p: Promise<T>): Promise<T> {
    return p.catch((e: unknown) => {
      if (e instanceof KubeError && e.reason === 'Forbidden') this.forbidden.push(e.message);
      throw e;
    });
  }

  list<K extends Kind>(kind: K, opts?: ListOptions): Promise<ListResult<KindMap[K]>> { return this.#seen(this.#inner.list(kind, opts)); }
  get<K extends Kind>(kind: K, name: string, namespace?: string): Promise<KindMap[K]> { return this.#seen(this.#inner.get(kind, name, namespace)); }
  create<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]> { return this.#seen(this.#inner.create(kind, obj)); }
  update<K extends Kind>(kind: K, obj: KindMap[K]): Promise<KindMap[K]> { return this.#seen(this.#inner.update(kind, obj)); }
  patch<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]> {
    return this.#seen(this.#inner.patch(kind, name, patch, namespace));
  }
  patchStatus<K extends Kind>(kind: K, name: string, patch: MergePatch<KindMap[K]>, namespace?: string): Promise<KindMap[K]> {
    return this.#seen(this.#inner.patchStatus(kind, name, patch, namespace));
  }
  delete<K extends Kind>(kind: K, name: string, namespace?: string, opts?: DeleteOptions): Promise<void> {
    return this.#seen(this.#inner.delete(kind, name, namespace, opts));
  }
  bind(pod: PodRef, nodeName: string): Promise<void> { return this.#seen(this.#inner.bind(pod, nodeName)); }
  evict(pod: PodRef, opts?: EvictOptions): Promise<void> { return this.#seen(this.#inner.evict(pod, opts)); }
  recordEvent(event: EventInput): Promise<void> { return this.#seen(this.#inner.recordEvent(event)); }

  watch<K extends Kind>(kind: K, opts?: WatchOptions): WatchStream<KindMap[K]> {
    const inner = this.#inner.watch(kind, opts);
    const record = (e: unknown): void => {
      if (e instanceof KubeError && e.reason === 'Forbidden') this.forbidden.push(e.message);
    };
    return {
      async *[Symbol.asyncIterator]() {
        try {
          yield* inner;
        } catch (e) {
          record(e);
          throw e;
        }
      },
    };
  }
}

/** Polls `check` every 100 ms until it returns a non-string; fails after `timeoutMs` with the last string (the state seen). */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | string>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (typeof v !== 'string') return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${v}`);
    await sleep(100);
  }
}

/** A Logger that keeps warnings and errors as text lines (errors by message) and drops the rest. */
export function capturingLogger(lines: string[]): Logger {
  const text = (f: Record<string, unknown>): string => JSON.stringify(f, (_, v: unknown) => (v instanceof Error ? v.message : v));
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (f, m) => void lines.push(`warn ${m} ${text(f)}`),
    error: (f, m) => void lines.push(`error ${m} ${text(f)}`),
    child: () => log,
  };
  return log;
}

interface EnvVar { readonly name: string; readonly value?: string; readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } } }

/**
 * The environment the kubelet would give the first container of a rendered Deployment's pod of
 * this name and namespace (field references resolved).
 * @throws Error when there is no Deployment or a variable has another kind of source.
 */
export function deploymentEnv(docs: readonly ManifestObject[], pod: { name: string; namespace: string }): Record<string, string> {
  const d = docs.find((x) => x.kind === 'Deployment') as { spec?: { template?: { spec?: { containers?: { env?: EnvVar[] }[] } } } } | undefined;
  const vars = d?.spec?.template?.spec?.containers?.[0]?.env;
  if (!vars) throw new Error('the render has no Deployment with a container environment');
  const env: Record<string, string> = {};
  for (const e of vars) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (path === 'metadata.name') env[e.name] = pod.name;
    else if (path === 'metadata.namespace') env[e.name] = pod.namespace;
    else throw new Error(`env ${e.name} has a source the test cannot resolve: ${JSON.stringify(e)}`);
  }
  return env;
}
