import type { ResolvedAssignment } from '../access';
import { accessQuery } from '../accessQuery';
import { EVERY_CAPABILITY_COUNTS, roleCapabilities } from '../permissions';
import type { PrincipalAccess, RoleAssignment } from '../model';
import {
  accessCheck,
  count,
  deleteAssignmentsCommand,
  describePrincipals,
  describeUnresolved,
  sameText,
  unresolvedOutcome,
} from './common';

function isUser(principalType: string | undefined): boolean {
  // The exact spelling first: it is how ARM, the SDK and `az` all write it, and it saves
  // lower-casing a copy for each of the hundreds of thousands of entries of a large estate.
  return principalType === 'User' || sameText(principalType, 'User');
}

/** An assignment whose principal type is not given may well be a user. */
function mayBeUser(a: RoleAssignment): boolean {
  return isUser(a.principalType) || !a.principalType || a.principalType.trim() === '';
}

// A PIM eligibility is the governed form (activation is approved and audited): never a failure.
const isUserHolder = (p: PrincipalAccess): boolean =>
  isUser(p.principalType) && p.eligible !== true;
const isPrivilegedUserAssignment = (r: ResolvedAssignment): boolean =>
  r.capabilities.length > 0 && isUser(r.assignment.principalType) && r.assignment.eligible !== true;
const anyHolder = (): boolean => true;
/** Exports without `principalType` (and ARM's `Unknown`) cannot say whether a user holds the grant. */
const isUnknownTypeHolder = (p: PrincipalAccess): boolean =>
  p.eligible !== true &&
  (!p.principalType || p.principalType.trim() === '' || sameText(p.principalType, 'Unknown'));

export const privilegedAccessViaGroups = accessCheck(
  {
    id: 'privileged-access-via-groups',
    title: 'Privileged access is granted to groups, not to individual users',
    severity: 'medium',
    rationale:
      'Privileged access granted to governed groups (access reviews, PIM for groups, joiner/mover/leaver processes) is reviewed and removed; ' +
      'access granted to individual users outlives their need for it.',
    references: [
      'https://learn.microsoft.com/azure/role-based-access-control/best-practices',
      'https://learn.microsoft.com/azure/aks/manage-azure-rbac',
    ],
    // After granting the same role to a governed group, remove the direct user assignments.
    failsWhen:
      'A principal with a cluster-admin path is assigned directly as a `User` (active, not eligible) rather than through a group; `error` when the principal type is unknown.',
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  (input) => {
    const { cluster } = input;
    const access = accessQuery(input.access);
    const principals = access.holdersWhere(anyHolder);
    const users = access.holdersWhere(isUserHolder);
    const userAssignmentIds = access.assignmentIdsWhere(isPrivilegedUserAssignment);
    const unresolvedUsers = access.unresolvedWhere(mayBeUser);

    if (users.length > 0) {
      const note = unresolvedUsers.length > 0 ? ` ${describeUnresolved(unresolvedUsers)}` : '';
      return {
        status: 'fail',
        detail: `${count(users.length, 'privileged assignment')} ${users.length === 1 ? 'is' : 'are'} granted to users directly: ${describePrincipals(users)}.${note}`,
        principals,
        assignmentIds: userAssignmentIds,
      };
    }
    if (unresolvedUsers.length > 0) {
      return unresolvedOutcome(
        'Whether these user assignments are privileged is unknown.',
        unresolvedUsers,
        principals,
      );
    }
    const unknownTypes = access.holdersWhere(isUnknownTypeHolder);
    if (unknownTypes.length > 0) {
      // Passing would assume they are groups or service principals: not known, so not a pass.
      return {
        status: 'error',
        detail:
          `The principal type of ${count(unknownTypes.length, 'privileged assignment')} is not known, so whether a user holds it directly cannot be said: ` +
          `${describePrincipals(unknownTypes)}. Export with \`az role assignment list --all --include-inherited -o json\` (which includes principalType) or add principals.json.`,
        principals,
      };
    }
    if (cluster.incomplete) {
      // Whether Azure RBAC is on decides if a data-action role makes its holder cluster-admin.
      const maybePrivileged = input.access.assignments.filter(
        (r) =>
          r.role &&
          isUser(r.assignment.principalType) &&
          r.assignment.eligible !== true &&
          roleCapabilities(r.role, EVERY_CAPABILITY_COUNTS).length > 0,
      );
      if (maybePrivileged.length > 0) {
        return {
          status: 'error',
          detail:
            `${count(maybePrivileged.length, 'user assignment')} may be privileged if Azure RBAC is on, ` +
            `but the cluster's configuration could not be read: ${cluster.incomplete}`,
          principals,
        };
      }
    }
    const eligibleUsers = principals.filter(
      (p) => p.eligible === true && isUser(p.principalType),
    ).length;
    const governed =
      eligibleUsers > 0
        ? `groups, service principals or PIM eligibilities (${count(eligibleUsers, 'eligible user grant')})`
        : 'groups or service principals';
    const groups =
      principals.length > 0
        ? ` All ${count(principals.length, 'privileged assignment')} go to ${governed}.`
        : '';
    return {
      status: 'pass',
      detail: `No user holds privileged access over the cluster directly.${groups}`,
      principals,
    };
  },
);
