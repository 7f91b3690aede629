/**
 * `orphaned-role-assignments` (docs/access.md): an assignment over the cluster whose principal the
 * directory no longer knows. The grant does nothing today, but an object recreated or restored
 * with that id inherits it, and it is evidence of a clean-up that was never finished.
 */
import type { ResolvedAssignment } from '../access';
import { accessQuery } from '../accessQuery';
import {
  accessCheck,
  count,
  deleteAssignmentsCommand,
  describePrincipals,
  principalAccessOf,
} from './common';

// `deleted` is on the assignments themselves (answered once per shared scope view: core/accessQuery).
const isOrphaned = (r: ResolvedAssignment): boolean => r.assignment.deleted === true;

export const orphanedRoleAssignments = accessCheck(
  {
    id: 'orphaned-role-assignments',
    title: 'No role assignment over the cluster names a deleted principal',
    severity: 'low',
    rationale:
      'An assignment whose principal was deleted does nothing today, but an object recreated or restored with that id inherits it, ' +
      'and it is evidence of a clean-up that was never finished.',
    references: [
      'https://learn.microsoft.com/azure/role-based-access-control/troubleshooting',
      'https://learn.microsoft.com/azure/role-based-access-control/role-assignments-remove',
    ],
    failsWhen:
      'An assignment over the cluster names a principal the directory no longer knows (`deleted`; not applicable without directory data: Microsoft Graph live, `principals.json` in a snapshot).',
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  (input) => {
    const estate = input.estate;
    if (!estate?.directory) {
      const failures = (estate?.failures ?? [])
        .filter((f) => f.part === 'directory')
        .map((f) => f.message);
      if (failures.length > 0) {
        return {
          status: 'error',
          detail: `Whether any principal over the cluster was deleted is unknown: ${failures.join('; ')}.`,
          principals: [],
        };
      }
      return {
        status: 'not-applicable',
        detail:
          'No directory data: set AUDIT_DIRECTORY=graph (live) or add principals.json to the snapshot to find assignments of deleted principals.',
        principals: [],
      };
    }
    const access = accessQuery(input.access);
    const principals = access.assignmentsWhere(isOrphaned).map(principalAccessOf);
    if (principals.length > 0) {
      return {
        status: 'fail',
        detail: `${count(principals.length, 'role assignment')} over the cluster name${principals.length === 1 ? 's' : ''} a principal ${estate.directory.source} no longer knows: ${describePrincipals(principals)}.`,
        principals,
        assignmentIds: access.assignmentIdsWhere(isOrphaned),
      };
    }
    return {
      status: 'pass',
      detail: `${estate.directory.source} knows the principal of every one of the ${count(input.access.assignments.length, 'assignment')} over the cluster.`,
      principals,
    };
  },
);
