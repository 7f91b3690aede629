import { buildDenyIndex, deniesAction, EVERYONE } from '../src/core/denyAssignments';
import type { DenyAssignment, Directory } from '../src/core/model';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
const CLUSTER = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const OTHER_CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/aks-dev`;
const MG = '/providers/Microsoft.Management/managementGroups/platform';
const LIST_ADMIN = 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action';
const WRITE = 'Microsoft.ContainerService/managedClusters/write';

let n = 0;
function deny(scope: string, extra: Partial<DenyAssignment> = {}): DenyAssignment {
  n += 1;
  return {
    id: `${scope}/providers/Microsoft.Authorization/denyAssignments/d${n}`,
    scope,
    permissions: [{ actions: [LIST_ADMIN], notActions: [], dataActions: [], notDataActions: [] }],
    principals: [{ id: EVERYONE, type: 'SystemDefined' }],
    excludePrincipals: [],
    doNotApplyToChildScopes: false,
    ...extra,
  };
}

const denied = (
  denies: DenyAssignment[],
  principal: string,
  action = LIST_ADMIN,
  cluster = CLUSTER,
  directory?: Directory,
) => buildDenyIndex(denies, directory).forCluster(cluster, SUB)?.(principal)?.(action) ?? false;

describe('deniesAction', () => {
  it('is actions minus notActions per block, wildcards and case ignored', () => {
    const d = deny(RG, {
      permissions: [
        {
          actions: ['Microsoft.ContainerService/*'],
          notActions: ['*/read'],
          dataActions: [],
          notDataActions: [],
        },
      ],
    });
    expect(deniesAction(d, LIST_ADMIN.toUpperCase())).toBe(true);
    expect(deniesAction(d, 'Microsoft.ContainerService/managedClusters/read')).toBe(false);
    expect(deniesAction(d, 'Microsoft.Compute/virtualMachines/write')).toBe(false);
  });
});

describe('buildDenyIndex: scope', () => {
  it('no deny assignments (or unknown): nothing is denied', () => {
    expect(buildDenyIndex(undefined).forCluster(CLUSTER, SUB)).toBeUndefined();
    expect(buildDenyIndex([]).forCluster(CLUSTER, SUB)).toBeUndefined();
  });

  it('a deny at the resource group covers its clusters, not others', () => {
    expect(denied([deny(RG)], 'p')).toBe(true);
    expect(denied([deny(RG)], 'p', WRITE)).toBe(false);
    expect(buildDenyIndex([deny(RG)]).forCluster(OTHER_CLUSTER, SUB)).toBeUndefined();
  });

  it('compares whole segments, case-insensitively', () => {
    expect(denied([deny(`/subscriptions/${SUB}/resourceGroups/rg-pro`)], 'p')).toBe(false);
    expect(denied([deny(RG.toUpperCase())], 'p')).toBe(true);
  });

  it('doNotApplyToChildScopes: exactly its own scope only', () => {
    expect(denied([deny(RG, { doNotApplyToChildScopes: true })], 'p')).toBe(false);
    expect(denied([deny(CLUSTER, { doNotApplyToChildScopes: true })], 'p')).toBe(true);
  });

  it('the root covers every cluster', () => {
    expect(denied([deny('/')], 'p')).toBe(true);
  });

  it('a management-group deny applies to the subscription whose listing returned it; unlisted, it is not applied', () => {
    expect(denied([deny(MG, { listedInSubscriptionId: SUB })], 'p')).toBe(true);
    expect(denied([deny(MG, { listedInSubscriptionId: 'another' })], 'p')).toBe(false);
    expect(denied([deny(MG)], 'p')).toBe(false);
  });
});

describe('buildDenyIndex: principals', () => {
  const directory: Directory = {
    source: 'principals.json',
    complete: true,
    principals: [
      { id: 'group-known', principalType: 'Group', members: ['alice', 'bob'] },
      { id: 'group-unknown', principalType: 'Group' },
    ],
  };

  it('Everyone applies to anyone, minus excludePrincipals', () => {
    const d = deny(RG, { excludePrincipals: [{ id: 'breakglass', type: 'User' }] });
    expect(denied([d], 'alice')).toBe(true);
    expect(denied([d], 'BREAKGLASS')).toBe(false);
  });

  it('a named principal only', () => {
    const d = deny(RG, { principals: [{ id: 'alice', type: 'User' }] });
    expect(denied([d], 'alice')).toBe(true);
    expect(denied([d], 'bob')).toBe(false);
  });

  it('a group applies to its members only when the membership is known', () => {
    expect(
      denied(
        [deny(RG, { principals: [{ id: 'group-known', type: 'Group' }] })],
        'alice',
        LIST_ADMIN,
        CLUSTER,
        directory,
      ),
    ).toBe(true);
    expect(
      denied([deny(RG, { principals: [{ id: 'group-known', type: 'Group' }] })], 'alice'),
    ).toBe(false);
    expect(
      denied(
        [deny(RG, { principals: [{ id: 'group-unknown', type: 'Group' }] })],
        'alice',
        LIST_ADMIN,
        CLUSTER,
        directory,
      ),
    ).toBe(false);
    // A grant to the group itself is denied.
    expect(
      denied([deny(RG, { principals: [{ id: 'group-unknown', type: 'Group' }] })], 'group-unknown'),
    ).toBe(true);
  });

  it('an excluded group excludes its known members; one of unknown membership excludes everyone (over-report)', () => {
    const known = deny(RG, { excludePrincipals: [{ id: 'group-known', type: 'Group' }] });
    expect(denied([known], 'alice', LIST_ADMIN, CLUSTER, directory)).toBe(false);
    expect(denied([known], 'carol', LIST_ADMIN, CLUSTER, directory)).toBe(true);
    const unknown = deny(RG, { excludePrincipals: [{ id: 'group-unknown', type: 'Group' }] });
    expect(denied([unknown], 'carol', LIST_ADMIN, CLUSTER, directory)).toBe(false);
    // An excluded user cannot contain anyone.
    const user = deny(RG, { excludePrincipals: [{ id: 'dave', type: 'User' }] });
    expect(denied([user], 'carol')).toBe(true);
  });
});
