/**
 * Azure built-in role definitions the product relies on, shipped as data (ARCHITECTURE.md step
 * 2): `az role assignment list` exports and ARM listings name a built-in role only by its guid,
 * and snapshots need not export built-ins (CONTRACTS.md).
 *
 * Source of `data/builtin-roles.json`: the public "Azure built-in roles" reference on Microsoft
 * Learn (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles), i.e. the
 * generated pages in MicrosoftDocs/azure-docs under
 * `articles/role-based-access-control/built-in-roles/`: privileged.md and identity.md (page date
 * 2026-07-01), general.md (2026-02-23), containers.md (2025-06-30), security.md, networking.md,
 * monitor.md, storage.md and hybrid-multicloud.md; collected 2026-11-23. Ids, names,
 * descriptions, actions, notActions, dataActions and notDataActions are copied verbatim;
 * `guid` is the lower-cased last segment of the id. Role conditions (e.g. on Role Based Access
 * Control Administrator) are not modelled: the checks treat the role as unconditioned, which
 * over-reports (the safe side).
 *
 * When Microsoft changes a built-in role, update the JSON from that page; an estate that exports
 * its role definitions (custom or fetched) overrides these by guid.
 */
import type { RoleDefinition } from './model';
import data from './data/builtin-roles.json';

function load(raw: unknown): RoleDefinition[] {
  if (!Array.isArray(raw)) throw new Error('builtin-roles.json must be an array of role definitions');
  return raw.map((entry: RoleDefinition) => {
    const role: RoleDefinition = {
      id: entry.id,
      guid: entry.guid.toLowerCase(),
      roleName: entry.roleName,
      roleType: 'BuiltInRole',
      description: entry.description,
      permissions: entry.permissions.map((p) => ({
        actions: [...(p.actions ?? [])],
        notActions: [...(p.notActions ?? [])],
        dataActions: [...(p.dataActions ?? [])],
        notDataActions: [...(p.notDataActions ?? [])],
      })),
      assignableScopes: [...(entry.assignableScopes ?? ['/'])],
    };
    return deepFreeze(role);
  });
}

// Shared by every evaluation in the process: frozen so no caller can alter the catalogue.
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export const BUILTIN_ROLES: RoleDefinition[] = Object.freeze(load(data)) as RoleDefinition[];

const byGuid = new Map<string, RoleDefinition>(BUILTIN_ROLES.map((r) => [r.guid, r]));

/** A built-in role by guid (case-insensitive), or undefined. */
export function builtinRoleByGuid(guid: string): RoleDefinition | undefined {
  return byGuid.get(guid.trim().toLowerCase());
}

/** Well-known built-in role guids the checks name explicitly. */
export const BUILTIN_ROLE_GUIDS = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  roleBasedAccessControlAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  aksClusterAdminRole: '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
  aksClusterUserRole: '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  aksClusterMonitoringUser: '1afdec4b-e479-420e-99e7-f82237c7c5e6',
  aksContributorRole: 'ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8',
  aksRbacAdmin: '3498e952-d568-435e-9b2c-8d77e338d7f7',
  aksRbacClusterAdmin: 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b',
  aksRbacReader: '7f6c6a51-bcf8-42ba-9220-52d62157d7db',
  aksRbacWriter: 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
} as const;
