/**
 * A local HTTPS stand-in for the Azure Communication Services Email REST API, for the real
 * `EmailClient` to talk to:
 *
 *   POST /emails:send?api-version=…        → 202, `operation-location`, `Operation-Id`
 *   GET  /emails/operations/{id}?api-version=… → `Running` (n times), then `Succeeded`
 *
 * Requests are authenticated as the service does: HMAC-SHA256 (the content hash must match the
 * body; the signature is recomputed over `VERB\npath?query\n<signed header values joined by ;>`
 * with the base64-decoded access key) or, in the managed-identity form, `Authorization: Bearer`.
 * Anything else is answered 401. Faults can be injected (fail the next N sends, or be down).
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { createServer } from 'https';
import type { AddressInfo } from 'net';
import { testCertificate } from './tls';

export interface AcsEmailFakeOptions {
  /** Base64 access key the HMAC signature is verified with. */
  accessKey?: string;
  /** Bearer token accepted in the managed-identity form. */
  bearerToken?: string;
  /** How many status polls answer `Running` before `Succeeded`. Default 1. */
  runningPolls?: number;
}

export interface ReceivedEmail {
  operationId: string;
  auth: 'hmac' | 'bearer';
  senderAddress: string;
  to: string[];
  subject: string;
  plainText?: string;
  html?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  auth: 'hmac' | 'bearer' | 'none';
  /** Why a request was refused (401/400), for test diagnostics. */
  reason?: string;
}

export interface AcsEmailFake {
  /** `https://127.0.0.1:port` */
  endpoint: string;
  /** `endpoint=…;accesskey=…` for the configured key. */
  connectionString: string;
  received: ReceivedEmail[];
  requests: RequestRecord[];
  /** The next `count` send requests are answered `status` (with Retry-After when given). */
  failNext(count: number, status: 429 | 500 | 503, retryAfterSeconds?: number): void;
  /** Every request is answered `status` until `up()`. */
  down(status?: 500 | 503): void;
  up(): void;
  /** The next accepted operation ends `Failed` instead of `Succeeded`. */
  failNextOperation(code?: string): void;
  stop(): Promise<void>;
}

interface Operation {
  id: string;
  polls: number;
  outcome: 'Succeeded' | 'Failed';
  errorCode?: string;
}

const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export async function startAcsEmailFake(options: AcsEmailFakeOptions = {}): Promise<AcsEmailFake> {
  const { key, cert } = testCertificate();
  const received: ReceivedEmail[] = [];
  const requests: RequestRecord[] = [];
  const operations = new Map<string, Operation>();
  const faults: Array<{ status: number; retryAfterSeconds?: number }> = [];
  let downStatus: number | undefined;
  let failNextOperationCode: string | undefined;
  const runningPolls = options.runningPolls ?? 1;

  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (error) {
        reply(res, 500, { error: { code: 'InternalError', message: String(error) } });
      }
    });
  });

  function reply(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      ...headers,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  function authenticate(
    req: IncomingMessage,
    body: Buffer,
  ): { auth: 'hmac' | 'bearer' | 'none'; problem?: string } {
    const authorization = req.headers.authorization ?? '';
    if (authorization.startsWith('Bearer ')) {
      if (!options.bearerToken)
        return { auth: 'bearer', problem: 'bearer tokens not accepted by this fake' };
      return authorization.slice(7) === options.bearerToken
        ? { auth: 'bearer' }
        : { auth: 'bearer', problem: 'wrong bearer token' };
    }
    const hmac = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/.exec(authorization);
    if (!hmac) return { auth: 'none', problem: 'no Authorization header of a known scheme' };
    if (!options.accessKey) return { auth: 'hmac', problem: 'no access key configured' };
    const dateHeader = header(req, 'x-ms-date');
    const date = dateHeader ? Date.parse(dateHeader) : NaN;
    if (Number.isNaN(date)) return { auth: 'hmac', problem: 'missing or invalid x-ms-date' };
    if (Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS)
      return { auth: 'hmac', problem: 'x-ms-date too far from now' };
    const contentHash = createHash('sha256').update(body).digest('base64');
    if (header(req, 'x-ms-content-sha256') !== contentHash)
      return { auth: 'hmac', problem: 'x-ms-content-sha256 does not match the body' };
    const signedHeaders = hmac[1].split(';').map((h) => h.trim().toLowerCase());
    for (const required of ['x-ms-date', 'host', 'x-ms-content-sha256']) {
      if (!signedHeaders.includes(required))
        return { auth: 'hmac', problem: `${required} is not signed` };
    }
    const values = signedHeaders.map((h) => header(req, h) ?? '');
    const stringToSign = `${(req.method ?? '').toUpperCase()}\n${req.url ?? ''}\n${values.join(';')}`;
    const expected = createHmac('sha256', Buffer.from(options.accessKey, 'base64'))
      .update(stringToSign, 'utf8')
      .digest();
    const given = Buffer.from(hmac[2], 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { auth: 'hmac', problem: 'signature mismatch' };
    return { auth: 'hmac' };
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer) {
    const url = new URL(req.url ?? '/', 'https://fake');
    const record: RequestRecord = {
      method: req.method ?? '',
      path: url.pathname,
      status: 0,
      auth: 'none',
    };
    requests.push(record);
    const answer = (status: number, payload: unknown, headers?: Record<string, string>) => {
      record.status = status;
      reply(res, status, payload, headers);
    };

    const { auth, problem } = authenticate(req, body);
    record.auth = auth;
    if (problem) {
      record.reason = problem;
      return answer(401, {
        error: { code: 'Denied', message: 'Denied by the resource provider.' },
      });
    }
    if (downStatus !== undefined)
      return answer(downStatus, {
        error: { code: 'ServiceUnavailable', message: 'The service is down (injected).' },
      });
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      record.reason = 'no api-version';
      return answer(400, {
        error: {
          code: 'MissingApiVersionParameter',
          message: 'The api-version query parameter is required.',
        },
      });
    }

    if (req.method === 'POST' && url.pathname === '/emails:send') {
      const fault = faults.shift();
      if (fault) {
        return answer(
          fault.status,
          {
            error: {
              code: fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
              message: 'Injected fault.',
            },
          },
          fault.retryAfterSeconds !== undefined
            ? { 'retry-after': String(fault.retryAfterSeconds) }
            : {},
        );
      }
      const problemWithBody = validateMessage(body);
      if (typeof problemWithBody === 'string') {
        record.reason = problemWithBody;
        return answer(400, { error: { code: 'BadRequest', message: problemWithBody } });
      }
      // Like the service, a repeated Operation-Id (the SDK retrying the same send) is one email.
      const operationId = header(req, 'operation-id') || randomUUID();
      if (!operations.has(operationId)) {
        operations.set(operationId, {
          id: operationId,
          polls: 0,
          outcome: failNextOperationCode ? 'Failed' : 'Succeeded',
          errorCode: failNextOperationCode,
        });
        failNextOperationCode = undefined;
        received.push({ operationId, auth: auth as 'hmac' | 'bearer', ...problemWithBody });
      }
      return answer(
        202,
        { id: operationId, status: 'Running' },
        {
          'operation-location': `${endpoint}/emails/operations/${encodeURIComponent(operationId)}?api-version=${encodeURIComponent(apiVersion)}`,
          'Operation-Id': operationId,
        },
      );
    }

    const match = /^\/emails\/operations\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && match) {
      const operation = operations.get(decodeURIComponent(match[1]));
      if (!operation)
        return answer(404, { error: { code: 'NotFound', message: 'Unknown operation.' } });
      operation.polls += 1;
      if (operation.polls <= runningPolls)
        return answer(200, { id: operation.id, status: 'Running' });
      return answer(200, {
        id: operation.id,
        status: operation.outcome,
        error:
          operation.outcome === 'Failed'
            ? { code: operation.errorCode, message: 'The email could not be delivered (injected).' }
            : null,
      });
    }
    return answer(404, {
      error: { code: 'NotFound', message: `No route ${req.method} ${url.pathname}` },
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    connectionString: `endpoint=${endpoint}/;accesskey=${options.accessKey ?? ''}`,
    received,
    requests,
    failNext(count, status, retryAfterSeconds) {
      for (let i = 0; i < count; i += 1) faults.push({ status, retryAfterSeconds });
    },
    down(status = 503) {
      downStatus = status;
    },
    up() {
      downStatus = undefined;
    },
    failNextOperation(code = 'EmailDroppedAllRecipientsSuppressed') {
      failNextOperationCode = code;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

type ValidMessage = Omit<ReceivedEmail, 'operationId' | 'auth'>;

/** The shape the service requires, or the reason it would answer 400. */
function validateMessage(body: Buffer): ValidMessage | string {
  let json: any;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  if (typeof json?.senderAddress !== 'string' || !json.senderAddress.includes('@'))
    return 'senderAddress missing or not an address';
  const to = json?.recipients?.to;
  if (!Array.isArray(to) || to.length === 0) return 'recipients.to must be a non-empty array';
  if (!to.every((r: any) => typeof r?.address === 'string' && r.address.includes('@')))
    return 'recipients.to[].address must be addresses';
  const content = json?.content;
  if (typeof content?.subject !== 'string' || content.subject === '')
    return 'content.subject is required';
  if (typeof content.plainText !== 'string' && typeof content.html !== 'string')
    return 'content.plainText or content.html is required';
  return {
    senderAddress: json.senderAddress,
    to: to.map((r: any) => r.address),
    subject: content.subject,
    plainText: content.plainText,
    html: content.html,
  };
}
