/**
 * What one scope contributes to the access of every cluster beneath it, built once and shared
 * (the speed of core/access rests on this): a cluster's `ClusterAccess` is the concatenation of
 * a few such views, and every other cluster under the same scope gets the very same frozen view.
 * Checks never use this module: they ask core/accessQuery, which answers from the views when it
 * can and says what the plain answer is beside it.
 */
import type { ClusterAccess, ResolvedAssignment } from './access';
import type { Capability, PrincipalAccess, RoleAssignment, RoleDefinition } from './model';
import { grantCapabilities, grantMarks, type Roles } from './grants';
import {
  allowsAction,
  ACTION_ROLE_ASSIGNMENT_WRITE,
  CONTEXT_COUNT,
  roleContextSensitivity,
  type CapabilityContext,
} from './permissions';
import { namesOf } from './principals';

const NO_CAPABILITIES: Capability[] = Object.freeze([]) as unknown as Capability[];

/**
 * What one scope contributes to the access of every cluster beneath it: the assignments at a
 * resource group, at a subscription, at the management groups, at the root... A cluster's
 * `ClusterAccess` is the concatenation of a few such views, and every other cluster under the
 * same scope gets the very same view object (arrays and entries frozen). Anything derived from
 * a view alone can therefore be computed once per view and shared: that is what keeps the
 * per-cluster cost of the checks independent of how many assignments the scopes above carry.
 */
export interface AccessView {
  readonly assignments: readonly ResolvedAssignment[];
  readonly privileged: readonly PrincipalAccess[];
  readonly unresolved: readonly RoleAssignment[];
}

/** The views each `ClusterAccess` handed out by an index was assembled from (see `accessViewsOf`). */
const viewsBehindAccess = new WeakMap<ClusterAccess, readonly AccessView[]>();

/**
 * The shared views `access` is the concatenation of, in order; `undefined` when it was not built
 * by an access index, or when its arrays no longer are exactly that concatenation (a caller may
 * change the arrays it was given). The check is a comparison of references, element by element:
 * no allocation, a few microseconds for a cluster covered by thousands of assignments.
 */
export function accessViewsOf(access: ClusterAccess): readonly AccessView[] | undefined {
  const views = viewsBehindAccess.get(access);
  if (
    views === undefined ||
    !isConcatenation(access.assignments, views, 'assignments') ||
    !isConcatenation(access.privileged, views, 'privileged') ||
    !isConcatenation(access.unresolved, views, 'unresolved')
  ) {
    return undefined;
  }
  return views;
}

function isConcatenation(
  list: readonly unknown[],
  views: readonly AccessView[],
  key: 'assignments' | 'privileged' | 'unresolved',
): boolean {
  if (!Array.isArray(list)) return false;
  let at = 0;
  for (const view of views) {
    const part: readonly unknown[] = view[key];
    if (at + part.length > list.length) return false;
    for (let i = 0; i < part.length; i++) if (list[at + i] !== part[i]) return false;
    at += part.length;
  }
  return at === list.length;
}

/** Records that `access` was assembled from `views` (see `accessViewsOf`). */
export function rememberViews(access: ClusterAccess, views: readonly AccessView[]): void {
  viewsBehindAccess.set(access, views);
}

/**
 * The assignments at one scope (or of one principal). Most scopes carry a single assignment
 * (a storage account, a key vault), so a lone assignment is stored as itself: an index of a
 * million assignments then allocates no array for most of its keys.
 */
export type Group = RoleAssignment | RoleAssignment[];

export function addToGroup<K>(map: Map<K, Group>, key: K, a: RoleAssignment): void {
  const existing = map.get(key);
  if (existing === undefined) map.set(key, a);
  else if (Array.isArray(existing)) existing.push(a);
  else map.set(key, [existing, a]);
}

/**
 * What one group contributes to a cluster for one Azure-RBAC setting. Built the first time a
 * cluster under that scope asks, then shared by every such cluster: its objects are frozen and
 * `forCluster` hands out copies of its arrays.
 */
export interface GroupView {
  assignments: ResolvedAssignment[];
  privileged: PrincipalAccess[];
  unresolved: RoleAssignment[];
  /** Per entry of `assignments`: its PrincipalAccess when it grants a capability. */
  principals: (PrincipalAccess | undefined)[];
  /**
   * The capability-context bits (permissions `contextKey`) any entry depends on: the same group
   * in a context that agrees on these bits has exactly this view (see `GroupViews`).
   */
  sensitivity: number;
}

/**
 * A group's views, one per context as far as its entries can tell contexts apart: a group of
 * Readers and AKS RBAC Readers looks the same in every context and has one view, a group with a
 * Contributor one per run-command setting and so on.
 */
export interface GroupViews {
  sensitivity: number;
  /** By `contextKey(context) & sensitivity`. */
  byKey: Map<number, GroupView>;
}

const EVERY_CONTEXT_BIT = CONTEXT_COUNT - 1;

/**
 * The context bits one assignment's capabilities depend on: its role's, and every bit when a
 * condition may restrict the roles it can assign (what those roles give depends on the context).
 */
function assignmentSensitivity(a: RoleAssignment, role: RoleDefinition): number {
  if (a.condition !== undefined && allowsAction(role, ACTION_ROLE_ASSIGNMENT_WRITE))
    return EVERY_CONTEXT_BIT;
  return roleContextSensitivity(role);
}

export function lastSegment(id: string | undefined): string {
  if (!id) return '';
  const trimmed = id.trim().replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function assignmentRoleGuid(a: RoleAssignment): string {
  return (a.roleDefinitionGuid || lastSegment(a.roleDefinitionId)).trim().toLowerCase();
}

/** Principal (object) ids are guids: compared case-insensitively, surrounding blanks ignored. */
export function principalKey(principalId: string | undefined): string {
  if (!principalId) return '';
  // V8 returns an already lower-case string itself: a million lookups allocate next to nothing.
  const lower = principalId.toLowerCase();
  return lower.charCodeAt(0) > 32 && lower.charCodeAt(lower.length - 1) > 32 ? lower : lower.trim();
}

/**
 * Whether `b` repeats `a`: same id, principal and role. Two entries that differ in what they
 * grant are both kept, since dropping one could hide access.
 */
function isRepeat(a: RoleAssignment, b: RoleAssignment): boolean {
  return (
    a.id === b.id &&
    principalKey(a.principalId) === principalKey(b.principalId) &&
    assignmentRoleGuid(a) === assignmentRoleGuid(b)
  );
}

/** Cheap pre-test: `/subscriptions/...` (nearly every scope) cannot be root or a management group. */
function mayBeInheritedIntoEveryListing(scope: string | undefined): scope is string {
  if (typeof scope !== 'string') return false;
  if (scope.length < 3) return true;
  const second = scope.charCodeAt(1);
  return second !== 115 && second !== 83; // 's' | 'S'
}

const INHERITED_INTO_EVERY_LISTING = /^\s*\/*\s*$|^\s*\/*providers\/microsoft\.management\//i;

/**
 * Drops repeated entries. Only root and management-group assignments are returned by more than
 * one subscription's listing, so only those are compared (ids as given); everything else passes
 * through without any allocation, which matters for groups of thousands.
 */
export function distinct(members: readonly RoleAssignment[]): RoleAssignment[] {
  if (members.length < 2) return [...members];
  const kept: RoleAssignment[] = [];
  let firstById: Map<string, RoleAssignment> | undefined;
  for (const a of members) {
    if (
      a.id &&
      mayBeInheritedIntoEveryListing(a.scope) &&
      INHERITED_INTO_EVERY_LISTING.test(a.scope)
    ) {
      firstById ??= new Map();
      const first = firstById.get(a.id);
      if (first === undefined) firstById.set(a.id, a);
      else if (isRepeat(first, a)) continue;
    }
    kept.push(a);
  }
  return kept;
}

/**
 * Whether a group indexed under this normalised scope key can hold entries `distinct` would
 * drop. `distinct` only compares assignments whose raw scope is blank/slashes (normalised: `/`)
 * or starts with `providers/microsoft.management/` (normalised: under
 * `/providers/microsoft.management`), so any other key (every resource group, subscription and
 * resource) cannot: its group of thousands is used as it is, without a pass over it.
 */
export function mayHoldRepeatedListings(scopeKey: string): boolean {
  return scopeKey === '/' || scopeKey.startsWith('/providers/microsoft.management');
}

export function buildView(
  members: readonly RoleAssignment[],
  roles: Roles,
  context: CapabilityContext,
): GroupView {
  const view: GroupView = {
    assignments: [],
    privileged: [],
    unresolved: [],
    principals: [],
    sensitivity: 0,
  };
  for (const a of members) {
    const guid = assignmentRoleGuid(a);
    const role = guid === '' ? undefined : roles.lookup(guid);
    if (role) view.sensitivity |= assignmentSensitivity(a, role);
    const capabilities = role ? grantCapabilities(a, role, context, roles) : NO_CAPABILITIES;
    view.assignments.push(Object.freeze({ assignment: a, role, capabilities }));
    let principal: PrincipalAccess | undefined;
    if (!role) {
      view.unresolved.push(a);
    } else if (capabilities.length > 0) {
      principal = principalAccess(a, role, capabilities);
      view.privileged.push(principal);
    }
    view.principals.push(principal);
  }
  return view;
}

/**
 * The same group in another capability context. Entries whose capabilities do not change are
 * reused as they are (capability lists of equal content are mostly one shared array).
 */
export function inContext(base: GroupView, context: CapabilityContext, roles: Roles): GroupView {
  const view: GroupView = {
    assignments: [],
    privileged: [],
    unresolved: base.unresolved,
    principals: [],
    sensitivity: base.sensitivity,
  };
  for (let i = 0; i < base.assignments.length; i++) {
    let resolved = base.assignments[i];
    let principal = base.principals[i];
    const role = resolved.role;
    if (role) {
      const capabilities = grantCapabilities(resolved.assignment, role, context, roles);
      if (
        capabilities !== resolved.capabilities &&
        capabilities.join() !== resolved.capabilities.join()
      ) {
        resolved = Object.freeze({ assignment: resolved.assignment, role, capabilities });
        principal =
          capabilities.length > 0
            ? principalAccess(resolved.assignment, role, capabilities)
            : undefined;
      }
    }
    view.assignments.push(resolved);
    view.principals.push(principal);
    if (principal) view.privileged.push(principal);
  }
  return view;
}

export function principalAccess(
  a: RoleAssignment,
  role: RoleDefinition,
  capabilities: Capability[],
): PrincipalAccess {
  return Object.freeze({
    ...grantMarks(a),
    principalId: a.principalId,
    principalType: a.principalType,
    ...namesOf(a),
    roleName: role.roleName || a.roleDefinitionName || assignmentRoleGuid(a),
    roleDefinitionId: a.roleDefinitionId,
    scope: a.scope,
    capabilities,
  });
}

/** Freezes a view's arrays: it is shared by every cluster under its scope (see `AccessView`). */
export function sealed(view: GroupView): GroupView {
  Object.freeze(view.assignments);
  Object.freeze(view.privileged);
  Object.freeze(view.unresolved);
  Object.freeze(view.principals);
  return Object.freeze(view);
}

/** One fresh array per call (callers may change it); `concat` copies whole views at once. */
export function concatenate<K extends 'assignments' | 'privileged' | 'unresolved'>(
  views: readonly GroupView[],
  key: K,
): GroupView[K] {
  const empty: GroupView[K] = [];
  if (views.length === 0) return empty;
  return (empty as unknown[]).concat(...views.map((v) => v[key])) as GroupView[K];
}

/**
 * The same management-group assignment can come both from a subscription's listing and from a
 * listing of unknown origin: merge the views, keeping each assignment once (see `isRepeat`).
 */
export function withoutRepeats(views: readonly GroupView[]): GroupView {
  const merged: GroupView = {
    assignments: [],
    privileged: [],
    unresolved: [],
    principals: [],
    sensitivity: 0,
  };
  const firstById = new Map<string, RoleAssignment>();
  for (const view of views) {
    for (let i = 0; i < view.assignments.length; i++) {
      const resolved = view.assignments[i];
      const a = resolved.assignment;
      if (a.id) {
        const first = firstById.get(a.id);
        if (first === undefined) firstById.set(a.id, a);
        else if (isRepeat(first, a)) continue;
      }
      const principal = view.principals[i];
      merged.sensitivity |= view.sensitivity;
      merged.assignments.push(resolved);
      merged.principals.push(principal);
      if (!resolved.role) merged.unresolved.push(a);
      if (principal) merged.privileged.push(principal);
    }
  }
  return merged;
}
