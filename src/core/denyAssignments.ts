/**
 * Which deny assignments apply to a principal over a cluster, and which actions they deny
 * (docs/checks.md "Which grants count"). Every doubt resolves to "not denied", since a deny
 * wrongly applied would hide access (over-report, never under):
 *
 * - a deny covers the cluster when its scope is the cluster or an ancestor of it (whole path
 *   segments, case-insensitive); with `doNotApplyToChildScopes` only when its scope is the
 *   cluster itself;
 * - a management-group deny applies to the clusters of the subscription whose listing returned
 *   it; one whose listing is unknown (a snapshot) is not applied, since which subscriptions sit
 *   under the group cannot be told; a deny at the root `/` covers everything;
 * - it applies to a principal named in `principals`, to everyone when that lists Everyone
 *   (`00000000-0000-0000-0000-000000000000`), and to a member of a listed group only when the
 *   group's membership is known (directory data); `excludePrincipals` removes a principal named
 *   there or a member of a listed group, and a group whose membership is unknown excludes
 *   everyone (so the deny is not applied).
 *
 * Pure.
 */
import { type Directory, type DenyAssignment, type DenyPrincipal } from './model';
import { actionMatches } from './permissions';
import { ancestorScopes, isNormalisedManagementGroupScope, normaliseScope } from './scope';

export const EVERYONE = '00000000-0000-0000-0000-000000000000';

export interface DenyIndex {
  /**
   * The deny assignments covering the cluster `clusterId` (of subscription `subscriptionId`), as
   * a lookup per principal; undefined when none covers it (the common case). The lookup gives
   * one predicate over control-plane actions, or undefined when no covering deny applies to
   * that principal.
   */
  forCluster(
    clusterId: string,
    subscriptionId: string,
    /**
     * The actions are taken on resources beneath `clusterId` rather than on it (a node resource
     * group's scale sets): a deny with `doNotApplyToChildScopes` then never applies.
     */
    beneath?: boolean,
  ): ((principalId: string) => ((action: string) => boolean) | undefined) | undefined;
}

const key = (id: string | undefined) => (id ?? '').trim().toLowerCase();

/**
 * The groups each principal is known to belong to (transitively: `members` are expanded), from
 * directory data; a group without `members` has unknown membership and is absent from the result.
 */
function knownMemberships(directory: Directory | undefined): {
  groupsOf: Map<string, Set<string>>;
  knownGroups: Set<string>;
} {
  const groupsOf = new Map<string, Set<string>>();
  const knownGroups = new Set<string>();
  for (const principal of directory?.principals ?? []) {
    if (principal.members === undefined) continue;
    const group = key(principal.id);
    knownGroups.add(group);
    for (const member of principal.members) {
      const m = key(member);
      let groups = groupsOf.get(m);
      if (!groups) groupsOf.set(m, (groups = new Set()));
      groups.add(group);
    }
  }
  return { groupsOf, knownGroups };
}

/** Whether the deny's principal list names the principal (itself, Everyone, or a known group of it). */
function names(
  list: readonly DenyPrincipal[],
  principal: string,
  groups: Set<string> | undefined,
): boolean {
  for (const p of list) {
    const id = key(p.id);
    if (id === EVERYONE || id === principal || groups?.has(id)) return true;
  }
  return false;
}

/** A listed principal that may be a group whose members are unknown (so the principal may be one). */
function hasUnknownGroup(
  list: readonly DenyPrincipal[],
  principal: string,
  knownGroups: Set<string>,
): boolean {
  return list.some((p) => {
    const id = key(p.id);
    if (id === principal || id === EVERYONE || knownGroups.has(id)) return false;
    // A principal typed as anything but a group cannot contain others; an untyped one might.
    const type = key(p.type);
    return type === 'group' || type === '' || type === 'unknown';
  });
}

export function buildDenyIndex(
  denies: readonly DenyAssignment[] | undefined,
  directory?: Directory,
): DenyIndex {
  if (!denies || denies.length === 0) return { forCluster: () => undefined };
  const { groupsOf, knownGroups } = knownMemberships(directory);

  // By normalised scope; management-group ones by the subscription whose listing returned them.
  const byScope = new Map<string, DenyAssignment[]>();
  const byListing = new Map<string, DenyAssignment[]>();
  const add = (map: Map<string, DenyAssignment[]>, k: string, deny: DenyAssignment) => {
    const list = map.get(k);
    if (list) list.push(deny);
    else map.set(k, [deny]);
  };
  for (const deny of denies) {
    const scope = normaliseScope(deny.scope);
    if (!isNormalisedManagementGroupScope(scope)) add(byScope, scope, deny);
    else if (key(deny.listedInSubscriptionId) !== '')
      add(byListing, key(deny.listedInSubscriptionId), deny);
    // else: a management group whose subscriptions are unknown: not applied.
  }

  function applies(deny: DenyAssignment, principal: string): boolean {
    const groups = groupsOf.get(principal);
    if (!names(deny.principals, principal, groups)) return false;
    if (names(deny.excludePrincipals, principal, groups)) return false;
    return !hasUnknownGroup(deny.excludePrincipals, principal, knownGroups);
  }

  return {
    forCluster(clusterId, subscriptionId, beneath = false) {
      const clusterKey = normaliseScope(clusterId);
      const covering: DenyAssignment[] = [];
      for (const scope of ancestorScopes(clusterId)) {
        for (const deny of byScope.get(scope) ?? []) {
          if (!deny.doNotApplyToChildScopes || (scope === clusterKey && !beneath))
            covering.push(deny);
        }
      }
      for (const deny of byListing.get(key(subscriptionId)) ?? [])
        if (!deny.doNotApplyToChildScopes) covering.push(deny);
      if (covering.length === 0) return undefined;
      // Principals the same denies apply to (everyone but the excluded, usually) share one
      // predicate, with its answers: one per distinct set of matching denies.
      const byMatching = new Map<string, (action: string) => boolean>();
      return (principalId) => {
        const principal = key(principalId);
        const matching = covering.filter((deny) => applies(deny, principal));
        if (matching.length === 0) return undefined;
        const which = matching.map((deny) => covering.indexOf(deny)).join(',');
        let predicate = byMatching.get(which);
        if (predicate === undefined) {
          const answers = new Map<string, boolean>();
          predicate = (action) => {
            let denied = answers.get(action);
            if (denied === undefined) {
              denied = matching.some((deny) => deniesAction(deny, action));
              answers.set(action, denied);
            }
            return denied;
          };
          byMatching.set(which, predicate);
        }
        return predicate;
      };
    },
  };
}

/** Union over the deny's permission blocks of (`actions` minus that block's `notActions`). */
export function deniesAction(deny: DenyAssignment, action: string): boolean {
  return deny.permissions.some(
    (block) =>
      block.actions.some((p) => actionMatches(p, action)) &&
      !block.notActions.some((p) => actionMatches(p, action)),
  );
}
