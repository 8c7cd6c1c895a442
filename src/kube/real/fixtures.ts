/**
 * Test fixture: a fake API server on loopback HTTP that records every request and answers as the
 * test says, so the real client's requests (method, path, query, content type, body) and its
 * handling of answers can be checked in unit tests, without a kube-apiserver.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
}

/** A JSON answer, or full control of the response (for watch streams and broken connections). */
export type Reply = { status?: number; body?: unknown } | { raw: (res: ServerResponse, req: IncomingMessage) => void };

export type Handler = (req: RecordedRequest) => Reply;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted so far. */
  connections = 0;
  /** Answers every request; the default is 200 with an empty object. */
  handler: Handler = () => ({ body: {} });
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (s) => {
      this.connections++;
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    server.on('request', (req, res) => this.#serve(req, res));
  }

  static async start(): Promise<FakeApiServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeApiServer(server);
  }

  get url(): string {
    const addr = this.#server.address();
    if (addr === null || typeof addr === 'string') throw new Error('the fake API server is not listening');
    return `http://127.0.0.1:${addr.port}`;
  }

  /** A KubeConfig for this server (plain HTTP, which client-node allows only with skipTLSVerify). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'tester' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
      currentContext: 'fake',
    });
    return kc;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'],
        body: text === '' ? undefined : JSON.parse(text) as unknown,
      };
      this.requests.push(recorded);
      const reply = this.handler(recorded);
      if ('raw' in reply) {
        reply.raw(res, req);
        return;
      }
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body ?? {}));
    });
  }
}

/** A metav1.Status failure body. */
export function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Reply {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...(details ? { details } : {}) } };
}
