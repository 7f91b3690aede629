/**
 * Validation of the path segments and query values the HTTP API accepts, against Azure's
 * naming rules. Anything else is refused with a one-line InputError before it reaches a store
 * query, so a hostile request can neither inject into a filter nor address another resource.
 */
import { InputError } from './errors';
import { SEVERITIES, type ClusterStatus, type Severity } from './model';
import { parseSeverity as severityOf } from './report';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Resource groups: 1–90 letters (any script), digits, underscores, hyphens, periods and
// parentheses; not ending in a period.
const RESOURCE_GROUP = /^[\p{L}\p{N}_\-.()]{1,90}$/u;
// AKS cluster names: 1–63 alphanumerics, underscores and hyphens, alphanumeric at both ends.
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export function validateSubscriptionId(value: string | undefined, what = 'subscriptionId'): string {
  if (!value || !GUID.test(value)) {
    throw new InputError(`${what} must be a subscription GUID, got ${describe(value)}`);
  }
  return value.toLowerCase();
}

export function validateResourceGroup(value: string | undefined): string {
  if (!value || !RESOURCE_GROUP.test(value) || value.endsWith('.')) {
    throw new InputError(
      `resourceGroup must be 1-90 letters, digits, '_', '-', '.', '(' or ')' and not end in '.', got ${describe(value)}`,
    );
  }
  return value;
}

export function validateClusterName(value: string | undefined): string {
  if (!value || !CLUSTER_NAME.test(value)) {
    throw new InputError(
      `clusterName must be 1-63 letters, digits, '_' or '-', starting and ending with a letter or digit, got ${describe(value)}`,
    );
  }
  return value;
}

/** The managed cluster resource id the three path segments address. */
export function clusterIdFromSegments(
  subscriptionId: string,
  resourceGroup: string,
  clusterName: string,
): string {
  const sub = validateSubscriptionId(subscriptionId);
  const rg = validateResourceGroup(resourceGroup);
  const name = validateClusterName(clusterName);
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export function parseSeverity(value: string, what: string): Severity {
  const severity = severityOf(value);
  if (!severity)
    throw new InputError(`${what} must be one of ${SEVERITIES.join(', ')}, got ${describe(value)}`);
  return severity;
}

const CLUSTER_STATUSES: readonly ClusterStatus[] = ['pass', 'fail', 'error'];

export function parseClusterStatus(value: string, what: string): ClusterStatus {
  const lower = value.toLowerCase();
  if (!(CLUSTER_STATUSES as readonly string[]).includes(lower)) {
    throw new InputError(
      `${what} must be one of ${CLUSTER_STATUSES.join(', ')}, got ${describe(value)}`,
    );
  }
  return lower as ClusterStatus;
}

export function parsePageSize(value: string, what: string, max = 1000): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new InputError(`${what} must be a whole number from 1 to ${max}, got ${describe(value)}`);
  }
  return Number(value);
}

/** An ISO 8601 timestamp with a date and time (`2026-11-22T02:00:00Z`); anything else is refused. */
export function parseIsoTime(value: string, what: string): Date {
  const iso =
    /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
  const time = iso.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new InputError(
      `${what} must be an ISO 8601 time such as 2026-11-22T02:00:00Z, got ${describe(value)}`,
    );
  }
  return new Date(time);
}

/** Quote a user value for an error message: bounded, control characters made visible. */
export function describe(value: string | undefined): string {
  if (value === undefined || value === '') return 'nothing';
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}
