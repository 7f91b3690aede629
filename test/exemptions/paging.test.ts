/**
 * What exemptions do to paging, end to end through the audit use case, the Table Storage store
 * (Azurite) and the snapshot source: a regression that an exemption covers is recorded but pages
 * nobody; when the exemption expires and the finding still fails, one `exemption-expired` page.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExemptionTable } from '../../src/adapters/exemptionTable';
import { ConsoleNotifier } from '../../src/adapters/notifiers/console';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { TableStore } from '../../src/adapters/tableStore';
import { CHECKS } from '../../src/core/checks';
import { runAudit, type AuditDeps } from '../../src/usecases/audit';
import { activeExemptions, addExemption } from '../../src/usecases/exemptions';
import { runNightlyAudit } from '../../src/usecases/fanOut';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';
import { REPO_ROOT, SAMPLE_ESTATE } from '../helpers/runtime';

const PAYMENTS =
  '/subscriptions/00000000-0000-4000-a000-000000000001/resourceGroups/rg-payments-prod/providers/Microsoft.ContainerService/managedClusters/aks-payments-prod';
const DAY = 24 * 3600 * 1000;

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite?.stop());

it('an exempted regression pages nobody; its expiry pages once with exemption-expired', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exemption-paging-'));
  cpSync(SAMPLE_ESTATE, dir, { recursive: true });
  const clock = new SteppedClock(new Date('2026-11-26T12:00:00.000Z'));
  const prefix = uniqueTablePrefix('paging');
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
    clock,
  });
  const exemptionStore = await ExemptionTable.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
  });
  const deps: AuditDeps = {
    source: new SnapshotSource(dir),
    clock,
    store,
    minAlertSeverity: 'low',
    exemptions: () => activeExemptions({ store: exemptionStore, clock }),
  };
  const exemptionDeps = { store: exemptionStore, clock, checkIds: CHECKS.map((c) => c.id) };

  await runAudit(deps);
  expect(await store.listAlerts({})).toEqual([]);

  // Accepted: local accounts stay on for aks-payments-prod during a migration, for 10 days.
  for (const checkId of ['local-accounts-disabled', 'admin-credential-access']) {
    await addExemption(
      exemptionDeps,
      {
        id: `migration-${checkId}`,
        checkId,
        scope: PAYMENTS,
        reason: 'Migration window',
        owner: 'platform@contoso.example',
        expiresOn: new Date(clock.now().getTime() + 10 * DAY).toISOString(),
      },
      'alice@contoso.example',
    );
  }
  execFileSync(process.execPath, [
    join(REPO_ROOT, 'samples', 'make-regression.js'),
    dir,
    '--local-accounts',
  ]);
  clock.advance(DAY);
  const { report } = await runAudit(deps);
  const payments = report.clusters.find((c) => c.id.toLowerCase() === PAYMENTS.toLowerCase())!;
  expect(payments.regressions!.map((r) => r.checkId).sort()).toEqual([
    'admin-credential-access',
    'local-accounts-disabled',
  ]);
  expect(payments.findings.find((f) => f.checkId === 'local-accounts-disabled')).toMatchObject({
    status: 'fail',
    exempted: true,
  });
  expect(await store.listAlerts({})).toEqual([]);

  // Day 11: the exemptions expired, local accounts are still on: one page per lapsed finding.
  clock.advance(10 * DAY);
  const expired = await runAudit(deps);
  const regressions = expired.report.clusters.find(
    (c) => c.id.toLowerCase() === PAYMENTS.toLowerCase(),
  )!.regressions!;
  expect(regressions.map((r) => [r.kind, r.checkId]).sort()).toEqual([
    ['exemption-expired', 'admin-credential-access'],
    ['exemption-expired', 'local-accounts-disabled'],
  ]);
  const alerts = await store.listAlerts({});
  expect(alerts.map((a) => [a.alert.kind, a.alert.checkId, a.alert.severity]).sort()).toEqual([
    ['exemption-expired', 'admin-credential-access', 'critical'],
    ['exemption-expired', 'local-accounts-disabled', 'high'],
  ]);
  expect(alerts[0].alert.title).toContain('expired and the check still fails');

  clock.advance(DAY);
  await runAudit(deps);
  expect(await store.listAlerts({})).toHaveLength(2);
});

it('the nightly run records expiries and lists exemptions expiring within 14 days to every channel', async () => {
  const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));
  const prefix = uniqueTablePrefix('nightly');
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
    clock,
  });
  const exemptionStore = await ExemptionTable.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: prefix,
  });
  const exemptionDeps = { store: exemptionStore, clock, checkIds: CHECKS.map((c) => c.id) };
  const base = {
    checkId: 'local-accounts-disabled',
    scope: PAYMENTS,
    reason: 'Migration window',
    owner: 'platform@contoso.example',
  };
  await addExemption(
    exemptionDeps,
    { ...base, id: 'ends-in-13-days', expiresOn: '2026-12-09T02:00:00Z' },
    'alice@contoso.example',
  );
  await addExemption(
    exemptionDeps,
    { ...base, id: 'ends-tomorrow', expiresOn: '2026-11-27T02:00:00Z' },
    'alice@contoso.example',
  );
  await addExemption(
    exemptionDeps,
    { ...base, id: 'ends-in-60-days', expiresOn: '2027-01-25T02:00:00Z' },
    'alice@contoso.example',
  );
  let printed = '';
  const consoleChannel = new ConsoleNotifier({
    write: (chunk: string, done?: (error?: Error | null) => void) => (
      (printed += chunk),
      done?.(),
      true
    ),
  } as never);
  const dir = mkdtempSync(join(tmpdir(), 'exemption-nightly-'));
  cpSync(SAMPLE_ESTATE, dir, { recursive: true });
  const nightly = () =>
    runNightlyAudit({
      source: new SnapshotSource(dir),
      clock,
      store,
      notifiers: [consoleChannel],
      historyDays: 400,
      exemptionStore,
      exemptions: () => activeExemptions({ store: exemptionStore, clock }),
    });

  await nightly();
  expect(printed).toContain('2 exemptions expiring within 14 days');
  expect(printed.indexOf('ends-tomorrow')).toBeLessThan(printed.indexOf('ends-in-13-days'));
  expect(printed).not.toContain('ends-in-60-days');

  clock.advance(2 * DAY);
  printed = '';
  await nightly();
  expect(printed).toContain('1 exemption expiring within 14 days');
  expect((await exemptionStore.history('ends-tomorrow')).map((h) => h.action)).toEqual([
    'created',
    'expired',
  ]);
});
