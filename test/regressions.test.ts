import type {
  Capability,
  ClusterPosture,
  Finding,
  FindingStatus,
  PrincipalAccess,
  Severity,
} from '../src/core/model';
import {
  accessComplete,
  diffPostures,
  formatCapabilities,
  parseCapabilities,
  postureChanged,
  privilegeCheckId,
  rememberPosture,
  worstFailingSeverity,
} from '../src/core/regressions';

const CLUSTER_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod';
const ALICE = '11111111-1111-1111-1111-111111111111';
const BOB = '22222222-2222-2222-2222-222222222222';

function finding(
  checkId: string,
  status: FindingStatus,
  severity: Severity = 'high',
  principals?: PrincipalAccess[],
): Finding {
  const f: Finding = {
    checkId,
    status,
    severity,
    title: `title of ${checkId}`,
    detail: `detail of ${checkId}`,
    remediation: `az fix ${checkId}`,
  };
  if (principals) f.principals = principals;
  return f;
}

function grant(
  principalId: string,
  capabilities: Capability[],
  roleName = 'Contributor',
  principalType = 'User',
): PrincipalAccess {
  return {
    principalId,
    principalType,
    roleName,
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${roleName}`,
    scope: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod',
    capabilities,
  };
}

interface PostureSpec {
  local?: FindingStatus;
  adminAccess?: FindingStatus;
  viaGroups?: FindingStatus;
  extra?: Finding[];
  principals?: PrincipalAccess[];
  status?: ClusterPosture['status'];
  score?: number;
}

function posture(spec: PostureSpec = {}): ClusterPosture {
  const principals = spec.principals ?? [];
  return {
    id: CLUSTER_ID,
    name: 'aks-prod',
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    resourceGroup: 'rg-prod',
    status: spec.status ?? 'pass',
    score: spec.score ?? 100,
    findings: [
      finding('local-accounts-disabled', spec.local ?? 'pass', 'high'),
      finding('admin-credential-access', spec.adminAccess ?? 'pass', 'critical', principals),
      finding('privileged-access-via-groups', spec.viaGroups ?? 'pass', 'medium', principals),
      ...(spec.extra ?? []),
    ],
    privilegedPrincipals: principals,
    evaluatedAt: '2026-11-22T02:00:00.000Z',
  };
}

describe('diffPostures: baseline and checks', () => {
  it('returns nothing without a stored posture (the baseline pages nobody)', () => {
    expect(
      diffPostures(
        undefined,
        posture({
          local: 'fail',
          adminAccess: 'fail',
          principals: [grant(ALICE, ['admin-credential'])],
        }),
      ),
    ).toEqual([]);
  });

  it('returns nothing when nothing changed', () => {
    expect(diffPostures(posture(), posture())).toEqual([]);
  });

  it('pass → fail is check-failed with the finding severity', () => {
    expect(diffPostures(posture(), posture({ local: 'fail' }))).toEqual([
      {
        kind: 'check-failed',
        checkId: 'local-accounts-disabled',
        before: 'pass',
        after: 'fail',
        severity: 'high',
      },
    ]);
  });

  it('not-applicable → fail is check-failed', () => {
    const before = posture({
      extra: [finding('keyvault-secret-rotation', 'not-applicable', 'low')],
    });
    const after = posture({ extra: [finding('keyvault-secret-rotation', 'fail', 'low')] });
    expect(diffPostures(before, after)).toEqual([
      {
        kind: 'check-failed',
        checkId: 'keyvault-secret-rotation',
        before: 'not-applicable',
        after: 'fail',
        severity: 'low',
      },
    ]);
  });

  it('fail → fail at the same severity is not a regression', () => {
    expect(diffPostures(posture({ local: 'fail' }), posture({ local: 'fail' }))).toEqual([]);
  });

  it('fail → pass (an improvement) is not a regression', () => {
    expect(diffPostures(posture({ local: 'fail' }), posture())).toEqual([]);
  });

  it('a failing finding whose severity rose is severity-rose', () => {
    const before = posture({ extra: [finding('custom-role-wildcards', 'fail', 'medium')] });
    const after = posture({ extra: [finding('custom-role-wildcards', 'fail', 'critical')] });
    expect(diffPostures(before, after)).toEqual([
      {
        kind: 'severity-rose',
        checkId: 'custom-role-wildcards',
        before: 'medium',
        after: 'critical',
        severity: 'critical',
      },
    ]);
  });

  it('a failing finding whose severity fell is not a regression', () => {
    const before = posture({ extra: [finding('custom-role-wildcards', 'fail', 'high')] });
    const after = posture({ extra: [finding('custom-role-wildcards', 'fail', 'low')] });
    expect(diffPostures(before, after)).toEqual([]);
  });

  it('a check new to the catalogue that fails sets its own baseline', () => {
    expect(
      diffPostures(posture(), posture({ extra: [finding('brand-new-check', 'fail', 'critical')] })),
    ).toEqual([]);
  });

  it('reports several regressions of one evaluation', () => {
    const regressions = diffPostures(
      posture(),
      posture({ local: 'fail', extra: [], viaGroups: 'fail' }),
    );
    expect(regressions.map((r) => r.checkId).sort()).toEqual([
      'local-accounts-disabled',
      'privileged-access-via-groups',
    ]);
  });
});

describe('diffPostures: error neither raises nor clears', () => {
  it('pass → error is not a regression', () => {
    expect(diffPostures(posture(), posture({ local: 'error' }))).toEqual([]);
  });

  it('pass → error → fail compares with the last non-error status (pass): check-failed', () => {
    const first = posture();
    const memory1 = rememberPosture(first);
    const errored = posture({ local: 'error' });
    expect(diffPostures(first, errored, memory1)).toEqual([]);
    const memory2 = rememberPosture(errored, memory1);
    expect(memory2.checks['local-accounts-disabled']).toEqual({ status: 'pass', severity: 'high' });
    expect(diffPostures(errored, posture({ local: 'fail' }), memory2)).toEqual([
      {
        kind: 'check-failed',
        checkId: 'local-accounts-disabled',
        before: 'pass',
        after: 'fail',
        severity: 'high',
      },
    ]);
  });

  it('fail → error → fail is not a regression (error did not clear the failure)', () => {
    const first = posture({ local: 'fail' });
    const memory1 = rememberPosture(first);
    const errored = posture({ local: 'error' });
    const memory2 = rememberPosture(errored, memory1);
    expect(diffPostures(errored, posture({ local: 'fail' }), memory2)).toEqual([]);
  });

  it('without memory, an error before compares with nothing (no false page)', () => {
    expect(diffPostures(posture({ local: 'error' }), posture({ local: 'fail' }))).toEqual([]);
  });

  it('a check that was only ever error sets its baseline when it first fails', () => {
    const first = posture({ local: 'error' });
    const memory = rememberPosture(first);
    expect(memory.checks['local-accounts-disabled']).toBeUndefined();
    expect(diffPostures(first, posture({ local: 'fail' }), memory)).toEqual([]);
  });

  it('the last known status survives several error evaluations', () => {
    let memory = rememberPosture(posture());
    let previous = posture();
    for (let i = 0; i < 3; i++) {
      const errored = posture({ local: 'error' });
      expect(diffPostures(previous, errored, memory)).toEqual([]);
      memory = rememberPosture(errored, memory);
      previous = errored;
    }
    expect(diffPostures(previous, posture({ local: 'fail' }), memory)).toHaveLength(1);
  });
});

describe('diffPostures: privilege gained', () => {
  it('a new principal with admin-credential is privilege-gained under admin-credential-access, critical while local accounts are enabled', () => {
    const before = posture({ local: 'fail' });
    const after = posture({
      local: 'fail',
      adminAccess: 'fail',
      principals: [grant(ALICE, ['admin-credential', 'cluster-write'])],
    });
    const regressions = diffPostures(before, after);
    expect(regressions).toContainEqual({
      kind: 'privilege-gained',
      checkId: 'admin-credential-access',
      principalId: ALICE,
      before: 'none',
      after: 'admin-credential, cluster-write',
      severity: 'critical',
    });
    // and the access check itself went pass → fail
    expect(regressions).toContainEqual({
      kind: 'check-failed',
      checkId: 'admin-credential-access',
      before: 'pass',
      after: 'fail',
      severity: 'critical',
    });
  });

  it('is high when local accounts are disabled', () => {
    const after = posture({
      principals: [grant(ALICE, ['admin-credential'], 'Contributor', 'Group')],
    });
    expect(diffPostures(posture(), after)).toEqual([
      {
        kind: 'privilege-gained',
        checkId: 'admin-credential-access',
        principalId: ALICE,
        before: 'none',
        after: 'admin-credential',
        severity: 'high',
      },
    ]);
  });

  it('capabilities other than admin-credential file under privileged-access-via-groups', () => {
    const after = posture({
      principals: [grant(ALICE, ['role-assignment-write'], 'User Access Administrator', 'Group')],
    });
    expect(diffPostures(posture(), after)).toEqual([
      {
        kind: 'privilege-gained',
        checkId: 'privileged-access-via-groups',
        principalId: ALICE,
        before: 'none',
        after: 'role-assignment-write',
        severity: 'high',
      },
    ]);
  });

  it('a principal adding a capability to those it had is privilege-gained with before/after lists', () => {
    const before = posture({
      principals: [grant(ALICE, ['cluster-write'], 'Custom writer', 'Group')],
    });
    const after = posture({
      principals: [
        grant(ALICE, ['cluster-write'], 'Custom writer', 'Group'),
        grant(ALICE, ['kubernetes-cluster-admin'], 'AKS RBAC Cluster Admin', 'Group'),
      ],
    });
    expect(diffPostures(before, after)).toEqual([
      {
        kind: 'privilege-gained',
        checkId: 'privileged-access-via-groups',
        principalId: ALICE,
        before: 'cluster-write',
        after: 'cluster-write, kubernetes-cluster-admin',
        severity: 'high',
      },
    ]);
  });

  it('compares principal ids case-insensitively', () => {
    const before = posture({
      principals: [grant(ALICE.toUpperCase(), ['admin-credential'], 'Owner', 'Group')],
    });
    const after = posture({ principals: [grant(ALICE, ['admin-credential'], 'Owner', 'Group')] });
    expect(diffPostures(before, after)).toEqual([]);
  });

  it('the same capability through another role is not a gain', () => {
    const before = posture({ principals: [grant(ALICE, ['admin-credential'], 'Owner', 'Group')] });
    const after = posture({
      principals: [
        grant(ALICE, ['admin-credential'], 'Azure Kubernetes Service Cluster Admin Role', 'Group'),
      ],
    });
    expect(diffPostures(before, after)).toEqual([]);
  });

  it('losing a capability is not a regression', () => {
    const before = posture({
      principals: [grant(ALICE, ['admin-credential', 'cluster-write'], 'Owner', 'Group')],
    });
    expect(diffPostures(before, posture())).toEqual([]);
  });

  it('one regression per principal', () => {
    const after = posture({
      principals: [
        grant(ALICE, ['cluster-write'], 'W', 'Group'),
        grant(BOB, ['admin-credential'], 'O', 'Group'),
      ],
    });
    const regressions = diffPostures(posture(), after);
    expect(regressions.map((r) => [r.principalId, r.checkId])).toEqual([
      [ALICE, 'privileged-access-via-groups'],
      [BOB, 'admin-credential-access'],
    ]);
  });

  it('unknown local-accounts status (error, never known) is treated as enabled: critical', () => {
    const before = posture({ local: 'error' });
    const after = posture({
      local: 'error',
      principals: [grant(ALICE, ['cluster-write'], 'W', 'Group')],
    });
    expect(diffPostures(before, after)[0].severity).toBe('critical');
  });

  it('local accounts in error use the last known status for the severity', () => {
    const first = posture({ local: 'pass' });
    const memory = rememberPosture(first);
    const after = posture({
      local: 'error',
      principals: [grant(ALICE, ['cluster-write'], 'W', 'Group')],
    });
    expect(diffPostures(first, after, memory)[0].severity).toBe('high');
  });

  it('access unavailable, then back: the principals known before are carried through (no false gain)', () => {
    const principals = [grant(ALICE, ['admin-credential', 'cluster-write'], 'Owner', 'Group')];
    const first = posture({ principals });
    const memory1 = rememberPosture(first);
    // Role assignments unreadable: access checks error, nobody visible.
    const blind = posture({ adminAccess: 'error', viaGroups: 'error', principals: [] });
    expect(accessComplete(blind)).toBe(false);
    expect(diffPostures(first, blind, memory1)).toEqual([]);
    const memory2 = rememberPosture(blind, memory1);
    expect(memory2.principals[ALICE]).toEqual(['admin-credential', 'cluster-write']);
    const back = posture({ principals });
    expect(diffPostures(blind, back, memory2)).toEqual([]);
  });

  it('an unresolved role over the cluster makes access incomplete: its holders are kept, no false gain on its return', () => {
    const principals = [grant(ALICE, ['admin-credential', 'cluster-write'], 'Custom', 'Group')];
    const first = posture({ principals });
    expect(accessComplete(first)).toBe(true);
    // The custom role is missing this run: every check still passes, ALICE is not visible.
    const unresolved = { ...posture({ principals: [] }), unresolvedRoleDefinitions: ['custom'] };
    expect(accessComplete(unresolved)).toBe(false);
    const memory = rememberPosture(unresolved, rememberPosture(first));
    expect(memory.principals[ALICE]).toEqual(['admin-credential', 'cluster-write']);
    expect(diffPostures(unresolved, posture({ principals }), memory)).toEqual([]);
    // An empty list is as good as none.
    expect(accessComplete({ ...first, unresolvedRoleDefinitions: [] })).toBe(true);
  });

  it('access back with a real new principal still pages for that one only', () => {
    const principals = [grant(ALICE, ['cluster-write'], 'W', 'Group')];
    const first = posture({ principals });
    const blind = posture({ adminAccess: 'error', viaGroups: 'error', principals: [] });
    const memory = rememberPosture(blind, rememberPosture(first));
    const back = posture({
      principals: [...principals, grant(BOB, ['cluster-write'], 'W', 'Group')],
    });
    expect(diffPostures(blind, back, memory).map((r) => r.principalId)).toEqual([BOB]);
  });

  it('an unreadable first evaluation makes the first complete read the baseline of access', () => {
    const blind = posture({ adminAccess: 'error', viaGroups: 'error', principals: [] });
    const memory = rememberPosture(blind);
    expect(memory.principalsKnown).toBe(false);
    const back = posture({ principals: [grant(ALICE, ['admin-credential'], 'Owner', 'Group')] });
    expect(diffPostures(blind, back, memory)).toEqual([]);
    expect(rememberPosture(back, memory).principalsKnown).toBe(true);
  });

  it('a partial read keeps what it cannot see and adds what it can', () => {
    const first = posture({ principals: [grant(ALICE, ['cluster-write'], 'W', 'Group')] });
    const partial = posture({
      viaGroups: 'error',
      principals: [grant(BOB, ['cluster-write'], 'W', 'Group')],
    });
    const memory = rememberPosture(partial, rememberPosture(first));
    expect(Object.keys(memory.principals).sort()).toEqual([ALICE, BOB]);
  });

  it('a complete read forgets principals that lost access, so a later re-grant pages', () => {
    const withAlice = posture({ principals: [grant(ALICE, ['cluster-write'], 'W', 'Group')] });
    const without = posture();
    const memory = rememberPosture(without, rememberPosture(withAlice));
    expect(memory.principals[ALICE]).toBeUndefined();
    expect(diffPostures(without, withAlice, memory)).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('privilegeCheckId files admin-credential under admin-credential-access, the rest under privileged-access-via-groups', () => {
    expect(privilegeCheckId(['admin-credential'])).toBe('admin-credential-access');
    expect(privilegeCheckId(['cluster-write', 'admin-credential'])).toBe('admin-credential-access');
    expect(privilegeCheckId(['cluster-write'])).toBe('privileged-access-via-groups');
    expect(privilegeCheckId(['role-assignment-write'])).toBe('privileged-access-via-groups');
    expect(privilegeCheckId(['kubernetes-cluster-admin'])).toBe('privileged-access-via-groups');
  });

  it('privilegeCheckId files the paths counted since catalogue 2 under cluster-admin-paths, unless an older one comes with them', () => {
    expect(privilegeCheckId(['run-command'])).toBe('cluster-admin-paths');
    expect(privilegeCheckId(['trusted-access-write'])).toBe('cluster-admin-paths');
    expect(privilegeCheckId(['node-access'])).toBe('cluster-admin-paths');
    expect(privilegeCheckId(['node-access', 'cluster-write'])).toBe('privileged-access-via-groups');
    expect(privilegeCheckId(['run-command', 'admin-credential'])).toBe('admin-credential-access');
  });

  it('formats and parses capability lists in catalogue order', () => {
    expect(formatCapabilities(['cluster-write', 'admin-credential'])).toBe(
      'admin-credential, cluster-write',
    );
    expect(formatCapabilities([])).toBe('none');
    expect(parseCapabilities('admin-credential, cluster-write')).toEqual([
      'admin-credential',
      'cluster-write',
    ]);
    expect(parseCapabilities('none')).toEqual([]);
  });

  it('postureChanged looks at status, score, failing checks and principals', () => {
    expect(postureChanged(undefined, posture())).toBe(true);
    expect(
      postureChanged(posture(), { ...posture(), evaluatedAt: '2030-01-01T00:00:00.000Z' }),
    ).toBe(false);
    expect(postureChanged(posture(), posture({ score: 90 }))).toBe(true);
    expect(postureChanged(posture(), posture({ status: 'fail' }))).toBe(true);
    expect(postureChanged(posture(), posture({ local: 'fail' }))).toBe(true);
    expect(
      postureChanged(posture(), posture({ principals: [grant(ALICE, ['cluster-write'])] })),
    ).toBe(true);
    // Same principals in another order and case: no change.
    const a = posture({
      principals: [grant(ALICE, ['cluster-write']), grant(BOB, ['admin-credential'])],
    });
    const b = posture({
      principals: [grant(BOB.toUpperCase(), ['admin-credential']), grant(ALICE, ['cluster-write'])],
    });
    expect(postureChanged(a, b)).toBe(false);
  });

  it('worstFailingSeverity', () => {
    expect(worstFailingSeverity(posture())).toBeUndefined();
    expect(worstFailingSeverity(posture({ local: 'fail', adminAccess: 'fail' }))).toBe('critical');
    expect(worstFailingSeverity(posture({ viaGroups: 'fail' }))).toBe('medium');
  });
});
