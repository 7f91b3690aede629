/**
 * A real runtime for tests of the Functions layer, the local host and the nightly fan-out:
 * an in-memory Azurite (tables + queues) as `AUDIT_STORAGE`, a temporary COPY of
 * `samples/estate` as `AUDIT_SNAPSHOT_DIR` (so a test can edit the exports between audits),
 * `createRuntime(...)` from settings loaded the way the app loads them, installed with
 * `setRuntime(...)` so `getRuntime()` in the triggers returns it.
 *
 *   let t: TestRuntime;
 *   beforeAll(async () => { t = await startTestRuntime(); await t.runtime.auditNow(); });
 *   afterAll(() => t.close());
 *
 * Also: real `HttpRequest` / `InvocationContext` builders for calling handlers directly (the
 * @azure/functions test mode) with the context's log lines captured.
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { loadSettings, type SettingOverrides } from '../../src/config';
import { createRuntime, setRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime';
import { startAzurite, type TestAzurite } from './azurite';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const SAMPLE_ESTATE = join(REPO_ROOT, 'samples', 'estate');
export const SAMPLE_EVENTS = join(REPO_ROOT, 'samples', 'events');

/** The two sample subscriptions (samples/README.md). */
export const PROD_SUB = '00000000-0000-4000-a000-000000000001';
export const NONPROD_SUB = '00000000-0000-4000-a000-000000000002';

/** Path segments of the sample clusters, as the HTTP routes take them. */
export const CLUSTERS = {
  paymentsProd: {
    subscriptionId: PROD_SUB,
    resourceGroup: 'rg-payments-prod',
    clusterName: 'aks-payments-prod',
  },
  checkoutProd: {
    subscriptionId: PROD_SUB,
    resourceGroup: 'rg-prod',
    clusterName: 'aks-checkout-prod',
  },
  searchProd2: {
    subscriptionId: PROD_SUB,
    resourceGroup: 'rg-prod2',
    clusterName: 'aks-search-prod2',
  },
  legacyBatch: {
    subscriptionId: NONPROD_SUB,
    resourceGroup: 'rg-legacy',
    clusterName: 'aks-legacy-batch',
  },
  devShared: {
    subscriptionId: NONPROD_SUB,
    resourceGroup: 'rg-dev',
    clusterName: 'aks-dev-shared',
  },
  sandboxPods: {
    subscriptionId: NONPROD_SUB,
    resourceGroup: 'rg-sandbox',
    clusterName: 'aks-sandbox-pods',
  },
  dataDev: {
    subscriptionId: NONPROD_SUB,
    resourceGroup: 'rg-data-dev',
    clusterName: 'aks-data-dev',
  },
} as const;
export type ClusterParams = { subscriptionId: string; resourceGroup: string; clusterName: string };

export function clusterIdOf(c: ClusterParams): string {
  return `/subscriptions/${c.subscriptionId}/resourcegroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.clusterName}`;
}

export interface TestRuntime {
  runtime: Runtime;
  azurite: TestAzurite;
  /** The temporary copy of samples/estate the runtime reads. */
  snapshotDir: string;
  /** Every line the runtime logged. */
  logs: string[];
  /** Rewrite clusters.json of the copy: `edit` changes the parsed array in place. */
  editClusters(edit: (clusters: Array<Record<string, unknown>>) => void): void;
  /** Change one cluster (by name) of the copy. */
  editCluster(name: string, edit: (cluster: Record<string, unknown>) => void): void;
  /** Closes the runtime, stops Azurite, removes the copy and forgets the installed runtime. Idempotent. */
  close(): Promise<void>;
}

export interface TestRuntimeOptions {
  /** Extra settings (as the app settings would carry them). */
  settings?: SettingOverrides;
  runtimeOptions?: Partial<RuntimeOptions>;
  /** Install it with setRuntime (default true). */
  install?: boolean;
  /** A Blob service for AUDIT_STORAGE too (`startAzuriteBlob`): the embedded store has none. */
  blobEndpoint?: string;
}

export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const azurite = await startAzurite();
  const snapshotDir = mkdtempSync(join(tmpdir(), 'aks-auditor-estate-'));
  let runtime: Runtime | undefined;
  try {
    cpSync(SAMPLE_ESTATE, snapshotDir, { recursive: true });
    // An empty environment: nothing of the machine running the tests leaks into the settings.
    const settings = loadSettings(
      {},
      {
        AUDIT_STORAGE: options.blobEndpoint
          ? `${azurite.connectionString}BlobEndpoint=${options.blobEndpoint};`
          : azurite.connectionString,
        AUDIT_SNAPSHOT_DIR: snapshotDir,
        ...options.settings,
      },
    );
    const logs: string[] = [];
    runtime = await createRuntime(settings, {
      log: (line) => logs.push(line),
      packageRoot: REPO_ROOT,
      consoleAlerts: false,
      ...options.runtimeOptions,
    });
    if (options.install !== false) setRuntime(runtime);
    const installed = runtime;
    const clustersFile = join(snapshotDir, 'clusters.json');
    const editClusters = (edit: (clusters: Array<Record<string, unknown>>) => void) => {
      const clusters = JSON.parse(readFileSync(clustersFile, 'utf8')) as Array<
        Record<string, unknown>
      >;
      edit(clusters);
      writeFileSync(clustersFile, JSON.stringify(clusters, null, 2));
    };
    let closed: Promise<void> | undefined;
    return {
      runtime: installed,
      azurite,
      snapshotDir,
      logs,
      editClusters,
      editCluster: (name, edit) =>
        editClusters((clusters) => {
          const cluster = clusters.find((c) => c.name === name);
          if (!cluster) throw new Error(`no cluster ${name} in the snapshot copy`);
          edit(cluster);
        }),
      close: () =>
        (closed ??= (async () => {
          if (options.install !== false) setRuntime(undefined);
          try {
            await installed.close();
          } finally {
            await azurite.stop();
            rmSync(snapshotDir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (error) {
    await runtime?.close().catch(() => undefined);
    await azurite.stop().catch(() => undefined);
    rmSync(snapshotDir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Calling handlers directly

export interface LogLine {
  level: string;
  message: string;
}

export interface TestContext {
  context: InvocationContext;
  logs: LogLine[];
  /** The messages logged at `level`. */
  at(level: 'information' | 'warning' | 'error' | 'trace' | 'debug' | 'critical'): string[];
}

let invocation = 0;

export function testContext(functionName: string): TestContext {
  const logs: LogLine[] = [];
  invocation += 1;
  const context = new InvocationContext({
    invocationId: `00000000-0000-4000-8000-${String(invocation).padStart(12, '0')}`,
    functionName,
    logHandler: (level, ...args) => {
      logs.push({
        level,
        message: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '),
      });
    },
  });
  return {
    context,
    logs,
    at: (level) => logs.filter((l) => l.level === level).map((l) => l.message),
  };
}

export function httpRequest(init: {
  method?: string;
  path?: string;
  params?: Record<string, string>;
  /** Query values; omitted = the query string of `path` is used (repeated names possible). */
  query?: Record<string, string>;
  body?: string;
  headers?: Record<string, string>;
}): HttpRequest {
  return new HttpRequest({
    method: init.method ?? 'GET',
    url: `http://localhost/api/${init.path ?? ''}`,
    params: init.params ?? {},
    ...(init.query ? { query: init.query } : {}),
    headers: init.headers,
    body: init.body !== undefined ? { string: init.body } : undefined,
  });
}

/** The JSON body a handler answered with (handlers answer with `jsonBody`). */
export function bodyOf<T = Record<string, any>>(response: HttpResponseInit): T {
  if (response.jsonBody !== undefined) return response.jsonBody as T;
  if (typeof response.body === 'string') return JSON.parse(response.body) as T;
  throw new Error(`response ${response.status} has no JSON body`);
}

/** Asserts the docs/contracts.md error shape and returns it. */
export function errorOf(response: HttpResponseInit): { code: string; message: string } {
  const body = bodyOf<{ error: { code: string; message: string } }>(response);
  expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  return body.error;
}
