/**
 * Every privileged path of a cluster once: the same principal, role and scope listed more than
 * once (a root assignment seen in several subscriptions' listings) becomes one entry holding the
 * union of the capabilities. This is the posture's `privilegedPrincipals`.
 *
 * `dedupePrincipals(access.privileged)` is the reference (and what stored lists go through);
 * `distinctPaths(access)` gives the same (property-tested in test/sharedViews.test.ts) with the
 * work done once per shared scope view (core/accessViews) instead of once per cluster.
 */
import type { ClusterAccess } from './access';
import { accessViewsOf, type AccessView } from './accessViews';
import { CAPABILITIES, type Capability, type PrincipalAccess } from './model';

/**
 * The same principal, role and scope listed more than once (e.g. a root assignment seen in
 * several subscriptions' listings) becomes one entry holding the union of the capabilities.
 */
export function dedupePrincipals(principals: readonly PrincipalAccess[]): PrincipalAccess[] {
  const byKey = new Map<string, { entry: PrincipalAccess; held: Set<Capability> }>();
  for (const p of principals) {
    const key = dedupeKey(p);
    const existing = byKey.get(key);
    if (existing) {
      for (const c of p.capabilities) existing.held.add(c);
    } else {
      byKey.set(key, { entry: { ...p }, held: new Set(p.capabilities) });
    }
  }
  return [...byKey.values()].map(({ entry, held }) => ({
    ...entry,
    capabilities: CAPABILITIES.filter((c) => held.has(c)),
  }));
}

function keyPart(value: string | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

function dedupeKey(p: PrincipalAccess): string {
  // An eligibility and the active assignment it was activated into stay two entries: the
  // regressions tell an eligible-only gain by them.
  return `${keyPart(p.principalId)}|${keyPart(p.roleDefinitionId)}|${keyPart(p.scope)}${p.eligible === true ? '|eligible' : ''}`;
}

/** Whether a list of capabilities is already what `dedupePrincipals` makes of it: CAPABILITIES order, no repeats. */
function isCanonical(capabilities: readonly Capability[]): boolean {
  let at = -1;
  for (const c of capabilities) {
    const next = CAPABILITIES.indexOf(c);
    if (next <= at) return false;
    at = next;
  }
  return true;
}

/** `dedupePrincipals` of one shared scope view, and what decides whether it can meet another's. */
interface DedupedView {
  /** Frozen: shared by the postures of every cluster under the view's scope. */
  principals: readonly PrincipalAccess[];
  /** The distinct `keyPart(scope)` of the view's entries. */
  scopes: readonly string[];
  /** An id containing `|` would make the joined key ambiguous across scopes (see `distinctPaths`). */
  ambiguousKeys: boolean;
}

const dedupedByView = new WeakMap<AccessView, DedupedView>();

function dedupedView(view: AccessView): DedupedView {
  let deduped = dedupedByView.get(view);
  if (deduped === undefined) {
    const rawScopes = new Set<string>();
    let ambiguousKeys = false;
    for (const p of view.privileged) {
      rawScopes.add(p.scope ?? '');
      if ((p.principalId ?? '').includes('|') || (p.roleDefinitionId ?? '').includes('|'))
        ambiguousKeys = true;
    }
    deduped = {
      principals: dedupeSharedEntries(view.privileged),
      scopes: [...new Set([...rawScopes].map(keyPart))],
      ambiguousKeys,
    };
    dedupedByView.set(view, deduped);
  }
  return deduped;
}

/**
 * `dedupePrincipals` for the frozen entries of a view, equal in value, cheaper in work: an entry
 * can only repeat an earlier one of the same principal (unless an id contains `|`, in which case
 * `distinctPaths` does not use this result), so full keys are built only for entries
 * whose principal was already seen, and an entry that repeats nothing (nearly all of them) is
 * returned as the very same frozen object instead of a copy. Merged entries are new frozen objects.
 */
function dedupeSharedEntries(entries: readonly PrincipalAccess[]): PrincipalAccess[] {
  const kept: PrincipalAccess[] = [];
  // Per principal key, the positions in `kept` of its entries.
  const keptOfPrincipal = new Map<string, number[]>();
  // Positions in `kept` that absorbed later repeats, with everything they hold.
  const heldAt = new Map<number, Set<Capability>>();
  for (const p of entries) {
    const principal = keyPart(p.principalId);
    const positions = keptOfPrincipal.get(principal);
    if (positions === undefined) {
      keptOfPrincipal.set(principal, [kept.length]);
      kept.push(p);
      continue;
    }
    const key = dedupeKey(p);
    const first = positions.find((i) => dedupeKey(kept[i]) === key);
    if (first === undefined) {
      positions.push(kept.length);
      kept.push(p);
      continue;
    }
    let held = heldAt.get(first);
    if (held === undefined) heldAt.set(first, (held = new Set(kept[first].capabilities)));
    for (const c of p.capabilities) held.add(c);
  }
  return kept.map((p, i) => {
    const held = heldAt.get(i);
    if (
      held === undefined &&
      Object.isFrozen(p) &&
      Object.isFrozen(p.capabilities) &&
      isCanonical(p.capabilities)
    )
      return p;
    const capabilities = CAPABILITIES.filter((c) =>
      held ? held.has(c) : p.capabilities.includes(c),
    );
    return Object.freeze({ ...p, capabilities: Object.freeze(capabilities) as Capability[] });
  });
}

/**
 * `dedupePrincipals(access.privileged)`, without building a key per principal per cluster.
 * The key includes the scope, and the views a cluster's access is made of are each one scope
 * (the management-group view: a few), so entries of two views can only be merged if the two
 * share a scope key. When no two views do, the result is the concatenation of each view's own
 * deduplicated entries, computed once per view. Otherwise (or for an access not built by the
 * index) the whole list is deduplicated here.
 */
export function distinctPaths(access: ClusterAccess): PrincipalAccess[] {
  const views = accessViewsOf(access);
  if (views === undefined) return dedupePrincipals(access.privileged);
  const parts = views.map(dedupedView);
  const seenScopes: string[] = [];
  for (const part of parts) {
    if (part.ambiguousKeys) return dedupePrincipals(access.privileged);
    for (const scope of part.scopes) {
      if (seenScopes.includes(scope)) return dedupePrincipals(access.privileged);
    }
    // Pushed after the loop: a view's own repeats are already merged in its result.
    seenScopes.push(...part.scopes);
  }
  const principals: PrincipalAccess[] = [];
  for (const part of parts) for (const p of part.principals) principals.push(p);
  return principals;
}
