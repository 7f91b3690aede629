import { formatJson } from '../../src/cli/formats/json';
import { formatCatalogueJson } from '../../src/cli/formats/catalogue';
import { CATALOGUE, reportWithGroupMembers, sampleReport } from './fixtures';

describe('json format', () => {
  it('is the report with 2-space indentation and a final newline', () => {
    const text = formatJson(sampleReport());
    expect(text.startsWith('{\n  "schemaVersion": 1,')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('has the top-level keys in contract order', () => {
    expect(Object.keys(JSON.parse(formatJson(sampleReport())))).toEqual([
      'schemaVersion',
      'generatedAt',
      'source',
      'summary',
      'clusters',
      'failures',
    ]);
  });

  it('adds alerts last when present', () => {
    const report = sampleReport();
    report.alerts = [
      { dedupeKey: 'k', severity: 'high', channels: { teams: 'sent', email: 'failed' } },
    ];
    const parsed = JSON.parse(formatJson(report));
    expect(Object.keys(parsed)).toEqual([
      'schemaVersion',
      'generatedAt',
      'source',
      'summary',
      'clusters',
      'failures',
      'alerts',
    ]);
    expect(Object.keys(parsed.alerts[0].channels)).toEqual(['email', 'teams']);
  });

  it('orders summary, cluster, finding and principal keys stably whatever the input order', () => {
    const report = sampleReport();
    const shuffled = JSON.parse(JSON.stringify(report), function (this: unknown, _key, value) {
      return value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value;
    });
    const parsed = JSON.parse(formatJson(shuffled));
    expect(Object.keys(parsed.summary)).toEqual(['clusters', 'failing', 'findingsBySeverity']);
    expect(Object.keys(parsed.summary.findingsBySeverity)).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'info',
    ]);
    expect(Object.keys(parsed.clusters[0]).slice(0, 7)).toEqual([
      'id',
      'name',
      'subscriptionId',
      'resourceGroup',
      'status',
      'score',
      'evaluatedAt',
    ]);
    expect(Object.keys(parsed.clusters[0].findings[1])).toEqual([
      'checkId',
      'status',
      'severity',
      'title',
      'detail',
      'remediation',
      'remediationBicep',
      'remediationTerraform',
      'principals',
    ]);
    expect(Object.keys(parsed.clusters[0].findings[1].principals[0])).toEqual([
      'principalId',
      'principalType',
      'displayName',
      'userPrincipalName',
      'roleName',
      'roleDefinitionId',
      'scope',
      'capabilities',
    ]);
    expect(formatJson(shuffled)).toBe(formatJson(report));
  });

  it('keeps every finding of every cluster', () => {
    const report = sampleReport();
    const parsed = JSON.parse(formatJson(report));
    for (const [i, c] of report.clusters.entries()) {
      expect(parsed.clusters[i].findings.map((f: { checkId: string }) => f.checkId)).toEqual(
        c.findings.map((f) => f.checkId),
      );
    }
  });

  it('writes the guest and disabled flags of a directly assigned user, and each group member', () => {
    const report = JSON.parse(formatJson(reportWithGroupMembers()));
    const [group, , user] = report.clusters[1].findings[0].principals;
    expect(user).toMatchObject({ principalId: 'u-3', guest: true, enabled: false });
    expect(group).not.toHaveProperty('guest');
    // Every member with both flags, as given.
    expect(group.members).toEqual(
      reportWithGroupMembers().clusters[1].findings[0].principals![0].members,
    );
    expect(group.members.users[1]).toMatchObject({ guest: false, enabled: false });
  });

  it('omits undefined members instead of writing null', () => {
    const text = formatJson(sampleReport());
    expect(text).not.toContain('null');
    expect(JSON.parse(text).clusters[1].findings[0]).not.toHaveProperty('principals');
  });

  it('writes regressions when present', () => {
    const report = sampleReport();
    report.clusters[0].regressions = [
      {
        kind: 'privilege-gained',
        checkId: 'admin-credential-access',
        principalId: 'p',
        before: 'none',
        after: 'admin-credential',
        severity: 'critical',
      },
    ];
    expect(Object.keys(JSON.parse(formatJson(report)).clusters[0].regressions[0])).toEqual([
      'kind',
      'checkId',
      'principalId',
      'before',
      'after',
      'severity',
    ]);
  });

  it('round-trips the data of the report (adding only the infrastructure-as-code forms of each fix)', () => {
    const report = sampleReport();
    const parsed = JSON.parse(formatJson(report));
    for (const cluster of parsed.clusters) {
      for (const finding of cluster.findings) {
        delete finding.remediationBicep;
        delete finding.remediationTerraform;
      }
    }
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
  });
});

describe('catalogue json', () => {
  it('lists every check with rationale, remediation and references', () => {
    const parsed = JSON.parse(formatCatalogueJson(CATALOGUE));
    expect(parsed.checks).toHaveLength(CATALOGUE.length);
    expect(Object.keys(parsed.checks[0])).toEqual([
      'id',
      'title',
      'severity',
      'category',
      'rationale',
      'failsWhen',
      'remediation',
      'bicep',
      'terraform',
      'references',
    ]);
  });
});
