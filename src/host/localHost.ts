/**
 * The local Functions-compatible host (`aks-identity-auditor serve`, `npm start`): the same
 * HTTP functions on `http://localhost:PORT/api/…`, the Event Grid webhook at
 * `/runtime/webhooks/eventgrid?functionName=armEvents` (Event Grid validation handshake and
 * CloudEvents OPTIONS handshake, as the Functions host does), and the nightly schedule.
 * It listens on loopback and refuses what a browser page could send it (`./requestGuard`); an
 * optional local key (`AUDIT_LOCAL_KEY`) is checked as Azure checks function keys.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { Cron } from 'croner';
import { randomUUID } from 'crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import { errorResponse } from '../functions/http';
import type { HttpFunctionDefinition } from '../functions/registry';
import { HTTP_FUNCTIONS } from '../functions/httpFunctions';
import type { Runtime } from '../runtime';
import { runNightlyAudit } from '../usecases/fanOut';
import {
  refuseContentType,
  refuseHost,
  refuseKey,
  refuseOrigin,
  type Refusal,
} from './requestGuard';
import { compileRoute, matchRoute, requestPath, type CompiledRoute } from './routes';

/** Event Grid batches are at most 1 MB; anything larger is refused before parsing. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface LocalHostOptions {
  runtime: Runtime;
  port: number;
  /** Interface to listen on; loopback unless told otherwise. */
  hostname?: string;
  /** NCRONTAB (6 fields, seconds first); omitted = no schedule. */
  schedule?: string;
  log: (line: string) => void;
  /** `AUDIT_LOCAL_KEY`: when set, function-level routes and the webhook need it (`requestGuard`). */
  localKey?: string;
  /** How often the delivery loop looks at the outbox unwoken (default 10 s; events wake it at once). */
  deliveryIntervalMs?: number;
}

export interface LocalHost {
  url: string;
  close(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  // One route can carry several functions, one per method (GET and POST /api/exemptions).
  const byRoute = new Map<string, HttpFunctionDefinition[]>();
  for (const f of HTTP_FUNCTIONS) byRoute.set(f.route, [...(byRoute.get(f.route) ?? []), f]);
  const routes: CompiledRoute<HttpFunctionDefinition[]>[] = [...byRoute].map(
    ([route, definitions]) => compileRoute(route, definitions),
  );
  const server = createServer((req, res) => {
    handle(options, routes, req, res).catch((error: Error) => {
      options.log(`local host: unexpected error: ${error.stack ?? error.message}`);
      if (!res.headersSent)
        send(res, 500, { error: { code: 'InternalError', message: 'internal error' } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  // Sending is this host's own loop: the webhook answers once the outbox rows are stored.
  const delivery = options.runtime.startDeliveryLoop({ intervalMs: options.deliveryIntervalMs });
  // The run under way, so close() can wait for it before the caller closes the runtime.
  let running: Promise<void> | undefined;
  const job = options.schedule
    ? new Cron(options.schedule, { protect: true, timezone: 'UTC' }, () => {
        running = (async () => {
          try {
            options.log(await scheduledAudit(options.runtime));
          } catch (error) {
            options.log(`nightly audit failed: ${(error as Error).message}`);
          }
        })();
        return running;
      })
    : undefined;
  return {
    url,
    close: async () => {
      job?.stop();
      await closeServer(server);
      await running;
      await delivery.stop();
    },
  };
}

/**
 * The nightly run of the local host. It is the only instance and serves no queue trigger, so it
 * audits the whole estate itself: fanning out (what `runtime.nightlyAudit()` does past
 * FAN_OUT_THRESHOLD subscriptions) would leave the messages in a queue nobody consumes.
 */
export function scheduledAudit(runtime: Runtime): Promise<string> {
  return runNightlyAudit({ ...runtime.auditDeps(), historyDays: runtime.settings.historyDays });
}

async function handle(
  options: LocalHostOptions,
  routes: CompiledRoute<HttpFunctionDefinition[]>[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  // Before anything else: not from a browser page of another site, not through a rebound name.
  const refused = refuseHost(req.headers) ?? refuseOrigin(req.headers);
  if (refused) return refuse(res, req, refused);
  const guarded = {
    method: (req.method ?? 'GET').toUpperCase(),
    headers: req.headers,
    query: url.searchParams,
  };
  // Route on the path as sent: URL parsing resolves `.` and `..` segments (percent-encoded ones
  // too), which would let `…/{clusterName}/%2e%2e/access` reach another route or cluster.
  const path = requestPath(req.url ?? '/');
  if (path.toLowerCase() === '/runtime/webhooks/eventgrid') {
    return eventGridWebhook(options, url, req, res);
  }
  if (!path.toLowerCase().startsWith('/api/')) {
    return send(res, 404, { error: { code: 'NotFound', message: `no route ${path}` } });
  }
  const match = matchRoute(routes, path.slice('/api/'.length));
  if (match === 'bad-encoding') {
    return send(res, 400, {
      error: { code: 'BadInput', message: 'a path segment is not valid percent-encoding' },
    });
  }
  if (!match) return send(res, 404, { error: { code: 'NotFound', message: `no route ${path}` } });
  const method = guarded.method;
  const definition = match.target.find((d) => (d.methods as string[]).includes(method));
  const keyRefused =
    (definition ?? match.target[0]).authLevel === 'function'
      ? refuseKey(guarded, options.localKey)
      : undefined;
  if (keyRefused) return refuse(res, req, keyRefused);
  if (!definition) {
    const allow = match.target.flatMap((d) => d.methods).join(', ');
    return send(
      res,
      405,
      { error: { code: 'MethodNotAllowed', message: `${method} is not allowed on ${path}` } },
      { allow },
    );
  }
  const typeRefused = method === 'GET' ? undefined : refuseContentType(req.headers, false);
  if (typeRefused) return refuse(res, req, typeRefused);
  const body = await readBody(req);
  if (body === 'too-large')
    return send(
      res,
      413,
      { error: { code: 'TooLarge', message: 'request body is over 1 MB' } },
      { connection: 'close' },
    );
  const request = new HttpRequest({
    method,
    url: `http://localhost${path}${url.search}`,
    headers: headersOf(req),
    params: match.params,
    body: body.length ? { bytes: body } : undefined,
  });
  const context = invocationContext(definition.name, options.log);
  const response = await definition.handler(request, context);
  await writeResponse(res, response);
}

async function eventGridWebhook(
  options: LocalHostOptions,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const functionName = url.searchParams.get('functionName');
  if (functionName !== 'armEvents') {
    return send(res, 404, {
      error: {
        code: 'NotFound',
        message: `no Event Grid function ${JSON.stringify(functionName ?? '')}`,
      },
    });
  }
  const keyRefused = refuseKey(
    { method, headers: req.headers, query: url.searchParams },
    options.localKey,
  );
  if (keyRefused) return refuse(res, req, keyRefused);
  if (method === 'OPTIONS') {
    // CloudEvents webhook abuse protection: echo the origin back to allow delivery.
    const origin = req.headers['webhook-request-origin'];
    if (typeof origin !== 'string' || origin.length === 0) {
      return send(res, 400, {
        error: { code: 'BadInput', message: 'WebHook-Request-Origin header is missing' },
      });
    }
    res.writeHead(200, {
      'WebHook-Allowed-Origin': origin,
      'WebHook-Allowed-Rate': '*',
      Allow: 'POST, OPTIONS',
    });
    return void res.end();
  }
  if (method !== 'POST') {
    return send(
      res,
      405,
      {
        error: {
          code: 'MethodNotAllowed',
          message: `${method} is not allowed on the Event Grid webhook`,
        },
      },
      { allow: 'POST, OPTIONS' },
    );
  }
  // Event Grid always posts JSON; a browser's form or text/plain post never reaches the router.
  const typeRefused = refuseContentType(req.headers, true);
  if (typeRefused) return refuse(res, req, typeRefused);
  const body = await readBody(req);
  if (body === 'too-large')
    return send(
      res,
      413,
      { error: { code: 'TooLarge', message: 'an Event Grid batch is at most 1 MB' } },
      { connection: 'close' },
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return send(res, 400, {
      error: { code: 'BadInput', message: `request body is not JSON: ${(error as Error).message}` },
    });
  }
  let outcome: Awaited<ReturnType<Runtime['handleEventBatch']>>;
  try {
    outcome = await options.runtime.handleEventBatch(parsed);
  } catch (error) {
    // A body that is no event batch is 400 (not retried); an outage is 503 (Event Grid retries).
    return writeResponse(res, errorResponse(invocationContext('armEvents', options.log), error));
  }
  if ('validationResponse' in outcome) {
    options.log(`event grid: subscription validation handshake answered`);
    return send(res, 200, { validationResponse: outcome.validationResponse });
  }
  for (const result of outcome.events) {
    options.log(
      `event ${result.id ?? '(no id)'}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`,
    );
  }
  return send(res, 200, outcome);
}

function invocationContext(functionName: string, log: (line: string) => void): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName,
    logHandler: (level, ...args) => {
      if (level === 'trace' || level === 'debug') return;
      log(
        `[${functionName}] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`,
      );
    },
  });
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * The body, or 'too-large' once it passes 1 MB. The rest of an oversized body is drained (not
 * kept) rather than the request destroyed, so the client still reads the 413: destroying the
 * request mid-upload resets the connection and the client may see no answer at all.
 */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      req.resume();
      resolve('too-large');
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

async function writeResponse(res: ServerResponse, response: HttpResponseInit): Promise<void> {
  const headers: Record<string, string> = {};
  const init = response.headers;
  if (init) {
    const entries =
      init instanceof Headers
        ? [...init.entries()]
        : Array.isArray(init)
          ? init
          : Object.entries(init);
    for (const [name, value] of entries) headers[name.toLowerCase()] = String(value);
  }
  let payload: string | Buffer | undefined;
  if (response.jsonBody !== undefined) {
    payload = JSON.stringify(response.jsonBody, null, 2);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  } else if (typeof response.body === 'string') {
    payload = response.body;
  } else if (response.body instanceof Uint8Array) {
    payload = Buffer.from(response.body);
  }
  res.writeHead(response.status ?? 200, headers);
  res.end(payload);
}

/** A refusal before the body was read: the body is drained (not kept) so the client reads the answer. */
function refuse(res: ServerResponse, req: IncomingMessage, refusal: Refusal): void {
  req.resume();
  send(res, refusal.status, { error: { code: refusal.code, message: refusal.message } });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...extraHeaders,
  });
  res.end(JSON.stringify(body, null, 2));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections?.();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
