/**
 * The nightly accepted-risk digest, pure: which findings and exemptions it lists, in which
 * order, the 14-day boundary, and how the alert renderers keep its lines apart.
 */
import { acceptedRiskDigest, exemptedFindings } from '../../src/core/acceptedRisk';
import { renderAdaptiveCard, renderHtml, renderText } from '../../src/core/alertRendering';
import type { Exemption } from '../../src/core/exemptions';
import type { ClusterPosture, ExemptionRef, Finding } from '../../src/core/model';
import { finding as reportFinding } from '../formats/fixtures';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const DAY = 24 * 3600 * 1000;
const SUB = '00000000-0000-4000-a000-000000000001';
const BREAKGLASS = '11111111-1111-4111-8111-111111111111';

const inDays = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

function exemption(id: string, expiresInDays: number, extra: Partial<Exemption> = {}): Exemption {
  return {
    id,
    checkId: 'defender-enabled',
    scope: `/subscriptions/${SUB}`,
    reason: `reason of ${id}`,
    owner: 'platform@contoso.example',
    expiresOn: inDays(expiresInDays),
    ...extra,
  };
}

const ref = (e: Exemption): ExemptionRef => ({
  id: e.id,
  reason: e.reason,
  owner: e.owner,
  expiresOn: e.expiresOn,
  ...(e.principalIds ? { principalIds: e.principalIds } : {}),
});

function finding(
  checkId: string,
  status: Finding['status'],
  severity: Finding['severity'],
  exemptions?: Exemption[],
  whole = true,
): Finding {
  return reportFinding(
    checkId,
    status,
    severity,
    exemptions ? { exemptions: exemptions.map(ref), exempted: whole } : {},
  );
}

function posture(name: string, findings: Finding[]): ClusterPosture {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/rg-${name}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    subscriptionId: SUB,
    resourceGroup: `rg-${name}`,
    status: 'fail',
    score: 50,
    findings,
    privilegedPrincipals: [],
    evaluatedAt: NOW.toISOString(),
  };
}

const soon = exemption('defender-soon', 3);
const later = exemption('breakglass-later', 100, {
  checkId: 'admin-credential-access',
  principalIds: [BREAKGLASS],
  ticket: 'SEC-9',
});

describe('exemptedFindings', () => {
  it('lists failing findings that carry an exemption, worst first, then by cluster and check', () => {
    const found = exemptedFindings([
      posture('aks-b', [
        finding('defender-enabled', 'fail', 'low', [soon]),
        finding('admin-credential-access', 'fail', 'critical', [later], false),
      ]),
      posture('aks-a', [
        finding('defender-enabled', 'fail', 'low', [soon]),
        // Passing, or not exempted: not accepted risk.
        finding('local-accounts-disabled', 'pass', 'high', [soon]),
        finding('kubelet-identity-least-privilege', 'fail', 'high'),
        finding('custom-role-wildcards', 'error', 'medium', [soon]),
      ]),
    ]);
    expect(found.map((x) => `${x.cluster.name} ${x.finding.checkId}`)).toEqual([
      'aks-b admin-credential-access',
      'aks-a defender-enabled',
      'aks-b defender-enabled',
    ]);
  });

  it('is empty without postures or exemptions', () => {
    expect(exemptedFindings([])).toEqual([]);
    expect(exemptedFindings([posture('aks-a', [finding('x', 'fail', 'low')])])).toEqual([]);
  });
});

describe('acceptedRiskDigest', () => {
  const postures = [
    posture('aks-a', [finding('defender-enabled', 'fail', 'low', [soon])]),
    posture('aks-b', [
      finding('defender-enabled', 'fail', 'low', [soon]),
      finding('admin-credential-access', 'fail', 'critical', [later], false),
    ]),
  ];

  it('sends nothing while no exemption is active', () => {
    expect(acceptedRiskDigest([], [], NOW)).toBeUndefined();
    expect(
      acceptedRiskDigest(
        [exemption('gone', -1), exemption('revoked', 30, { revokedAt: NOW.toISOString() })],
        [],
        NOW,
      ),
    ).toBeUndefined();
  });

  it('counts exempted findings, their clusters and the exemptions expiring within 14 days', () => {
    const digest = acceptedRiskDigest([soon, later], exemptedFindings(postures), NOW)!;
    expect(digest).toMatchObject({
      kind: 'accepted-risk',
      severity: 'info',
      dedupeKey: 'accepted-risk|2026-11-26',
      title: '3 exempted findings on 2 clusters, 1 exemption expiring within 14 days',
      before:
        '2 active exemptions: the findings below fail and are accepted as risk until their exemption ends.',
    });
    expect(digest.remediation).toContain('exemptions list --expiring-within 14');
  });

  it('lists the expiring exemptions first, with the clusters they exempt, then every exempted finding', () => {
    const lines = acceptedRiskDigest([later, soon], exemptedFindings(postures), NOW)!.after.split(
      '\n',
    );
    expect(lines).toEqual([
      'Expiring within 14 days (their findings count and page again after):',
      `- defender-soon: defender-enabled at /subscriptions/${SUB}, owner platform@contoso.example, expires ${soon.expiresOn} (in 3 days); exempts it on aks-a, aks-b — reason of defender-soon`,
      'Exempted findings (failing, accepted as risk):',
      `- [critical] aks-b (rg-aks-b): admin-credential-access, partly exempted by breakglass-later until ${later.expiresOn.slice(0, 10)} for ${BREAKGLASS}`,
      `- [low] aks-a (rg-aks-a): defender-enabled, exempted by defender-soon until ${soon.expiresOn.slice(0, 10)} (expiring soon)`,
      `- [low] aks-b (rg-aks-b): defender-enabled, exempted by defender-soon until ${soon.expiresOn.slice(0, 10)} (expiring soon)`,
    ]);
  });

  it.each([
    [14, true],
    [14 + 1 / 1440, false],
    [0.01, true],
  ])('an exemption expiring in %d days is in the expiring list: %s', (days, listed) => {
    const e = exemption('edge', days);
    const digest = acceptedRiskDigest([e], [], NOW)!;
    expect(digest.after.includes('- edge:')).toBe(listed);
    expect(digest.title).toContain(`${listed ? 1 : 0} exemption`);
  });

  it('names an expiring exemption that matches no failing finding now, and says when nothing is exempted', () => {
    const digest = acceptedRiskDigest([soon], [], NOW)!;
    expect(digest.after).toContain('no failing finding matches it now');
    expect(digest.after).toContain('No failing finding is exempted now.');
    expect(digest.title).toBe(
      '0 exempted findings on 0 clusters, 1 exemption expiring within 14 days',
    );
  });

  it('says "within a day" on the last day, and shows the ticket', () => {
    const digest = acceptedRiskDigest([exemption('last', 0.5, { ticket: 'SEC-1' })], [], NOW)!;
    expect(digest.after).toContain('ticket SEC-1');
    expect(digest.after).toContain('(within a day)');
  });
});

describe('rendering the accepted-risk digest', () => {
  const digest = acceptedRiskDigest(
    [soon, later],
    exemptedFindings([posture('aks-a', [finding('defender-enabled', 'fail', 'low', [soon])])]),
    NOW,
  )!;

  it('keeps one entry per line in the text, indented under its label', () => {
    const text = renderText([digest]);
    expect(text).toMatch(
      /\nNow: +Expiring within 14 days \(their findings count and page again after\):\n {6,}- defender-soon: /,
    );
    expect(text).toMatch(
      /\n {6,}- \[low\] aks-a \(rg-aks-a\): defender-enabled, exempted by defender-soon/,
    );
  });

  it('breaks the lines in HTML and the card, escaping each', () => {
    const hostile = acceptedRiskDigest(
      [exemption('x', 3, { reason: '<b>bold</b>\u0007' })],
      [],
      NOW,
    )!;
    const html = renderHtml([hostile]);
    expect(html).toContain(
      'Expiring within 14 days (their findings count and page again after):<br>- x: ',
    );
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('\u0007');
    const texts = JSON.stringify(renderAdaptiveCard([digest]));
    expect(texts).toContain('"text":"- [low] aks-a (rg-aks-a): defender-enabled');
  });

  it('keeps the one-line rule for every other alert', () => {
    const other = { ...digest, kind: 'check-failed' as const };
    expect(renderText([other])).toMatch(/\nNow: +Expiring within 14 days .*: - defender-soon: /);
  });
});
