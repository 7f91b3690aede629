/**
 * One unusable channel setting must not take the app down (docs/contracts.md "Settings"): the
 * app settings as App Service hands them over when it could not resolve the Key Vault reference
 * of the Teams webhook (the reference text itself), plus a malformed email recipient. Start-up
 * succeeds, both channels are disabled and logged, `/api/health` says which and why (503
 * degraded), evaluation and the API keep working, the console channel still pages, and each
 * alert's delivery state records the disabled channels as failed with the setting named.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { health } from '../../src/functions/health';
import { listClusters } from '../../src/functions/listClusters';
import { createRuntime, loadAppSettings, setRuntime, type Runtime } from '../../src/runtime';
import { startAzurite, type TestAzurite } from '../helpers/azurite';
import { bodyOf, httpRequest, REPO_ROOT, SAMPLE_ESTATE, testContext } from '../helpers/runtime';

const UNRESOLVED =
  '@Microsoft.KeyVault(SecretUri=https://kv-audit.vault.azure.net/secrets/teams-webhook-url)';

let azurite: TestAzurite;
let runtime: Runtime;
let snapshotDir: string;
const logs: string[] = [];
const printed: string[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  snapshotDir = mkdtempSync(join(tmpdir(), 'aks-auditor-degraded-'));
  cpSync(SAMPLE_ESTATE, snapshotDir, { recursive: true });
  const settings = loadAppSettings({
    AUDIT_STORAGE: azurite.connectionString,
    AUDIT_SNAPSHOT_DIR: snapshotDir,
    ALERT_TEAMS_WEBHOOK_URL: UNRESOLVED,
    ALERT_EMAIL_ENDPOINT: 'https://acs-audit.europe.communication.azure.com',
    ALERT_EMAIL_SENDER: 'DoNotReply@contoso.azurecomm.net',
    ALERT_EMAIL_TO: 'oncall@contoso.com, bob',
  });
  runtime = await createRuntime(settings, {
    log: (line) => logs.push(line),
    packageRoot: REPO_ROOT,
    consoleAlerts: true,
    consoleStream: { write: (chunk: string) => printed.push(chunk) },
  });
  setRuntime(runtime);
});

afterAll(async () => {
  setRuntime(undefined);
  await runtime?.close();
  await azurite?.stop();
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
});

describe('an unresolved Key Vault reference and a bad email recipient', () => {
  it('start the app with both channels disabled and logged once each, naming the setting', () => {
    expect(runtime.settings.disabled).toEqual([
      {
        disables: 'email',
        setting: 'ALERT_EMAIL_TO',
        message: "ALERT_EMAIL_TO: 'bob' is not an email address",
      },
      {
        disables: 'teams',
        setting: 'ALERT_TEAMS_WEBHOOK_URL',
        message: expect.stringMatching(/^ALERT_TEAMS_WEBHOOK_URL: unresolved Key Vault reference/),
      },
    ]);
    expect(
      logs.filter((l) => l.startsWith('alerts: email channel disabled: ALERT_EMAIL_TO')),
    ).toHaveLength(1);
    expect(
      logs.filter((l) =>
        l.startsWith(
          'alerts: teams channel disabled: ALERT_TEAMS_WEBHOOK_URL: unresolved Key Vault reference',
        ),
      ),
    ).toHaveLength(1);
    expect(runtime.notifiers.map((n) => n.channel)).toEqual(['email', 'teams', 'console']);
  });

  it('/api/health answers 503 degraded, listing what is disabled and why, with store and source ok', async () => {
    const response = await health(httpRequest({ path: 'health' }), testContext('health').context);
    expect(response.status).toBe(503);
    const body = bodyOf(response);
    expect(body).toMatchObject({ status: 'degraded', store: { ok: true }, source: { ok: true } });
    expect(body.disabled.map((d: { setting: string }) => d.setting)).toEqual([
      'ALERT_EMAIL_TO',
      'ALERT_TEAMS_WEBHOOK_URL',
    ]);
  });

  it('evaluation and the API keep working; the console channel pages; the disabled channels are failed with the setting named', async () => {
    await runtime.auditNow();
    const clustersFile = join(snapshotDir, 'clusters.json');
    const clusters = JSON.parse(readFileSync(clustersFile, 'utf8')) as Array<
      Record<string, unknown>
    >;
    const cluster = clusters.find((c) => c.name === 'aks-payments-prod');
    if (!cluster) throw new Error('sample cluster aks-payments-prod is missing');
    cluster.disableLocalAccounts = false;
    writeFileSync(clustersFile, JSON.stringify(clusters, null, 2));
    await runtime.auditNow();

    const list = await listClusters(
      httpRequest({ path: 'clusters' }),
      testContext('listClusters').context,
    );
    expect(list.status).toBe(200);
    expect(bodyOf(list).clusters.length).toBeGreaterThan(0);

    expect(printed.join('')).toContain('aks-payments-prod');
    const alerts = await runtime.store.listAlerts({});
    const paged = alerts.filter((a) => a.alert.clusterName === 'aks-payments-prod');
    expect(paged.length).toBeGreaterThan(0);
    for (const row of paged) {
      expect(row.channels).toMatchObject({ console: 'sent', email: 'failed', teams: 'failed' });
      expect(row.lastError).toMatch(/email: channel disabled at start-up: ALERT_EMAIL_TO/);
      expect(row.lastError).toMatch(
        /teams: channel disabled at start-up: ALERT_TEAMS_WEBHOOK_URL: unresolved Key Vault reference/,
      );
    }
  });
});
