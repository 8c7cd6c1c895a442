/**
 * The operator's HTTP endpoints on node:http: /metrics on the metrics port, /healthz and /readyz
 * on the health probe port (one server when both ports are the same). Only GET and HEAD; anything
 * else is 404 or 405. Started and stopped cleanly: stop() closes idle and open connections.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A check's verdict: ok, or why not (shown in the response body). */
export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface HttpEndpointsOptions {
  host: string;
  metricsPort: number;
  healthProbePort: number;
  /** The exposition text and its content type. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Liveness: false only when the process is wedged and should be restarted. */
  healthy: () => CheckResult;
  /** Readiness: the state cache has synced (whatever the leader election says). */
  ready: () => CheckResult;
}

/** Thrown when a server cannot listen (port taken, bad address). */
export class HttpServeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpServeError';
  }
}

type Route = (res: ServerResponse) => Promise<void> | void;

function send(res: ServerResponse, code: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function probe(check: () => CheckResult): Route {
  return (res) => {
    const r = check();
    if (r.ok) send(res, 200, 'ok\n');
    else send(res, 503, `not ok: ${r.reason}\n`);
  };
}

export class HttpEndpoints {
  readonly #o: HttpEndpointsOptions;
  readonly #servers: { name: string; server: Server }[] = [];
  #ports: { metrics: number; health: number } | undefined;

  constructor(options: HttpEndpointsOptions) {
    this.#o = options;
  }

  /** The ports listened on (after start; useful when 0 asked for any free port). */
  get ports(): { metrics: number; health: number } {
    if (!this.#ports) throw new Error('reading the HTTP ports: the servers are not started');
    return this.#ports;
  }

  /**
   * Listens on both ports.
   * @throws HttpServeError naming the port when one cannot be bound (whatever started is closed again).
   */
  async start(): Promise<{ metrics: number; health: number }> {
    if (this.#servers.length > 0) throw new Error('starting the HTTP endpoints: already started');
    const metricsRoutes: Record<string, Route> = {
      '/metrics': async (res) => {
        const m = await this.#o.metrics();
        send(res, 200, m.body, m.contentType);
      },
    };
    const healthRoutes: Record<string, Route> = { '/healthz': probe(this.#o.healthy), '/readyz': probe(this.#o.ready) };
    try {
      if (this.#o.metricsPort !== 0 && this.#o.metricsPort === this.#o.healthProbePort) {
        const port = await this.#listen('metrics and health', this.#o.metricsPort, { ...metricsRoutes, ...healthRoutes });
        this.#ports = { metrics: port, health: port };
      } else {
        const metrics = await this.#listen('metrics', this.#o.metricsPort, metricsRoutes);
        const health = await this.#listen('health probe', this.#o.healthProbePort, healthRoutes);
        this.#ports = { metrics, health };
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    return this.#ports;
  }

  /** Closes every server and connection; resolves once closed. Idempotent. */
  async stop(): Promise<void> {
    const servers = this.#servers.splice(0);
    await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })));
  }

  #listen(name: string, port: number, routes: Record<string, Route>): Promise<number> {
    const server = createServer((req, res) => void this.#handle(routes, req, res));
    // Probes and scrapes are short: do not let a stuck client hold a socket for long.
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    return new Promise<number>((resolve, reject) => {
      server.once('error', (e) => reject(new HttpServeError(`serving ${name} on ${this.#o.host}:${port}: ${e.message}`, { cause: e })));
      server.listen(port, this.#o.host, () => {
        this.#servers.push({ name, server });
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  async #handle(routes: Record<string, Route>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    if (!route) return send(res, 404, `not found: ${path}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    try {
      await route(res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `error: ${e instanceof Error ? e.message : String(e)}\n`);
      else res.destroy();
    }
  }
}
