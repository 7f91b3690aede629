/**
 * The local Functions-compatible host over real HTTP (port 0 on loopback) in front of a real
 * runtime: the same routes as in Azure under /api, the Event Grid webhook with both
 * handshakes, and its refusals (404, 405 with Allow, 413, 400).
 */
import { readFileSync } from 'fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'http';
import { join } from 'path';
import type { ClusterPosture } from '../../src/core/model';
import type { PostureSummary } from '../../src/core/ports';
import { startLocalHost, type LocalHost } from '../../src/host/localHost';
import { CHECKS } from '../../src/core/checks';
import {
  clusterIdOf,
  CLUSTERS,
  PROD_SUB,
  SAMPLE_EVENTS,
  startTestRuntime,
  type TestRuntime,
} from '../helpers/runtime';

let t: TestRuntime;
let host: LocalHost;
const hostLog: string[] = [];

beforeAll(async () => {
  t = await startTestRuntime();
  await t.runtime.auditNow();
  host = await startLocalHost({ runtime: t.runtime, port: 0, log: (line) => hostLog.push(line) });
});
afterAll(async () => {
  await host?.close();
  await t?.close();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

/** A raw HTTP request: the path is sent exactly as given (no client-side normalisation). */
function call(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const url = new URL(host.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        hostname: url.hostname,
        port: url.port,
        path,
        headers: {
          ...options.headers,
          ...(options.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(options.body)) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function clusterPath(
  c: { subscriptionId: string; resourceGroup: string; clusterName: string },
  suffix = '',
): string {
  return `/api/clusters/${encodeURIComponent(c.subscriptionId)}/${encodeURIComponent(c.resourceGroup)}/${encodeURIComponent(c.clusterName)}${suffix}`;
}

function expectError(reply: Reply, status: number): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(reply.json).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
}

describe('the HTTP API under /api', () => {
  it('GET /api/health', async () => {
    const reply = await call('GET', '/api/health');
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ status: 'ok', store: { ok: true }, source: { ok: true } });
  });

  it('GET /api/clusters lists the seven clusters, filters and pages', async () => {
    const all = await call('GET', '/api/clusters');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/json/);
    expect(all.headers['cache-control']).toBe('no-store');
    expect((all.json.clusters as PostureSummary[]).map((c) => c.name).sort()).toEqual(
      Object.values(CLUSTERS)
        .map((c) => c.clusterName)
        .sort(),
    );

    const passing = await call('GET', '/api/clusters?status=pass&code=some-key');
    expect(passing.json.clusters.map((c: PostureSummary) => c.name)).toEqual(['aks-payments-prod']);

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const reply = await call(
        'GET',
        `/api/clusters?pageSize=2${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
      );
      expect(reply.status).toBe(200);
      seen.push(...reply.json.clusters.map((c: PostureSummary) => c.name));
      token = reply.json.continuationToken;
    } while (token);
    expect(seen).toHaveLength(7);
  });

  it('answers 400 for a hostile filter sent percent-encoded', async () => {
    expectError(
      await call('GET', `/api/clusters?status=${encodeURIComponent("pass' or '1' eq '1")}`),
      400,
    );
    expectError(await call('GET', '/api/clusters?continuationToken=garbage'), 400);
    expectError(await call('GET', '/api/clusters?nope=1'), 400);
  });

  it('GET a cluster with percent-encoded segments, and its history and access', async () => {
    const doc = await call('GET', clusterPath(CLUSTERS.searchProd2));
    expect(doc.status).toBe(200);
    const posture = doc.json as ClusterPosture;
    expect(posture.id).toBe(clusterIdOf(CLUSTERS.searchProd2));
    expect(posture.findings.map((f) => f.checkId).sort()).toEqual(CHECKS.map((c) => c.id).sort());

    // Every character percent-encoded still addresses the same cluster.
    const encodeAll = (s: string) =>
      [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');
    const encoded = await call(
      'GET',
      `/api/clusters/${encodeAll(PROD_SUB)}/${encodeAll('rg-prod2')}/${encodeAll('aks-search-prod2')}`,
    );
    expect(encoded.status).toBe(200);
    expect(encoded.json.id).toBe(posture.id);

    // Literal segments compare case-insensitively, as in the Functions host.
    expect(
      (
        await call(
          'GET',
          clusterPath(CLUSTERS.searchProd2).replace('/api/clusters/', '/API/Clusters/'),
        )
      ).status,
    ).toBe(200);

    const history = await call('GET', clusterPath(CLUSTERS.searchProd2, '/history'));
    expect(history.status).toBe(200);
    expect(history.json.history).toHaveLength(1);

    const access = await call('GET', clusterPath(CLUSTERS.searchProd2, '/access'));
    expect(access.status).toBe(200);
    expect(access.json).toMatchObject({
      clusterId: posture.id,
      localAccountsEnabled: false,
      principals: expect.any(Array),
    });
  });

  it('answers 400 for bad segments, including encoded slashes, dot segments and bad percent-encoding', async () => {
    expectError(
      await call('GET', clusterPath({ ...CLUSTERS.searchProd2, subscriptionId: 'not-a-guid' })),
      400,
    );
    expectError(await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/aks%2Fsearch`), 400);
    expectError(await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/%2E%2E`), 400);
    expectError(await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/..`), 400);
    expectError(await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/%E0%A4%A`), 400);
  });

  it('does not let a dot segment address another resource', async () => {
    // `…/aks-search-prod2/../access` must not become `…/rg-prod2/access`, nor `…/x/..` its parent.
    expectError(
      await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/aks-search-prod2/%2e%2e/access`),
      404,
    );
    expectError(await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/x/../aks-search-prod2`), 404);
    expectError(
      await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2/x/%2E%2E/aks-search-prod2`),
      404,
    );
    // Nor an empty segment collapse into a shorter route.
    expectError(await call('GET', `/api/clusters/${PROD_SUB}//rg-prod2/aks-search-prod2`), 404);
    expectError(await call('GET', `/api/clusters/${PROD_SUB}/rg-prod2//history`), 400);
  });

  it('answers 404 for an unknown cluster and for unknown routes', async () => {
    expectError(
      await call('GET', clusterPath({ ...CLUSTERS.searchProd2, clusterName: 'aks-none' })),
      404,
    );
    expectError(await call('GET', '/api/nothing-here'), 404);
    expectError(await call('GET', '/api/clusters/a/b/c/d/e/f'), 404);
    expectError(await call('GET', '/'), 404);
    expectError(await call('GET', '/admin/functions'), 404);
  });

  it('answers 405 with Allow for a method the route does not take', async () => {
    const post = await call('POST', clusterPath(CLUSTERS.searchProd2), { body: '{}' });
    expectError(post, 405);
    expect(post.headers.allow).toBe('GET');
    const get = await call('GET', clusterPath(CLUSTERS.searchProd2, '/evaluate'));
    expectError(get, 405);
    expect(get.headers.allow).toBe('POST');
    const del = await call('DELETE', '/api/clusters');
    expectError(del, 405);
    expect(del.headers.allow).toBe('GET');
  });

  it('serves each function of a route shared by several methods (GET, POST and DELETE of exemptions)', async () => {
    const body = JSON.stringify({
      id: 'local-host-routing',
      checkId: 'local-accounts-disabled',
      scope: `/subscriptions/${PROD_SUB}/resourceGroups/rg-prod2`,
      reason: 'routing test',
      owner: 'platform@contoso.example',
      expiresOn: new Date(Date.now() + 24 * 3600 * 1000).toISOString(),
    });
    const created = await call('POST', '/api/exemptions', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(created.status).toBe(201);
    const listed = await call('GET', '/api/exemptions');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.json)).toContain('local-host-routing');
    expect((await call('DELETE', '/api/exemptions/local-host-routing')).status).toBeLessThan(300);
    const put = await call('PUT', '/api/exemptions');
    expectError(put, 405);
    expect(put.headers.allow).toBe('GET, POST');
  });

  it('answers 413 for a body over 1 MB, and the client always reads the answer', async () => {
    // Several sizes: the refusal must reach the client whatever is still in flight when it is sent.
    for (const size of [
      1024 * 1024 + 1,
      1024 * 1024 + 70_000,
      3 * 1024 * 1024,
      1024 * 1024 + 1,
      2 * 1024 * 1024 + 5,
    ]) {
      const reply = await call('POST', clusterPath(CLUSTERS.searchProd2, '/evaluate'), {
        body: Buffer.alloc(size, 0x20),
      });
      expectError(reply, 413);
      expect(reply.headers.connection).toBe('close');
    }
    // A body of exactly 1 MB is read (and ignored by evaluate).
    expect(
      (
        await call('POST', clusterPath(CLUSTERS.searchProd2, '/evaluate'), {
          body: Buffer.alloc(1024 * 1024, 0x20),
        })
      ).status,
    ).toBe(200);
  });

  it('POST …/evaluate re-reads the edited export and GET reflects it', async () => {
    t.editCluster('aks-search-prod2', (cluster) => {
      cluster.disableLocalAccounts = false;
    });
    const reply = await call('POST', clusterPath(CLUSTERS.searchProd2, '/evaluate'));
    expect(reply.status).toBe(200);
    expect(
      reply.json.findings.find((f: { checkId: string }) => f.checkId === 'local-accounts-disabled')
        .status,
    ).toBe('fail');
    expect(reply.json.regressions).toEqual(
      expect.arrayContaining([expect.objectContaining({ checkId: 'local-accounts-disabled' })]),
    );
    const after = await call('GET', clusterPath(CLUSTERS.searchProd2, '/access'));
    expect(after.json.localAccountsEnabled).toBe(true);
    const regressions = await call('GET', '/api/regressions');
    expect(regressions.status).toBe(200);
    expect(
      regressions.json.regressions.some(
        (r: { clusterName: string }) => r.clusterName === 'aks-search-prod2',
      ),
    ).toBe(true);
    expectError(await call('GET', '/api/regressions?since=last-week'), 400);
  });
});

describe('the Event Grid webhook (/runtime/webhooks/eventgrid?functionName=armEvents)', () => {
  const WEBHOOK = '/runtime/webhooks/eventgrid?functionName=armEvents';
  const json = { 'content-type': 'application/json' };

  it('answers the Event Grid subscription validation handshake', async () => {
    const validation = [
      {
        id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
        topic: `/subscriptions/${PROD_SUB}`,
        subject: '',
        data: {
          validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6',
          validationUrl: 'https://rp-eastus2.eventgrid.azure.net/api/vr?code=x',
        },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2026-11-22T02:00:00.000Z',
        metadataVersion: '1',
        dataVersion: '2',
      },
    ];
    const reply = await call('POST', WEBHOOK, {
      headers: { ...json, 'aeg-event-type': 'SubscriptionValidation' },
      body: JSON.stringify(validation),
    });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it('answers the CloudEvents OPTIONS handshake with WebHook-Allowed-Origin', async () => {
    const reply = await call('OPTIONS', WEBHOOK, {
      headers: { 'WebHook-Request-Origin': 'eventemitter.example.com' },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['webhook-allowed-origin']).toBe('eventemitter.example.com');
    expectError(await call('OPTIONS', WEBHOOK), 400);
  });

  it('answers 404 for another function name, and 405 for GET', async () => {
    expectError(
      await call('POST', '/runtime/webhooks/eventgrid?functionName=other', {
        headers: json,
        body: '[]',
      }),
      404,
    );
    expectError(
      await call('POST', '/runtime/webhooks/eventgrid', { headers: json, body: '[]' }),
      404,
    );
    const get = await call('GET', WEBHOOK);
    expectError(get, 405);
    expect(get.headers.allow).toMatch(/POST/);
  });

  it('answers 400 for a body that is not JSON, or not an event batch', async () => {
    expectError(await call('POST', WEBHOOK, { headers: json, body: '{"events": [' }), 400);
    expectError(await call('POST', WEBHOOK, { headers: json, body: '42' }), 400);
    expectError(await call('POST', WEBHOOK, { headers: json, body: '"text"' }), 400);
  });

  it('answers 413 for a batch over 1 MB', async () => {
    for (const size of [1024 * 1024, 2 * 1024 * 1024, 1024 * 1024 + 100_000]) {
      expectError(
        await call('POST', WEBHOOK, { headers: json, body: `[${' '.repeat(size)}]` }),
        413,
      );
    }
  });

  it('processes the good event of a batch and rejects the malformed one', async () => {
    const good = JSON.parse(
      readFileSync(join(SAMPLE_EVENTS, 'role-assignment-write.json'), 'utf8'),
    )[0];
    const bad = {
      ...good,
      id: 'malformed-1',
      eventType: undefined,
      type: undefined,
      specversion: undefined,
    };
    const reply = await call('POST', WEBHOOK, { headers: json, body: JSON.stringify([bad, good]) });
    expect(reply.status).toBe(200);
    const events = reply.json.events as Array<{ id: string; outcome: string; reason?: string }>;
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.id === 'malformed-1')).toMatchObject({
      outcome: 'rejected',
      reason: expect.any(String),
    });
    const processed = events.find((e) => e.id === good.id)!;
    expect(processed.outcome).toBe('evaluated');
    expect(hostLog.some((line) => line.includes('malformed-1') && /rejected/.test(line))).toBe(
      true,
    );
  });

  it('evaluates samples/events/cluster-write.json, then calls the same delivery a duplicate', async () => {
    const body = readFileSync(join(SAMPLE_EVENTS, 'cluster-write.json'), 'utf8');
    const first = await call('POST', WEBHOOK, {
      headers: { ...json, 'aeg-event-type': 'Notification' },
      body,
    });
    expect(first.status).toBe(200);
    expect(first.json.events).toEqual([
      expect.objectContaining({
        id: '00000000-0000-4000-8000-0000000e0002',
        outcome: 'evaluated',
        clusters: [expect.stringMatching(/\/managedClusters\/aks-payments-prod$/i)],
      }),
    ]);
    const again = await call('POST', WEBHOOK, {
      headers: { ...json, 'aeg-event-type': 'Notification' },
      body,
    });
    expect(again.status).toBe(200);
    expect(again.json.events).toEqual([
      expect.objectContaining({ id: '00000000-0000-4000-8000-0000000e0002', outcome: 'duplicate' }),
    ]);
  });
});
