/**
 * `audit --store` / `--notify` end to end through `main()`: the real embedded Azurite (data in
 * a temp AUDIT_DATA_DIR), the real snapshot reader on a copy of the sample estate, the README's
 * regression walk-through (samples/make-regression.js), and the console channel.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/core/model';
import { run } from './harness';

const repo = join(__dirname, '..', '..');
let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aia-cli-store-'));
  cpSync(join(repo, 'samples', 'estate'), join(dir, 'estate'), { recursive: true });
  env = { AUDIT_DATA_DIR: join(dir, 'data') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function audit(...flags: string[]): Promise<{ report: Report; stderr: string }> {
  const { code, stdout, stderr } = await run(
    ['audit', '--snapshot', join(dir, 'estate'), '--format', 'json', ...flags],
    { env },
  );
  expect(code).toBe(0);
  return { report: JSON.parse(stdout.text) as Report, stderr: stderr.text };
}

const payments = (report: Report) => report.clusters.find((c) => c.name === 'aks-payments-prod')!;

describe('audit --store and --notify', () => {
  it('walks through baseline, regression and quiet re-run as the README shows', async () => {
    const baseline = await audit('--store');
    expect(baseline.report.clusters).toHaveLength(7);
    for (const cluster of baseline.report.clusters) expect(cluster.regressions).toEqual([]);
    expect(baseline.report.alerts).toBeUndefined();

    execFileSync(process.execPath, [
      join(repo, 'samples', 'make-regression.js'),
      join(dir, 'estate'),
    ]);

    const after = await audit('--store', '--notify');
    const regressions = payments(after.report).regressions!;
    expect(regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'check-failed',
          checkId: 'local-accounts-disabled',
          before: 'pass',
          after: 'fail',
          severity: 'high',
        }),
        expect.objectContaining({
          kind: 'check-failed',
          checkId: 'admin-credential-access',
          severity: 'critical',
        }),
        expect.objectContaining({
          kind: 'privilege-gained',
          principalId: '00000000-0000-4000-b000-000000000004',
          severity: 'critical',
        }),
      ]),
    );
    // Only aks-payments-prod changed.
    for (const cluster of after.report.clusters.filter((c) => c.name !== 'aks-payments-prod'))
      expect(cluster.regressions).toEqual([]);
    // Alerts at or above the default minimum (high) were delivered on the console channel, once each.
    const alerts = after.report.alerts!;
    expect(alerts.length).toBeGreaterThanOrEqual(3);
    for (const alert of alerts) {
      expect(['critical', 'high']).toContain(alert.severity);
      expect(alert.channels.console).toBe('sent');
    }
    // The digest counts what it pages, as the JSON's `alerts` does; the medium regression below
    // ALERT_MIN_SEVERITY is in `regressions` but pages nobody. Dave's Contributor grant is also an
    // unapproved path to cluster-admin (cluster-write): cluster-admin-paths fails (high).
    expect(regressions.map((r) => [r.kind, r.checkId])).toEqual([
      ['check-failed', 'local-accounts-disabled'],
      ['check-failed', 'admin-credential-access'],
      ['check-failed', 'cluster-admin-paths'],
      ['check-failed', 'privileged-access-via-groups'],
      ['privilege-gained', 'admin-credential-access'],
    ]);
    expect(after.stderr).toContain(`AKS identity digest: ${alerts.length} alerts on 1 cluster`);
    expect(after.stderr).toContain('aks-payments-prod');
    expect(after.stderr).toContain(
      'az aks update -g rg-payments-prod -n aks-payments-prod --disable-local-accounts',
    );

    // Nothing changed since: no regression, and nothing is paged again.
    const quiet = await audit('--store', '--notify');
    for (const cluster of quiet.report.clusters) expect(cluster.regressions).toEqual([]);
    expect(quiet.report.alerts).toEqual([]);
  });

  it('without --store the report carries no regressions (read-only)', async () => {
    const { report } = await audit();
    for (const cluster of report.clusters) expect(cluster.regressions).toBeUndefined();
  });
});
