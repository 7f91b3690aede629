import type { ResolvedAssignment } from '../access';
import { roleWildcardActions } from '../permissions';
import {
  accessCheck,
  count,
  describePrincipal,
  principalAccessOf,
  sameText,
  unresolvedOutcome,
} from './common';

function isCustomRoleWithWildcards(r: ResolvedAssignment): boolean {
  return r.role !== undefined && sameText(r.role.roleType, 'CustomRole') && roleWildcardActions(r.role).length > 0;
}

export const customRoleWildcards = accessCheck(
  {
    id: 'custom-role-wildcards',
    title: 'Custom roles assigned over the cluster list their actions explicitly',
    severity: 'medium',
    rationale:
      'A custom role with `*`, `Microsoft.ContainerService/*` or `Microsoft.ContainerService/managedClusters/*` silently grows with every new ' +
      'provider operation, including ones that hand out credentials.',
    references: [
      'https://learn.microsoft.com/azure/role-based-access-control/custom-roles',
      'https://learn.microsoft.com/azure/aks/concepts-identity',
    ],
    remediation: () => 'az role definition update --role-definition <role-definition-with-explicit-actions.json>',
  },
  ({ access }) => {
    const flagged = access.assignments.filter(isCustomRoleWithWildcards);
    const principals = flagged.map(principalAccessOf);
    if (flagged.length > 0) {
      const byRole = new Map<string, string[]>();
      for (const r of flagged) {
        const key = `${r.role!.roleName} (${roleWildcardActions(r.role!).join(', ')})`;
        const list = byRole.get(key) ?? [];
        list.push(describePrincipal(principalAccessOf(r)));
        byRole.set(key, list);
      }
      const roles = [...byRole].map(([role, holders]) => `${role} assigned to ${holders.join('; ')}`);
      return {
        status: 'fail',
        detail:
          `${count(byRole.size, 'custom role')} with wildcard actions ${byRole.size === 1 ? 'is' : 'are'} assigned over the cluster: ${roles.join('. ')}.` +
          (access.unresolved.length > 0 ? ` ${count(access.unresolved.length, 'other assignment')} could not be resolved.` : ''),
        principals,
      };
    }
    if (access.unresolved.length > 0) {
      return unresolvedOutcome('Whether a custom role with wildcard actions is assigned over the cluster is unknown.', access.unresolved, principals);
    }
    return { status: 'pass', detail: 'No custom role with wildcard actions is assigned over the cluster.', principals };
  },
);
