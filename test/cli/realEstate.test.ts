/**
 * Shapes seen in real estates (issue "truth on real estates"), end to end through the real CLI
 * on snapshot folders built from the documented `az` export shapes: the sample's hardened
 * cluster (aks-payments-prod, every check passing) with one more role assignment each.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, Report } from '../../src/core/model';
import { run } from './harness';

const ROOT = join(__dirname, '..', '..');
const SAMPLE = join(ROOT, 'samples', 'estate');
const SUB = '00000000-0000-4000-a000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-payments-prod`;
const CLUSTER = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-payments-prod`;
const roleDefinition = (guid: string) =>
  `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const MONITORING_METRICS_PUBLISHER = '3913510d-42f4-4e42-8a64-420c390055eb';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aia-real-estate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The hardened sample cluster, its assignments plus `extra`, as `az` exports them (no role-definitions.json). */
function estateWith(extra: Record<string, unknown>): string {
  const estate = join(dir, 'estate');
  mkdirSync(estate);
  const sample = (file: string) => JSON.parse(readFileSync(join(SAMPLE, file), 'utf8'));
  const clusters = sample('clusters.json').filter(
    (c: { name: string }) => c.name === 'aks-payments-prod',
  );
  writeFileSync(join(estate, 'clusters.json'), JSON.stringify(clusters));
  writeFileSync(
    join(estate, 'role-assignments.json'),
    JSON.stringify([...sample('role-assignments.json'), extra]),
  );
  copyFileSync(
    join(SAMPLE, 'federated-credentials.json'),
    join(estate, 'federated-credentials.json'),
  );
  return estate;
}

async function audit(estate: string, ...flags: string[]) {
  return auditWith({}, estate, ...flags);
}

/**
 * The audit with these settings. The added grantee of a test that is about something else is
 * put on `AUDIT_APPROVED_ADMINS`, so that `cluster-admin-paths` (which fails for any unapproved
 * holder of a path) leaves the finding under test alone.
 */
async function auditWith(env: Record<string, string>, estate: string, ...flags: string[]) {
  const json = await run(['audit', '--snapshot', estate, '--format', 'json', ...flags], {
    cwd: ROOT,
    env,
  });
  const table = await run(['audit', '--snapshot', estate], { cwd: ROOT, env });
  const report = JSON.parse(json.stdout.text) as Report;
  return { code: json.code, stderr: json.stderr.lines, report, table: table.stdout.text };
}

const unsettled = (report: Report): Finding[] =>
  report.clusters[0].findings.filter((f) => f.status !== 'pass' && f.status !== 'not-applicable');

describe('real-estate shapes through the CLI', () => {
  it('Monitoring Metrics Publisher over the cluster (az aks --enable-addons monitoring) is known: nothing errs', async () => {
    const estate = estateWith({
      id: `${CLUSTER}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-0000000000a1`,
      principalId: '00000000-0000-4000-d000-0000000000a1',
      principalName: 'omsagent-aks-payments-prod',
      principalType: 'ServicePrincipal',
      roleDefinitionId: roleDefinition(MONITORING_METRICS_PUBLISHER),
      roleDefinitionName: 'Monitoring Metrics Publisher',
      scope: CLUSTER,
    });
    const { code, stderr, report, table } = await audit(estate, '--fail-on', 'low');
    expect(unsettled(report)).toEqual([]);
    expect(report.clusters[0]).toMatchObject({ status: 'pass', score: 100 });
    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    // It grants no privileged capability: nobody lists the monitoring identity.
    for (const f of report.clusters[0].findings)
      expect(JSON.stringify(f.principals ?? [])).not.toContain('0000000000a1');
    expect(table).toContain('PASS  aks-payments-prod · score 100/100');
    expect(table).not.toMatch(/role-definitions|az role definition list/);
  });

  it('an Owner assignment without principalType is an error of privileged-access-via-groups, and trips --fail-on at medium', async () => {
    const estate = estateWith({
      id: `${RG}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-0000000000a2`,
      principalId: '00000000-0000-4000-d000-0000000000a2',
      roleDefinitionId: roleDefinition(OWNER),
      roleDefinitionName: 'Owner',
      scope: RG,
    });
    const approved = { AUDIT_APPROVED_ADMINS: '00000000-0000-4000-d000-0000000000a2' };
    // Not approved, the Owner is also an unapproved path to cluster-admin.
    const unapproved = await audit(estate, '--fail-on', 'medium');
    expect(unsettled(unapproved.report).map((f) => [f.checkId, f.status])).toEqual([
      ['cluster-admin-paths', 'fail'],
      ['privileged-access-via-groups', 'error'],
    ]);
    const medium = await auditWith(approved, estate, '--fail-on', 'medium');
    expect(unsettled(medium.report)).toEqual([
      expect.objectContaining({
        checkId: 'privileged-access-via-groups',
        status: 'error',
        severity: 'medium',
      }),
    ]);
    const [finding] = unsettled(medium.report);
    expect(finding.detail).toContain(
      'The principal type of 1 privileged assignment is not known, so whether a user holds it directly cannot be said: Principal 00000000-0000-4000-d000-0000000000a2 · Owner at rg-payments-prod.',
    );
    expect(medium.report.clusters[0].status).toBe('error');
    expect(medium.code).toBe(1);
    expect(medium.stderr).toEqual([
      '--fail-on medium: 1 finding at or above medium: aks-payments-prod privileged-access-via-groups (medium, error: not evaluated)',
    ]);
    // The table shows the check's severity and that it was not evaluated.
    expect(medium.table).toMatch(
      /│ medium {4}│ privileged-access-via- {5}│ Not evaluated: The principal type/,
    );
    expect(medium.table).toMatch(/│ not {7}│ groups/);
    expect(medium.table).toContain('0 failing, 1 not evaluated, 22 passing, 1 not applicable');

    // Above the check's severity the gate passes; the error stays in the report.
    const high = await auditWith(approved, estate, '--fail-on', 'high');
    expect(high.code).toBe(0);
    expect(high.stderr).toEqual([]);
  });

  it("a scope exported with a trailing space ('rg-payments-prod /') still covers the cluster", async () => {
    const estate = estateWith({
      id: `${RG}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-0000000000a3`,
      principalId: '00000000-0000-4000-b000-0000000000a3',
      principalName: 'erin@contoso.example',
      principalType: 'User',
      roleDefinitionId: roleDefinition(CONTRIBUTOR),
      roleDefinitionName: 'Contributor',
      scope: `${RG} /`,
    });
    const { code, stderr, report, table } = await auditWith(
      { AUDIT_APPROVED_ADMINS: '00000000-0000-4000-b000-0000000000a3' },
      estate,
      '--fail-on',
      'medium',
    );
    expect(unsettled(report)).toEqual([
      expect.objectContaining({ checkId: 'privileged-access-via-groups', status: 'fail' }),
    ]);
    const [finding] = unsettled(report);
    expect(finding.detail).toBe(
      '1 privileged assignment is granted to users directly: erin@contoso.example · Contributor at rg-payments-prod · User 00000000-0000-4000-b000-0000000000a3.',
    );
    expect(finding.principals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          principalId: '00000000-0000-4000-b000-0000000000a3',
          roleName: 'Contributor',
          capabilities: expect.arrayContaining(['admin-credential', 'cluster-write']),
        }),
      ]),
    );
    // Contributor's admin-credential over the cluster is held; local accounts are disabled, so
    // the admin-credential check passes and says who would hold it if they were re-enabled.
    const adminCredential = report.clusters[0].findings.find(
      (f) => f.checkId === 'admin-credential-access',
    )!;
    expect(adminCredential.status).toBe('pass');
    expect(adminCredential.detail).toContain('erin@contoso.example');
    expect(code).toBe(1);
    expect(stderr).toEqual([
      '--fail-on medium: 1 finding at or above medium: aks-payments-prod privileged-access-via-groups (medium, fail)',
    ]);
    expect(table).toContain('FAIL  aks-payments-prod');
  });
});
