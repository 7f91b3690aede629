/**
 * The local host refuses what a web page in a browser on the same machine could send it, over
 * real HTTP against a real runtime: a rebound DNS name (Host), a cross-site Origin, a forged
 * text/plain or form post of an event, and (with AUDIT_LOCAL_KEY) a request without the key.
 * A refused event is not processed: the store sees nothing of it.
 */
import { readFileSync } from 'fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'http';
import { join } from 'path';
import { startLocalHost, type LocalHost } from '../../src/host/localHost';
import { CLUSTERS, SAMPLE_EVENTS, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const LOCAL_KEY = 'local-key-for-tests-only-0123456789';
const WEBHOOK = '/runtime/webhooks/eventgrid?functionName=armEvents';
const EVALUATE = `/api/clusters/${CLUSTERS.searchProd2.subscriptionId}/${CLUSTERS.searchProd2.resourceGroup}/${CLUSTERS.searchProd2.clusterName}/evaluate`;
const ADMIN_CREDENTIAL_EVENT = readFileSync(join(SAMPLE_EVENTS, 'admin-credential.json'), 'utf8');

let t: TestRuntime;
let open: LocalHost;
let keyed: LocalHost;

beforeAll(async () => {
  t = await startTestRuntime();
  await t.runtime.auditNow();
  open = await startLocalHost({ runtime: t.runtime, port: 0, log: () => undefined });
  keyed = await startLocalHost({
    runtime: t.runtime,
    port: 0,
    log: () => undefined,
    localKey: LOCAL_KEY,
  });
});
afterAll(async () => {
  await open?.close();
  await keyed?.close();
  await t?.close();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  json: any;
}

/** A raw request, so Host and Origin can be what a browser (or an attacker's page) would send. */
function call(
  host: LocalHost,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; setHost?: boolean } = {},
): Promise<Reply> {
  const url = new URL(host.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        hostname: url.hostname,
        port: url.port,
        path,
        headers: options.headers,
        setHost: options.setHost ?? true,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: text ? JSON.parse(text) : undefined,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const portOf = (host: LocalHost) => new URL(host.url).port;

async function alertCount(): Promise<number> {
  const reply = await call(open, 'GET', '/api/regressions');
  expect(reply.status).toBe(200);
  return reply.json.regressions.length;
}

describe('Host must be a loopback name (DNS rebinding)', () => {
  it.each([
    'evil.example',
    'evil.example:PORT',
    'localhost.evil.example:PORT',
    '10.0.0.5:PORT',
    '0.0.0.0:PORT',
    'attacker.localhost:PORT',
  ])('Host: %s is refused with 421 before any route runs', async (hostHeader) => {
    const headers = { host: hostHeader.replace('PORT', portOf(open)) };
    const read = await call(open, 'GET', `/api/clusters`, { headers });
    expect(read.status).toBe(421);
    expect(read.json).toEqual({
      error: { code: 'MisdirectedRequest', message: expect.stringContaining('loopback') },
    });
    expect(read.json.clusters).toBeUndefined();
    const before = await alertCount();
    const post = await call(open, 'POST', WEBHOOK, {
      headers: { ...headers, 'content-type': 'application/json' },
      body: ADMIN_CREDENTIAL_EVENT,
    });
    expect(post.status).toBe(421);
    expect(await alertCount()).toBe(before);
  });

  it('a request without Host is refused (by Node itself: HTTP/1.1 requires it)', async () => {
    expect((await call(open, 'GET', '/api/health', { setHost: false })).status).toBe(400);
  });

  it.each([
    'localhost:PORT',
    'LOCALHOST:PORT',
    '127.0.0.1:PORT',
    '127.1.2.3:PORT',
    '[::1]:PORT',
    'localhost',
  ])('Host: %s is served', async (hostHeader) => {
    const reply = await call(open, 'GET', '/api/health', {
      headers: { host: hostHeader.replace('PORT', portOf(open)) },
    });
    expect(reply.status).toBe(200);
  });
});

describe('a cross-site Origin is refused', () => {
  it.each(['https://evil.example', 'http://evil.example', 'null', 'http://localhost:1', 'file://'])(
    'Origin: %s → 403',
    async (origin) => {
      const before = await alertCount();
      const post = await call(open, 'POST', WEBHOOK, {
        headers: { origin, 'content-type': 'application/json' },
        body: ADMIN_CREDENTIAL_EVENT,
      });
      expect(post.status).toBe(403);
      expect(post.json.error.code).toBe('CrossOriginRefused');
      expect((await call(open, 'GET', '/api/clusters', { headers: { origin } })).status).toBe(403);
      expect(await alertCount()).toBe(before);
    },
  );

  it('Sec-Fetch-Site: cross-site is refused even without Origin', async () => {
    expect(
      (await call(open, 'GET', '/api/clusters', { headers: { 'sec-fetch-site': 'cross-site' } }))
        .status,
    ).toBe(403);
  });

  it("the host's own origin (a page it serves) is accepted", async () => {
    const own = new URL(open.url);
    const reply = await call(open, 'GET', '/api/clusters', {
      headers: { origin: `http://${own.host}`, 'sec-fetch-site': 'same-origin' },
    });
    expect(reply.status).toBe(200);
  });
});

describe('only JSON is posted', () => {
  it.each([
    'text/plain',
    'text/plain;charset=UTF-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
  ])('a forged %s event to the webhook is refused with 415 and pages nobody', async (type) => {
    const before = await alertCount();
    const reply = await call(open, 'POST', WEBHOOK, {
      headers: { 'content-type': type },
      body: ADMIN_CREDENTIAL_EVENT,
    });
    expect(reply.status).toBe(415);
    expect(reply.json.error.code).toBe('UnsupportedMediaType');
    expect(await alertCount()).toBe(before);
  });

  it('the webhook requires a declared JSON type', async () => {
    expect((await call(open, 'POST', WEBHOOK, { body: '[]' })).status).toBe(415);
    expect(
      (
        await call(open, 'POST', WEBHOOK, {
          headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
          body: '[]',
        })
      ).status,
    ).toBe(200);
  });

  it('a JSON API route refuses a declared non-JSON body, and takes JSON or no body', async () => {
    expect(
      (
        await call(open, 'POST', EVALUATE, {
          headers: { 'content-type': 'text/plain' },
          body: '{}',
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await call(open, 'POST', EVALUATE, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=1',
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await call(open, 'POST', EVALUATE, {
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(200);
    expect((await call(open, 'POST', EVALUATE)).status).toBe(200);
  });
});

describe('AUDIT_LOCAL_KEY', () => {
  it('function-level routes and the webhook need the key; 401 without it or with a wrong one', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { 'x-functions-key': 'wrong' },
      { 'x-functions-key': `${LOCAL_KEY}x` },
    ]) {
      const reply = await call(keyed, 'GET', '/api/clusters', { headers });
      expect(reply.status).toBe(401);
      expect(reply.json.error.code).toBe('Unauthorized');
      expect(JSON.stringify(reply.json)).not.toContain(LOCAL_KEY);
    }
    expect((await call(keyed, 'GET', '/api/clusters?code=wrong')).status).toBe(401);
    expect(
      (
        await call(keyed, 'POST', WEBHOOK, {
          headers: { 'content-type': 'application/json' },
          body: '[]',
        })
      ).status,
    ).toBe(401);
  });

  it('the key is taken as x-functions-key or ?code=, as Azure function keys are', async () => {
    expect(
      (await call(keyed, 'GET', '/api/clusters', { headers: { 'x-functions-key': LOCAL_KEY } }))
        .status,
    ).toBe(200);
    expect(
      (await call(keyed, 'GET', `/api/clusters?code=${encodeURIComponent(LOCAL_KEY)}`)).status,
    ).toBe(200);
    const events = await call(keyed, 'POST', `${WEBHOOK}&code=${LOCAL_KEY}`, {
      headers: { 'content-type': 'application/json' },
      body: '[]',
    });
    expect(events.status).toBe(200);
  });

  it('the anonymous health route needs no key', async () => {
    expect((await call(keyed, 'GET', '/api/health')).status).toBe(200);
  });
});
