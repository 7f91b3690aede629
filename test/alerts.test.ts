import { alertCleared, alertsFromRegressions, clusterLink, dedupeKey } from '../src/core/alerts';
import type {
  ClusterPosture,
  Finding,
  FindingStatus,
  PrincipalAccess,
  Regression,
} from '../src/core/model';

const SUB = '00000000-0000-0000-0000-000000000001';
const CLUSTER_ID = `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const ALICE = 'AAAAAAAA-1111-1111-1111-111111111111';
const NOW = new Date('2026-11-22T03:00:00.000Z');

function finding(
  checkId: string,
  status: FindingStatus,
  severity: Finding['severity'],
  remediation: string,
): Finding {
  return {
    checkId,
    status,
    severity,
    title: `Title of ${checkId}`,
    detail: `Detail of ${checkId}.`,
    remediation,
  };
}

const aliceOwner: PrincipalAccess = {
  principalId: ALICE,
  principalType: 'User',
  roleName: 'Owner',
  roleDefinitionId:
    '/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  scope: `/subscriptions/${SUB}/resourceGroups/rg-prod`,
  capabilities: ['admin-credential', 'cluster-write', 'role-assignment-write'],
};

function posture(
  local: FindingStatus = 'fail',
  principals: PrincipalAccess[] = [aliceOwner],
): ClusterPosture {
  return {
    id: CLUSTER_ID,
    name: 'aks-prod',
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    status: 'fail',
    score: 40,
    findings: [
      finding(
        'local-accounts-disabled',
        local,
        'high',
        'az aks update -g rg-prod -n aks-prod --disable-local-accounts',
      ),
      {
        ...finding(
          'admin-credential-access',
          'fail',
          'critical',
          'az aks update -g rg-prod -n aks-prod --disable-local-accounts',
        ),
        principals,
      },
      {
        ...finding(
          'privileged-access-via-groups',
          'fail',
          'medium',
          'az role assignment delete --ids x',
        ),
        principals,
      },
    ],
    privilegedPrincipals: principals,
    evaluatedAt: NOW.toISOString(),
  };
}

const checkFailed: Regression = {
  kind: 'check-failed',
  checkId: 'local-accounts-disabled',
  before: 'pass',
  after: 'fail',
  severity: 'high',
};
const gained: Regression = {
  kind: 'privilege-gained',
  checkId: 'admin-credential-access',
  principalId: ALICE,
  before: 'none',
  after: 'admin-credential, cluster-write, role-assignment-write',
  severity: 'critical',
};

describe('dedupeKey', () => {
  it('joins cluster id, check id and principal id, lower-cased', () => {
    expect(dedupeKey(CLUSTER_ID, 'admin-credential-access', ALICE)).toBe(
      `${CLUSTER_ID.toLowerCase()}|admin-credential-access|${ALICE.toLowerCase()}`,
    );
  });

  it('is the same whatever the case of resourceGroups or the principal, or a trailing slash', () => {
    const other = CLUSTER_ID.replace('resourceGroups', 'resourcegroups') + '/';
    expect(dedupeKey(other, 'admin-credential-access', ALICE.toLowerCase())).toBe(
      dedupeKey(CLUSTER_ID, 'admin-credential-access', ALICE),
    );
  });

  it('leaves the principal out when there is none', () => {
    expect(dedupeKey(CLUSTER_ID, 'local-accounts-disabled')).toBe(
      `${CLUSTER_ID.toLowerCase()}|local-accounts-disabled`,
    );
    expect(dedupeKey(CLUSTER_ID, 'local-accounts-disabled', '')).toBe(
      dedupeKey(CLUSTER_ID, 'local-accounts-disabled'),
    );
  });

  it('differs per check and per principal', () => {
    const keys = new Set([
      dedupeKey(CLUSTER_ID, 'a'),
      dedupeKey(CLUSTER_ID, 'b'),
      dedupeKey(CLUSTER_ID, 'a', ALICE),
      dedupeKey(CLUSTER_ID, 'a', 'someone-else'),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe('alertsFromRegressions', () => {
  it('keeps only regressions at or above the minimum severity', () => {
    const low: Regression = {
      kind: 'check-failed',
      checkId: 'defender-enabled',
      before: 'pass',
      after: 'fail',
      severity: 'low',
    };
    const alerts = alertsFromRegressions(posture(), [low, checkFailed, gained], {
      minSeverity: 'high',
      now: NOW,
    });
    expect(alerts.map((a) => a.checkId)).toEqual([
      'local-accounts-disabled',
      'admin-credential-access',
    ]);
    expect(
      alertsFromRegressions(posture(), [low, checkFailed, gained], {
        minSeverity: 'critical',
        now: NOW,
      }),
    ).toHaveLength(1);
    expect(alertsFromRegressions(posture(), [low], { minSeverity: 'info', now: NOW })).toHaveLength(
      1,
    );
  });

  it('a check-failed alert says what changed and carries the check remediation and the link', () => {
    const [alert] = alertsFromRegressions(posture(), [checkFailed], {
      minSeverity: 'high',
      now: NOW,
      linkBase: 'https://auditor.example.net/',
    });
    expect(alert).toEqual({
      dedupeKey: dedupeKey(CLUSTER_ID, 'local-accounts-disabled'),
      clusterId: CLUSTER_ID,
      clusterName: 'aks-prod',
      subscriptionId: SUB,
      resourceGroup: 'rg-prod',
      severity: 'high',
      kind: 'check-failed',
      checkId: 'local-accounts-disabled',
      title: 'aks-prod: "Title of local-accounts-disabled" now fails',
      before: 'Check local-accounts-disabled was passing.',
      after: 'Check local-accounts-disabled is failing: Detail of local-accounts-disabled.',
      remediation: 'az aks update -g rg-prod -n aks-prod --disable-local-accounts',
      link: `https://auditor.example.net/api/dashboard/clusters/${SUB}/rg-prod/aks-prod`,
      createdAt: NOW.toISOString(),
    });
  });

  it('a privilege-gained alert names the principal, its role and scope, and how to remove the grant', () => {
    const [alert] = alertsFromRegressions(posture(), [gained], { minSeverity: 'high', now: NOW });
    expect(alert.dedupeKey).toBe(dedupeKey(CLUSTER_ID, 'admin-credential-access', ALICE));
    expect(alert.principal).toEqual(aliceOwner);
    expect(alert.title).toBe(
      `aks-prod: User ${ALICE} gained admin-credential, cluster-write, role-assignment-write over the cluster`,
    );
    expect(alert.before).toBe(`User ${ALICE} held no privileged capability over the cluster.`);
    expect(alert.after).toContain('through Owner at rg-prod.');
    expect(alert.after).toContain('can fetch the static cluster-admin kubeconfig');
    expect(alert.after).toContain('Local accounts are enabled');
    expect(alert.remediation.split('\n')).toEqual([
      `az role assignment delete --assignee ${ALICE} --role Owner --scope /subscriptions/${SUB}/resourceGroups/rg-prod   # if this grant is not intended`,
      'az aks update -g rg-prod -n aks-prod --disable-local-accounts',
    ]);
    expect(alert.link).toBeUndefined();
  });

  it('names the principal with its id beside the name when the grants carry a name', () => {
    const named: PrincipalAccess = {
      ...aliceOwner,
      displayName: 'Alice Smith',
      userPrincipalName: 'alice@contoso.example',
    };
    const [alert] = alertsFromRegressions(posture('fail', [named]), [gained], {
      minSeverity: 'high',
      now: NOW,
    });
    expect(alert.title).toBe(
      'aks-prod: Alice Smith (alice@contoso.example) gained admin-credential, cluster-write, role-assignment-write over the cluster',
    );
    expect(alert.before).toBe(
      `Alice Smith (alice@contoso.example) · User ${ALICE} held no privileged capability over the cluster.`,
    );
    expect(alert.principal).toEqual(named);
  });

  it('says when local accounts are disabled', () => {
    const [alert] = alertsFromRegressions(posture('pass'), [{ ...gained, severity: 'high' }], {
      minSeverity: 'high',
      now: NOW,
    });
    expect(alert.after).toContain('Local accounts are disabled.');
  });

  it('does not suggest --disable-local-accounts where local accounts are already disabled', () => {
    // The fixture's admin-credential-access finding still fails: only the cluster's state differs.
    const [alert] = alertsFromRegressions(posture('pass'), [{ ...gained, severity: 'high' }], {
      minSeverity: 'high',
      now: NOW,
    });
    expect(alert.remediation).not.toContain('--disable-local-accounts');
    expect(alert.remediation.split('\n')).toEqual([
      `az role assignment delete --assignee ${ALICE} --role Owner --scope /subscriptions/${SUB}/resourceGroups/rg-prod   # if this grant is not intended`,
    ]);
  });

  it("leaves out the check's fix when the check passes", () => {
    const passing = posture();
    passing.findings = passing.findings.map((f) =>
      f.checkId === 'admin-credential-access' ? { ...f, status: 'pass' as const } : f,
    );
    const [alert] = alertsFromRegressions(passing, [gained], { minSeverity: 'high', now: NOW });
    expect(alert.remediation.split('\n')).toHaveLength(1);
    expect(alert.remediation).toContain('az role assignment delete');
  });

  it('keeps --disable-local-accounts while local accounts are unknown (error)', () => {
    const [alert] = alertsFromRegressions(posture('error'), [gained], {
      minSeverity: 'high',
      now: NOW,
    });
    expect(alert.remediation).toContain('--disable-local-accounts');
  });

  it('lists what the principal had before', () => {
    const [alert] = alertsFromRegressions(posture(), [{ ...gained, before: 'cluster-write' }], {
      minSeverity: 'high',
      now: NOW,
    });
    expect(alert.before).toContain('can rewrite the cluster');
    expect(alert.title).toContain('gained admin-credential, role-assignment-write');
  });

  it('quotes role names and scopes with spaces in the remove command', () => {
    const grant = {
      ...aliceOwner,
      roleName: 'Azure Kubernetes Service Cluster Admin Role',
      capabilities: ['admin-credential' as const],
    };
    const [alert] = alertsFromRegressions(
      posture('fail', [grant]),
      [{ ...gained, after: 'admin-credential' }],
      { minSeverity: 'high', now: NOW },
    );
    expect(alert.remediation).toContain("--role 'Azure Kubernetes Service Cluster Admin Role'");
  });

  it('a severity-rose alert says from which severity to which', () => {
    const rose: Regression = {
      kind: 'severity-rose',
      checkId: 'privileged-access-via-groups',
      before: 'medium',
      after: 'high',
      severity: 'high',
    };
    const [alert] = alertsFromRegressions(posture(), [rose], { minSeverity: 'high', now: NOW });
    expect(alert.title).toBe(
      'aks-prod: "Title of privileged-access-via-groups" is failing at high (was medium)',
    );
    expect(alert.before).toBe('Check privileged-access-via-groups was failing at severity medium.');
    expect(alert.dedupeKey).toBe(dedupeKey(CLUSTER_ID, 'privileged-access-via-groups'));
  });

  it('a regression about a check missing from the posture still alerts, pointing at the catalogue', () => {
    const odd: Regression = {
      kind: 'check-failed',
      checkId: 'gone-check',
      before: 'pass',
      after: 'fail',
      severity: 'critical',
    };
    const [alert] = alertsFromRegressions(posture(), [odd], { minSeverity: 'high', now: NOW });
    expect(alert.title).toBe('aks-prod: "gone-check" now fails');
    expect(alert.remediation).toContain('gone-check');
  });

  it('encodes path segments of the link', () => {
    expect(
      clusterLink('http://localhost:7071', {
        subscriptionId: SUB,
        resourceGroup: 'rg (prod)',
        name: 'aks',
      }),
    ).toBe(`http://localhost:7071/api/dashboard/clusters/${SUB}/rg%20(prod)/aks`);
    expect(
      clusterLink(undefined, { subscriptionId: SUB, resourceGroup: 'rg', name: 'aks' }),
    ).toBeUndefined();
  });
});

describe('alertCleared', () => {
  it('a check alert clears when the check passes or is not applicable, not on error', () => {
    const p = posture('pass');
    expect(
      alertCleared(p, { checkId: 'local-accounts-disabled', kind: 'check-failed' }, true),
    ).toBe(true);
    expect(
      alertCleared(
        posture('fail'),
        { checkId: 'local-accounts-disabled', kind: 'check-failed' },
        true,
      ),
    ).toBe(false);
    expect(
      alertCleared(
        posture('error'),
        { checkId: 'local-accounts-disabled', kind: 'check-failed' },
        true,
      ),
    ).toBe(false);
    expect(alertCleared(p, { checkId: 'no-such-check', kind: 'check-failed' }, true)).toBe(false);
  });

  it('a privilege alert clears when the principal no longer holds a capability of its check, and only on a complete read', () => {
    const alert = {
      checkId: 'admin-credential-access',
      kind: 'privilege-gained' as const,
      principalId: ALICE.toLowerCase(),
    };
    expect(alertCleared(posture(), alert, true)).toBe(false);
    const onlyWrite = { ...aliceOwner, capabilities: ['cluster-write' as const] };
    expect(alertCleared(posture('fail', [onlyWrite]), alert, true)).toBe(true);
    expect(alertCleared(posture('fail', []), alert, false)).toBe(false);
  });

  it.each([
    ['admin-credential-access', 'admin-credential-retrieved'],
    ['run-command-disabled', 'run-command-invoked'],
    ['cluster-admin-paths', 'node-command-invoked'],
  ] as const)('a %s / %s signal never clears: it happened', (checkId, kind) => {
    // Even with the check they are filed under passing and nobody holding access.
    const passing = posture('pass', []);
    passing.findings = [
      ...passing.findings.filter((f) => f.checkId !== checkId),
      finding(checkId, 'pass', 'high', ''),
    ];
    expect(alertCleared(passing, { checkId, kind }, true)).toBe(false);
    expect(alertCleared(passing, { checkId, kind: 'check-failed' }, true)).toBe(true);
  });
});

describe('approved principals gain silently', () => {
  const approvedPaths = (approved: boolean): ClusterPosture => {
    const base = posture();
    const holder: PrincipalAccess = { ...aliceOwner, ...(approved ? { approved: true } : {}) };
    return {
      ...base,
      findings: [
        ...base.findings,
        { ...finding('cluster-admin-paths', 'pass', 'high', 'x'), principals: [holder] },
      ],
    };
  };
  const options = { minSeverity: 'high' as const, now: NOW };

  it('a gain of a principal the posture lists as approved pages nobody', () => {
    expect(alertsFromRegressions(approvedPaths(true), [gained], options)).toEqual([]);
  });

  it('the same gain of a principal not approved pages', () => {
    expect(alertsFromRegressions(approvedPaths(false), [gained], options)).toHaveLength(1);
  });

  it('a check that fails still pages whoever is approved', () => {
    expect(alertsFromRegressions(approvedPaths(true), [checkFailed], options)).toHaveLength(1);
  });
});
