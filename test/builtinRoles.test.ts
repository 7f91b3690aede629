import {
  BUILTIN_ROLE_GUIDS,
  builtinRoleByGuid,
  builtinRoles,
  builtinRoleSource,
} from '../src/core/builtinRoles';
import raw from '../src/core/data/builtin-roles.json';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Name -> guid as published in the Azure built-in roles reference.
const REQUIRED: Record<string, string> = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  'Azure Kubernetes Service Cluster Admin Role': '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
  'Azure Kubernetes Service Cluster User Role': '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  'Azure Kubernetes Service Cluster Monitoring User': '1afdec4b-e479-420e-99e7-f82237c7c5e6',
  'Azure Kubernetes Service Contributor Role': 'ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8',
  'Azure Kubernetes Service RBAC Admin': '3498e952-d568-435e-9b2c-8d77e338d7f7',
  'Azure Kubernetes Service RBAC Cluster Admin': 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b',
  'Azure Kubernetes Service RBAC Reader': '7f6c6a51-bcf8-42ba-9220-52d62157d7db',
  'Azure Kubernetes Service RBAC Writer': 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  'Network Contributor': '4d97b98b-1d4f-4787-a291-c67834d212e7',
  'Managed Identity Operator': 'f1a07417-d97a-45cb-824c-7a7467783830',
  'Managed Identity Contributor': 'e40ec5ca-96e0-45a2-b4ff-59039f2c2b59',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  'Key Vault Administrator': '00482a5a-887f-4fb3-b363-3b7fe8e74483',
  'Azure Arc Kubernetes Cluster Admin': '8393591c-06b9-48a2-a542-1bd6b377f6a2',
  'Monitoring Reader': '43d0d8ad-25c7-4714-9337-8ba259a9fe05',
  // Outside the 35 roles shipped before the whole catalogue: common on real clusters.
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Virtual Machine Contributor': '9980e02c-c2be-4d73-94e8-173b1dc7cf3c',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Azure Kubernetes Fleet Manager RBAC Cluster Admin': '18ab4d3d-a1bf-4477-8ad9-8359bc988f69',
};

const BUILTIN_ROLES = builtinRoles();

describe('built-in role catalogue', () => {
  it('is the whole catalogue, with its source and date recorded beside it', () => {
    expect(Array.isArray(raw.roles)).toBe(true);
    expect(BUILTIN_ROLES.length).toBe(raw.roles.length);
    expect(BUILTIN_ROLES.length).toBeGreaterThan(900);
    const source = builtinRoleSource();
    expect(source.repository).toBe('https://github.com/easimon/azure-builtin-roles');
    expect(source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(Date.parse(source.committedAt)).not.toBeNaN();
    expect(source.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(source.roles).toBe(BUILTIN_ROLES.length);
  });

  it('has every AKS built-in role the checks can meet (each name starting "Azure Kubernetes Service")', () => {
    const aks = BUILTIN_ROLES.filter((r) => r.roleName.startsWith('Azure Kubernetes Service')).map(
      (r) => r.roleName,
    );
    for (const name of Object.keys(REQUIRED).filter((n) =>
      n.startsWith('Azure Kubernetes Service'),
    ))
      expect(aks).toContain(name);
    expect(aks.length).toBeGreaterThanOrEqual(10);
  });

  it('has unique, well-formed, lower-case guids matching the id', () => {
    const guids = BUILTIN_ROLES.map((r) => r.guid);
    expect(new Set(guids).size).toBe(guids.length);
    for (const role of BUILTIN_ROLES) {
      expect(role.guid).toMatch(GUID);
      expect(role.id).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`);
    }
  });

  it('has unique role names', () => {
    const names = BUILTIN_ROLES.map((r) => r.roleName.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
  });

  it('every entry is a complete built-in definition', () => {
    for (const role of BUILTIN_ROLES) {
      expect(role.roleType).toBe('BuiltInRole');
      expect(role.roleName.length).toBeGreaterThan(0);
      expect(role.assignableScopes.length).toBeGreaterThan(0);
      expect(role.permissions.length).toBeGreaterThan(0);
      for (const p of role.permissions) {
        for (const list of [p.actions, p.notActions, p.dataActions, p.notDataActions]) {
          expect(Array.isArray(list)).toBe(true);
          // `*`, or a provider namespace and a path. Kept verbatim: Azure itself ships a few odd
          // entries (a trailing `/` or space, `{operationName}`, `analyzers:analyze`).
          for (const entry of list)
            expect(entry).toMatch(/^(\*|[A-Za-z0-9][A-Za-z0-9.*]*)(\/\S*)* ?$/);
        }
      }
    }
  });

  it.each(Object.entries(REQUIRED))('contains %s with guid %s', (name, guid) => {
    const role = builtinRoleByGuid(guid);
    expect(role?.roleName).toBe(name);
  });

  it('the named guids used by the checks all resolve', () => {
    for (const guid of Object.values(BUILTIN_ROLE_GUIDS))
      expect(builtinRoleByGuid(guid)).toBeDefined();
  });

  it('looks up case-insensitively and tolerates whitespace', () => {
    expect(builtinRoleByGuid(' 8E3AF657-A8FF-443C-A75C-2FE8C4BCB635 ')?.roleName).toBe('Owner');
    expect(builtinRoleByGuid('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(builtinRoleByGuid('')).toBeUndefined();
  });

  it('Owner is * with nothing removed', () => {
    expect(builtinRoleByGuid(REQUIRED.Owner)!.permissions).toEqual([
      { actions: ['*'], notActions: [], dataActions: [], notDataActions: [] },
    ]);
  });

  it('Contributor is * minus authorization writes/deletes, elevateAccess, blueprint assignments and gallery sharing', () => {
    const [block] = builtinRoleByGuid(REQUIRED.Contributor)!.permissions;
    expect(block.actions).toEqual(['*']);
    expect(block.notActions).toEqual(
      expect.arrayContaining([
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
      ]),
    );
  });

  it('User Access Administrator is */read, Microsoft.Authorization/* and Microsoft.Support/*', () => {
    expect(
      builtinRoleByGuid(REQUIRED['User Access Administrator'])!.permissions[0].actions,
    ).toEqual(['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*']);
  });

  it('Role Based Access Control Administrator writes and deletes role assignments', () => {
    expect(
      builtinRoleByGuid(REQUIRED['Role Based Access Control Administrator'])!.permissions[0]
        .actions,
    ).toEqual(
      expect.arrayContaining([
        'Microsoft.Authorization/roleAssignments/write',
        'Microsoft.Authorization/roleAssignments/delete',
      ]),
    );
  });

  it('AKS Cluster Admin Role lists both admin credential paths', () => {
    expect(
      builtinRoleByGuid(REQUIRED['Azure Kubernetes Service Cluster Admin Role'])!.permissions[0]
        .actions,
    ).toEqual(
      expect.arrayContaining([
        'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
        'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action',
        'Microsoft.ContainerService/managedClusters/read',
      ]),
    );
  });

  it('AKS RBAC Cluster Admin has the unrestricted managedClusters data wildcard; RBAC Admin carves out four', () => {
    const clusterAdmin = builtinRoleByGuid(REQUIRED['Azure Kubernetes Service RBAC Cluster Admin'])!
      .permissions[0];
    expect(clusterAdmin.dataActions).toEqual(['Microsoft.ContainerService/managedClusters/*']);
    expect(clusterAdmin.notDataActions).toEqual([]);
    const admin = builtinRoleByGuid(REQUIRED['Azure Kubernetes Service RBAC Admin'])!
      .permissions[0];
    expect(admin.dataActions).toEqual(['Microsoft.ContainerService/managedClusters/*']);
    expect(admin.notDataActions).toHaveLength(4);
  });

  it('cannot be altered by a caller', () => {
    const owner = builtinRoleByGuid(REQUIRED.Owner)!;
    expect(Object.isFrozen(owner)).toBe(true);
    expect(Object.isFrozen(owner.permissions[0].actions)).toBe(true);
    expect(Object.isFrozen(BUILTIN_ROLES)).toBe(true);
  });
});
