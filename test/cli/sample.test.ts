/** End to end on the bundled sample estate: the real snapshot reader, engine and formats. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CHECKS } from '../../src/core/checks';
import { run } from './harness';

const ROOT = join(__dirname, '..', '..');
const SAMPLE = join(ROOT, 'samples', 'estate');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aia-sample-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('audit --snapshot samples/estate', () => {
  it('--format json has every check exactly once per cluster', async () => {
    const { code, stdout, stderr } = await run(
      ['audit', '--snapshot', 'samples/estate', '--format', 'json'],
      { cwd: ROOT },
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text);
    expect(report.schemaVersion).toBe(1);
    expect(report.source).toBe('snapshot');
    expect(report.clusters.length).toBeGreaterThan(0);
    expect(report.summary.clusters).toBe(report.clusters.length);
    for (const cluster of report.clusters) {
      const ids = cluster.findings.map((f: { checkId: string }) => f.checkId);
      expect(ids.slice().sort()).toEqual(CHECKS.map((c) => c.id).sort());
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('names people: the JSON carries displayName and userPrincipalName, the table the name beside the id', async () => {
    const json = JSON.parse(
      (await run(['audit', '--snapshot', 'samples/estate', '--format', 'json'], { cwd: ROOT }))
        .stdout.text,
    );
    const checkout = json.clusters.find((c: { name: string }) => c.name === 'aks-checkout-prod');
    const alice = checkout.privilegedPrincipals.find(
      (p: { principalId: string }) => p.principalId === '00000000-0000-4000-b000-000000000001',
    );
    expect(alice).toMatchObject({
      principalType: 'User',
      displayName: 'Alice Smith',
      userPrincipalName: 'alice@contoso.example',
      roleName: 'Contributor',
    });
    const group = checkout.privilegedPrincipals.find(
      (p: { principalId: string }) => p.principalId === '00000000-0000-4000-c000-000000000007',
    );
    expect(group).toMatchObject({ principalType: 'Group', displayName: 'grp-checkout-oncall' });
    const table = (
      await run(['audit', '--snapshot', 'samples/estate'], { cwd: ROOT, env: { COLUMNS: '200' } })
    ).stdout.text.replace(/[│\s]+/g, ' ');
    expect(table).toContain(
      'Alice Smith (alice@contoso.example) · Contributor at rg-prod · User 00000000-0000-4000-b000-000000000001',
    );
  });

  it('the sample has something to report: --fail-on info exits 1', async () => {
    const { code } = await run(
      ['audit', '--snapshot', 'samples/estate', '--format', 'json', '--fail-on', 'info'],
      { cwd: ROOT },
    );
    expect(code).toBe(1);
  });

  it('--format sarif points results at the snapshot file and its lines', async () => {
    const { code, stdout } = await run(
      ['audit', '--snapshot', 'samples/estate', '--format', 'sarif'],
      { cwd: ROOT },
    );
    expect(code).toBe(0);
    const sarif = JSON.parse(stdout.text);
    const rules = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    for (const check of CHECKS) expect(rules).toContain(check.id);
    const results = sarif.runs[0].results as {
      locations: {
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
      }[];
    }[];
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe(
        relative(ROOT, join(SAMPLE, 'clusters.json')).split('\\').join('/'),
      );
      expect(result.locations[0].physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
    }
    expect(results.some((r) => r.locations[0].physicalLocation.region.startLine > 1)).toBe(true);
  });

  it('gives the same SARIF fingerprints on two runs', async () => {
    const prints = async () =>
      JSON.parse(
        (await run(['audit', '--snapshot', 'samples/estate', '--format', 'sarif'], { cwd: ROOT }))
          .stdout.text,
      ).runs[0].results.map(
        (r: { partialFingerprints: { primaryLocationLineHash: string } }) =>
          r.partialFingerprints.primaryLocationLineHash,
      );
    expect(await prints()).toEqual(await prints());
  });

  it('--format table fits 100 columns, but for a fix word longer than a line, kept whole', async () => {
    const { stdout } = await run(['audit', '--snapshot', 'samples/estate'], { cwd: ROOT });
    const lines = stdout.text.split('\n');
    // A role assignment id in an `az role assignment delete --ids` fix is one shell word: it is
    // printed whole on its own line of the fix block (pasting it must give the id), never cut.
    // Management-group assignment ids (the platform team's Owner grant) are such words too.
    const wholeWord = /^ {10,}\/(subscriptions|providers\/Microsoft\.Management)\/[^\s]+( \\)?$/;
    for (const line of lines.filter((l) => !wholeWord.test(l)))
      expect([...line].length).toBeLessThanOrEqual(100);
    const sandbox =
      '/subscriptions/00000000-0000-4000-a000-000000000002/resourceGroups/rg-sandbox/providers/Microsoft.ContainerService/managedClusters/aks-sandbox-pods/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-000000000010';
    expect(lines.some((l) => l.trim().replace(/ \\$/, '') === sandbox)).toBe(true);
  });

  it('--format markdown renders', async () => {
    const { code, stdout } = await run(
      ['audit', '--snapshot', 'samples/estate', '--format', 'markdown'],
      { cwd: ROOT },
    );
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/^# AKS identity audit/);
  });

  it('audit without a source reads the bundled sample', async () => {
    const { code, stderr, stdout } = await run(['audit', '--format', 'json'], { cwd: dir });
    expect(code).toBe(0);
    expect(stderr.lines).toEqual([
      'auditing the bundled sample estate (no subscriptions configured)',
    ]);
    expect(JSON.parse(stdout.text).clusters.length).toBeGreaterThan(0);
  });
});

describe('broken snapshots exit 2 with one line naming the file', () => {
  const audit = () => run(['audit', '--snapshot', dir, '--format', 'json']);

  it('a missing directory', async () => {
    rmSync(dir, { recursive: true, force: true });
    const { code, stderr, stdout } = await audit();
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('clusters.json');
    expect(stdout.text).toBe('');
  });

  it('a file that is not JSON', async () => {
    writeFileSync(join(dir, 'clusters.json'), '[{"id": ');
    writeFileSync(join(dir, 'role-assignments.json'), '[]');
    const { code, stderr } = await audit();
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('clusters.json');
    expect(stderr.text).not.toMatch(/\n\s+at /);
  });

  it('an entry without an id', async () => {
    writeFileSync(
      join(dir, 'clusters.json'),
      JSON.stringify([{ name: 'aks-no-id', resourceGroup: 'rg' }]),
    );
    writeFileSync(join(dir, 'role-assignments.json'), '[]');
    const { code, stderr } = await audit();
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toMatch(/clusters\.json/);
    expect(stderr.lines[0]).toMatch(/\b0\b|\[0\]/);
  });

  it('a broken role assignments file', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'clusters.json'), '[]');
    writeFileSync(join(dir, 'role-assignments.json'), '{not json');
    const { code, stderr } = await audit();
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('role-assignments.json');
  });
});
