import type { ResolvedAssignment } from '../access';
import type { Cluster } from '../model';
import { scopeKind } from '../scope';
import {
  accessCheck,
  assignmentIdsOf,
  count,
  deleteAssignmentsCommand,
  describeUnresolved,
  principalAccessOf,
  unresolvedOutcome,
} from './common';
import { BROAD_SCOPES, kubeletPrivilegeReason } from './identityPrivilege';

/**
 * The identities the cluster attaches to its nodes for add-ons, by object id (lower-cased), with
 * what each is for. One identity serving two add-ons is judged once.
 */
function addonIdentities(cluster: Cluster): Map<string, string> {
  const found = new Map<string, string>();
  const add = (objectId: string | undefined, what: string) => {
    const id = objectId?.trim();
    if (id && !found.has(id.toLowerCase())) found.set(id.toLowerCase(), `${what} identity ${id}`);
  };
  for (const [name, addon] of Object.entries(cluster.addons ?? {}))
    add(addon?.identity?.objectId, `add-on ${name}`);
  add(cluster.webAppRoutingIdentity?.objectId, 'web app routing');
  return found;
}

export const addonIdentityLeastPrivilege = accessCheck(
  {
    id: 'addon-identity-least-privilege',
    title: 'Add-on identities hold no broad or role-granting roles at subscription level or above',
    severity: 'medium',
    rationale:
      'Add-on identities (Key Vault secrets provider, monitoring agent, application routing…) sit on the same nodes as the kubelet identity: ' +
      'a workload that reaches the node can use their tokens.',
    references: [
      'https://learn.microsoft.com/azure/aks/use-managed-identity#summary-of-managed-identities-used-by-aks',
      'https://learn.microsoft.com/azure/role-based-access-control/role-assignments-remove',
    ],
    failsWhen:
      'An identity the cluster attaches to its nodes for an add-on (`addonProfiles.*.identity.objectId`, `ingressProfile.webAppRouting.identity.objectId`) ' +
      'holds, at subscription, management-group or root scope, a role with `*` actions, `roleAssignments/write`, `userAssignedIdentities/*/assign/action`, ' +
      'or one of Owner, Contributor, User Access Administrator, Role Based Access Control Administrator, Virtual Machine Contributor, Managed Identity Operator ' +
      '(not applicable without such identities).',
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  ({ cluster, index }) => {
    const identities = addonIdentities(cluster);
    if (identities.size === 0)
      return {
        status: 'not-applicable',
        detail: 'The cluster reports no add-on identity.',
        principals: [],
      };

    const flagged: { r: ResolvedAssignment; reason: string; who: string }[] = [];
    const unresolved: ResolvedAssignment[] = [];
    let checked = 0;
    for (const [objectId, who] of identities) {
      for (const r of index.assignmentsOfPrincipal(objectId)) {
        if (!BROAD_SCOPES.has(scopeKind(r.assignment.scope ?? ''))) continue;
        checked += 1;
        if (!r.role) unresolved.push(r);
        const reason = kubeletPrivilegeReason(r);
        if (reason !== undefined) flagged.push({ r, reason, who });
      }
    }
    const principals = flagged.map(({ r }) => principalAccessOf(r));
    const missing = unresolved.map((r) => r.assignment);
    if (flagged.length > 0) {
      const listed = flagged.map(
        ({ r, reason, who }) => `${who}: ${reason} at ${r.assignment.scope || '/'}`,
      );
      return {
        status: 'fail',
        detail:
          `${count(flagged.length, 'over-broad role assignment')} of add-on identities at subscription level or above: ${listed.join('; ')}.` +
          (missing.length > 0 ? ` ${describeUnresolved(missing)}` : ''),
        principals,
        assignmentIds: assignmentIdsOf(flagged.map(({ r }) => r.assignment)),
      };
    }
    if (missing.length > 0) {
      return unresolvedOutcome(
        'Whether the add-on identities are over-privileged is unknown.',
        missing,
        principals,
      );
    }
    return {
      status: 'pass',
      detail: `No add-on identity (${[...identities.values()].join(', ')}) holds a broad or role-granting role at subscription level or above (${count(checked, 'assignment')} checked).`,
      principals,
    };
  },
  { needsConfiguration: true },
);
