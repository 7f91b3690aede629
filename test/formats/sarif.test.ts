import {
  buildSarif,
  EVALUATION_ERROR_RULE_ID,
  fingerprint,
  formatSarif,
  sarifLevel,
  SECURITY_SEVERITY,
} from '../../src/cli/formats/sarif';
import { CATALOGUE, sampleReport } from './fixtures';

type Json = Record<string, any>;

const options = { catalogue: CATALOGUE, toolVersion: '0.1.0' };
const run = (sarif: Json) => sarif.runs[0];

describe('sarif format', () => {
  it('has the SARIF 2.1.0 envelope GitHub requires', () => {
    const sarif = JSON.parse(formatSarif(sampleReport(), options));
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
    expect(run(sarif).tool.driver.name).toBe('AKS Identity Auditor');
    expect(run(sarif).tool.driver.semanticVersion).toBe('0.1.0');
    expect(Array.isArray(run(sarif).results)).toBe(true);
  });

  it('has one rule per catalogue check, in catalogue order, plus the evaluation-error rule', () => {
    const rules = run(buildSarif(sampleReport(), options)).tool.driver.rules as Json[];
    expect(rules.map((r) => r.id)).toEqual([
      ...CATALOGUE.map((c) => c.id),
      EVALUATION_ERROR_RULE_ID,
    ]);
  });

  it('gives every rule the properties GitHub requires and shows', () => {
    for (const rule of run(buildSarif(sampleReport(), options)).tool.driver.rules as Json[]) {
      expect(rule.shortDescription.text).toBeTruthy();
      expect(rule.fullDescription.text).toBeTruthy();
      expect(rule.help.text).toBeTruthy();
      expect(rule.help.markdown).toBeTruthy();
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    }
  });

  it('puts rationale and remediation in the rule help', () => {
    const rule = (run(buildSarif(sampleReport(), options)).tool.driver.rules as Json[])[0];
    expect(rule.help.text).toContain(CATALOGUE[0].rationale);
    expect(rule.help.text).toContain(CATALOGUE[0].remediation);
    expect(rule.help.text).toContain(CATALOGUE[0].references[0]);
    expect(rule.helpUri).toBe(CATALOGUE[0].references[0]);
  });

  it.each([
    ['critical', '9.5', 'error'],
    ['high', '8.0', 'error'],
    ['medium', '5.5', 'warning'],
    ['low', '3.0', 'note'],
    ['info', '1.0', 'note'],
  ] as const)('maps %s to security-severity %s and level %s', (severity, score, level) => {
    expect(SECURITY_SEVERITY[severity]).toBe(score);
    expect(sarifLevel(severity)).toBe(level);
  });

  it('tags check rules as security rules with their security-severity', () => {
    const rules = run(buildSarif(sampleReport(), options)).tool.driver.rules as Json[];
    const admin = rules.find((r) => r.id === 'admin-credential-access') as Json;
    expect(admin.properties['security-severity']).toBe('9.5');
    expect(admin.properties.tags).toContain('security');
    const evaluation = rules.find((r) => r.id === EVALUATION_ERROR_RULE_ID) as Json;
    expect(evaluation.properties['security-severity']).toBeUndefined();
  });

  it('has one result per failing finding and one note per error finding', () => {
    const results = run(buildSarif(sampleReport(), options)).results as Json[];
    expect(results.filter((r) => r.ruleId !== EVALUATION_ERROR_RULE_ID)).toHaveLength(3);
    const errors = results.filter((r) => r.ruleId === EVALUATION_ERROR_RULE_ID);
    expect(errors).toHaveLength(1);
    expect(errors[0].level).toBe('note');
    expect(errors[0].properties.checkId).toBe('control-plane-identity-least-privilege');
  });

  it('points ruleIndex at the result rule', () => {
    const sarif = buildSarif(sampleReport(), options);
    const rules = run(sarif).tool.driver.rules as Json[];
    for (const result of run(sarif).results as Json[])
      expect(rules[result.ruleIndex].id).toBe(result.ruleId);
  });

  it('gives every result a message, a physical location with a region, and a logical location', () => {
    for (const result of run(buildSarif(sampleReport(), options)).results as Json[]) {
      expect(result.message.text).toBeTruthy();
      expect(result.locations).toHaveLength(1);
      const physical = result.locations[0].physicalLocation;
      expect(physical.artifactLocation.uri).toMatch(/^subscriptions\//);
      expect(physical.region.startLine).toBeGreaterThanOrEqual(1);
      expect(result.locations[0].logicalLocations[0].fullyQualifiedName).toMatch(
        /^\/subscriptions\//,
      );
    }
  });

  it('uses the artifact the caller locates, with its line', () => {
    const sarif = buildSarif(sampleReport(), {
      ...options,
      locate: () => ({ uri: 'samples/estate/clusters.json', line: 42 }),
    });
    const physical = (run(sarif).results as Json[])[0].locations[0].physicalLocation;
    expect(physical.artifactLocation.uri).toBe('samples/estate/clusters.json');
    expect(physical.region.startLine).toBe(42);
  });

  it('sets a result level from the finding severity', () => {
    const results = run(buildSarif(sampleReport(), options)).results as Json[];
    expect(results.find((r) => r.ruleId === 'admin-credential-access')?.level).toBe('error');
    expect(results.find((r) => r.ruleId === 'defender-enabled')?.level).toBe('note');
  });

  it('names the principals in the message of an access result', () => {
    const result = (run(buildSarif(sampleReport(), options)).results as Json[]).find(
      (r) => r.ruleId === 'admin-credential-access',
    ) as Json;
    expect(result.message.text).toContain('Dave Jones (dave@contoso.example) · Contributor at');
    expect(result.message.text).toContain('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
    expect(result.properties.principalIds).toEqual(['aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee']);
  });

  it('produces the same fingerprints on two runs', () => {
    const first = (run(buildSarif(sampleReport(), options)).results as Json[]).map(
      (r) => r.partialFingerprints.primaryLocationLineHash,
    );
    const later = sampleReport();
    later.generatedAt = '2026-12-01T02:00:00.000Z';
    later.clusters.reverse();
    const second = (run(buildSarif(later, options)).results as Json[]).map(
      (r) => r.partialFingerprints.primaryLocationLineHash,
    );
    expect(new Set(second)).toEqual(new Set(first));
  });

  it('keeps every fingerprint when the holders of an access finding change (the alert in code scanning stays one alert)', () => {
    const hashes = (report: ReturnType<typeof sampleReport>) =>
      (run(buildSarif(report, options)).results as Json[])
        .map((r) => `${r.ruleId} ${r.partialFingerprints.primaryLocationLineHash}`)
        .sort();
    const before = sampleReport();
    const after = sampleReport();
    const access = after.clusters
      .flatMap((c) => c.findings)
      .find((f) => f.checkId === 'admin-credential-access' && f.status === 'fail')!;
    const [holder] = access.principals!;
    // Another principal gains the access, the first one's role and scope change, and the detail is reworded.
    access.principals = [
      {
        ...holder,
        roleName: 'Owner',
        scope: `${holder.scope}/providers/x`,
        displayName: 'Dave J.',
      },
      {
        ...holder,
        principalId: '11111111-2222-3333-4444-555555555555',
        displayName: 'Erin Example',
        userPrincipalName: 'erin@contoso.example',
      },
    ];
    access.detail =
      'Local accounts are enabled and 2 principals can fetch the cluster-admin credential';
    const resultOf = (report: ReturnType<typeof sampleReport>) =>
      (run(buildSarif(report, options)).results as Json[]).find(
        (r) => r.ruleId === 'admin-credential-access',
      ) as Json;
    // The result itself changed (it names the new holder) …
    expect(resultOf(after).message.text).toContain('Erin Example');
    expect(resultOf(before).message.text).not.toContain('Erin Example');
    // … but no fingerprint did.
    expect(hashes(after)).toEqual(hashes(before));
  });

  it('gives distinct results distinct fingerprints', () => {
    const prints = (run(buildSarif(sampleReport(), options)).results as Json[]).map(
      (r) => r.partialFingerprints.primaryLocationLineHash,
    );
    expect(new Set(prints).size).toBe(prints.length);
  });

  it('fingerprints ignore the case of the cluster id', () => {
    expect(fingerprint('/subscriptions/A/resourceGroups/RG', 'x')).toBe(
      fingerprint('/subscriptions/a/resourcegroups/rg', 'x'),
    );
    expect(fingerprint('/a', 'x')).not.toBe(fingerprint('/a', 'y'));
  });

  it('adds a rule for a check the catalogue does not know', () => {
    const report = sampleReport();
    report.clusters[0].findings.push({
      checkId: 'new-check',
      status: 'fail',
      severity: 'high',
      title: 'New',
      detail: 'd',
      remediation: 'r',
    });
    const sarif = buildSarif(report, options);
    const rules = run(sarif).tool.driver.rules as Json[];
    expect(rules.map((r) => r.id)).toContain('new-check');
    const result = (run(sarif).results as Json[]).find((r) => r.ruleId === 'new-check') as Json;
    expect(rules[result.ruleIndex].id).toBe('new-check');
  });

  it('adds the information URI only when given', () => {
    expect(run(buildSarif(sampleReport(), options)).tool.driver.informationUri).toBeUndefined();
    expect(
      run(buildSarif(sampleReport(), { ...options, informationUri: 'https://example.org' })).tool
        .driver.informationUri,
    ).toBe('https://example.org');
  });

  it('has no results for an estate without failures', () => {
    const report = sampleReport();
    report.clusters = [report.clusters[1]];
    expect(run(buildSarif(report, options)).results).toEqual([]);
  });
});
