import {
  accessCheck,
  assignmentIdsOf,
  count,
  deleteAssignmentsCommand,
  describeUnresolved,
  principalAccessOf,
  unresolvedOutcome,
} from './common';
import { kubeletPrivilegeReason } from './identityPrivilege';

export const kubeletIdentityLeastPrivilege = accessCheck(
  {
    id: 'kubelet-identity-least-privilege',
    title: 'The kubelet identity holds no broad or role-granting roles',
    severity: 'high',
    rationale:
      'Every pod on every node can obtain a token for the kubelet (node) identity from the instance metadata endpoint; ' +
      'whatever that identity may do, any workload may do.',
    references: [
      'https://learn.microsoft.com/azure/aks/use-managed-identity',
      'https://learn.microsoft.com/azure/role-based-access-control/role-assignments-remove',
    ],
    failsWhen:
      'The kubelet identity holds, at any scope, a role with `*` actions, `Microsoft.Authorization/roleAssignments/write`, `Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action`, or one of Owner, Contributor, User Access Administrator, Role Based Access Control Administrator, Virtual Machine Contributor, Managed Identity Operator (not applicable without a kubelet identity).',
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  ({ cluster, index }) => {
    const objectId = cluster.kubeletIdentity?.objectId?.trim();
    if (!objectId)
      return {
        status: 'not-applicable',
        detail: 'The cluster reports no kubelet identity object id.',
        principals: [],
      };

    const assignments = index.assignmentsOfPrincipal(objectId);
    const flagged = assignments
      .map((r) => ({ r, reason: kubeletPrivilegeReason(r) }))
      .filter((x): x is { r: typeof x.r; reason: string } => x.reason !== undefined);
    const unresolved = assignments.filter((r) => !r.role).map((r) => r.assignment);
    const principals = flagged.map(({ r }) => principalAccessOf(r));

    if (flagged.length > 0) {
      const listed = flagged.map(({ r, reason }) => `${reason} at ${r.assignment.scope || '/'}`);
      return {
        status: 'fail',
        detail:
          `The kubelet identity ${objectId} holds ${count(flagged.length, 'over-broad role assignment')}: ${listed.join('; ')}.` +
          (unresolved.length > 0 ? ` ${describeUnresolved(unresolved)}` : ''),
        principals,
        assignmentIds: assignmentIdsOf(flagged.map(({ r }) => r.assignment)),
      };
    }
    if (unresolved.length > 0) {
      return unresolvedOutcome(
        `Whether the kubelet identity ${objectId} is over-privileged is unknown.`,
        unresolved,
        principals,
      );
    }
    return {
      status: 'pass',
      detail: `The kubelet identity ${objectId} holds no Owner, Contributor, User Access Administrator, RBAC Administrator, Virtual Machine Contributor, Managed Identity Operator, \`*\`, role-assignment-write or identity-assign role (${count(assignments.length, 'assignment')} checked).`,
      principals,
    };
  },
  { needsConfiguration: true },
);
