/** The pure exemption model: validation, matching at every scope, effect, expiry. */
import { InputError } from '../../src/core/errors';
import {
  applyExemptions,
  estateAncestry,
  exemptionCoverage,
  exemptionCovers,
  exemptionState,
  expiredExemptionFindings,
  expiringSoon,
  principalExempted,
  scopeKind,
  validateExemption,
  type Exemption,
} from '../../src/core/exemptions';
import type { ClusterPosture, Finding, PrincipalAccess } from '../../src/core/model';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const SUB = '00000000-0000-4000-a000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
const CLUSTER = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const MG = '/providers/Microsoft.Management/managementGroups/mg-platform';
const BREAKGLASS = '11111111-1111-4111-8111-111111111111';
const DAVE = '22222222-2222-4222-8222-222222222222';
const CHECK_IDS = [
  'cluster-admin-paths',
  'local-accounts-disabled',
  'privileged-access-via-groups',
];
const ctx = { now: NOW, checkIds: CHECK_IDS };

function valid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'breakglass-owner',
    checkId: 'cluster-admin-paths',
    scope: RG,
    principalIds: [BREAKGLASS],
    reason: 'Break-glass account, reviewed quarterly',
    owner: 'platform-team@contoso.example',
    ticket: 'SEC-1234',
    expiresOn: '2027-03-31T00:00:00Z',
    ...overrides,
  };
}

function exemption(overrides: Partial<Exemption> = {}): Exemption {
  return validateExemption(valid(), ctx) && { ...validateExemption(valid(), ctx), ...overrides };
}

function refused(input: unknown, field: string, context = ctx): string {
  try {
    validateExemption(input, context, 'entry 1');
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain(field);
    return message;
  }
  throw new Error(`expected ${field} to be refused`);
}

describe('validateExemption', () => {
  it('accepts the documented example and normalises times and principal ids', () => {
    const e = validateExemption(
      valid({ principalIds: [BREAKGLASS.toUpperCase()], expiresOn: '2027-03-31' }),
      ctx,
    );
    expect(e).toEqual({
      id: 'breakglass-owner',
      checkId: 'cluster-admin-paths',
      scope: RG,
      principalIds: [BREAKGLASS],
      reason: 'Break-glass account, reviewed quarterly',
      owner: 'platform-team@contoso.example',
      ticket: 'SEC-1234',
      expiresOn: '2027-03-31T00:00:00.000Z',
    });
  });

  it.each([
    ['id', { id: 'has space' }, 'id must be'],
    ['id', { id: '' }, 'id is required'],
    ['checkId', { checkId: 'no-such-check' }, 'is not a check id'],
    ['scope', { scope: 'rg-prod' }, 'must be an Azure resource id'],
    ['scope', { scope: '/subscriptions/not-a-guid' }, 'must be an Azure resource id'],
    [
      'scope',
      { scope: `${RG}/providers/Microsoft.Storage/storageAccounts/x` },
      'must be an Azure resource id',
    ],
    ['reason', { reason: undefined }, 'reason is required'],
    ['reason', { reason: '  padded ' }, 'leading or trailing'],
    ['owner', { owner: undefined }, 'owner is required'],
    ['owner', { owner: 'platform team' }, 'mail address'],
    ['expiresOn', { expiresOn: undefined }, 'expiresOn is required'],
    ['expiresOn', { expiresOn: 'next March' }, 'not an ISO date'],
    ['expiresOn', { expiresOn: '2026-11-26T11:59:59Z' }, 'in the past'],
    ['expiresOn', { expiresOn: '2027-11-27T12:00:01Z' }, 'more than 365 days'],
    ['principalIds', { principalIds: [] }, 'non-empty list'],
    ['principalIds', { principalIds: ['dave'] }, 'not an object id'],
    ['expires', { expires: '2027-01-01' }, 'is not a field'],
  ])(
    'refuses a bad %s with one message naming the entry and the field',
    (field, overrides, problem) => {
      const message = refused(valid(overrides), field);
      expect(message).toContain(problem);
      expect(message.startsWith('entry 1 "')).toBe(
        typeof (overrides as { id?: string }).id !== 'string' ||
          !!(overrides as { id?: string }).id,
      );
      expect(message.split('\n')).toHaveLength(1);
    },
  );

  it('accepts exactly 365 days ahead and refuses a non-object', () => {
    expect(validateExemption(valid({ expiresOn: '2027-11-26T12:00:00Z' }), ctx).expiresOn).toBe(
      '2027-11-26T12:00:00.000Z',
    );
    expect(() => validateExemption([], ctx)).toThrow(/must be an object/);
  });

  it('accepts a past expiry only when asked to (re-import of an exported, expired entry)', () => {
    const past = valid({ expiresOn: '2026-10-01T00:00:00Z', createdAt: '2026-09-01T00:00:00Z' });
    refused(past, 'expiresOn');
    expect(validateExemption(past, { ...ctx, allowPastExpiry: true }).expiresOn).toBe(
      '2026-10-01T00:00:00.000Z',
    );
  });

  it('measures the 365 days from createdAt when given', () => {
    refused(
      valid({ createdAt: '2026-01-01T00:00:00Z', expiresOn: '2027-01-02T00:00:01Z' }),
      'expiresOn',
    );
  });
});

describe('scopes', () => {
  it.each([
    [CLUSTER, 'cluster'],
    [RG, 'resourceGroup'],
    [`/subscriptions/${SUB}`, 'subscription'],
    [MG, 'managementGroup'],
    [`${CLUSTER.toLowerCase()}/`, 'cluster'],
    ['/', undefined],
    ['', undefined],
  ])('%s is a %s scope', (scope, kind) => expect(scopeKind(scope)).toBe(kind));

  it.each([
    [CLUSTER, true],
    [CLUSTER.toLowerCase().replace('resourcegroups', 'resourceGroups'), true],
    [RG, true],
    [`${RG}/`, true],
    [`/subscriptions/${SUB}/resourceGroups/rg-prod2`, false],
    [`/subscriptions/${SUB}/resourceGroups/rg`, false],
    [`/subscriptions/${SUB}`, true],
    ['/subscriptions/00000000-0000-4000-a000-000000000002', false],
    [`${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod2`, false],
  ])('%s covers the cluster: %s (whole segments, any case)', (scope, covers) => {
    expect(exemptionCovers({ scope }, CLUSTER)).toBe(covers);
  });

  it('a management group covers every cluster without ancestry (snapshot) and only its subscriptions with it (live)', () => {
    expect(exemptionCovers({ scope: MG }, CLUSTER)).toBe(true);
    const ancestry = (sub: string) =>
      sub === SUB
        ? [
            '/providers/Microsoft.Management/managementGroups/MG-Platform',
            '/providers/Microsoft.Management/managementGroups/root',
          ]
        : [];
    expect(exemptionCovers({ scope: MG }, CLUSTER, ancestry)).toBe(true);
    expect(
      exemptionCovers(
        { scope: MG },
        CLUSTER.replace(SUB, '00000000-0000-4000-a000-000000000002'),
        ancestry,
      ),
    ).toBe(false);
    expect(exemptionCovers({ scope: MG }, CLUSTER, () => undefined)).toBe(true);
  });
});

describe('management-group coverage through the subscription ancestry', () => {
  const OTHER_SUB = '00000000-0000-4000-a000-000000000002';
  const ROOT = '00000000-0000-4000-8000-00000000aaaa';
  const ancestry = estateAncestry({
    [SUB]: ['mg-platform-prod', 'mg-platform', ROOT],
    [OTHER_SUB]: [ROOT],
    // An empty chain says nothing: every subscription sits under the tenant root group.
    '00000000-0000-4000-a000-000000000003': [],
  });
  const clusterIn = (sub: string) => CLUSTER.replace(SUB, sub);

  it.each([
    [MG, SUB, 'covers'],
    ['/providers/Microsoft.Management/managementGroups/MG-PLATFORM-PROD/', SUB, 'covers'],
    [`/providers/Microsoft.Management/managementGroups/${ROOT}`, OTHER_SUB, 'covers'],
    [MG, OTHER_SUB, 'no'],
    ['/providers/Microsoft.Management/managementGroups/mg-platform-pro', SUB, 'no'],
    [MG, '00000000-0000-4000-a000-000000000003', 'assumed'],
    [MG, '00000000-0000-4000-a000-000000000004', 'assumed'],
    [`/subscriptions/${SUB}`, SUB, 'covers'],
    [`/subscriptions/${SUB}`, OTHER_SUB, 'no'],
  ] as const)('%s over a cluster of %s: %s', (scope, sub, coverage) => {
    expect(exemptionCoverage({ scope }, clusterIn(sub), ancestry)).toBe(coverage);
    expect(exemptionCovers({ scope }, clusterIn(sub), ancestry)).toBe(coverage !== 'no');
  });

  it('without ancestry (a snapshot) a management group is assumed to cover every cluster; other scopes never are', () => {
    expect(estateAncestry(undefined)).toBeUndefined();
    expect(exemptionCoverage({ scope: MG }, CLUSTER)).toBe('assumed');
    expect(exemptionCoverage({ scope: RG }, CLUSTER)).toBe('covers');
    expect(exemptionCoverage({ scope: `${RG}2` }, CLUSTER)).toBe('no');
  });

  it('the ancestry is looked up by subscription id whatever its case', () => {
    expect(ancestry!(SUB.toUpperCase())).toEqual(['mg-platform-prod', 'mg-platform', ROOT]);
  });

  it('applyExemptions marks an exemption applied on assumed coverage, and only that one', () => {
    const assumed = exemption({
      id: 'mg-wide',
      checkId: 'local-accounts-disabled',
      scope: MG,
      principalIds: undefined,
    });
    const verified = exemption({
      id: 'rg-wide',
      checkId: 'local-accounts-disabled',
      scope: RG,
      principalIds: undefined,
    });
    const unknown = applyExemptions(
      posture([finding('local-accounts-disabled', 'fail')]),
      [assumed, verified],
      NOW,
    ).findings[0];
    expect(unknown.exemptions!.map((e) => [e.id, e.managementGroupUnverified])).toEqual([
      ['mg-wide', true],
      ['rg-wide', undefined],
    ]);
    const known = applyExemptions(
      posture([finding('local-accounts-disabled', 'fail')]),
      [assumed],
      NOW,
      ancestry,
    ).findings[0];
    expect(known.exempted).toBe(true);
    expect(known.exemptions![0].managementGroupUnverified).toBeUndefined();
    const outside = applyExemptions(
      posture([finding('local-accounts-disabled', 'fail')]),
      [assumed],
      NOW,
      estateAncestry({ [SUB]: [ROOT] }),
    );
    expect(outside.findings[0].exempted).toBeFalsy();
    expect(outside.status).toBe('fail');
  });
});

describe('state and expiry', () => {
  it('is active until the expiry instant, expired from it, revoked whatever the date', () => {
    const e = exemption({ expiresOn: '2026-11-26T12:00:00.001Z' });
    expect(exemptionState(e, NOW)).toBe('active');
    expect(exemptionState(e, new Date('2026-11-26T12:00:00.001Z'))).toBe('expired');
    expect(exemptionState({ ...e, revokedAt: NOW.toISOString() }, NOW)).toBe('revoked');
  });

  it('lists active exemptions expiring within 14 days, soonest first', () => {
    const soon = exemption({ id: 'soon', expiresOn: '2026-12-10T12:00:00.000Z' });
    const sooner = exemption({ id: 'sooner', expiresOn: '2026-11-30T00:00:00.000Z' });
    const later = exemption({ id: 'later', expiresOn: '2026-12-10T12:00:00.001Z' });
    const revoked = exemption({
      id: 'revoked',
      expiresOn: '2026-11-30T00:00:00.000Z',
      revokedAt: NOW.toISOString(),
    });
    const expired = exemption({ id: 'expired', expiresOn: '2026-11-01T00:00:00.000Z' });
    expect(expiringSoon([soon, later, revoked, expired, sooner], NOW).map((e) => e.id)).toEqual([
      'sooner',
      'soon',
    ]);
  });
});

function principal(id: string, extra: Partial<PrincipalAccess> = {}): PrincipalAccess {
  return {
    principalId: id,
    principalType: 'User',
    roleName: 'Owner',
    roleDefinitionId: 'r',
    scope: RG,
    capabilities: ['cluster-write'],
    ...extra,
  };
}

function finding(
  checkId: string,
  status: Finding['status'],
  principals?: PrincipalAccess[],
  severity: Finding['severity'] = 'high',
): Finding {
  return {
    checkId,
    status,
    severity,
    title: checkId,
    detail: '',
    remediation: '',
    ...(principals ? { principals } : {}),
  };
}

function posture(findings: Finding[]): ClusterPosture {
  return {
    id: CLUSTER,
    name: 'aks-prod',
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    status: 'fail',
    score: 0,
    findings,
    privilegedPrincipals: [],
    evaluatedAt: NOW.toISOString(),
  };
}

describe('applyExemptions', () => {
  const paths = () =>
    finding('cluster-admin-paths', 'fail', [
      principal(BREAKGLASS),
      principal('group', { principalType: 'Group', approved: true }),
    ]);

  it('a finding whose every failing principal is exempted stops counting; its own status stays fail', () => {
    const result = applyExemptions(
      posture([paths(), finding('local-accounts-disabled', 'pass')]),
      [exemption()],
      NOW,
    );
    const f = result.findings[0];
    expect(f.status).toBe('fail');
    expect(f.exempted).toBe(true);
    expect(f.exemptions).toEqual([
      {
        id: 'breakglass-owner',
        reason: 'Break-glass account, reviewed quarterly',
        owner: 'platform-team@contoso.example',
        ticket: 'SEC-1234',
        expiresOn: '2027-03-31T00:00:00.000Z',
        principalIds: [BREAKGLASS],
      },
    ]);
    expect(f.principals!.map((p) => [p.principalId, p.exempted === true])).toEqual([
      [BREAKGLASS, true],
      ['group', false],
    ]);
    expect(result.status).toBe('pass');
    expect(result.score).toBe(100);
  });

  it('a partial exemption leaves the finding counting while another failing principal is not exempted', () => {
    const f = finding('cluster-admin-paths', 'fail', [principal(BREAKGLASS), principal(DAVE)]);
    const result = applyExemptions(posture([f]), [exemption()], NOW);
    expect(result.findings[0].exempted).toBe(false);
    expect(result.findings[0].principals!.map((p) => p.exempted === true)).toEqual([true, false]);
    expect(result.status).toBe('fail');
    expect(result.score).toBe(80);
  });

  it('an exemption without principals exempts the whole finding, with or without principals', () => {
    const e = exemption({ checkId: 'local-accounts-disabled', principalIds: undefined });
    const result = applyExemptions(posture([finding('local-accounts-disabled', 'fail')]), [e], NOW);
    expect(result.findings[0].exempted).toBe(true);
    expect(result.status).toBe('pass');
  });

  it('never hides an error, and lists (without exempting) a passing finding', () => {
    const e = exemption({ checkId: 'local-accounts-disabled', principalIds: undefined });
    const error = applyExemptions(posture([finding('local-accounts-disabled', 'error')]), [e], NOW);
    expect(error.findings[0].exempted).toBe(false);
    expect(error.status).toBe('error');
    const pass = applyExemptions(posture([finding('local-accounts-disabled', 'pass')]), [e], NOW);
    expect(pass.findings[0].exemptions).toHaveLength(1);
    expect(pass.findings[0].exempted).toBe(false);
  });

  it('ignores expired, revoked, other-check and other-scope exemptions', () => {
    const ignored = [
      exemption({ expiresOn: NOW.toISOString() }),
      exemption({ revokedAt: '2026-11-20T00:00:00.000Z' }),
      exemption({ checkId: 'local-accounts-disabled' }),
      exemption({ scope: `/subscriptions/${SUB}/resourceGroups/rg-other` }),
    ];
    const before = posture([paths()]);
    expect(applyExemptions(before, ignored, NOW)).toEqual(before);
  });

  it('tells which principals are exempted, cluster-admin-paths exemptions counting for privilege gains', () => {
    const result = applyExemptions(
      posture([paths(), finding('admin-credential-access', 'pass', [principal(BREAKGLASS)])]),
      [exemption()],
      NOW,
    );
    expect(principalExempted(result, 'admin-credential-access', BREAKGLASS)).toBe(true);
    expect(principalExempted(result, 'admin-credential-access', DAVE)).toBe(false);
  });
});

describe('expiredExemptionFindings', () => {
  it('reports a finding that was exempted, still fails, and whose exemption has expired — once', () => {
    const e = exemption({ expiresOn: '2026-11-26T12:00:00.000Z' });
    const before = applyExemptions(posture([paths()]), [e], new Date('2026-11-26T11:00:00.000Z'));
    expect(before.findings[0].exempted).toBe(true);
    const after = applyExemptions(posture([paths()]), [e], NOW);
    expect(after.findings[0].exempted).toBeUndefined();
    const lapsed = expiredExemptionFindings(before, after, NOW);
    expect(lapsed.map((l) => [l.finding.checkId, l.exemption.id])).toEqual([
      ['cluster-admin-paths', 'breakglass-owner'],
    ]);
    expect(expiredExemptionFindings(after, after, NOW)).toEqual([]);
  });

  it('reports nothing when the finding passes by then, was not exempted, or the exemption was revoked (not expired)', () => {
    const e = exemption();
    const before = applyExemptions(posture([paths()]), [e], NOW);
    expect(
      expiredExemptionFindings(
        before,
        posture([finding('cluster-admin-paths', 'pass')]),
        new Date('2027-04-01T00:00:00Z'),
      ),
    ).toEqual([]);
    expect(expiredExemptionFindings(posture([paths()]), posture([paths()]), NOW)).toEqual([]);
    expect(expiredExemptionFindings(before, posture([paths()]), NOW)).toEqual([]);
  });

  function paths() {
    return finding('cluster-admin-paths', 'fail', [principal(BREAKGLASS)]);
  }
});
