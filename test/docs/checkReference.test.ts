/**
 * docs/checks.md is generated from the check definitions (`npm run docs:checks`); these tests
 * fail when it is stale or when a check lacks what the reference and the JSON report show.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { checkCatalogue } from '../../src/cli/commands/checks';
import { formatCatalogueJson, formatCheckReference, formatJson } from '../../src/cli/formats';
import { CHECKS } from '../../src/core/checks';
import { CATALOGUE, SUB } from '../formats/fixtures';

const REFERENCE = join(__dirname, '..', '..', 'docs', 'checks.md');

describe('the generated check reference', () => {
  it('docs/checks.md is what the check definitions generate (run `npm run docs:checks` when this fails)', () => {
    expect(readFileSync(REFERENCE, 'utf8')).toBe(formatCheckReference(checkCatalogue()));
  });

  it('has one section and one summary row per check, in catalogue order', () => {
    const text = formatCheckReference(checkCatalogue());
    const sections = [...text.matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(CHECKS.map((check) => check.id));
    for (const check of CHECKS)
      expect(text).toContain(`| [\`${check.id}\`](#${check.id}) | ${check.severity} |`);
  });

  it('shows the az fix, and the Bicep and Terraform forms where a check has them', () => {
    const text = formatCheckReference(CATALOGUE);
    const local = text.slice(
      text.indexOf('## local-accounts-disabled'),
      text.indexOf('## admin-credential-access'),
    );
    expect(local).toContain(
      'az aks update -g <resource-group> -n <cluster-name> --disable-local-accounts',
    );
    expect(local).toContain(
      'Bicep (`Microsoft.ContainerService/managedClusters`): `properties.disableLocalAccounts: true`',
    );
    expect(local).toContain(
      'Terraform (`azurerm_kubernetes_cluster`): `local_account_disabled = true`',
    );
    const access = text.slice(text.indexOf('## admin-credential-access'));
    expect(access.split('## ')[1]).not.toContain('Terraform');
  });

  it('escapes table cells so a `|` in a condition cannot break the summary table', () => {
    const text = formatCheckReference([{ ...CATALOGUE[0], failsWhen: 'a | b' }]);
    expect(text).toContain('| a \\| b |');
  });
});

describe('check metadata people apply in their own tooling', () => {
  it.each(CHECKS.map((check) => [check.id, check] as const))(
    '%s says when it fails',
    (_id, check) => {
      expect(check.failsWhen.trim().length).toBeGreaterThan(10);
      expect(check.failsWhen.trim()).toMatch(/\.$/);
    },
  );

  it('every Bicep form names a property of the managed cluster resource and every Terraform form an argument', () => {
    const withIac = CHECKS.filter((check) => check.infrastructureAsCode);
    expect(withIac.length).toBeGreaterThanOrEqual(10);
    for (const check of withIac) {
      const { bicep, terraform } = check.infrastructureAsCode!;
      if (bicep) expect(bicep).toMatch(/^(properties\.[A-Za-z.]+|identity): /);
      if (terraform) expect(terraform).toMatch(/^[a-z_]+( = | \{ )/);
    }
  });

  it('the catalogue JSON carries failsWhen, bicep and terraform', () => {
    const json = JSON.parse(formatCatalogueJson(checkCatalogue())) as {
      checks: Record<string, unknown>[];
    };
    const local = json.checks.find((check) => check.id === 'local-accounts-disabled')!;
    expect(local).toMatchObject({
      failsWhen: '`disableLocalAccounts` is not `true`.',
      bicep: 'properties.disableLocalAccounts: true',
      terraform: 'local_account_disabled = true',
    });
    const groups = json.checks.find((check) => check.id === 'privileged-access-via-groups')!;
    expect(groups).not.toHaveProperty('bicep');
  });

  it('the JSON report shows every remediation form of a finding', () => {
    const report = {
      schemaVersion: 1 as const,
      generatedAt: '2026-11-22T02:00:00.000Z',
      source: 'snapshot' as const,
      summary: {
        clusters: 1,
        failing: 1,
        findingsBySeverity: { critical: 0, high: 1, medium: 0, low: 0, info: 0 },
      },
      clusters: [
        {
          id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks`,
          name: 'aks',
          subscriptionId: SUB,
          resourceGroup: 'rg',
          status: 'fail' as const,
          score: 80,
          findings: [
            {
              checkId: 'local-accounts-disabled',
              status: 'fail' as const,
              severity: 'high' as const,
              title: 't',
              detail: 'd',
              remediation: 'az aks update -g rg -n aks --disable-local-accounts',
            },
          ],
        },
      ],
    };
    const finding = (
      JSON.parse(formatJson(report as never)) as {
        clusters: { findings: Record<string, unknown>[] }[];
      }
    ).clusters[0].findings[0];
    expect(finding).toMatchObject({
      remediation: 'az aks update -g rg -n aks --disable-local-accounts',
      remediationBicep: 'properties.disableLocalAccounts: true',
      remediationTerraform: 'local_account_disabled = true',
    });
  });
});
