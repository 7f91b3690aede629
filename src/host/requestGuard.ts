/**
 * What the local host refuses before routing, so a web page open in a browser on the same machine
 * cannot use it (docs/api.md "Local host"):
 *
 * - DNS rebinding: a page on `evil.example` whose name is re-pointed at 127.0.0.1 sends
 *   `Host: evil.example`. Only loopback names are served (`localhost`, `127.x.x.x`, `[::1]`);
 *   anything else is 421 Misdirected Request.
 * - Cross-site requests: a browser names the page's origin in `Origin` (and `Sec-Fetch-Site`);
 *   only the host's own loopback origin is accepted, anything else (also `null`) is 403.
 * - Forged "simple" requests: a page may POST `text/plain` or a form without a CORS preflight.
 *   The Event Grid webhook takes only JSON (`application/json`, `application/cloudevents+json`,
 *   …) and the API refuses any other declared content type: 415.
 * - An optional local key (`AUDIT_LOCAL_KEY`): when set, every function-level route and the
 *   webhook need it, as Azure's function keys are given: `x-functions-key` header or `code`
 *   query parameter; 401 without it.
 */
import { createHash, timingSafeEqual } from 'crypto';
import type { IncomingHttpHeaders } from 'http';

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export interface GuardedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** The query string's parameters. */
  query: URLSearchParams;
}

/** The names that always mean this machine (not `*.localhost`, which some resolvers send elsewhere). */
function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name === '[::1]') return true;
  return (
    /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(name) &&
    name.split('.').every((octet) => Number(octet) <= 255)
  );
}

/** The hostname part of a `Host` header value (`name`, `name:port`, `[v6]:port`), or undefined if malformed. */
function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim());
  return match?.[1];
}

/** `Host` must name this machine by a loopback name; 421 otherwise (DNS rebinding). */
export function refuseHost(headers: IncomingHttpHeaders): Refusal | undefined {
  const host = headers.host;
  const hostname = host ? hostnameOf(host) : undefined;
  if (hostname && isLoopbackHostname(hostname)) return undefined;
  return {
    status: 421,
    code: 'MisdirectedRequest',
    message: `the local host answers only to a loopback name (localhost, 127.0.0.1, [::1]), not ${JSON.stringify((host ?? '').slice(0, 100))}`,
  };
}

/**
 * A browser's `Origin` must be this host's own origin, `http://` + the (loopback) `Host` it
 * called; 403 otherwise, `null` (sandboxed frames, files) included.
 */
export function refuseOrigin(headers: IncomingHttpHeaders): Refusal | undefined {
  const refusal = (why: string): Refusal => ({
    status: 403,
    code: 'CrossOriginRefused',
    message: `cross-site request refused: ${why}`,
  });
  if (headers['sec-fetch-site'] === 'cross-site') return refusal('Sec-Fetch-Site is cross-site');
  const origin = headers.origin;
  if (
    origin === undefined ||
    origin.toLowerCase() === `http://${(headers.host ?? '').toLowerCase()}`
  )
    return undefined;
  return refusal(`Origin ${JSON.stringify(origin.slice(0, 100))} is not this host`);
}

/** The media type of a `Content-Type` value, lower-cased, without parameters. */
function mediaType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  return type ? type : undefined;
}

function isJson(type: string): boolean {
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * 415 for a body that is not JSON. `required`: the content type must be given (the webhook,
 * which Event Grid always calls with JSON); otherwise only a declared non-JSON type is refused
 * (`curl -X POST …/evaluate` sends none).
 */
export function refuseContentType(
  headers: IncomingHttpHeaders,
  required: boolean,
): Refusal | undefined {
  const type = mediaType(headers['content-type']);
  if (type === undefined ? !required : isJson(type)) return undefined;
  return {
    status: 415,
    code: 'UnsupportedMediaType',
    message: `the request body must be JSON (Content-Type: application/json), not ${type ? JSON.stringify(type.slice(0, 100)) : 'undeclared'}`,
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** With a local key configured: 401 unless `x-functions-key` or `?code=` carries it (compared in constant time). */
export function refuseKey(
  request: GuardedRequest,
  localKey: string | undefined,
): Refusal | undefined {
  if (!localKey) return undefined;
  const header = request.headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? request.query.get('code') ?? '';
  if (given && timingSafeEqual(digest(given), digest(localKey))) return undefined;
  return {
    status: 401,
    code: 'Unauthorized',
    message:
      'this local host requires its key (AUDIT_LOCAL_KEY): send it as the x-functions-key header or the code query parameter',
  };
}
