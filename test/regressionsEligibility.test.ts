/**
 * Regressions and PIM eligibility (docs/checks.md "Regressions"): a gain held only through an
 * eligibility pages one severity lower; activating an eligibility is not a gain.
 */
import type { Capability, ClusterPosture, Finding, PrincipalAccess } from '../src/core/model';
import { diffPostures, rememberPosture } from '../src/core/regressions';

const ALICE = '11111111-1111-1111-1111-111111111111';
const RG = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod';

function grant(
  capabilities: Capability[],
  eligible?: boolean,
  roleName = 'Owner',
): PrincipalAccess {
  const p: PrincipalAccess = {
    principalId: ALICE,
    principalType: 'User',
    roleName,
    roleDefinitionId: `/roleDefinitions/${roleName}`,
    scope: RG,
    capabilities,
  };
  if (eligible !== undefined) p.eligible = eligible;
  return p;
}

function posture(
  principals: PrincipalAccess[],
  localAccounts: 'pass' | 'fail' = 'pass',
): ClusterPosture {
  const finding = (checkId: string, status: Finding['status']): Finding => ({
    checkId,
    status,
    severity: 'high',
    title: checkId,
    detail: '',
    remediation: '',
  });
  return {
    id: `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    name: 'aks-prod',
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    resourceGroup: 'rg-prod',
    status: 'pass',
    score: 100,
    findings: [
      finding('local-accounts-disabled', localAccounts),
      finding('admin-credential-access', 'pass'),
      finding('privileged-access-via-groups', 'pass'),
    ],
    privilegedPrincipals: principals,
    evaluatedAt: '2026-11-22T02:00:00.000Z',
  };
}

const OWNER_CAPS: Capability[] = ['admin-credential', 'cluster-write', 'role-assignment-write'];

describe('eligible gains', () => {
  it('a new eligible Owner pages one severity lower: high instead of critical while local accounts are on', () => {
    const [gain] = diffPostures(posture([], 'fail'), posture([grant(OWNER_CAPS, true)], 'fail'));
    expect(gain).toMatchObject({ kind: 'privilege-gained', principalId: ALICE, severity: 'high' });
  });

  it('medium instead of high with local accounts off', () => {
    expect(diffPostures(posture([]), posture([grant(OWNER_CAPS, true)]))[0]?.severity).toBe(
      'medium',
    );
  });

  it('a new active Owner is not lowered', () => {
    expect(diffPostures(posture([]), posture([grant(OWNER_CAPS, false)]))[0]?.severity).toBe(
      'high',
    );
    expect(diffPostures(posture([]), posture([grant(OWNER_CAPS)]))[0]?.severity).toBe('high');
  });

  it('a gain partly active (one gained capability held actively) is not lowered', () => {
    const after = posture([
      grant(OWNER_CAPS, true),
      grant(['cluster-write'], false, 'Cluster Writer'),
    ]);
    expect(diffPostures(posture([]), after)[0]?.severity).toBe('high');
  });

  it('a gain whose only active part was already held is still eligible-only', () => {
    const before = posture([grant(['cluster-write'], false, 'Cluster Writer')]);
    const after = posture([
      grant(['cluster-write'], false, 'Cluster Writer'),
      grant(OWNER_CAPS, true),
    ]);
    const [gain] = diffPostures(before, after);
    expect(gain).toMatchObject({
      before: 'cluster-write',
      after: 'admin-credential, cluster-write, role-assignment-write',
      severity: 'medium',
    });
  });
});

describe('PIM activation', () => {
  it('eligible → active for the same principal, role and scope is not a gain', () => {
    const eligible = posture([grant(OWNER_CAPS, true)]);
    const memory = rememberPosture(eligible);
    // Azure keeps the eligibility listed beside the activated assignment...
    expect(
      diffPostures(eligible, posture([grant(OWNER_CAPS, true), grant(OWNER_CAPS, false)]), memory),
    ).toEqual([]);
    // ...and even if it did not, the principal could already do all of it.
    expect(diffPostures(eligible, posture([grant(OWNER_CAPS, false)]), memory)).toEqual([]);
  });

  it('a new active grant without a prior eligibility is a gain', () => {
    const before = posture([grant(['cluster-write'], true, 'Cluster Writer')]);
    const [gain] = diffPostures(
      before,
      posture([grant(['cluster-write'], true, 'Cluster Writer'), grant(OWNER_CAPS, false)]),
    );
    expect(gain).toMatchObject({
      kind: 'privilege-gained',
      before: 'cluster-write',
      severity: 'high',
    });
  });
});
