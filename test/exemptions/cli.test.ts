/**
 * The exemption doors of the command line, in-process: `exemptions add|list|revoke|export|import`
 * against a real Azurite, and `audit --exemptions FILE` (stateless CI) on the bundled sample.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import { ExemptionTable } from '../../src/adapters/exemptionTable';
import { main } from '../../src/cli/main';
import { CHECKS } from '../../src/core/checks';
import type { Report } from '../../src/core/model';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { Capture, NOW } from '../cli/harness';

let azurite: TestAzurite;
let table: ExemptionTable;
beforeAll(async () => {
  azurite = await startAzurite();
  table = await ExemptionTable.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('cli'),
  });
});
afterAll(() => azurite?.stop());

const dir = mkdtempSync(join(tmpdir(), 'exemptions-cli-'));

async function cli(argv: string[]) {
  const stdout = new Capture(false);
  const stderr = new Capture(false);
  const code = await main(argv, {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env: { AUDIT_ACTOR: 'alice@contoso.example' },
    cwd: dir,
    clock: { now: () => NOW },
    openExemptions: async (ctx) => ({
      deps: { store: table, clock: ctx.clock, checkIds: CHECKS.map((c) => c.id) },
      close: async () => undefined,
    }),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('exemptions on the command line', () => {
  const SCOPE =
    '/subscriptions/00000000-0000-4000-a000-000000000001/resourceGroups/rg-payments-prod';

  it('add, list, revoke; bad input exits 2 with one line naming the field', async () => {
    const added = await cli([
      'exemptions',
      'add',
      '--id',
      'breakglass',
      '--check',
      'privileged-access-via-groups',
      '--scope',
      SCOPE,
      '--principal',
      '11111111-1111-4111-8111-111111111111',
      '--reason',
      'Break-glass account',
      '--owner',
      'platform@contoso.example',
      '--expires',
      '2027-02-01T00:00:00Z',
      '--ticket',
      'SEC-1',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('exemption breakglass created');
    const listed = JSON.parse((await cli(['exemptions', 'list', '--format', 'json'])).stdout) as {
      exemptions: Array<Record<string, unknown>>;
    };
    expect(listed.exemptions).toEqual([
      expect.objectContaining({
        id: 'breakglass',
        state: 'active',
        createdBy: 'alice@contoso.example',
        principalIds: ['11111111-1111-4111-8111-111111111111'],
      }),
    ]);
    expect((await cli(['exemptions', 'list'])).stdout).toMatch(
      /^id\s+check\s+state[\s\S]*breakglass\s+privileged-access-via-groups\s+active\s+2027-02-01/,
    );

    const bad = await cli([
      'exemptions',
      'add',
      '--check',
      'nope',
      '--scope',
      SCOPE,
      '--reason',
      'r',
      '--owner',
      'o@contoso.example',
      '--expires',
      '2027-01-01',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('checkId');
    const missing = await cli([
      'exemptions',
      'add',
      '--check',
      'privileged-access-via-groups',
      '--scope',
      SCOPE,
      '--owner',
      'o@contoso.example',
      '--expires',
      '2027-01-01',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--reason');

    expect((await cli(['exemptions', 'revoke', 'breakglass', '--reason', 'gone'])).code).toBe(0);
    const again = await cli(['exemptions', 'revoke', 'breakglass']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already revoked');
    expect((await cli(['exemptions', 'list', '--format', 'json'])).stdout).toContain(
      '"exemptions": []',
    );
    expect((await cli(['exemptions', 'list', '--all', '--format', 'json'])).stdout).toContain(
      '"state": "revoked"',
    );
  });

  it('export → import round-trips; --dry-run shows the diff and writes nothing', async () => {
    expect((await cli(['exemptions', 'export', '--output', 'exemptions.yaml'])).code).toBe(0);
    const first = await cli(['exemptions', 'import', 'exemptions.yaml']);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain('unchanged breakglass');
    writeFileSync(
      join(dir, 'new.yaml'),
      `exemptions:\n  - id: migration\n    checkId: local-accounts-disabled\n    scope: ${SCOPE}\n    reason: Migration window\n    owner: platform@contoso.example\n    expiresOn: 2027-01-15T00:00:00Z\n`,
    );
    const dry = await cli(['exemptions', 'import', 'new.yaml', '--dry-run']);
    expect(dry.stdout).toContain('create migration');
    expect(dry.stdout).toContain('(dry run: nothing written)');
    expect(await table.get('migration')).toBeUndefined();
    expect((await cli(['exemptions', 'import', 'new.yaml'])).code).toBe(0);
    expect((await table.get('migration'))?.createdBy).toBe('alice@contoso.example');
    const exported = parse((await cli(['exemptions', 'export'])).stdout) as {
      exemptions: Array<{ id: string }>;
    };
    expect(exported.exemptions.map((e) => e.id)).toEqual(['breakglass', 'migration']);
  });
});

describe('audit --exemptions FILE', () => {
  async function report(
    extra: string[] = [],
  ): Promise<{ code: number; report: Report; stderr: string }> {
    const result = await cli(['audit', '--format', 'json', ...extra]);
    return {
      code: result.code,
      report: JSON.parse(result.stdout) as Report,
      stderr: result.stderr,
    };
  }

  it('exempts a failing finding in the report: listed, not counted in status, score, summary or --fail-on', async () => {
    const before = await report(['--fail-on', 'high']);
    expect(before.code).toBe(1);
    const target = before.report.clusters.find((c) =>
      c.findings.some((f) => f.checkId === 'local-accounts-disabled' && f.status === 'fail'),
    )!;
    const failingHigh = before.report.clusters.flatMap((c) =>
      c.findings
        .filter((f) => f.status === 'fail' && ['critical', 'high'].includes(f.severity))
        .map((f) => ({ cluster: c.id, checkId: f.checkId })),
    );
    const entries = failingHigh.map(
      (f, i) =>
        `  - id: accept-${i}\n    checkId: ${f.checkId}\n    scope: ${f.cluster}\n    reason: Accepted for the test\n    owner: platform@contoso.example\n    expiresOn: 2027-01-15T00:00:00Z\n`,
    );
    writeFileSync(
      join(dir, 'all-high.yaml'),
      `exemptions:\n${entries.join('')}  - id: lapsed\n    checkId: local-accounts-disabled\n    scope: ${target.id}\n    reason: Old\n    owner: platform@contoso.example\n    createdAt: 2026-01-01T00:00:00Z\n    expiresOn: 2026-11-01T00:00:00Z\n`,
    );
    const after = await report(['--fail-on', 'high', '--exemptions', 'all-high.yaml']);
    expect(after.stderr).toContain(
      'exemption lapsed expired at 2026-11-01T00:00:00.000Z: its findings count again',
    );
    expect(after.code).toBe(0);
    const finding = after.report.clusters
      .find((c) => c.id === target.id)!
      .findings.find((f) => f.checkId === 'local-accounts-disabled')!;
    expect(finding).toMatchObject({
      status: 'fail',
      exempted: true,
      exemptions: [
        expect.objectContaining({
          reason: 'Accepted for the test',
          owner: 'platform@contoso.example',
        }),
      ],
    });
    expect(after.report.summary.findingsBySeverity.high).toBe(0);
    const beforeScore = before.report.clusters.find((c) => c.id === target.id)!.score;
    expect(after.report.clusters.find((c) => c.id === target.id)!.score).toBeGreaterThan(
      beforeScore,
    );
  });

  it('refuses an invalid file whole (exit 2, the entry and field named)', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'exemptions:\n  - id: x\n    checkId: local-accounts-disabled\n    scope: nowhere\n    reason: r\n    owner: o@contoso.example\n    expiresOn: 2027-01-01T00:00:00Z\n',
    );
    const result = await cli(['audit', '--exemptions', 'bad.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').pop()).toBe(
      'aks-identity-auditor: bad.yaml entry 1 "x": scope must be an Azure resource id of a cluster, resource group, subscription or management group',
    );
  });
});

describe('exempted findings in every format', () => {
  it('table, markdown and SARIF show the exemption (SARIF as an accepted external suppression)', async () => {
    const json = JSON.parse((await cli(['audit', '--format', 'json'])).stdout) as Report;
    const target = json.clusters.find((c) =>
      c.findings.some((f) => f.checkId === 'local-accounts-disabled' && f.status === 'fail'),
    )!;
    writeFileSync(
      join(dir, 'one.yaml'),
      `exemptions:\n  - id: accept-local\n    checkId: local-accounts-disabled\n    scope: ${target.id}\n    reason: Migration window\n    owner: platform@contoso.example\n    ticket: SEC-9\n    expiresOn: 2027-01-15T00:00:00Z\n`,
    );
    const table = (await cli(['audit', '--exemptions', 'one.yaml'])).stdout
      .replace(/│/g, ' ')
      .replace(/\s+/g, ' ');
    expect(table).toContain(
      'Exempted by accept-local (platform@contoso.example, until 2027-01-15): Migration window',
    );
    const markdown = (await cli(['audit', '--format', 'markdown', '--exemptions', 'one.yaml']))
      .stdout;
    expect(markdown).toContain(
      'Exempted by accept-local (platform@contoso.example, until 2027-01-15): Migration window',
    );
    const sarif = JSON.parse(
      (await cli(['audit', '--format', 'sarif', '--exemptions', 'one.yaml'])).stdout,
    ) as {
      runs: {
        results: Array<{
          ruleId: string;
          properties: { clusterId: string };
          suppressions?: unknown[];
        }>;
      }[];
    };
    const results = sarif.runs[0].results.filter((r) => r.ruleId === 'local-accounts-disabled');
    const suppressed = results.filter((r) => r.suppressions);
    expect(suppressed.map((r) => r.properties.clusterId)).toEqual([target.id]);
    expect(suppressed[0].suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification:
          'Migration window (exemption accept-local, owner platform@contoso.example, ticket SEC-9, until 2027-01-15T00:00:00.000Z)',
      },
    ]);
    expect(results.length).toBeGreaterThan(suppressed.length);
  });
});
