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

/** The real store on Azurite and the audit's dependencies over the copied sample estate. */
async function auditWorld(prefix: string) {
  const clock = new SteppedClock(Date.parse('2026-11-26T02:00:00.000Z'));
  const store = await TableStore.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix(prefix),
    clock,
  });
  const deps = { source: new SnapshotSource(dir), store, clock, minAlertSeverity: 'info' as const };
  return { clock, store, deps };
}

it('an emptied role-assignments.json pages nobody, and restoring it pages nobody either', async () => {
  const { clock, store, deps } = await auditWorld('unk');
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

it('a custom role definition missing for one run keeps its holders, names the role, and its return pages nobody; a real grant meanwhile pages once', async () => {
  const { clock, store, deps } = await auditWorld('unkrole');
  const OPERATOR_ROLE = '00000000-0000-4000-f000-000000000001';
  const OPERATORS = '00000000-0000-4000-c000-000000000006';
  const SEARCH = 'aks-search-prod2';
  const first = await runAudit(deps);
  const before = first.report.clusters.find((c) => c.name === SEARCH)!;
  expect(before.privilegedPrincipals.map((p) => p.principalId)).toContain(OPERATORS);
  expect(before.unresolvedRoleDefinitions).toBeUndefined();

  const savedDefinitions = readFileSync(join(dir, 'role-definitions.json'), 'utf8');
  const savedAssignments = readFileSync(join(dir, 'role-assignments.json'), 'utf8');
  writeFileSync(
    join(dir, 'role-definitions.json'),
    JSON.stringify(
      (JSON.parse(savedDefinitions) as Array<{ name: string }>).filter(
        (d) => d.name !== OPERATOR_ROLE,
      ),
    ),
  );
  // Meanwhile a real grant: a user becomes Owner of the cluster's resource group.
  const assignments = JSON.parse(savedAssignments) as Array<Record<string, unknown>>;
  const owner = assignments.find((a) => a.roleDefinitionName === 'Owner')!;
  const grant = {
    ...owner,
    id: `${String(owner.id).replace(/[0-9a-f-]{36}$/i, '')}00000000-0000-4000-9999-000000000001`,
    name: '00000000-0000-4000-9999-000000000001',
    principalId: '00000000-0000-4000-b000-000000000002',
    principalName: 'bob@contoso.example',
    principalType: 'User',
    scope: '/subscriptions/00000000-0000-4000-a000-000000000001/resourceGroups/rg-prod2',
  };
  writeFileSync(join(dir, 'role-assignments.json'), JSON.stringify([...assignments, grant]));
  clock.advance(3600_000);
  const missing = await runAudit(deps);
  const during = missing.report.clusters.find((c) => c.name === SEARCH)!;
  expect(during.unresolvedRoleDefinitions).toEqual([
    `/subscriptions/00000000-0000-4000-a000-000000000001/providers/Microsoft.Authorization/roleDefinitions/${OPERATOR_ROLE}`,
  ]);
  // The findings that hinge on the role say which one is missing.
  const wildcards = during.findings.find((f) => f.checkId === 'custom-role-wildcards')!;
  expect(wildcards.status).toBe('error');
  expect(wildcards.detail).toContain(OPERATOR_ROLE);
  expect(during.findings.find((f) => f.checkId === 'admin-credential-access')?.detail).toContain(
    OPERATOR_ROLE,
  );
  // The real grant pages (once); the operators' group, unchanged, does not.
  const pagesDuring = (await store.listAlerts({})).map((a) => a.alert.dedupeKey);
  expect(pagesDuring.some((k) => k.endsWith('00000000-0000-4000-b000-000000000002'))).toBe(true);
  expect(pagesDuring.some((k) => k.endsWith(OPERATORS))).toBe(false);

  writeFileSync(join(dir, 'role-definitions.json'), savedDefinitions);
  clock.advance(3600_000);
  const restored = await runAudit(deps);
  expect(restored.report.clusters.flatMap((c) => c.regressions ?? [])).toEqual([]);
  expect((await store.listAlerts({})).map((a) => a.alert.dedupeKey).sort()).toEqual(
    [...pagesDuring].sort(),
  );
  writeFileSync(join(dir, 'role-assignments.json'), savedAssignments);
});
