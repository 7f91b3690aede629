import type { ResolvedAssignment } from '../access';
import { accessQuery } from '../accessQuery';
import type { RoleDefinition } from '../model';
import { roleWildcardActions, roleWildcardDataActions } from '../permissions';
import { describeGrant } from '../principals';
import { accessCheck, count, principalAccessOf, sameText, unresolvedOutcome } from './common';

// Per role definition (an estate has tens of roles and up to millions of assignments of them).
const isWildcardCustomRole = new WeakMap<RoleDefinition, boolean>();

/** `actions *; dataActions Microsoft.ContainerService/*`, or '' when the role has none. */
function wildcardsOf(role: RoleDefinition): string {
  const actions = roleWildcardActions(role);
  const dataActions = roleWildcardDataActions(role);
  return [
    ...(actions.length > 0 ? [`actions ${actions.join(', ')}`] : []),
    ...(dataActions.length > 0 ? [`dataActions ${dataActions.join(', ')}`] : []),
  ].join('; ');
}

function isCustomRoleWithWildcards(r: ResolvedAssignment): boolean {
  const role = r.role;
  if (role === undefined) return false;
  let flagged = isWildcardCustomRole.get(role);
  if (flagged === undefined) {
    flagged = sameText(role.roleType, 'CustomRole') && wildcardsOf(role) !== '';
    isWildcardCustomRole.set(role, flagged);
  }
  return flagged;
}

export const customRoleWildcards = accessCheck(
  {
    id: 'custom-role-wildcards',
    title: 'Custom roles assigned over the cluster list their actions explicitly',
    severity: 'medium',
    rationale:
      'A custom role with `*`, `Microsoft.ContainerService/*` or `Microsoft.ContainerService/managedClusters/*` among its actions or data actions ' +
      'silently grows with every new provider operation, including ones that hand out credentials or, with Azure RBAC, every Kubernetes API call.',
    references: [
      'https://learn.microsoft.com/azure/role-based-access-control/custom-roles',
      'https://learn.microsoft.com/azure/aks/concepts-identity',
    ],
    failsWhen:
      'A custom role assigned over the cluster has an action or data action `*`, `Microsoft.ContainerService/*` or `Microsoft.ContainerService/managedClusters/*`.',
    remediation: () =>
      'az role definition update --role-definition <role-definition-with-explicit-actions.json>',
  },
  (input) => {
    const { access } = input;
    const flagged = accessQuery(access).assignmentsWhere(isCustomRoleWithWildcards);
    const principals = flagged.map(principalAccessOf);
    if (flagged.length > 0) {
      const byRole = new Map<string, string[]>();
      for (let i = 0; i < flagged.length; i++) {
        const role = flagged[i].role!;
        const key = `${role.roleName} (${wildcardsOf(role)})`;
        const list = byRole.get(key) ?? [];
        list.push(describeGrant(principals[i]));
        byRole.set(key, list);
      }
      const roles = [...byRole].map(
        ([role, holders]) => `${role} assigned to ${holders.join('; ')}`,
      );
      return {
        status: 'fail',
        detail:
          `${count(byRole.size, 'custom role')} with wildcard actions ${byRole.size === 1 ? 'is' : 'are'} assigned over the cluster: ${roles.join('. ')}.` +
          (access.unresolved.length > 0
            ? ` ${count(access.unresolved.length, 'other assignment')} could not be resolved.`
            : ''),
        principals,
      };
    }
    if (access.unresolved.length > 0) {
      return unresolvedOutcome(
        'Whether a custom role with wildcard actions is assigned over the cluster is unknown.',
        access.unresolved,
        principals,
      );
    }
    return {
      status: 'pass',
      detail: 'No custom role with wildcard actions is assigned over the cluster.',
      principals,
    };
  },
);
