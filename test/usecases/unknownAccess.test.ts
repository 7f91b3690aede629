/**
 * An export that lost its role assignments (empty `role-assignments.json` next to the clusters)
 * must not look like "nobody holds access": the access checks turn `error`, nothing pages, and
 * when the export is restored nobody "gains" the access they always had. The bundled sample
 * estate, the real SnapshotSource, the real TableStore on Azurite, the audit use case.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { TableStore } from '../../src/adapters/tableStore';
import { runAudit } from '../../src/usecases/audit';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';

const SAMPLE = resolve(__dirname, '..', '..', 'samples', 'estate');
let azurite: TestAzurite;
let dir: string;
beforeAll(async () => {
  azurite = await startAzurite();
  dir = mkdtempSync(join(tmpdir(), 'aia-unknown-'));
  cpSync(SAMPLE, dir, { recursive: true });
});
afterAll(async () => {
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('an emptied role-assignments.json pages nobody, and restoring it pages nobody either', async () => {
  const clock = new SteppedClock(Date.parse('2026-11-26T02:00:00.000Z'));
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('unk'),
    clock,
  });
  const deps = { source: new SnapshotSource(dir), store, clock, minAlertSeverity: 'info' as const };
  await runAudit(deps);
  expect(await store.listAlerts({})).toEqual([]);

  const saved = readFileSync(join(dir, 'role-assignments.json'), 'utf8');
  writeFileSync(join(dir, 'role-assignments.json'), '[]');
  clock.advance(3600_000);
  const { report } = await runAudit(deps);
  for (const cluster of report.clusters) {
    expect(cluster.findings.find((f) => f.checkId === 'admin-credential-access')?.status).toBe(
      'error',
    );
  }
  expect(await store.listAlerts({})).toEqual([]);

  writeFileSync(join(dir, 'role-assignments.json'), saved);
  clock.advance(3600_000);
  const restored = await runAudit(deps);
  expect(restored.report.clusters.flatMap((c) => c.regressions ?? [])).toEqual([]);
  expect(await store.listAlerts({})).toEqual([]);
});
