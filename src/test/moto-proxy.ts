/**
 * The fault-injecting HTTP proxy in front of moto (see moto.ts): per action, throttling
 * (RequestLimitExceeded), 5xx before or after the request reached moto (a lost reply), delays, and
 * insufficient capacity for CreateFleet (moto-capacity.ts). Every request is recorded.
 */
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFleetCapacityFault, type CapacityRule } from './moto-capacity.js';

export type FaultKind = 'throttle' | 'server-error' | 'unavailable' | 'unauthorized' | 'access-denied';

/** One request the proxy saw. */
export interface ProxiedRequest {
  readonly service: string;
  readonly action: string;
  /** Whether it reached moto (a fault answered before forwarding leaves it false). */
  readonly forwarded: boolean;
  readonly status: number;
  readonly fault?: FaultKind | 'insufficient-capacity';
  /** From the request's arrival to the reply (ms). */
  readonly ms: number;
  /** The form parameters of a query-protocol request (EC2), as sent by the client. */
  readonly params?: URLSearchParams;
}

interface PendingFault { action: string; kind: FaultKind; times: number; afterForwarding: boolean }

/** The faults the proxy injects; changed by tests between calls. */
export class MotoFaults {
  readonly requests: ProxiedRequest[] = [];
  readonly #pending: PendingFault[] = [];
  readonly #delays = new Map<string, number>();
  #capacity: CapacityRule[] = [];

  /** CreateFleet gets InsufficientInstanceCapacity for offerings the rule matches, until clear(). */
  noCapacity(rule: CapacityRule): void {
    this.#capacity.push(rule);
  }

  /**
   * The next `times` (default 1) requests of `action` fail with `kind`: throttle is 503
   * RequestLimitExceeded, server-error 500 InternalError, unavailable 503 Unavailable, unauthorized 403
   * UnauthorizedOperation (not retryable), access-denied 400/403 in the service's own words
   * (AccessDeniedException for JSON services such as SSM, AccessDenied for IAM). Each is answered
   * in the request's protocol (EC2 XML, query XML, JSON). With
   * `afterForwarding` the request reaches moto first (it takes effect) and only its reply is lost.
   */
  failNext(action: string, kind: FaultKind, options: { times?: number; afterForwarding?: boolean } = {}): void {
    this.#pending.push({ action, kind, times: options.times ?? 1, afterForwarding: options.afterForwarding ?? false });
  }

  /** Requests of `action` ("*": every action) wait `ms` before being handled. */
  delay(action: string, ms: number): void {
    this.#delays.set(action, ms);
  }

  /** Forgets every fault and delay (the request log stays). */
  clear(): void {
    this.#pending.length = 0;
    this.#delays.clear();
    this.#capacity = [];
  }

  /** Requests of `action` that reached moto. */
  forwarded(action: string): number {
    return this.requests.filter((r) => r.action === action && r.forwarded).length;
  }

  /** The last request of `action` the proxy saw. */
  last(action: string): ProxiedRequest | undefined {
    return this.requests.findLast((r) => r.action === action);
  }

  /** Requests of `action` the proxy saw, forwarded or not. */
  seen(action: string): number {
    return this.requests.filter((r) => r.action === action).length;
  }

  /** @internal */
  takeFault(action: string): PendingFault | undefined {
    const i = this.#pending.findIndex((p) => p.action === action || p.action === '*');
    if (i < 0) return undefined;
    const fault = this.#pending[i]!;
    if (--fault.times <= 0) this.#pending.splice(i, 1);
    return fault;
  }

  /** @internal */
  delayOf(action: string): number {
    return this.#delays.get(action) ?? this.#delays.get('*') ?? 0;
  }

  /** @internal */
  get capacityRules(): readonly CapacityRule[] {
    return this.#capacity;
  }
}


const FAULTS: Record<FaultKind, { status: number; code: string; message: string }> = {
  'throttle': { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' },
  'server-error': { status: 500, code: 'InternalError', message: 'An internal error has occurred.' },
  'unavailable': { status: 503, code: 'Unavailable', message: 'The server is overloaded and cannot handle the request.' },
  'unauthorized': { status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' },
  'access-denied': { status: 403, code: 'AccessDenied', message: 'User: arn:aws:iam::123456789012:user/test is not authorized to perform this action.' },
};

/** How a service words its errors: EC2's own XML, the query protocol's (IAM, SQS) or JSON (SSM). */
type Protocol = 'ec2' | 'query' | 'json';

let faultSeq = 0;

function sendFault(res: ServerResponse, kind: FaultKind, protocol: Protocol): void {
  const { status, code, message } = FAULTS[kind];
  const requestId = `fault-${kind}-${++faultSeq}`;
  if (protocol === 'json') {
    const type = kind === 'access-denied' ? 'AccessDeniedException' : kind === 'throttle' ? 'ThrottlingException' : code;
    res.writeHead(kind === 'access-denied' ? 400 : status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId });
    res.end(JSON.stringify({ __type: type, message }));
    return;
  }
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(protocol === 'ec2'
    ? `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
    : `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
}

function protocolOf(req: IncomingMessage, service: string): Protocol {
  if (typeof req.headers['x-amz-target'] === 'string') return 'json';
  return service === 'ec2' ? 'ec2' : 'query';
}

/** The service (from the SigV4 credential scope) and action of a request. */
function describeRequest(req: IncomingMessage, body: string): { service: string; action: string } {
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '');
  const target = req.headers['x-amz-target'];
  const action = new URLSearchParams(body).get('Action')
    ?? (typeof target === 'string' ? target.split('.').at(-1) : undefined)
    ?? req.method ?? '';
  return { service: scope?.[1] ?? '', action };
}

interface Forwarded { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function forward(port: number, req: IncomingMessage, body: string): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, 'content-length': String(Buffer.byteLength(body)), host: `127.0.0.1:${port}` };
    const out = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

/** Listens on a free loopback port and forwards to moto on `port`, injecting `faults`. */
export function startProxy(port: number, faults: MotoFaults): Promise<Server> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const arrived = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks).toString('utf8');
    const { service, action } = describeRequest(req, body);
    const params = new URLSearchParams(body);
    const record = (forwarded: boolean, status: number, fault?: ProxiedRequest['fault']): void => {
      faults.requests.push({ service, action, forwarded, status, ms: Date.now() - arrived, ...(fault ? { fault } : {}), ...(params.has('Action') ? { params } : {}) });
    };
    const wait = faults.delayOf(action);
    if (wait > 0) await sleep(wait);
    const fault = faults.takeFault(action);
    const protocol = protocolOf(req, service);
    if (fault !== undefined && !fault.afterForwarding) {
      record(false, FAULTS[fault.kind].status, fault.kind);
      sendFault(res, fault.kind, protocol);
      return;
    }
    const capacity = action === 'CreateFleet' ? createFleetCapacityFault(body, faults.capacityRules) : undefined;
    if (capacity?.allFailed) {
      record(false, 200, 'insufficient-capacity');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(capacity.rewriteResponse(undefined));
      return;
    }
    if (capacity !== undefined) body = capacity.forwardBody;
    const answer = await forward(port, req, body);
    if (fault !== undefined) {
      record(true, FAULTS[fault.kind].status, fault.kind);
      sendFault(res, fault.kind, protocol);
      return;
    }
    const text = capacity !== undefined && answer.status === 200 ? capacity.rewriteResponse(answer.body) : answer.body;
    record(true, answer.status, capacity?.someFailed ? 'insufficient-capacity' : undefined);
    const headers: Record<string, string | string[] | undefined> = { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) };
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(text);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`moto fault proxy: ${String(e)}`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
