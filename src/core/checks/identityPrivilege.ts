/**
 * What makes a managed identity over-privileged for `kubelet-identity-least-privilege` and
 * `control-plane-identity-least-privilege`: the roles and actions that let whoever holds the
 * identity take over resources or grant itself more.
 */
import type { ResolvedAssignment } from '../access';
import { BUILTIN_ROLE_GUIDS } from '../builtinRoles';
import type { RoleDefinition } from '../model';
import { ACTION_ROLE_ASSIGNMENT_WRITE, allowsAction } from '../permissions';

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

/** Why an assignment is over-privileged for a kubelet identity, or undefined. */
export function kubeletPrivilegeReason(r: ResolvedAssignment): string | undefined {
  if (!r.role) return undefined;
  if (isOwnerContributorOrUserAccessAdministrator(r)) return r.role.roleName;
  if (hasStarAction(r.role)) return `${r.role.roleName} (\`*\` actions)`;
  if (grantsRoleAssignmentWrite(r.role))
    return `${r.role.roleName} (${ACTION_ROLE_ASSIGNMENT_WRITE})`;
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
