/**
 * Strict parsing of the resource ids an event routes on (its subject is sender-controlled):
 * segment by segment, refusing anything that is not a real ARM id rather than interpreting it.
 */
import { describeValue } from './eventValidation';
import { normaliseScope } from './scope';

// Whole segments of a resource id we route on: Azure names of subscriptions, resource groups,
// clusters, management groups and role assignments use only these characters. Anything else
// (`%2F`, `..`, `\`, `?`, blanks) is not a real ARM id and is refused rather than interpreted.
const SEGMENT = /^[\p{L}\p{N}_\-.()]+$/u;

type Parsed = { ok: true; segments: string[] } | { ok: false; problem: string };

/** Strictly split a resource id into segments; refuses empty, `.`/`..` and odd characters. */
export function splitUntrustedResourceId(id: string): Parsed {
  if (!id.startsWith('/'))
    return { ok: false, problem: `${describeValue(id)} does not start with '/'` };
  const body = id.endsWith('/') && id.length > 1 ? id.slice(1, -1) : id.slice(1);
  if (body === '') return { ok: true, segments: [] };
  const segments = body.split('/');
  for (const segment of segments) {
    if (segment === '')
      return { ok: false, problem: `${describeValue(id)} has an empty path segment` };
    if (segment === '.' || segment === '..')
      return {
        ok: false,
        problem: `${describeValue(id)} has a relative path segment '${segment}'`,
      };
    if (!SEGMENT.test(segment))
      return {
        ok: false,
        problem: `${describeValue(id)} has a path segment with characters no Azure resource id uses`,
      };
  }
  return { ok: true, segments };
}

export const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b;
export /** The canonical managed-cluster id of `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/n[/…]`. */
function clusterIdFromSegments(segments: string[]): string | undefined {
  if (
    segments.length >= 8 &&
    eq(segments[0], 'subscriptions') &&
    eq(segments[2], 'resourcegroups') &&
    eq(segments[4], 'providers') &&
    eq(segments[5], 'microsoft.containerservice') &&
    eq(segments[6], 'managedclusters')
  ) {
    return `/subscriptions/${segments[1].toLowerCase()}/resourceGroups/${segments[3]}/providers/Microsoft.ContainerService/managedClusters/${segments[7]}`;
  }
  return undefined;
}

/** The parts of a managed-cluster id (for alerts about clusters the store may not know). */
export function untrustedClusterIdParts(
  clusterId: string,
): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const parsed = splitUntrustedResourceId(clusterId);
  if (!parsed.ok || parsed.segments.length !== 8) return undefined;
  const canonical = clusterIdFromSegments(parsed.segments);
  if (!canonical) return undefined;
  return {
    subscriptionId: parsed.segments[1].toLowerCase(),
    resourceGroup: parsed.segments[3],
    name: parsed.segments[7],
  };
}

/** A known id spelt as stored when one matches case-insensitively, else the given one. */
export function asKnown(clusterId: string, known: readonly string[]): string {
  const key = normaliseScope(clusterId);
  return known.find((k) => normaliseScope(k) === key) ?? clusterId;
}
export function splitExtension(
  segments: string[],
  namespace: string,
  type: string,
): { scope: string[]; name: string } | undefined {
  const n = segments.length;
  if (
    n < 4 ||
    !eq(segments[n - 4], 'providers') ||
    !eq(segments[n - 3], namespace) ||
    !eq(segments[n - 2], type)
  )
    return undefined;
  return { scope: segments.slice(0, n - 4), name: segments[n - 1] };
}

export type ScopeShape =
  { kind: 'tenant' } | { kind: 'subscription'; subscriptionId: string } | { kind: 'unknown' };

export function scopeShape(scope: string[]): ScopeShape {
  if (scope.length === 0) return { kind: 'tenant' };
  if (
    scope.length === 4 &&
    eq(scope[0], 'providers') &&
    eq(scope[1], 'microsoft.management') &&
    eq(scope[2], 'managementgroups')
  ) {
    return { kind: 'tenant' };
  }
  if (scope.length >= 2 && eq(scope[0], 'subscriptions'))
    return { kind: 'subscription', subscriptionId: scope[1].toLowerCase() };
  return { kind: 'unknown' };
}
