/**
 * Scope maths for Azure RBAC (docs/architecture.md step 2): an assignment at scope S covers resource
 * R when S is R or an ancestor of R, compared on whole path segments and case-insensitively
 * (ARM ids are case-insensitive; `resourcegroups` = `resourceGroups`, but `rg-prod` must never
 * cover `rg-prod2`). Pure: strings in, strings out.
 */

export type ScopeKind = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

const SLASH = 47; // '/'
const MANAGEMENT_GROUP_PREFIX = '/providers/microsoft.management/managementgroups/';

/**
 * The comparable form of a scope or resource id: trimmed, lower-cased, one leading slash, no
 * empty segments, no trailing slash; the tenant root is `/`. An empty or blank scope becomes `/`:
 * an assignment whose scope is unreadable is treated as covering everything (over-reporting
 * access is the safe side).
 */
export function normaliseScope(scope: string): string {
  // Fast path (nearly every id): lower-casing is native and cheap, and a well-formed id needs
  // nothing else. Only odd shapes (`//`, no leading `/`, trailing `/` or blanks) are rebuilt.
  const lower = scope.toLowerCase();
  if (isWellFormed(lower)) return lower;
  const trimmed = lower.trim();
  let out = '';
  let start = 0;
  for (let i = 0; i <= trimmed.length; i++) {
    if (i === trimmed.length || trimmed.charCodeAt(i) === SLASH) {
      // Blanks around a segment are export noise (`rg-prod /`): resource names never end in one.
      const segment = trimmed.slice(start, i).trim();
      if (segment !== '') out += '/' + segment;
      start = i + 1;
    }
  }
  return out === '' ? '/' : out;
}

function isWellFormed(lower: string): boolean {
  const n = lower.length;
  if (n === 0 || lower.charCodeAt(0) !== SLASH) return false;
  if (n === 1) return true;
  const last = lower.charCodeAt(n - 1);
  return (
    last !== SLASH &&
    last > 32 &&
    lower.indexOf('//') === -1 &&
    lower.indexOf(' /') === -1 &&
    lower.indexOf('/ ') === -1
  );
}

/**
 * Whether an assignment at `scope` applies to `resourceId`: the scope is the resource itself or
 * one of its ancestors, on whole segments. `/` covers everything. Management groups are NOT
 * resolved here (their hierarchy is not in the id); see `access.ts` for how they apply.
 */
export function scopeCovers(scope: string, resourceId: string): boolean {
  const s = normaliseScope(scope);
  if (s === '/') return true;
  const r = normaliseScope(resourceId);
  if (r.length === s.length) return r === s;
  return r.length > s.length && r.charCodeAt(s.length) === SLASH && r.startsWith(s);
}

/** What level of the ARM hierarchy a scope names. Unrecognised shapes are `resource` (the narrowest). */
export function scopeKind(scope: string): ScopeKind {
  const s = normaliseScope(scope);
  if (s === '/') return 'root';
  const segments = s.slice(1).split('/');
  if (
    segments.length === 4 &&
    segments[0] === 'providers' &&
    segments[1] === 'microsoft.management' &&
    segments[2] === 'managementgroups'
  ) {
    return 'managementGroup';
  }
  if (segments[0] === 'subscriptions') {
    if (segments.length === 2) return 'subscription';
    if (segments.length === 4 && segments[2] === 'resourcegroups') return 'resourceGroup';
  }
  return 'resource';
}

/** Whether a scope is a management group or something beneath one. */
export function isManagementGroupScope(scope: string): boolean {
  return isNormalisedManagementGroupScope(normaliseScope(scope));
}

/** As `isManagementGroupScope`, for a scope already passed through `normaliseScope`. */
export function isNormalisedManagementGroupScope(normalised: string): boolean {
  return (
    normalised.length > MANAGEMENT_GROUP_PREFIX.length &&
    normalised.startsWith(MANAGEMENT_GROUP_PREFIX)
  );
}

/**
 * The normalised scopes at which an assignment would cover `resourceId`, most specific first:
 * the resource itself, its parent resources (for nested resources), its resource group, its
 * subscription, then `/`. Management groups are not included: the hierarchy above a
 * subscription is not part of the id.
 */
export function ancestorScopes(resourceId: string): string[] {
  const id = normaliseScope(resourceId);
  if (id === '/') return ['/'];
  const segments = id.slice(1).split('/');
  const ascending: string[] = [];

  if (segments[0] === 'subscriptions' && segments.length >= 2) {
    ascending.push(prefix(segments, 2));
    let i = 2;
    if (segments[2] === 'resourcegroups' && segments.length >= 4) {
      ascending.push(prefix(segments, 4));
      i = 4;
    }
    // `providers/{namespace}` then `{type}/{name}` pairs; an extension resource repeats
    // `providers/{namespace}` after a name. Every `{name}` ends a scope one can assign at.
    while (i < segments.length) {
      if (segments[i] === 'providers') i += 2;
      i += 2;
      if (i > segments.length) break;
      ascending.push(prefix(segments, i));
    }
  } else if (
    segments[0] === 'providers' &&
    segments[1] === 'microsoft.management' &&
    segments.length >= 4
  ) {
    ascending.push(prefix(segments, 4));
  }

  if (ascending[ascending.length - 1] !== id) ascending.push(id);
  const result = ascending.reverse();
  result.push('/');
  return result;
}

function prefix(segments: string[], count: number): string {
  return '/' + segments.slice(0, count).join('/');
}
