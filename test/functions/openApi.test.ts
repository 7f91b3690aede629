/**
 * The OpenAPI document (src/functions/openapi.json, served at GET /api/openapi.json) against
 * the real answers: every HTTP function is documented with its method, every documented route
 * exists, and each route's answer — success and error — validates against the documented
 * schema of its status code. Real runtime: Azurite and a copy of the sample estate.
 */
import type { HttpResponseInit } from '@azure/functions';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import document from '../../src/functions/openapi.json';
import { HTTP_FUNCTIONS } from '../../src/functions/httpFunctions';
import {
  bodyOf,
  CLUSTERS,
  httpRequest,
  startTestRuntime,
  testContext,
  type TestRuntime,
} from '../helpers/runtime';

type Operation = {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};
const paths = document.paths as unknown as Record<string, Record<string, Operation>>;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const ROOT = 'https://aks-identity-auditor.invalid/openapi.json';
ajv.addSchema({ $id: ROOT, components: document.components });

/** The Functions route template of a documented path (`/clusters/{subscriptionId}` → `clusters/{subscriptionId}`). */
const routeOf = (path: string) => path.replace(/^\//, '');

function operationFor(name: string): { path: string; method: string; operation: Operation } {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method !== 'parameters' && operation.operationId === name)
        return { path, method, operation };
    }
  }
  throw new Error(
    `function ${name} is not documented in src/functions/openapi.json (add its path and operationId)`,
  );
}

function expectDocumented(name: string, response: HttpResponseInit): void {
  const { operation } = operationFor(name);
  const documented = operation.responses[String(response.status)];
  expect({ name, status: response.status, documented: documented !== undefined }).toEqual({
    name,
    status: response.status,
    documented: true,
  });
  const schema = documented.content?.['application/json']?.schema;
  expect(schema).toBeDefined();
  const validate = ajv.compile(rebase(schema!));
  const body = bodyOf(response);
  const valid = validate(body);
  expect(valid ? [] : validate.errors).toEqual([]);
}

/** `#/components/…` references resolved against the document root registered above. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${ROOT}#/components/`));
}

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  await t.runtime.auditNow();
});
afterAll(() => t?.close());

function handlerOf(name: string) {
  const definition = HTTP_FUNCTIONS.find((f) => f.name === name);
  if (!definition) throw new Error(`no HTTP function named ${name}`);
  return definition;
}

async function call(
  name: string,
  init: Parameters<typeof httpRequest>[0] = {},
): Promise<HttpResponseInit> {
  const definition = handlerOf(name);
  const response = await definition.handler(
    httpRequest({ method: definition.methods[0], ...init }),
    testContext(name).context,
  );
  return response;
}

const payments = CLUSTERS.paymentsProd;

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every HTTP function with its route and method, and nothing else', () => {
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(paths)) {
      for (const method of Object.keys(item).filter((m) => m !== 'parameters'))
        documented.add(`${method.toUpperCase()} ${routeOf(path)}`);
    }
    const served = new Set(HTTP_FUNCTIONS.flatMap((f) => f.methods.map((m) => `${m} ${f.route}`)));
    expect([...served].sort()).toEqual([...documented].sort());
    for (const f of HTTP_FUNCTIONS) {
      const { operation } = operationFor(f.name);
      const anonymous = (operation as { security?: unknown[] }).security?.length === 0;
      expect({ name: f.name, anonymous }).toEqual({
        name: f.name,
        anonymous: f.authLevel === 'anonymous',
      });
    }
  });

  it('every schema compiles', () => {
    for (const name of Object.keys(document.components.schemas)) {
      expect(() => ajv.getSchema(`${ROOT}#/components/schemas/${name}`)).not.toThrow();
    }
  });

  it('is served at GET /api/openapi.json', async () => {
    const response = await call('openApi', { path: 'openapi.json' });
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toEqual(document);
  });
});

describe('real answers validate against the documented schemas', () => {
  it('listClusters: a page, a filtered page and a bad filter', async () => {
    expectDocumented('listClusters', await call('listClusters', { path: 'clusters', query: {} }));
    const page = await call('listClusters', { path: 'clusters', query: { pageSize: '2' } });
    expect(bodyOf<{ clusters: unknown[]; continuationToken?: string }>(page).clusters).toHaveLength(
      2,
    );
    expectDocumented('listClusters', page);
    expectDocumented(
      'listClusters',
      await call('listClusters', {
        path: 'clusters',
        query: { status: 'fail', severity: 'critical' },
      }),
    );
    const bad = await call('listClusters', { path: 'clusters', query: { status: 'broken' } });
    expect(bad.status).toBe(400);
    expectDocumented('listClusters', bad);
  });

  it('getCluster, getClusterHistory, getClusterAccess and evaluateCluster for a known and an unknown cluster', async () => {
    const unknown = { ...payments, clusterName: 'no-such-cluster' };
    for (const name of ['getCluster', 'getClusterHistory', 'getClusterAccess', 'evaluateCluster']) {
      const ok = await call(name, { path: 'clusters/…', params: payments });
      expect({ name, status: ok.status }).toEqual({ name, status: 200 });
      expectDocumented(name, ok);
      const missing = await call(name, { path: 'clusters/…', params: unknown });
      expect({ name, status: missing.status }).toEqual({ name, status: 404 });
      expectDocumented(name, missing);
    }
  });

  it('listRegressions and health', async () => {
    expectDocumented(
      'listRegressions',
      await call('listRegressions', {
        path: 'regressions',
        query: { since: '2020-01-01T00:00:00Z' },
      }),
    );
    expectDocumented(
      'listRegressions',
      await call('listRegressions', { path: 'regressions', query: { since: 'yesterday' } }),
    );
    expectDocumented('health', await call('health', { path: 'health' }));
  });

  it('listExemptions, createExemption and revokeExemption, with the signed-in identity recorded', async () => {
    const body = JSON.stringify({
      id: 'api-breakglass',
      checkId: 'local-accounts-disabled',
      scope: `/subscriptions/${payments.subscriptionId}/resourceGroups/${payments.resourceGroup}`,
      reason: 'Break-glass during migration',
      owner: 'platform@contoso.example',
      expiresOn: new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(),
    });
    const headers = {
      'content-type': 'application/json',
      'x-ms-client-principal-name': 'erin@contoso.example',
    };
    const created = await call('createExemption', { path: 'exemptions', body, headers });
    expect(created.status).toBe(201);
    expectDocumented('createExemption', created);
    expect(bodyOf(created)).toMatchObject({
      id: 'api-breakglass',
      createdBy: 'erin@contoso.example',
    });
    const duplicate = await call('createExemption', { path: 'exemptions', body, headers });
    expect(duplicate.status).toBe(400);
    expectDocumented('createExemption', duplicate);
    const invalid = await call('createExemption', {
      path: 'exemptions',
      body: '{"id":"x"',
      headers,
    });
    expect(invalid.status).toBe(400);
    const listed = await call('listExemptions', {
      path: 'exemptions',
      query: { checkId: 'local-accounts-disabled' },
    });
    expectDocumented('listExemptions', listed);
    expect(bodyOf<{ exemptions: { id: string }[] }>(listed).exemptions.map((e) => e.id)).toEqual([
      'api-breakglass',
    ]);
    expectDocumented(
      'listExemptions',
      await call('listExemptions', { path: 'exemptions', query: { expiringWithinDays: 'soon' } }),
    );
    const revoked = await call('revokeExemption', {
      path: 'exemptions/api-breakglass',
      params: { id: 'api-breakglass' },
      query: { reason: 'done' },
      headers,
    });
    expectDocumented('revokeExemption', revoked);
    expect(bodyOf(revoked)).toMatchObject({
      revokedBy: 'erin@contoso.example',
      revokeReason: 'done',
    });
    const missing = await call('revokeExemption', {
      path: 'exemptions/nope',
      params: { id: 'nope' },
    });
    expect(missing.status).toBe(404);
    expectDocumented('revokeExemption', missing);
  });

  it('a schema that the answers did not satisfy would fail (the validator is not vacuous)', () => {
    const validate = ajv.getSchema(`${ROOT}#/components/schemas/ClusterList`)!;
    expect(validate({ clusters: [{ id: 'x' }] })).toBe(false);
    expect(validate({ clusters: [] })).toBe(true);
  });
});
