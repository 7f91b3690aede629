import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCondition } from '../src/core/conditionGrammar';
import {
  canAssignPrivilegedRole,
  describeRoleSet,
  readCondition,
  type RoleSet,
  roleSetHas,
} from '../src/core/conditions';
import type { RoleDefinition } from '../src/core/model';

const fixture = (name: string) =>
  readFileSync(join(__dirname, 'fixtures', 'conditions', name), 'utf8');

const BACKUP_CONTRIBUTOR = '5e467623-bb1f-42f4-a55d-6e525e11384b';
const BACKUP_READER = 'a795c7a0-d4a2-40c1-ae25-d81f01202912';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';
const RBAC_ADMIN = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168';
const UAA = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const AKS_RBAC_CLUSTER_ADMIN = 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b';
const ACR_PULL = '7f951dda-4ed3-4680-a7ca-43fe172d538d';

const WRITE = `!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})`;
const roleIs = (guids: string[], op = 'ForAnyOfAnyValues:GuidEquals') =>
  `@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ${op} {${guids.join(', ')}}`;

function constrained(text: string, version?: string) {
  const reading = readCondition(text, version);
  if (reading.kind !== 'constrained')
    throw new Error(`expected constrained, got ${JSON.stringify(reading)}`);
  return reading;
}

function members(set: RoleSet): { kind: string; guids: string[] } {
  return { kind: set.kind, guids: [...set.guids].sort() };
}

describe('the portal condition templates (verbatim)', () => {
  it('"Constrain roles": only Backup Contributor and Backup Reader can be assigned', () => {
    const reading = constrained(fixture('constrain-roles.txt'));
    expect(members(reading.assignableRoles)).toEqual({
      kind: 'only',
      guids: [BACKUP_CONTRIBUTOR, BACKUP_READER],
    });
    expect(reading.principalIds).toEqual([]);
    expect(reading.principalTypes).toEqual([]);
  });

  it('reads the one-line form the PowerShell example passes the same way', () => {
    expect(members(constrained(fixture('constrain-roles.oneline.txt')).assignableRoles)).toEqual(
      members(constrained(fixture('constrain-roles.txt')).assignableRoles),
    );
  });

  it('"Constrain roles and principal types": the roles, and the types named', () => {
    const reading = constrained(fixture('constrain-roles-and-principal-types.txt'));
    expect(members(reading.assignableRoles)).toEqual({
      kind: 'only',
      guids: [BACKUP_CONTRIBUTOR, BACKUP_READER],
    });
    expect(reading.principalTypes).toEqual(['Group', 'User']);
  });

  it('"Constrain roles and principals": the roles, and the principal ids named', () => {
    const reading = constrained(fixture('constrain-roles-and-principals.txt'));
    expect(members(reading.assignableRoles)).toEqual({
      kind: 'only',
      guids: [BACKUP_CONTRIBUTOR, BACKUP_READER],
    });
    expect(reading.principalIds).toEqual([
      '28c35fea-2099-4cf5-8ad9-473547bc9423',
      '86951b8b-723a-407b-a74a-1bca3f0c95d0',
    ]);
  });

  it('the AKS example allows the four AKS RBAC roles, RBAC Cluster Admin among them', () => {
    const reading = constrained(fixture('constrain-aks-cluster-management.txt'));
    expect(reading.assignableRoles.guids.size).toBe(4);
    expect(roleSetHas(reading.assignableRoles, AKS_RBAC_CLUSTER_ADMIN)).toBe(true);
    expect(roleSetHas(reading.assignableRoles, OWNER)).toBe(false);
    expect(reading.principalIds).toEqual(['ea585310-c95c-4a68-af22-49af4363bbb1']);
  });

  it('the ACR example allows AcrPull to service principals', () => {
    const reading = constrained(fixture('constrain-acr-management.txt'));
    expect(members(reading.assignableRoles)).toEqual({ kind: 'only', guids: [ACR_PULL] });
    expect(reading.principalTypes).toEqual(['ServicePrincipal']);
  });

  it('"Constrain add role assignments" (write half only) constrains the write', () => {
    expect(members(constrained(fixture('constrain-add-only.txt')).assignableRoles)).toEqual({
      kind: 'only',
      guids: [BACKUP_CONTRIBUTOR, BACKUP_READER],
    });
  });

  it('"Allow all except specific roles" is an exclusion list: Contributor can still be assigned', () => {
    const reading = constrained(fixture('allow-all-except-specific-roles.txt'));
    expect(members(reading.assignableRoles)).toEqual({
      kind: 'allExcept',
      guids: [RBAC_ADMIN, UAA, OWNER].sort(),
    });
    expect(roleSetHas(reading.assignableRoles, CONTRIBUTOR)).toBe(true);
    expect(roleSetHas(reading.assignableRoles, OWNER.toUpperCase())).toBe(false);
  });
});

describe('readCondition: other forms', () => {
  it('no condition is none', () => {
    expect(readCondition(undefined)).toEqual({ kind: 'none' });
    expect(readCondition('')).toEqual({ kind: 'none' });
    expect(readCondition('   \n')).toEqual({ kind: 'none' });
    expect(readCondition(null)).toEqual({ kind: 'none' });
  });

  it('a blob storage condition is not evaluated, with the attribute named', () => {
    const text = `(
 (
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})
 )
 OR 
 (
  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] StringEquals 'Cascade'
 )
)`;
    const reading = readCondition(text);
    expect(reading.kind).toBe('not-evaluated');
    expect(reading.kind === 'not-evaluated' && reading.reason).toContain(
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags',
    );
  });

  it('a text outside the grammar is not evaluated, saying it could not be parsed', () => {
    const reading = readCondition(`(${WRITE}) OR (${roleIs([OWNER])}`);
    expect(reading).toMatchObject({ kind: 'not-evaluated' });
    expect(reading.kind === 'not-evaluated' && reading.reason).toMatch(/could not be parsed/);
  });

  it('a regular-expression-looking trap is still parsed by structure: the role list inside a string is not a constraint', () => {
    const text = `(${WRITE}) OR (@Request[Microsoft.Authorization/roleAssignments:PrincipalType] StringEqualsIgnoreCase '${roleIs([OWNER])}')`;
    expect(readCondition(text)).toMatchObject({
      kind: 'not-evaluated',
      reason: 'the condition does not limit which roles can be assigned',
    });
  });

  it('a condition that constrains only the delete does not limit the write', () => {
    const text = `(!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${OWNER}})`;
    expect(readCondition(text)).toMatchObject({
      kind: 'not-evaluated',
      reason: 'the condition does not limit which roles can be assigned',
    });
  });

  it('a condition that constrains only principals does not limit the roles', () => {
    const text = `(${WRITE}) OR (@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'Group'})`;
    expect(readCondition(text).kind).toBe('not-evaluated');
  });

  it('an @Environment or @Principal attribute is not evaluated', () => {
    expect(readCondition(`(${WRITE}) OR (@Environment[isPrivateLink] BoolEquals true)`).kind).toBe(
      'not-evaluated',
    );
    expect(
      readCondition(
        `(${WRITE}) OR (@Principal[Microsoft.Directory/CustomSecurityAttributes/Id:Eng_Project] StringEquals 'x')`,
      ).kind,
    ).toBe('not-evaluated');
  });

  it('an operator other than equality on the role id is not evaluated', () => {
    expect(
      readCondition(
        `(${WRITE}) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] StringLike '*')`,
      ).kind,
    ).toBe('not-evaluated');
  });

  it('an unknown quantifier is not evaluated', () => {
    expect(
      readCondition(`(${WRITE}) OR (${roleIs([OWNER], 'ForSomeValues:GuidEquals')})`).kind,
    ).toBe('not-evaluated');
  });

  it('a value that is not a guid is not evaluated', () => {
    expect(readCondition(`(${WRITE}) OR (${roleIs(["'Owner'"])})`).kind).toBe('not-evaluated');
  });

  it('condition version 1.0 is not evaluated; 2.0 and a missing version are', () => {
    const text = `(${WRITE}) OR (${roleIs([ACR_PULL])})`;
    expect(readCondition(text, '1.0')).toMatchObject({
      kind: 'not-evaluated',
      reason: 'condition version 1.0 is not evaluated',
    });
    expect(readCondition(text, '2.0').kind).toBe('constrained');
    expect(readCondition(text).kind).toBe('constrained');
  });
});

describe('readCondition: the logic', () => {
  it('symbols && || ! read like AND OR NOT', () => {
    const words = constrained(
      `(NOT (ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (${roleIs([ACR_PULL])})`,
    );
    const symbols = constrained(`(${WRITE}) || (${roleIs([ACR_PULL])})`);
    expect(members(words.assignableRoles)).toEqual(members(symbols.assignableRoles));
  });

  it('keywords are case-insensitive', () => {
    const text = `(not (actionmatches{'Microsoft.Authorization/roleAssignments/write'})) or (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] foranyofanyvalues:guidequals {${ACR_PULL}})`;
    expect(members(constrained(text).assignableRoles)).toEqual({ kind: 'only', guids: [ACR_PULL] });
  });

  it('a plain GuidEquals with one value', () => {
    const text = `(${WRITE}) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidEquals ${ACR_PULL})`;
    expect(members(constrained(text).assignableRoles)).toEqual({ kind: 'only', guids: [ACR_PULL] });
  });

  it('a plain GuidNotEquals with one value excludes it', () => {
    const text = `(${WRITE}) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidNotEquals ${OWNER})`;
    expect(members(constrained(text).assignableRoles)).toEqual({
      kind: 'allExcept',
      guids: [OWNER],
    });
  });

  it('ForAnyOfAnyValues:GuidNotEquals over two roles is always true: no limit', () => {
    expect(
      readCondition(`(${WRITE}) OR (${roleIs([OWNER, UAA], 'ForAnyOfAnyValues:GuidNotEquals')})`)
        .kind,
    ).toBe('not-evaluated');
  });

  it('ForAnyOfAllValues:GuidEquals over two roles can never hold: nothing can be assigned', () => {
    expect(
      members(
        constrained(`(${WRITE}) OR (${roleIs([OWNER, UAA], 'ForAnyOfAllValues:GuidEquals')})`)
          .assignableRoles,
      ),
    ).toEqual({
      kind: 'only',
      guids: [],
    });
  });

  it('full role definition ids are reduced to their guid', () => {
    const id = `/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL.toUpperCase()}`;
    expect(members(constrained(`(${WRITE}) OR (${roleIs([`'${id}'`])})`).assignableRoles)).toEqual({
      kind: 'only',
      guids: [ACR_PULL],
    });
  });

  it('AND of two role lists keeps the common roles', () => {
    const text = `(${WRITE}) OR (${roleIs([OWNER, ACR_PULL])} AND ${roleIs([ACR_PULL, UAA])})`;
    expect(members(constrained(text).assignableRoles)).toEqual({ kind: 'only', guids: [ACR_PULL] });
  });

  it('OR of two role lists allows either', () => {
    const text = `(${WRITE}) OR (${roleIs([OWNER])}) OR (${roleIs([ACR_PULL])})`;
    expect(members(constrained(text).assignableRoles)).toEqual({
      kind: 'only',
      guids: [ACR_PULL, OWNER].sort(),
    });
  });

  it('a list minus an exclusion', () => {
    const text = `(${WRITE}) OR (${roleIs([OWNER, ACR_PULL])} AND NOT ${roleIs([OWNER])})`;
    expect(members(constrained(text).assignableRoles)).toEqual({ kind: 'only', guids: [ACR_PULL] });
  });

  it('a principal test ORed beside the role list lifts the limit (the holder picks the principal)', () => {
    const text = `(${WRITE}) OR (${roleIs([ACR_PULL])} OR @Request[Microsoft.Authorization/roleAssignments:PrincipalType] StringEqualsIgnoreCase 'Group')`;
    expect(readCondition(text).kind).toBe('not-evaluated');
  });

  it('NOT over a principal test does not pretend to know the answer', () => {
    const text = `(${WRITE}) OR (${roleIs([ACR_PULL])} OR NOT @Request[Microsoft.Authorization/roleAssignments:PrincipalId] GuidEquals ${OWNER})`;
    expect(readCondition(text).kind).toBe('not-evaluated');
  });

  it('an unguarded role test applies to the write as well', () => {
    expect(members(constrained(roleIs([ACR_PULL])).assignableRoles)).toEqual({
      kind: 'only',
      guids: [ACR_PULL],
    });
  });

  it('a wildcard ActionMatches covering the write guards it too', () => {
    const text = `(!(ActionMatches{'Microsoft.Authorization/roleAssignments/*'})) OR (${roleIs([ACR_PULL])})`;
    expect(members(constrained(text).assignableRoles)).toEqual({ kind: 'only', guids: [ACR_PULL] });
  });

  it('a guard on another action leaves the write free', () => {
    const text = `(!(ActionMatches{'Microsoft.Storage/storageAccounts/write'})) OR (${roleIs([ACR_PULL])})`;
    expect(readCondition(text).kind).toBe('not-evaluated');
  });
});

describe('describeRoleSet', () => {
  it('names the roles', () => {
    const names: Record<string, string> = { [OWNER]: 'Owner', [UAA]: 'User Access Administrator' };
    expect(describeRoleSet({ kind: 'only', guids: new Set([OWNER]) }, (g) => names[g])).toBe(
      'only Owner',
    );
    expect(
      describeRoleSet({ kind: 'allExcept', guids: new Set([OWNER, UAA]) }, (g) => names[g]),
    ).toBe('every role except Owner, User Access Administrator');
    expect(describeRoleSet({ kind: 'only', guids: new Set() })).toBe('no role');
    expect(describeRoleSet({ kind: 'allExcept', guids: new Set() })).toBe('every role');
  });
});

describe('parseCondition', () => {
  it('gives the tree of a comparison with a list', () => {
    const parsed = parseCondition(roleIs([OWNER, UAA]));
    expect(parsed).toEqual({
      ok: true,
      tree: {
        kind: 'comparison',
        source: 'Request',
        attribute: 'Microsoft.Authorization/roleAssignments:RoleDefinitionId',
        quantifier: 'ForAnyOfAnyValues',
        operator: 'GuidEquals',
        values: [OWNER, UAA],
        list: true,
      },
    });
  });

  it('AND binds tighter than OR', () => {
    const parsed = parseCondition(
      `ActionMatches{'a'} OR ActionMatches{'b'} AND ActionMatches{'c'}`,
    );
    expect(parsed.ok && parsed.tree.kind).toBe('or');
  });

  it('fails with a message on unbalanced parentheses, a dangling operator, or a missing value', () => {
    for (const text of [
      "(ActionMatches{'a'}",
      "ActionMatches{'a'} AND",
      '@Request[x] GuidEquals',
      '@Request[x]',
      'ORANGE',
    ]) {
      const parsed = parseCondition(text);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.message.length).toBeGreaterThan(0);
    }
  });

  it('does not read a word that merely starts with a keyword as the keyword', () => {
    expect(parseCondition(`ActionMatches{'a'} ORx ActionMatches{'b'}`).ok).toBe(false);
  });
});

describe('readCondition agrees with a brute-force evaluation', () => {
  // Random boolean expressions over role-id tests, evaluated per role by a direct reading of the
  // operators; the symbolic role set must say the same for every role in the universe.
  const universe = [OWNER, UAA, RBAC_ADMIN, ACR_PULL, CONTRIBUTOR];
  type Expr =
    | { op: 'and' | 'or'; l: Expr; r: Expr }
    | { op: 'not'; e: Expr }
    | { op: 'in' | 'notIn'; roles: string[] };
  const leaf: fc.Arbitrary<Expr> = fc.record({
    op: fc.constantFrom<'in' | 'notIn'>('in', 'notIn'),
    roles: fc.uniqueArray(fc.constantFrom(...universe), { minLength: 1, maxLength: 3 }),
  });
  const expr = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ op: fc.constantFrom<'and' | 'or'>('and', 'or'), l: tie('e'), r: tie('e') }),
      fc.record({ op: fc.constant<'not'>('not'), e: tie('e') }),
    ),
  })).e;
  const text = (e: Expr): string => {
    switch (e.op) {
      case 'and':
        return `(${text(e.l)}) AND (${text(e.r)})`;
      case 'or':
        return `(${text(e.l)}) || (${text(e.r)})`;
      case 'not':
        return `!(${text(e.e)})`;
      case 'in':
        return roleIs(e.roles);
      case 'notIn':
        return roleIs(e.roles, 'ForAnyOfAllValues:GuidNotEquals');
    }
  };
  const holds = (e: Expr, role: string): boolean => {
    switch (e.op) {
      case 'and':
        return holds(e.l, role) && holds(e.r, role);
      case 'or':
        return holds(e.l, role) || holds(e.r, role);
      case 'not':
        return !holds(e.e, role);
      case 'in':
        return e.roles.includes(role);
      case 'notIn':
        return !e.roles.includes(role);
    }
  };

  it('for every role of the universe', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const reading = readCondition(`(${WRITE}) OR (${text(e)})`);
        const allowed = universe.filter((role) => holds(e, role));
        if (reading.kind === 'constrained') {
          for (const role of universe)
            expect(roleSetHas(reading.assignableRoles, role)).toBe(allowed.includes(role));
        } else {
          // "No limit": only possible when every role of the universe is allowed... or the set is
          // the complement of an empty list, which no finite universe can tell apart from that.
          expect(reading).toMatchObject({
            kind: 'not-evaluated',
            reason: 'the condition does not limit which roles can be assigned',
          });
          expect(allowed).toEqual(universe);
        }
      }),
      process.env.CI ? { seed: 1913 } : {},
    );
  });
});

describe('canAssignPrivilegedRole', () => {
  const role = (guid: string, roleName: string): RoleDefinition => ({
    id: guid,
    guid,
    roleName,
    roleType: 'BuiltInRole',
    permissions: [],
    assignableScopes: ['/'],
  });
  const catalogue = [
    role(OWNER, 'Owner'),
    role(ACR_PULL, 'AcrPull'),
    role(BACKUP_READER, 'Backup Reader'),
  ];
  const lookup = (guid: string) => catalogue.find((r) => r.guid === guid);
  const privileged = new Set([OWNER]);
  const capabilitiesOf = (r: RoleDefinition) =>
    privileged.has(r.guid) ? ['admin-credential'] : [];
  const only = (...guids: string[]): RoleSet => ({ kind: 'only', guids: new Set(guids) });
  const allExcept = (...guids: string[]): RoleSet => ({ kind: 'allExcept', guids: new Set(guids) });

  it('a list of harmless roles cannot reach a path', () => {
    expect(
      canAssignPrivilegedRole(only(ACR_PULL, BACKUP_READER), lookup, catalogue, capabilitiesOf),
    ).toBe(false);
  });
  it('a list with one privileged role can', () => {
    expect(canAssignPrivilegedRole(only(ACR_PULL, OWNER), lookup, catalogue, capabilitiesOf)).toBe(
      true,
    );
  });
  it('an unknown role in the list counts as privileged', () => {
    expect(
      canAssignPrivilegedRole(
        only('00000000-0000-0000-0000-00000000beef'),
        lookup,
        catalogue,
        capabilitiesOf,
      ),
    ).toBe(true);
  });
  it('an exclusion list that leaves a privileged role can', () => {
    expect(canAssignPrivilegedRole(allExcept(ACR_PULL), lookup, catalogue, capabilitiesOf)).toBe(
      true,
    );
  });
  it('an exclusion list of every privileged role cannot', () => {
    expect(canAssignPrivilegedRole(allExcept(OWNER), lookup, catalogue, capabilitiesOf)).toBe(
      false,
    );
  });
});
