/**
 * What an access check asks of one cluster's access, as simple queries:
 *
 *     const access = accessQuery(input.access);
 *     const holders = access.holdersOf('admin-credential');
 *
 * Each holder is one path: a principal, the role and scope it holds it through, and the
 * capabilities that path gives (see `PrincipalAccess`). A check is then a short pure function
 * over these answers.
 *
 * `accessQueryPlain` below is the reference: each query is a plain filter over the access's
 * arrays. `accessQuery` returns the same answers (property-tested in test/accessQuery.test.ts)
 * faster: a cluster's access is the concatenation of scope views shared by every cluster under
 * the same resource group, subscription, management group or root (core/accessViews), so each
 * query is answered once per view and the answers are concatenated per cluster. That is what
 * keeps the per-cluster cost of the checks independent of how many assignments the scopes above
 * carry. The price for callers: a predicate passed to a `…Where` query must be a pure function
 * defined once (at module level), since it is the key its per-view answers are kept under.
 */
import type { ClusterAccess, ResolvedAssignment } from './access';
import { accessViewsOf, principalKey, type AccessView } from './accessViews';
import { CAPABILITIES, type Capability, type PrincipalAccess, type RoleAssignment } from './model';

export type HolderFilter = (holder: PrincipalAccess) => boolean;
export type AssignmentFilter = (resolved: ResolvedAssignment) => boolean;
export type UnresolvedFilter = (assignment: RoleAssignment) => boolean;

export interface AccessQuery {
  /** The access asked about (`unavailable`, `unresolved`, every assignment). */
  readonly access: ClusterAccess;
  /** Every path (principal, role, scope) giving at least one of these capabilities, in access order. */
  holdersOf(...capabilities: Capability[]): PrincipalAccess[];
  /** Every privileged path for which `keep` holds. */
  holdersWhere(keep: HolderFilter): PrincipalAccess[];
  /** The assignments over the cluster for which `keep` holds. */
  assignmentsWhere(keep: AssignmentFilter): ResolvedAssignment[];
  /** The ids of `assignmentsWhere(keep)`, each once (compared case-insensitively), in first-seen order. */
  assignmentIdsWhere(keep: AssignmentFilter): string[];
  /**
   * The first `limit` of `assignmentIdsWhere(keep)`, and how many matching assignments there
   * are (an assignment listed twice, as repeated listings do, counts twice).
   */
  assignmentIdsPage(keep: AssignmentFilter, limit: number): { ids: string[]; total: number };
  /** The unresolved assignments (role definition unknown) for which `keep` holds. */
  unresolvedWhere(keep: UnresolvedFilter): RoleAssignment[];
  /** Whether one of these principals (keys as `principalKey` gives them) holds a privileged path. */
  holdsAnyPath(principalKeys: ReadonlySet<string>): boolean;
}

// ---------------------------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------------------------

/** The plain answers: filters over the access's arrays. */
export function accessQueryPlain(access: ClusterAccess): AccessQuery {
  return {
    access,
    holdersOf: (...capabilities) =>
      access.privileged.filter(holdsAnyOf(capabilities)).map(sharedPrincipalAccess),
    holdersWhere: (keep) => access.privileged.filter(keep).map(sharedPrincipalAccess),
    assignmentsWhere: (keep) => access.assignments.filter(keep),
    assignmentIdsWhere: (keep) =>
      distinctAssignmentIds(access.assignments.filter(keep).map((r) => r.assignment)).ids.slice(),
    unresolvedWhere: (keep) => access.unresolved.filter(keep),
    holdsAnyPath: (keys) => access.privileged.some((p) => keys.has(principalKey(p.principalId))),
    assignmentIdsPage: (keep, limit) => {
      const matching = access.assignments.filter((r) => keep(r) && r.assignment.id?.trim());
      const all = distinctAssignmentIds(matching.map((r) => r.assignment));
      return { ids: all.ids.slice(0, limit), total: matching.length };
    },
  };
}

/** Ids of the assignments, each once, in first-seen order (for `az role assignment delete --ids`). */
export function assignmentIdsOf(assignments: readonly RoleAssignment[]): string[] {
  return [...distinctAssignmentIds(assignments).ids];
}

/**
 * An entry that a finding may hold while other clusters' findings hold it too. The index's
 * entries are frozen and are returned as they are (one object per assignment, not one per
 * assignment per cluster per check, which at 10,000 clusters is millions of copies); anything
 * else (an access built by hand) is copied and frozen, so a finding never aliases a caller's
 * object and nobody can change an entry under another cluster's finding.
 */
export function sharedPrincipalAccess(p: PrincipalAccess): PrincipalAccess {
  if (Object.isFrozen(p) && Object.isFrozen(p.capabilities)) return p;
  return Object.freeze({
    ...p,
    capabilities: Object.freeze([...p.capabilities]) as PrincipalAccess['capabilities'],
  });
}

// One predicate per set of capabilities, so that `holdersOf` shares its per-view answers.
const holdsAnyOfCache = new Map<string, HolderFilter>();

function holdsAnyOf(capabilities: readonly Capability[]): HolderFilter {
  const wanted = CAPABILITIES.filter((c) => capabilities.includes(c));
  const key = wanted.join(',');
  let filter = holdsAnyOfCache.get(key);
  if (filter === undefined) {
    filter = (p) => p.capabilities.some((c) => wanted.includes(c));
    holdsAnyOfCache.set(key, filter);
  }
  return filter;
}

// ---------------------------------------------------------------------------------------------
// Answered per shared view
// ---------------------------------------------------------------------------------------------

type Filter = HolderFilter | AssignmentFilter | UnresolvedFilter;
type Answers = WeakMap<AccessView, unknown>;

// Per predicate, per view: the view's answer. Predicates are module-level functions, views are
// shared by every cluster under their scope: both live as long as they are used.
const answersByFilter = new WeakMap<Filter, Answers>();

function answersOf(filter: Filter): Answers {
  let answers = answersByFilter.get(filter);
  if (answers === undefined) answersByFilter.set(filter, (answers = new WeakMap()));
  return answers;
}

// One query per access (the checks of one evaluation share it).
const queries = new WeakMap<ClusterAccess, AccessQuery>();

/**
 * The queries over `access`, answered per shared view. An access not assembled by the index
 * (built by hand, or changed since) is answered as a single part, exactly as the reference does.
 * The access must not be changed while the query is in use.
 */
export function accessQuery(access: ClusterAccess): AccessQuery {
  let query = queries.get(access);
  if (query === undefined) {
    query = viewQuery(access);
    queries.set(access, query);
  }
  return query;
}

function viewQuery(access: ClusterAccess): AccessQuery {
  let views: readonly AccessView[] | null | undefined;
  const parts = (): readonly AccessView[] => (views ??= accessViewsOf(access) ?? null) ?? [access];

  /** The per-view answers of `summarise` (keyed by `filter`), in view order. */
  function perView<T>(filter: Filter, summarise: (view: AccessView) => T): T[] {
    const answers = answersOf(filter);
    const out: T[] = [];
    for (const view of parts()) {
      // A hand-built access is one part of its own: not worth keeping.
      if (view === access) {
        out.push(summarise(view));
        continue;
      }
      let answer = answers.get(view) as T | undefined;
      if (answer === undefined) {
        answer = summarise(view);
        answers.set(view, answer);
      }
      out.push(answer);
    }
    return out;
  }

  const idsPerView = (keep: AssignmentFilter): DistinctAssignmentIds[] =>
    perView(idsKey(keep), (view) =>
      distinctAssignmentIds(view.assignments.filter(keep).map((r) => r.assignment)),
    );

  const holdersWhere = (keep: HolderFilter): PrincipalAccess[] =>
    concatenated(perView(keep, (view) => view.privileged.filter(keep).map(sharedPrincipalAccess)));

  return {
    access,
    holdersOf: (...capabilities) => holdersWhere(holdsAnyOf(capabilities)),
    holdersWhere,
    assignmentsWhere: (keep) =>
      concatenated(perView(keep, (view) => view.assignments.filter(keep))),
    unresolvedWhere: (keep) => concatenated(perView(keep, (view) => view.unresolved.filter(keep))),
    holdsAnyPath: (keys) => {
      if (keys.size === 0) return false;
      for (const view of parts()) {
        // A small view (the cluster's own, its node resource group's) is scanned; the large
        // shared ones (subscription, management groups, root) keep a set of their holders.
        if (view === access || view.privileged.length < SMALL_VIEW) {
          for (const p of view.privileged) if (keys.has(principalKey(p.principalId))) return true;
          continue;
        }
        const holders = holderKeys(view);
        for (const key of keys) if (holders.has(key)) return true;
      }
      return false;
    },
    assignmentIdsWhere: (keep) => mergeAssignmentIds(idsPerView(keep)),
    assignmentIdsPage: (keep, limit) => {
      // Counted per view (a number per view, kept); the first `limit` ids by a scan that stops
      // there. An assignment listed twice (repeated listings) counts twice.
      let total = 0;
      for (const n of perView(countKey(keep), (view) => countWhere(view, keep))) total += n;
      const ids: string[] = [];
      const seen = new Set<string>();
      for (const view of parts()) {
        for (const r of view.assignments) {
          if (ids.length >= limit) break;
          const id = r.assignment.id?.trim();
          if (!id || !keep(r) || seen.has(id.toLowerCase())) continue;
          seen.add(id.toLowerCase());
          ids.push(id);
        }
        if (ids.length >= limit) break;
      }
      return { ids, total };
    },
  };
}

// The principals holding a path in a view, per view: a few set lookups per cluster instead of a
// pass over its hundreds of holders.
const holderKeysOfView = new WeakMap<AccessView, ReadonlySet<string>>();
const SMALL_VIEW = 16;
function holderKeys(view: AccessView): ReadonlySet<string> {
  let keys = holderKeysOfView.get(view);
  if (keys === undefined) holderKeysOfView.set(view, (keys = privilegedKeysOf(view)));
  return keys;
}
function privilegedKeysOf(view: AccessView): ReadonlySet<string> {
  return new Set(view.privileged.map((p) => principalKey(p.principalId)));
}

/** How many assignments (with an id) of a view `keep` holds for. */
function countWhere(view: AccessView, keep: AssignmentFilter): number {
  let n = 0;
  for (const r of view.assignments) if (keep(r) && r.assignment.id?.trim()) n += 1;
  return n;
}

// A filter's counts are kept apart from its other answers: one key object per filter.
const countKeys = new WeakMap<AssignmentFilter, AssignmentFilter>();
function countKey(keep: AssignmentFilter): AssignmentFilter {
  let key = countKeys.get(keep);
  if (key === undefined) countKeys.set(keep, (key = (r) => keep(r)));
  return key;
}

// The ids of a filter's answers are kept apart from its assignments: one key object per filter.
const idsKeys = new WeakMap<AssignmentFilter, AssignmentFilter>();
function idsKey(keep: AssignmentFilter): AssignmentFilter {
  let key = idsKeys.get(keep);
  if (key === undefined) idsKeys.set(keep, (key = (r) => keep(r)));
  return key;
}

/** One fresh array holding every list in order (findings own their lists). */
function concatenated<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  for (const items of lists) for (let i = 0; i < items.length; i++) out.push(items[i]);
  return out;
}

/** `assignmentIdsOf`, keeping the case-insensitive key of each id so that lists can be merged. */
interface DistinctAssignmentIds {
  /** Trimmed ids, each once (compared case-insensitively), in first-seen order. */
  readonly ids: readonly string[];
  /** The lower-cased key of each entry of `ids`, at the same position. */
  readonly keys: readonly string[];
  readonly keySet: ReadonlySet<string>;
}

function distinctAssignmentIds(assignments: readonly RoleAssignment[]): DistinctAssignmentIds {
  const keySet = new Set<string>();
  const ids: string[] = [];
  const keys: string[] = [];
  for (const a of assignments) {
    const id = a.id?.trim();
    if (!id) continue;
    const key = id.toLowerCase();
    if (keySet.has(key)) continue;
    keySet.add(key);
    ids.push(id);
    keys.push(key);
  }
  return { ids, keys, keySet };
}

/**
 * The distinct ids of several lists in order: what `distinctAssignmentIds` gives for their
 * concatenation. An id already given by an earlier list is skipped (lists are distinct
 * within themselves, so only earlier lists need asking).
 */
function pairwiseDisjoint(lists: readonly DistinctAssignmentIds[]): boolean {
  for (let i = 1; i < lists.length; i++)
    for (let k = 0; k < i; k++) if (!areDisjoint(lists[k], lists[i])) return false;
  return true;
}

function mergeAssignmentIds(lists: readonly DistinctAssignmentIds[]): string[] {
  const nonEmpty = lists.filter((l) => l.ids.length > 0);
  if (nonEmpty.length === 0) return [];
  if (pairwiseDisjoint(nonEmpty)) return concatenated(nonEmpty.map((l) => l.ids));
  const ids = [...nonEmpty[0].ids];
  for (let i = 1; i < nonEmpty.length; i++) {
    const { ids: more, keys } = nonEmpty[i];
    for (let j = 0; j < more.length; j++) {
      let seenBefore = false;
      for (let k = 0; k < i && !seenBefore; k++) seenBefore = nonEmpty[k].keySet.has(keys[j]);
      if (!seenBefore) ids.push(more[j]);
    }
  }
  return ids;
}

// Whether two id lists share a key, per pair of lists. The lists of shared scope views meet
// again and again (a subscription's with the root's, for each cluster of the subscription), so
// each pair is compared once, not once per cluster.
const disjointness = new WeakMap<DistinctAssignmentIds, WeakMap<DistinctAssignmentIds, boolean>>();

function areDisjoint(a: DistinctAssignmentIds, b: DistinctAssignmentIds): boolean {
  let known = disjointness.get(a);
  if (known === undefined) disjointness.set(a, (known = new WeakMap()));
  let disjoint = known.get(b);
  if (disjoint === undefined) {
    const [fewer, more] = a.keys.length <= b.keys.length ? [a, b] : [b, a];
    disjoint = !fewer.keys.some((key) => more.keySet.has(key));
    known.set(b, disjoint);
  }
  return disjoint;
}
