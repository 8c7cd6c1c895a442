/**
 * One generic request path to the API server over @kubernetes/client-node's own machinery (its
 * request context, KubeConfig authentication and fetch library), answering plain JSON.
 *
 * Why not the generated typed APIs: they turn timestamps into Date objects (losing the exact text,
 * e.g. MicroTime's six digits) and drop fields their models do not know, and the custom objects API
 * cannot address the core group. Here every kind goes through the same path, built from the kind
 * table, and objects come back exactly as the server sent them.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Configuration, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { ApiException, createConfiguration, HttpMethod, ServerConfiguration } from '@kubernetes/client-node';
import { KubeError } from '../errors.js';
import { toKubeError } from './error-mapping.js';

export interface RequestOptions {
  /** Query parameters; undefined values are left out. */
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Content-Type of the body (default application/json; patches name their strategy). */
  contentType?: string;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Sends requests to the current cluster of a KubeConfig. */
export class ApiTransport {
  readonly #config: Configuration;
  readonly #timeoutMs: number;
  #shared: { key: string; agent: HttpAgent } | undefined;

  /**
   * @param timeoutMs a request that has not answered after this long fails with KubeError Timeout.
   * @throws Error when the KubeConfig has no current cluster.
   */
  constructor(kubeConfig: KubeConfig, timeoutMs = 30_000) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('creating the API client: the kubeconfig has no current cluster');
    this.#config = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
    });
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Sends one request and answers the parsed JSON body (undefined when empty).
   * @throws KubeError mapped from the server's Status (see error-mapping.ts); reason 'Timeout' when
   *   no answer came in time, 'Unknown' when the server could not be reached.
   */
  async request(doing: string, method: Method, path: string, opts: RequestOptions = {}): Promise<unknown> {
    const ctx = this.#config.baseServer.makeRequestContext(path, HttpMethod[method]);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v));
    ctx.setHeaderParam('Accept', 'application/json');
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    ctx.setSignal(timeout);
    try {
      await this.#config.authMethods.default?.applySecurityAuthentication(ctx);
      this.#reuseConnections(ctx);
      const res = await this.#config.httpApi.send(ctx).toPromise();
      const text = await res.body.text();
      if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
        throw new ApiException(res.httpStatusCode, `HTTP ${res.httpStatusCode}`, text, res.headers);
      }
      return text === '' ? undefined : JSON.parse(text) as unknown;
    } catch (err) {
      if (timeout.aborted && !(err instanceof ApiException)) {
        throw new KubeError('Timeout', `${doing}: no answer from the API server within ${this.#timeoutMs} ms`, {}, { cause: err });
      }
      throw toKubeError(doing, err);
    }
  }

  /** Closes the connections kept open for reuse (requests still work afterwards, on new ones). */
  close(): void {
    this.#shared?.agent.destroy();
    this.#shared = undefined;
  }

  /**
   * client-node gives every request a new agent, so a new connection and TLS handshake. Swap in
   * one keep-alive agent per set of TLS settings (a new one when credentials rotate). Proxy
   * agents are left alone.
   */
  #reuseConnections(ctx: RequestContext): void {
    const agent = ctx.getAgent();
    const proto = agent === undefined ? undefined : Object.getPrototypeOf(agent) as unknown;
    if (agent === undefined || (proto !== HttpsAgent.prototype && proto !== HttpAgent.prototype)) return;
    const o = (agent as HttpsAgent).options;
    const tls = [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
    const key = createHash('sha256').update(JSON.stringify([proto === HttpsAgent.prototype, tls])).digest('hex');
    if (this.#shared?.key !== key) {
      this.#shared?.agent.destroy();
      const options = { ...o, keepAlive: true };
      this.#shared = { key, agent: proto === HttpsAgent.prototype ? new HttpsAgent(options) : new HttpAgent(options) };
    }
    ctx.setAgent(this.#shared.agent);
  }
}
