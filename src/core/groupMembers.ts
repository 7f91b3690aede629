/**
 * The people behind the groups (docs/access.md "Groups"): which groups' membership an audit needs
 * (those holding a cluster-admin path over a watched cluster, and the clusters' admin groups)
 * and the users behind a group as findings list them, nested groups expanded, guests and
 * disabled accounts flagged. A group's members hold its access, but the access is still granted
 * to the group: checks that judge how access is granted (`privileged-access-via-groups`) count
 * the group, not its members. Pure.
 */
import { buildAccessIndex } from './access';
import type { Directory, DirectoryPrincipal, Estate, GroupMembers, GroupMemberUser } from './model';
import { describePrincipal, principalKey, type NamedPrincipal } from './principals';

function isType(p: DirectoryPrincipal | undefined, type: string): boolean {
  return typeof p?.principalType === 'string' && p.principalType.trim().toLowerCase() === type;
}

/**
 * The groups whose members an audit of these clusters shows: every group with a cluster-admin
 * path over one of them (as the access index computes it, any scope), and every id in their
 * `adminGroupObjectIDs`. Ids as first met, each once.
 */
export function privilegedGroupIds(
  estate: Pick<Estate, 'clusters' | 'roleAssignments' | 'roleDefinitions' | 'failures'>,
): string[] {
  const ids = new Map<string, string>();
  const add = (id: string | undefined) => {
    const key = principalKey(id);
    if (key !== '' && !ids.has(key)) ids.set(key, id!.trim());
  };
  const index = buildAccessIndex(estate);
  for (const cluster of estate.clusters) {
    for (const id of cluster.aadProfile?.adminGroupObjectIds ?? []) add(id);
    let privileged;
    try {
      privileged = index.forCluster(cluster).privileged;
    } catch {
      continue;
    }
    for (const p of privileged)
      if ((p.principalType ?? '').trim().toLowerCase() === 'group') add(p.principalId);
  }
  return [...ids.values()];
}

/**
 * The users behind a group, transitively: a member that is itself a group with known members is
 * expanded (cycles cut); one the directory does not describe is listed by id, as a user (who it
 * is may be unknown, that it holds the group's access is not); service principals and devices
 * are left out (they are not people). Undefined when the group's membership is unknown.
 * `byId` is the directory's index (`directoryIndex`).
 */
export function groupMembersOf(
  group: DirectoryPrincipal,
  byId: ReadonlyMap<string, DirectoryPrincipal>,
): GroupMembers | undefined {
  if (!Array.isArray(group.members)) return undefined;
  const users = new Map<string, GroupMemberUser>();
  const seenGroups = new Set<string>([principalKey(group.id)]);
  const pending = [...group.members];
  while (pending.length > 0) {
    const key = principalKey(pending.pop());
    if (key === '' || users.has(key)) continue;
    const member = byId.get(key);
    if (isType(member, 'group')) {
      if (!seenGroups.has(key)) {
        seenGroups.add(key);
        pending.push(...(member!.members ?? []));
      }
      continue;
    }
    if (member?.principalType !== undefined && !isType(member, 'user')) continue;
    const user: GroupMemberUser = {
      id: member?.id ?? key,
      guest: (member?.userType ?? '').trim().toLowerCase() === 'guest',
      enabled: member?.accountEnabled !== false,
    };
    if (member?.displayName) user.displayName = member.displayName;
    if (member?.userPrincipalName) user.userPrincipalName = member.userPrincipalName;
    users.set(key, user);
  }
  const listed = [...users.values()].sort((a, b) =>
    (a.userPrincipalName ?? a.id).localeCompare(b.userPrincipalName ?? b.id),
  );
  return { count: Math.max(listed.length, group.memberCount ?? 0), users: listed };
}

/** Each group of the directory with known membership → its members, computed once per directory. */
const membersByDirectory = new WeakMap<Directory, Map<string, GroupMembers | undefined>>();

export function membersOfPrincipal(
  directory: Directory,
  byId: ReadonlyMap<string, DirectoryPrincipal>,
  entry: DirectoryPrincipal,
): GroupMembers | undefined {
  if (!isType(entry, 'group') || !Array.isArray(entry.members)) return undefined;
  let cache = membersByDirectory.get(directory);
  if (!cache) membersByDirectory.set(directory, (cache = new Map()));
  const key = principalKey(entry.id);
  if (!cache.has(key)) cache.set(key, groupMembersOf(entry, byId));
  return cache.get(key);
}

/**
 * One user behind a group, named beside its id as every principal is:
 * `Dave Jones (dave@contoso.example) [guest, disabled] · User 0000…` (`User 0000…` unnamed).
 */
export function memberLabel(user: GroupMemberUser): string {
  return describePrincipal({
    principalId: user.id,
    principalType: 'User',
    displayName: user.displayName,
    userPrincipalName: user.userPrincipalName,
    guest: user.guest,
    enabled: user.enabled,
  });
}

/**
 * `12 members: Dave Jones (dave@…) · User 0000…; … and 9 more`, for the text outputs and
 * alerts. `count` is the group's size, which for a group over the listing bound (1,000 users)
 * is more than the users listed: the rest are counted, not named.
 */
export function describeMembers(members: GroupMembers, limit = 5): string {
  const shown = members.users.slice(0, limit).map(memberLabel);
  const more = members.count - shown.length;
  const noun = members.count === 1 ? 'member' : 'members';
  return `${members.count} ${noun}${shown.length > 0 ? `: ${shown.join('; ')}` : ''}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * The groups among `principals` whose members are known, each once (a group holding a path
 * through several grants is listed once), in the order first met.
 */
export function groupsWithMembers<T extends { principalId: string; members?: GroupMembers }>(
  principals: readonly T[],
): (T & { members: GroupMembers })[] {
  const seen = new Set<string>();
  const groups: (T & { members: GroupMembers })[] = [];
  for (const p of principals) {
    const key = principalKey(p.principalId);
    if (!p.members || seen.has(key)) continue;
    seen.add(key);
    groups.push(p as T & { members: GroupMembers });
  }
  return groups;
}

/** `Members of grp-sre · Group 0000…: 3 members: …`: who is behind a group holding a path. */
export function describeGroupMembers(
  group: NamedPrincipal & { members: GroupMembers },
  limit = 5,
): string {
  return `Members of ${describePrincipal(group)}: ${describeMembers(group.members, limit)}`;
}
