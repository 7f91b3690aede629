/**
 * Names and the people behind the groups on a live estate: an estate source whose estates carry
 * what a principal directory (Microsoft Graph) says about every principal their role assignments
 * and admin groups name, and the users behind each group that holds a cluster-admin path over a
 * watched cluster (docs/access.md "Groups"). What cannot be read is a `directory` failure of the
 * estate, said once in the log (names or members absent, never invented), not an error of the
 * whole read. A source that already brings directory data (a snapshot with `principals.json`)
 * is left as it is.
 */
import { mapLimit } from '../core/concurrency';
import { privilegedGroupIds } from '../core/groupMembers';
import type { DirectoryPrincipal, Estate } from '../core/model';
import {
  mappedEstateSource,
  type EstateSource,
  type GroupMemberDirectory,
  type PrincipalDirectory,
} from '../core/ports';
import { applyDirectory, directoryIndex, principalIdsOf, principalKey } from '../core/principals';

export type LiveDirectory = PrincipalDirectory & Partial<GroupMemberDirectory>;

/** Member listings asked of the directory at once (Graph throttles per app and tenant). */
const GROUP_LISTINGS_IN_FLIGHT = 4;

export function withDirectory(
  source: EstateSource,
  directory: LiveDirectory,
  log?: (line: string) => void,
): EstateSource {
  return mappedEstateSource(source, (estate) => nameEstate(estate, directory, log));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The estate with the directory's answers applied (see `applyDirectory`): one `lookup` of every
 * principal id the assignments and admin groups name, then one member listing per privileged
 * group (four at a time). A lookup that fails leaves the estate unnamed with a `directory` failure; a member
 * listing that fails leaves that membership unknown (the group is listed as a group).
 */
export async function nameEstate(
  estate: Estate,
  directory: LiveDirectory,
  log?: (line: string) => void,
): Promise<Estate> {
  if (estate.directory) return estate;
  const ids = principalIdsOf({ roleAssignments: estate.roleAssignments });
  const known = new Set(ids.map(principalKey));
  for (const cluster of estate.clusters) {
    for (const id of cluster.aadProfile?.adminGroupObjectIds ?? []) {
      if (!known.has(principalKey(id)) && id.trim() !== '') {
        known.add(principalKey(id));
        ids.push(id.trim());
      }
    }
  }
  if (ids.length === 0) return estate;
  let principals: DirectoryPrincipal[];
  try {
    principals = await directory.lookup(ids);
  } catch (error) {
    const message = `${directory.name} could not be read: ${messageOf(error)}`;
    log?.(`directory: ${message}`);
    return {
      ...estate,
      failures: [...estate.failures, { subscriptionId: '*', part: 'directory', message }],
    };
  }
  const named = applyDirectory({
    ...estate,
    directory: { source: directory.name, principals, complete: true },
  });
  if (!directory.transitiveUsers) return named;
  return expandGroups(
    estate,
    named,
    principals,
    directory as PrincipalDirectory & GroupMemberDirectory,
    log,
  );
}

/** One member listing per group with a cluster-admin path (or admin group) that the directory knows as a group. */
async function expandGroups(
  estate: Estate,
  named: Estate,
  principals: DirectoryPrincipal[],
  directory: PrincipalDirectory & GroupMemberDirectory,
  log?: (line: string) => void,
): Promise<Estate> {
  const byId = directoryIndex({ source: directory.name, principals, complete: true });
  const groups = privilegedGroupIds(named)
    .map((id) => byId.get(principalKey(id)))
    .filter(
      (p): p is DirectoryPrincipal =>
        p !== undefined && (p.principalType ?? '').toLowerCase() === 'group',
    );
  if (groups.length === 0) return named;
  let refused: unknown;
  // In input order whatever the completion order, so the estate reads the same every run.
  const listings = await mapLimit(groups, GROUP_LISTINGS_IN_FLIGHT, async (group) => {
    // After one refusal the rest are not asked: a missing permission refuses every group alike.
    if (refused !== undefined) return undefined;
    try {
      return await directory.transitiveUsers(group.id);
    } catch (error) {
      refused ??= error;
      return undefined;
    }
  });
  const expanded = new Map<string, DirectoryPrincipal>();
  const users = new Map<string, DirectoryPrincipal>();
  const failures = [...named.failures];
  groups.forEach((group, i) => {
    const listing = listings[i];
    if (!listing) return;
    const entry: DirectoryPrincipal = { ...group, members: listing.users.map((u) => u.id) };
    if (!listing.complete) entry.memberCount = listing.count;
    expanded.set(principalKey(group.id), entry);
    for (const u of listing.users)
      if (!byId.has(principalKey(u.id))) users.set(principalKey(u.id), u);
  });
  if (refused !== undefined) {
    // One line for the run.
    const message = `${directory.name} could not list group members (groups are shown as groups): ${messageOf(refused)}`;
    log?.(`directory: ${message}`);
    failures.push({ subscriptionId: '*', part: 'directory', message });
  }
  const withMembers = principals.map((p) => expanded.get(principalKey(p.id)) ?? p);
  withMembers.push(...users.values());
  return applyDirectory({
    ...estate,
    failures,
    directory: { source: directory.name, principals: withMembers, complete: true },
  });
}
