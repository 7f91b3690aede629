import type { ResolvedAssignment } from '../access';
import { scopeKind } from '../scope';
import {
  accessCheck,
  assignmentIdsOf,
  count,
  deleteAssignmentsCommand,
  describeUnresolved,
  managedIdentityKind,
  principalAccessOf,
  unresolvedOutcome,
} from './common';
import { BROAD_SCOPES, controlPlanePrivilegeReason } from './identityPrivilege';

export const controlPlaneIdentityLeastPrivilege = accessCheck(
  {
    id: 'control-plane-identity-least-privilege',
    title: 'The control-plane identity holds no broad roles at subscription level or above',
    severity: 'medium',
    rationale:
      'The cluster identity needs rights on its network and node resource group, not on the subscription: ' +
      'Owner, Contributor, User Access Administrator or role-assignment rights there turn a cluster compromise into a subscription compromise.',
    references: [
      'https://learn.microsoft.com/azure/aks/use-managed-identity',
      'https://learn.microsoft.com/azure/role-based-access-control/best-practices',
    ],
    failsWhen:
      'The cluster identity holds Owner, Contributor, User Access Administrator or `roleAssignments/write` at subscription, management-group or root scope.',
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  ({ cluster, index }) => {
    if (managedIdentityKind(cluster) === undefined && !cluster.identity?.principalId) {
      return {
        status: 'not-applicable',
        detail: 'The cluster does not use a managed identity.',
        principals: [],
      };
    }
    const principalIds = new Map<string, string>();
    const add = (id: string | undefined) => {
      const trimmed = id?.trim();
      if (trimmed) principalIds.set(trimmed.toLowerCase(), trimmed);
    };
    add(cluster.identity?.principalId);
    for (const uai of cluster.identity?.userAssignedIdentities ?? []) add(uai.principalId);
    if (principalIds.size === 0) {
      return {
        status: 'error',
        detail: `The cluster uses a ${cluster.identity?.type} identity but reports no principalId for it, so its role assignments cannot be looked up.`,
        principals: [],
      };
    }

    const broad: ResolvedAssignment[] = [];
    for (const id of principalIds.values()) {
      for (const r of index.assignmentsOfPrincipal(id)) {
        if (BROAD_SCOPES.has(scopeKind(r.assignment.scope ?? ''))) broad.push(r);
      }
    }
    const flagged = broad
      .map((r) => ({ r, reason: controlPlanePrivilegeReason(r) }))
      .filter((x): x is { r: ResolvedAssignment; reason: string } => x.reason !== undefined);
    const unresolved = broad.filter((r) => !r.role).map((r) => r.assignment);
    const principals = flagged.map(({ r }) => principalAccessOf(r));
    const who = [...principalIds.values()].join(', ');

    if (flagged.length > 0) {
      const listed = flagged.map(
        ({ r, reason }) =>
          `${reason} for ${r.assignment.principalId} at ${r.assignment.scope || '/'}`,
      );
      return {
        status: 'fail',
        detail:
          `The control-plane identity holds ${count(flagged.length, 'broad role assignment')} at subscription level or above: ${listed.join('; ')}.` +
          (unresolved.length > 0 ? ` ${describeUnresolved(unresolved)}` : ''),
        principals,
        assignmentIds: assignmentIdsOf(flagged.map(({ r }) => r.assignment)),
      };
    }
    if (unresolved.length > 0) {
      return unresolvedOutcome(
        `Whether the control-plane identity (${who}) is over-privileged is unknown.`,
        unresolved,
        principals,
      );
    }
    return {
      status: 'pass',
      detail: `The control-plane identity (${who}) holds no Owner, Contributor, User Access Administrator or role-assignment-write role at subscription level or above.`,
      principals,
    };
  },
  { needsConfiguration: true },
);
