/**
 * The HTTP functions when the posture store is down: a real runtime whose Azurite is stopped
 * after the baseline audit. Health answers 503 naming the store; the query routes answer 503
 * with `{ error: { code: 'DependencyUnavailable' } }`, never a 500 or a stack trace.
 */
import { getCluster } from '../../src/functions/getCluster';
import { health } from '../../src/functions/health';
import { listClusters } from '../../src/functions/listClusters';
import { readFileSync } from 'fs';
import { join } from 'path';
import { startLocalHost } from '../../src/host/localHost';
import {
  bodyOf,
  CLUSTERS,
  errorOf,
  httpRequest,
  SAMPLE_EVENTS,
  startTestRuntime,
  testContext,
  type TestRuntime,
} from '../helpers/runtime';

let t: TestRuntime;

beforeAll(async () => {
  // No retries of each store call: what is tested is the answer, not the SDK's back-off.
  t = await startTestRuntime({ runtimeOptions: { storageRetries: 0 } });
  await t.runtime.auditNow();
  // Sanity: it is healthy before the store goes away.
  expect(
    (await health(httpRequest({ path: 'health' }), testContext('health').context)).status,
  ).toBe(200);
  await t.azurite.stop();
});
afterAll(() => t?.close());

it('health answers 503 with the store marked down and the source still up', async () => {
  const response = await health(httpRequest({ path: 'health' }), testContext('health').context);
  expect(response.status).toBe(503);
  expect(bodyOf(response)).toMatchObject({
    status: 'degraded',
    store: { ok: false, detail: expect.stringMatching(/Table Storage unreachable/) },
    source: { ok: true, kind: 'snapshot' },
  });
});

it('a query route answers 503 DependencyUnavailable and logs a warning, not an error', async () => {
  const { context, at } = testContext('listClusters');
  const response = await listClusters(httpRequest({ path: 'clusters' }), context);
  expect(response.status).toBe(503);
  expect(errorOf(response).code).toBe('DependencyUnavailable');
  expect(at('warning').length).toBeGreaterThan(0);
  expect(at('error')).toEqual([]);

  const cluster = await getCluster(
    httpRequest({ params: CLUSTERS.paymentsProd }),
    testContext('getCluster').context,
  );
  expect(cluster.status).toBe(503);
  expect(errorOf(cluster).code).toBe('DependencyUnavailable');
});

it('bad input is still 400 without touching the store', async () => {
  const response = await listClusters(
    httpRequest({ path: 'clusters', query: { status: 'nope' } }),
    testContext('listClusters').context,
  );
  expect(response.status).toBe(400);
});

it('the local Event Grid webhook answers 503 (so Event Grid retries), not 500', async () => {
  const log: string[] = [];
  const host = await startLocalHost({ runtime: t.runtime, port: 0, log: (line) => log.push(line) });
  try {
    const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=armEvents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(join(SAMPLE_EVENTS, 'cluster-write.json'), 'utf8'),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: { code: 'DependencyUnavailable', message: expect.any(String) },
    });
  } finally {
    await host.close();
  }
});
