/**
 * What makes a managed identity over-privileged for `kubelet-identity-least-privilege` and
 * `control-plane-identity-least-privilege`: the roles and actions that let whoever holds the
 * identity take over resources or grant itself more.
 */
import type { ResolvedAssignment } from '../access';
import { BUILTIN_ROLE_GUIDS } from '../builtinRoles';
import type { RoleDefinition } from '../model';
import type { ScopeKind } from '../scope';
import { ACTION_ROLE_ASSIGNMENT_WRITE, allowsAction } from '../permissions';

/** Scopes above a resource group: a cluster's own identities never need broad rights there. */
export const BROAD_SCOPES: ReadonlySet<ScopeKind> = new Set<ScopeKind>([
  'subscription',
  'managementGroup',
  'root',
]);

const BROAD_BUILTIN_ROLES = new Set<string>([
  BUILTIN_ROLE_GUIDS.owner,
  BUILTIN_ROLE_GUIDS.contributor,
  BUILTIN_ROLE_GUIDS.userAccessAdministrator,
]);

function roleGuid(r: ResolvedAssignment): string {
  return (r.role?.guid || r.assignment.roleDefinitionGuid || '').trim().toLowerCase();
}

export function isOwnerContributorOrUserAccessAdministrator(r: ResolvedAssignment): boolean {
  return BROAD_BUILTIN_ROLES.has(roleGuid(r));
}

/** Whether some permission block lists the bare `*` action (Owner, Contributor and copies of them). */
export function hasStarAction(role: RoleDefinition): boolean {
  return (role.permissions ?? []).some((block) =>
    (block.actions ?? []).some((a) => typeof a === 'string' && a.trim() === '*'),
  );
}

export function grantsRoleAssignmentWrite(role: RoleDefinition): boolean {
  return allowsAction(role, ACTION_ROLE_ASSIGNMENT_WRITE);
}

/**
 * Built-in roles that make a node identity over-privileged by name, beyond the three above:
 * Role Based Access Control Administrator, Virtual Machine Contributor, Managed Identity Operator.
 */
const NODE_IDENTITY_ROLES = new Set<string>([
  BUILTIN_ROLE_GUIDS.roleBasedAccessControlAdministrator,
  BUILTIN_ROLE_GUIDS.virtualMachineContributor,
  BUILTIN_ROLE_GUIDS.managedIdentityOperator,
]);

/** Attaching any user-assigned identity to a resource one controls: acting as that identity. */
export const ACTION_ASSIGN_USER_ASSIGNED_IDENTITY =
  'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action';

// The operation is `…/userAssignedIdentities/assign/action`; roles grant it as `…/*/assign/action`,
// which by the letter needs a segment in between. Either spelling allowed counts.
const ASSIGN_IDENTITY_PROBES = [
  'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
  'Microsoft.ManagedIdentity/userAssignedIdentities/any/assign/action',
];

function grantsIdentityAssign(role: RoleDefinition): boolean {
  return ASSIGN_IDENTITY_PROBES.some((action) => allowsAction(role, action));
}

/**
 * Why an assignment is over-privileged for an identity every pod on the nodes can use (the
 * kubelet identity, add-on identities), or undefined.
 */
export function kubeletPrivilegeReason(r: ResolvedAssignment): string | undefined {
  if (!r.role) return undefined;
  if (isOwnerContributorOrUserAccessAdministrator(r) || NODE_IDENTITY_ROLES.has(roleGuid(r)))
    return r.role.roleName;
  if (hasStarAction(r.role)) return `${r.role.roleName} (\`*\` actions)`;
  if (grantsRoleAssignmentWrite(r.role))
    return `${r.role.roleName} (${ACTION_ROLE_ASSIGNMENT_WRITE})`;
  if (grantsIdentityAssign(r.role))
    return `${r.role.roleName} (${ACTION_ASSIGN_USER_ASSIGNED_IDENTITY})`;
  return undefined;
}

/** Why an assignment is over-privileged for a control-plane identity (scope aside), or undefined. */
export function controlPlanePrivilegeReason(r: ResolvedAssignment): string | undefined {
  if (!r.role) return undefined;
  if (isOwnerContributorOrUserAccessAdministrator(r)) return r.role.roleName;
  if (grantsRoleAssignmentWrite(r.role))
    return `${r.role.roleName} (${ACTION_ROLE_ASSIGNMENT_WRITE})`;
  return undefined;
}
