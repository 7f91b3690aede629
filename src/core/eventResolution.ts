/**
 * Resolution of routes against the current estate, for what the event alone cannot say.
 */
import { buildAccessIndex } from './access';
import { GUID } from './eventValidation';
import type { Estate } from './model';
import { normaliseScope } from './scope';

/**
 * Clusters that have an assignment of a role (docs/events.md: a role definition changed): an
 * assignment over the cluster (same scope rules as the access checks), or one held by the
 * cluster's own kubelet or control-plane identity at any scope (their least-privilege checks).
 */
export function clustersWithRole(estate: Estate, roleDefinitionGuid: string): string[] {
  const guid = roleDefinitionGuid.toLowerCase();
  const index = buildAccessIndex(estate);
  const matches: string[] = [];
  for (const cluster of estate.clusters) {
    const access = index.forCluster(cluster);
    const identities = [
      cluster.kubeletIdentity?.objectId,
      cluster.identity?.principalId,
      ...(cluster.identity?.userAssignedIdentities ?? []).map((u) => u.principalId),
    ].filter((p): p is string => typeof p === 'string' && p !== '');
    const overCluster =
      access.assignments.some((a) => a.assignment.roleDefinitionGuid.toLowerCase() === guid) ||
      access.unresolved.some((a) => a.roleDefinitionGuid.toLowerCase() === guid);
    const heldByIdentity = identities.some((p) =>
      index
        .assignmentsOfPrincipal(p)
        .some((a) => a.assignment.roleDefinitionGuid.toLowerCase() === guid),
    );
    if (overCluster || heldByIdentity) matches.push(cluster.id);
  }
  return matches;
}

/**
 * The principal a role assignment (by resource id) was granted to, from the current estate.
 * The event does not say: its `authorization.evidence` is the caller's own assignment.
 */
export function assignmentPrincipal(estate: Estate, roleAssignmentId: string): string | undefined {
  const wanted = normaliseScope(roleAssignmentId);
  const name = wanted.slice(wanted.lastIndexOf('/') + 1);
  const exact = estate.roleAssignments.find((a) => normaliseScope(a.id) === wanted);
  const match =
    exact ??
    (GUID.test(name)
      ? estate.roleAssignments.find(
          (a) => normaliseScope(a.id).endsWith(`/${name}`) || a.id.toLowerCase() === name,
        )
      : undefined);
  return match?.principalId;
}
