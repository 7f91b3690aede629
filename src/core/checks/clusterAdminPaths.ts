import type { ResolvedAssignment } from '../access';
import { accessQuery } from '../accessQuery';
import { CAPABILITIES, type Capability, type PrincipalAccess } from '../model';
import { describeGrant } from '../principals';
import { scopeKind } from '../scope';
import {
  accessCheck,
  approvalOf,
  assignmentIdsOf,
  count,
  deleteAssignmentsCommand,
  describeUnresolved,
  unresolvedOutcome,
} from './common';

export const CLUSTER_ADMIN_PATHS = 'cluster-admin-paths';

/**
 * The fix deletes at most this many grants (the first, most specific scope first): a cluster
 * under a busy subscription can have hundreds of paths, and a command of hundreds of ids is
 * neither reviewed nor pasted. The detail says how many more there are.
 */
export const FIX_ASSIGNMENTS_LIMIT = 20;

/**
 * The paths this check judges: every cluster-admin path but `admin-credential`, which
 * `admin-credential-access` judges. They count whatever local accounts say: a holder of
 * `cluster-write` can re-enable them, or point the admin groups at its own.
 */
export const JUDGED_PATHS: readonly Capability[] = Object.freeze(
  CAPABILITIES.filter((c) => c !== 'admin-credential'),
);

const holdsJudgedPath = (r: ResolvedAssignment): boolean =>
  r.capabilities.some((c) => JUDGED_PATHS.includes(c));

/**
 * The grants the fix removes: those of the cluster's own subscription and below. A grant at a
 * management group or the root reaches every cluster beneath it and belongs to whoever governs
 * the hierarchy: the detail names it, but a cluster's fix does not delete it.
 */
const isRemovableJudgedPath = (r: ResolvedAssignment): boolean =>
  holdsJudgedPath(r) && !isHierarchyScope(r.assignment.scope);

function isHierarchyScope(scope: string | undefined): boolean {
  // Nearly every scope starts `/subscriptions/`: settled without normalising it.
  if (scope !== undefined && /^\/subscriptions\/[^/]/i.test(scope)) return false;
  const kind = scopeKind(scope ?? '');
  return kind === 'managementGroup' || kind === 'root';
}

/** `Dave Jones · Owner at rg-prod · … (cluster-write, run-command)`: the grant and the judged paths it gives. */
function describePath(p: PrincipalAccess): string {
  const paths = p.capabilities.filter((c) => JUDGED_PATHS.includes(c)).join(', ');
  const marks = [
    p.eligible === true ? 'eligible' : '',
    p.condition ? `condition ${p.condition}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${describeGrant(p)} (${paths}${marks ? `; ${marks}` : ''})`;
}

function describePaths(paths: readonly PrincipalAccess[], limit = 5): string {
  const shown = paths.slice(0, limit).map(describePath);
  const more = paths.length > limit ? ` and ${paths.length - limit} more` : '';
  return `${shown.join('; ')}${more}`;
}

export const clusterAdminPaths = accessCheck(
  {
    id: CLUSTER_ADMIN_PATHS,
    title: 'Only approved principals hold a path to Kubernetes cluster-admin',
    severity: 'high',
    rationale:
      'Rewriting the cluster, granting roles, run command, trusted access bindings, Azure RBAC cluster-admin and code on the nodes each make ' +
      'their holder a Kubernetes cluster-admin. The list of people who can become cluster-admin should be short and deliberate; Owners and ' +
      'Contributors far up the hierarchy usually are not.',
    references: [
      'https://learn.microsoft.com/azure/aks/concepts-identity',
      'https://learn.microsoft.com/azure/aks/manage-azure-rbac',
      'https://learn.microsoft.com/azure/aks/command-invoke',
      'https://learn.microsoft.com/azure/aks/trusted-access-feature',
      'https://learn.microsoft.com/azure/role-based-access-control/best-practices',
    ],
    failsWhen:
      "A principal that is not approved (the cluster's admin groups, the `AUDIT_APPROVED_ADMINS` setting, an active exemption naming it for this check) " +
      'holds any cluster-admin path other than `admin-credential`: `cluster-write`, `role-assignment-write`, `kubernetes-cluster-admin`, ' +
      '`run-command`, `trusted-access-write` or `node-access` (through the node resource group or its scale sets).',
    remediation: (_cluster, context) => deleteAssignmentsCommand(context),
  },
  (input) => {
    const { cluster } = input;
    const access = accessQuery(input.access);
    const approval = approvalOf(input, CLUSTER_ADMIN_PATHS);
    const holders = access.holdersOf(...JUDGED_PATHS);
    const principals = approval.mark(holders);
    // Nobody approved or exempted (most clusters): every holder is unapproved, no pass needed.
    const unapproved =
      principals === holders && !approval.anyExempted
        ? principals
        : principals.filter((p) => p.approved !== true && !approval.exempted(p));
    // An unknown role held by an approved principal cannot give anyone unapproved a path.
    const unresolved = access.access.unresolved.filter((a) => !approval.covers(a.principalId));
    const unresolvedNote = unresolved.length > 0 ? ` ${describeUnresolved(unresolved)}` : '';

    if (unapproved.length > 0) {
      // The ids to remove are those of unapproved holders: when nobody is approved, the
      // per-view answer of the query is it (most clusters); otherwise filter it.
      const { ids: assignmentIds, total: removable } =
        unapproved.length === principals.length
          ? access.assignmentIdsPage(isRemovableJudgedPath, FIX_ASSIGNMENTS_LIMIT)
          : (() => {
              const ids = assignmentIdsOf(
                access
                  .assignmentsWhere(isRemovableJudgedPath)
                  .filter((r) => !approval.covers(r.assignment.principalId))
                  .map((r) => r.assignment),
              );
              return { ids: ids.slice(0, FIX_ASSIGNMENTS_LIMIT), total: ids.length };
            })();
      const fixNote =
        removable > FIX_ASSIGNMENTS_LIMIT
          ? ` The fix deletes the first ${FIX_ASSIGNMENTS_LIMIT} of ${removable} grants of the subscription and below.`
          : '';
      if (cluster.incomplete) {
        return {
          status: 'error',
          detail:
            `${count(unapproved.length, 'path')} to cluster-admin ${unapproved.length === 1 ? 'is' : 'are'} held by principals that are not approved (${describePaths(unapproved)}), ` +
            `but whether any of them is one of the cluster's admin groups is unknown: ${cluster.incomplete}`,
          principals,
          assignmentIds,
        };
      }
      return {
        status: 'fail',
        detail:
          `${count(unapproved.length, 'path')} to cluster-admin ${unapproved.length === 1 ? 'is' : 'are'} held by principals that are not approved: ` +
          `${describePaths(unapproved)}.${unresolvedNote} Approve a principal by adding it to the cluster's admin groups or to AUDIT_APPROVED_ADMINS, or remove the grant ` +
          '(the fix lists the grants of the subscription and below; management-group and root grants are removed where the hierarchy is governed).' +
          fixNote,
        principals,
        assignmentIds,
      };
    }
    if (unresolved.length > 0) {
      return unresolvedOutcome(
        'Whether these assignments give a path to cluster-admin is unknown.',
        unresolved,
        principals,
      );
    }
    if (cluster.incomplete) {
      return {
        status: 'error',
        detail: `Which roles give a path to cluster-admin depends on the cluster's configuration, which could not be read: ${cluster.incomplete}`,
        principals,
      };
    }
    const held =
      principals.length > 0
        ? ` ${count(principals.length, 'path')}, all held by approved or exempted principals: ${describePaths(principals)}.`
        : '';
    return {
      status: 'pass',
      detail: `No principal outside the approved ones holds a path to cluster-admin other than the admin credential.${held}`,
      principals,
    };
  },
);
