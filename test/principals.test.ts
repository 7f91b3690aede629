import { InputError } from '../src/core/errors';
import type { Estate, RoleAssignment } from '../src/core/model';
import { normaliseRoleAssignment } from '../src/core/normalise';
import {
  applyDirectory,
  describeGrant,
  describePrincipal,
  namesFromExport,
  namesOf,
  normaliseDirectoryPrincipal,
  principalIdsOf,
  principalLabel,
  principalMarks,
  principalName,
  scopeLabel,
} from '../src/core/principals';

const SUB = '00000000-0000-4000-a000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
const DAVE = '00000000-0000-4000-b000-000000000004';
const GROUP = '00000000-0000-4000-c000-000000000001';
const SP = '00000000-0000-4000-d000-000000000001';
const APP_ID = '00000000-0000-4000-d100-000000000001';

describe('namesFromExport (az role assignment list)', () => {
  it('reads a user principalName as the UPN', () => {
    expect(namesFromExport('User', 'dave@contoso.example', undefined)).toEqual({
      userPrincipalName: 'dave@contoso.example',
    });
  });

  it('reads a group principalName as its display name', () => {
    expect(namesFromExport('Group', 'grp-platform', undefined)).toEqual({
      displayName: 'grp-platform',
    });
  });

  it('drops a service principal principalName that is its application id (not a name)', () => {
    expect(namesFromExport('ServicePrincipal', APP_ID, undefined)).toEqual({});
    expect(
      namesFromExport('ServicePrincipal', 'https://legacy-app.contoso.example', undefined),
    ).toEqual({
      displayName: 'https://legacy-app.contoso.example',
    });
  });

  it('takes principalDisplayName as the display name, over a group principalName', () => {
    expect(namesFromExport('User', 'dave@contoso.example', 'Dave Jones')).toEqual({
      displayName: 'Dave Jones',
      userPrincipalName: 'dave@contoso.example',
    });
    expect(namesFromExport('Group', 'grp-a', 'Platform team')).toEqual({
      displayName: 'Platform team',
    });
  });

  it('without a principal type, a name with @ is a UPN and anything else a display name', () => {
    expect(namesFromExport(undefined, 'dave@contoso.example', undefined)).toEqual({
      userPrincipalName: 'dave@contoso.example',
    });
    expect(namesFromExport('Unknown', 'grp-x', undefined)).toEqual({ displayName: 'grp-x' });
  });

  it('ignores blank and non-string names', () => {
    expect(namesFromExport('User', '   ', null)).toEqual({});
    expect(namesFromExport('User', 42, { x: 1 })).toEqual({});
  });

  it('flows through normaliseRoleAssignment for the az and ARM shapes', () => {
    const az = normaliseRoleAssignment(
      {
        id: `${RG}/providers/Microsoft.Authorization/roleAssignments/1`,
        scope: RG,
        principalId: DAVE,
        principalType: 'User',
        principalName: 'dave@contoso.example',
        roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
      },
      'role-assignments.json[0]',
    );
    expect(az).toMatchObject({ userPrincipalName: 'dave@contoso.example' });
    expect(az.displayName).toBeUndefined();
    const arm = normaliseRoleAssignment(
      {
        id: `${RG}/providers/Microsoft.Authorization/roleAssignments/2`,
        properties: {
          scope: RG,
          principalId: GROUP,
          principalType: 'Group',
          principalDisplayName: 'Platform team',
          roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
        },
      },
      'role-assignments.json[1]',
    );
    expect(arm).toMatchObject({ displayName: 'Platform team' });
  });
});

describe('normaliseDirectoryPrincipal (principals.json)', () => {
  const where = 'principals.json[0]';

  it('reads a Graph user', () => {
    expect(
      normaliseDirectoryPrincipal(
        {
          '@odata.type': '#microsoft.graph.user',
          id: DAVE,
          displayName: 'Dave Jones',
          userPrincipalName: 'dave@contoso.example',
          userType: 'Guest',
          accountEnabled: false,
        },
        where,
      ),
    ).toEqual({
      id: DAVE,
      principalType: 'User',
      displayName: 'Dave Jones',
      userPrincipalName: 'dave@contoso.example',
      userType: 'Guest',
      accountEnabled: false,
    });
  });

  it('reads a group with member ids or member objects', () => {
    expect(
      normaliseDirectoryPrincipal(
        { '@odata.type': '#microsoft.graph.group', id: GROUP, displayName: 'grp', members: [DAVE] },
        where,
      ),
    ).toEqual({
      id: GROUP,
      principalType: 'Group',
      displayName: 'grp',
      members: [DAVE],
    });
    expect(
      normaliseDirectoryPrincipal(
        {
          principalType: 'Group',
          id: GROUP,
          members: [{ '@odata.type': '#microsoft.graph.user', id: DAVE }],
        },
        where,
      ).members,
    ).toEqual([DAVE]);
  });

  it('knows the type from @odata.type, principalType, objectType, @odata.context or the fields only one kind has', () => {
    const type = (raw: Record<string, unknown>) =>
      normaliseDirectoryPrincipal({ id: SP, ...raw }, where).principalType;
    expect(type({ '@odata.type': '#microsoft.graph.servicePrincipal' })).toBe('ServicePrincipal');
    expect(type({ principalType: 'ServicePrincipal' })).toBe('ServicePrincipal');
    expect(type({ objectType: 'User' })).toBe('User');
    expect(
      type({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity' }),
    ).toBe('User');
    expect(
      type({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups/$entity' }),
    ).toBe('Group');
    expect(type({ appId: APP_ID })).toBe('ServicePrincipal');
    expect(type({ securityEnabled: true })).toBe('Group');
    expect(type({ userPrincipalName: 'x@contoso.example' })).toBe('User');
    expect(type({ displayName: 'who knows' })).toBeUndefined();
  });

  it('accepts the old az ad objectId and string booleans', () => {
    expect(normaliseDirectoryPrincipal({ objectId: DAVE, accountEnabled: 'TRUE' }, where)).toEqual({
      id: DAVE,
      accountEnabled: true,
    });
  });

  it('names the entry and field of what it cannot read', () => {
    expect(() => normaliseDirectoryPrincipal({ displayName: 'no id' }, where)).toThrow(
      new InputError(`${where}: entry has no "id"`),
    );
    expect(() => normaliseDirectoryPrincipal('x', where)).toThrow(InputError);
    expect(() => normaliseDirectoryPrincipal({ id: DAVE, accountEnabled: 'yes' }, where)).toThrow(
      /principals.json\[0\]: "accountEnabled"/,
    );
    expect(() => normaliseDirectoryPrincipal({ id: GROUP, members: 'all' }, where)).toThrow(
      /"members" is not an array/,
    );
    expect(() => normaliseDirectoryPrincipal({ id: GROUP, members: [{}] }, where)).toThrow(
      /"members\[0\]" has no id/,
    );
  });
});

function assignment(principalId: string, overrides: Partial<RoleAssignment> = {}): RoleAssignment {
  return {
    id: `${RG}/providers/Microsoft.Authorization/roleAssignments/${principalId}`,
    scope: RG,
    principalId,
    principalType: 'User',
    roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    roleDefinitionGuid: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    ...overrides,
  };
}

function estate(roleAssignments: RoleAssignment[], directory?: Estate['directory']): Estate {
  return {
    source: 'snapshot',
    clusters: [],
    roleAssignments,
    roleDefinitions: [],
    failures: [],
    directory,
  };
}

describe('applyDirectory', () => {
  it('leaves an estate without directory data as it is', () => {
    const given = estate([assignment(DAVE)]);
    expect(applyDirectory(given)).toBe(given);
  });

  it('names assignments from the directory, which wins over the export, and fills an unknown type', () => {
    const applied = applyDirectory(
      estate(
        [
          assignment(DAVE.toUpperCase(), {
            userPrincipalName: 'old@contoso.example',
            principalType: 'Unknown',
          }),
        ],
        {
          source: 'principals.json',
          complete: true,
          principals: [
            {
              id: DAVE,
              principalType: 'User',
              displayName: 'Dave Jones',
              userPrincipalName: 'dave@contoso.example',
            },
          ],
        },
      ),
    );
    expect(applied.roleAssignments[0]).toMatchObject({
      principalType: 'User',
      displayName: 'Dave Jones',
      userPrincipalName: 'dave@contoso.example',
    });
    expect(applied.roleAssignments[0].deleted).toBeUndefined();
  });

  it('keeps the export type when it is known, and the export name when the directory has none', () => {
    const applied = applyDirectory(
      estate([assignment(GROUP, { principalType: 'Group', displayName: 'grp-export' })], {
        source: 'principals.json',
        complete: true,
        principals: [{ id: GROUP, principalType: 'User' }],
      }),
    );
    expect(applied.roleAssignments[0]).toMatchObject({
      principalType: 'Group',
      displayName: 'grp-export',
    });
  });

  it('flags a directly assigned guest or disabled user, and nothing for members or other types', () => {
    const applied = applyDirectory(
      estate(
        [
          assignment(DAVE),
          assignment(GROUP, { principalType: 'Group' }),
          assignment(SP, { principalType: 'ServicePrincipal' }),
        ],
        {
          source: 'principals.json',
          complete: true,
          principals: [
            { id: DAVE, principalType: 'User', userType: 'Guest', accountEnabled: false },
            // Not a user: userType / accountEnabled say nothing about a person.
            { id: GROUP, principalType: 'Group', userType: 'Guest' },
            { id: SP, principalType: 'ServicePrincipal', accountEnabled: false },
          ],
        },
      ),
    );
    const [dave, group, sp] = applied.roleAssignments;
    expect([dave.guest, dave.enabled]).toEqual([true, false]);
    expect([group.guest, group.enabled, sp.guest, sp.enabled]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(namesOf(dave)).toMatchObject({ guest: true, enabled: false });
    const member = applyDirectory(
      estate([assignment(DAVE)], {
        source: 'principals.json',
        complete: true,
        principals: [{ id: DAVE, principalType: 'User', userType: 'Member', accountEnabled: true }],
      }),
    ).roleAssignments[0];
    expect('guest' in member || 'enabled' in member).toBe(false);
  });

  it.each([
    [{}, ''],
    [{ deleted: true }, ' (deleted)'],
    [{ guest: true }, ' [guest]'],
    [{ enabled: false }, ' [disabled]'],
    [{ guest: true, enabled: false }, ' [guest, disabled]'],
    [{ guest: false, enabled: true }, ''],
    [{ deleted: true, guest: true }, ' (deleted) [guest]'],
  ])('principalMarks(%j) = %j', (flags, marks) => {
    expect(principalMarks(flags)).toBe(marks);
  });

  it('puts the marks after the name and keeps the id beside it', () => {
    const p = { principalId: DAVE, principalType: 'User', displayName: 'Eve', guest: true };
    expect(describePrincipal(p)).toBe(`Eve [guest] · User ${DAVE}`);
    expect(principalLabel(p)).toBe('Eve [guest]');
    expect(describePrincipal({ ...p, displayName: undefined, enabled: false })).toBe(
      `User ${DAVE} [guest, disabled]`,
    );
  });

  it('marks a principal a complete directory does not list as deleted, and not when it is incomplete', () => {
    const gone = assignment(SP, { principalType: 'ServicePrincipal' });
    expect(
      applyDirectory(estate([gone], { source: 'principals.json', complete: true, principals: [] }))
        .roleAssignments[0].deleted,
    ).toBe(true);
    expect(
      applyDirectory(estate([gone], { source: 'Microsoft Graph', complete: false, principals: [] }))
        .roleAssignments[0],
    ).toBe(gone);
  });

  it('keeps an assignment the directory says nothing new about as the same object', () => {
    const same = assignment(DAVE, { displayName: 'Dave Jones' });
    const applied = applyDirectory(
      estate([same], {
        source: 'principals.json',
        complete: true,
        principals: [{ id: DAVE, displayName: 'Dave Jones' }],
      }),
    );
    expect(applied.roleAssignments[0]).toBe(same);
  });

  it('lists each principal the estate names once', () => {
    expect(
      principalIdsOf(
        estate([assignment(DAVE), assignment(DAVE.toUpperCase()), assignment(` ${GROUP} `)]),
      ),
    ).toEqual([DAVE, GROUP]);
  });
});

describe('the one wording of a principal', () => {
  const dave = {
    principalId: DAVE,
    principalType: 'User',
    displayName: 'Dave Jones',
    userPrincipalName: 'dave@contoso.example',
    roleName: 'Contributor',
    scope: RG,
  };

  it('shows the name and UPN, and the id beside them', () => {
    expect(principalName(dave)).toBe('Dave Jones (dave@contoso.example)');
    expect(describePrincipal(dave)).toBe(`Dave Jones (dave@contoso.example) · User ${DAVE}`);
    expect(describeGrant(dave)).toBe(
      `Dave Jones (dave@contoso.example) · Contributor at rg-prod · User ${DAVE}`,
    );
  });

  it('shows the type and id when there is no name, and says Principal for an unknown type', () => {
    const bare: {
      principalId: string;
      principalType: string;
      roleName: string;
      scope: string;
      displayName?: string;
    } = { principalId: DAVE, principalType: 'Unknown', roleName: 'Owner', scope: '/' };
    expect(principalName(bare)).toBeUndefined();
    expect(principalLabel(bare)).toBe(`Principal ${DAVE}`);
    expect(describeGrant(bare)).toBe(`Principal ${DAVE} · Owner at the tenant root (/)`);
  });

  it('shows one name when display name and UPN are the same, or only one is known', () => {
    expect(
      principalName({
        displayName: 'dave@contoso.example',
        userPrincipalName: 'DAVE@contoso.example',
      }),
    ).toBe('dave@contoso.example');
    expect(principalName({ userPrincipalName: 'dave@contoso.example' })).toBe(
      'dave@contoso.example',
    );
    expect(principalName({ displayName: 'grp' })).toBe('grp');
  });

  it('says when the directory no longer knows the principal', () => {
    expect(describeGrant({ ...dave, deleted: true })).toBe(
      `Dave Jones (dave@contoso.example) (deleted) · Contributor at rg-prod · User ${DAVE}`,
    );
    expect(
      principalLabel({ principalId: SP, principalType: 'ServicePrincipal', deleted: true }),
    ).toBe(`ServicePrincipal ${SP} (deleted)`);
  });

  it('names scopes as an engineer does', () => {
    expect(scopeLabel(RG)).toBe('rg-prod');
    expect(scopeLabel(`${RG}/`)).toBe('rg-prod');
    expect(scopeLabel(`/subscriptions/${SUB}`)).toBe(`subscription ${SUB}`);
    expect(scopeLabel(`${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`)).toBe(
      'aks-prod',
    );
    expect(scopeLabel('/providers/Microsoft.Management/managementGroups/mg-contoso')).toBe(
      'management group mg-contoso',
    );
    expect(scopeLabel('/')).toBe('the tenant root (/)');
    expect(scopeLabel('')).toBe('the tenant root (/)');
  });
});
