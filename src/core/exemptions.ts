/**
 * Exemptions: accepted risk with an owner, a reason and an expiry date (docs/contracts.md
 * "Exemptions"). Pure: validation of what a person submits, matching an exemption to a cluster's
 * finding, and its effect on the posture (status, score, what pages). The finding keeps its real
 * status; an exempted finding stops counting only while every failing element is exempted.
 */
import { InputError } from './errors';
import type { ClusterPosture, ExemptionRef, Finding, PrincipalAccess } from './model';
import { clusterStatus, scoreFindings } from './score';

/** One exemption as stored and exported. */
export interface Exemption {
  /** Unique; letters, digits, `-`, `_`. */
  id: string;
  checkId: string;
  /** A cluster id, or a resource group, subscription or management group id covering clusters. */
  scope: string;
  /** Only these principals (object ids); absent = the whole finding. */
  principalIds?: string[];
  reason: string;
  /** A mail address or UPN: who answers for the accepted risk. */
  owner: string;
  ticket?: string;
  createdBy?: string;
  createdAt?: string;
  /** ISO time; at most 365 days after creation. */
  expiresOn: string;
  revokedAt?: string;
  revokedBy?: string;
  revokeReason?: string;
  /** When the auditor recorded the expiry in the exemption's history. */
  expiredRecordedAt?: string;
}

export type { ExemptionRef };

export const EXEMPTION_MAX_DAYS = 365;
/** The nightly digest lists exemptions this close to expiry. */
export const EXEMPTION_WARNING_DAYS = 14;
const DAY_MS = 24 * 3600 * 1000;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OWNER = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const SUBSCRIPTION_SCOPE =
  /^\/subscriptions\/[0-9a-f-]{36}(\/resourcegroups\/[^/]+(\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+)?)?$/i;
const MANAGEMENT_GROUP_SCOPE = /^\/providers\/microsoft\.management\/managementgroups\/[^/]+$/i;

export type ScopeKind = 'cluster' | 'resourceGroup' | 'subscription' | 'managementGroup';

/** The kind of Azure resource id an exemption scope is, or undefined when it is none of them. */
export function scopeKind(scope: string): ScopeKind | undefined {
  const id = normaliseScopeId(scope);
  if (MANAGEMENT_GROUP_SCOPE.test(id)) return 'managementGroup';
  const match = SUBSCRIPTION_SCOPE.exec(id);
  if (!match) return undefined;
  if (match[2]) return 'cluster';
  if (match[1]) return 'resourceGroup';
  return 'subscription';
}

function normaliseScopeId(scope: string): string {
  return scope.trim().replace(/\/+$/, '').toLowerCase();
}

export interface ValidationContext {
  now: Date;
  /** Public check ids; an exemption for any other id is refused. */
  checkIds: readonly string[];
  /**
   * Checking an entry already stored with the same content (an import of an exported file):
   * its past expiry is accepted so that an exported file always re-imports.
   */
  allowPastExpiry?: boolean;
}

/**
 * Field names as people write them, in the order they are checked; two entries with the same
 * values in these are the same exemption (an import of an unchanged file changes nothing).
 */
export const EXEMPTION_FIELDS = [
  'id',
  'checkId',
  'scope',
  'principalIds',
  'reason',
  'owner',
  'ticket',
  'expiresOn',
] as const;

/**
 * An exemption from untrusted input (CLI flags, a YAML file, an HTTP body), or an InputError
 * naming the entry and the field. Unknown fields are refused: a typo (`expires`) must not
 * silently create an exemption without what the person meant.
 */
export function validateExemption(
  input: unknown,
  context: ValidationContext,
  where = 'exemption',
): Exemption {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InputError(`${where}: must be an object`);
  const raw = input as Record<string, unknown>;
  const label = typeof raw.id === 'string' && raw.id ? `${where} ${JSON.stringify(raw.id)}` : where;
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${label}: ${field} ${problem}`);
  };
  const known = new Set<string>([
    ...EXEMPTION_FIELDS,
    'createdBy',
    'createdAt',
    'revokedAt',
    'revokedBy',
    'revokeReason',
    'expiredRecordedAt',
  ]);
  for (const key of Object.keys(raw))
    if (!known.has(key))
      fail(key, `is not a field of an exemption (fields: ${EXEMPTION_FIELDS.join(', ')})`);
  const text = (field: string, required: boolean): string | undefined => {
    const value = raw[field];
    if (value === undefined || value === null || value === '') {
      if (required) fail(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') return fail(field, 'must be a string');
    if (value.trim() !== value || value.length > 1024)
      fail(field, 'must have no leading or trailing spaces and at most 1024 characters');
    return value;
  };
  const id = text('id', true)!;
  if (!ID.test(id)) fail('id', 'must be 1–64 letters, digits, "-" or "_"');
  const checkId = text('checkId', true)!;
  if (!context.checkIds.includes(checkId))
    fail(
      'checkId',
      `${JSON.stringify(checkId)} is not a check id (see \`aks-identity-auditor checks\`)`,
    );
  const scope = text('scope', true)!;
  if (!scopeKind(scope)) {
    fail(
      'scope',
      'must be an Azure resource id of a cluster, resource group, subscription or management group',
    );
  }
  let principalIds: string[] | undefined;
  if (raw.principalIds !== undefined && raw.principalIds !== null) {
    if (!Array.isArray(raw.principalIds) || raw.principalIds.length === 0)
      fail('principalIds', 'must be a non-empty list of object ids');
    principalIds = (raw.principalIds as unknown[]).map((value) => {
      if (typeof value !== 'string' || !GUID.test(value))
        return fail('principalIds', `${JSON.stringify(value)} is not an object id (a GUID)`);
      return value.toLowerCase();
    });
  }
  const reason = text('reason', true)!;
  const owner = text('owner', true)!;
  if (!OWNER.test(owner)) fail('owner', 'must be a mail address or user principal name');
  const ticket = text('ticket', false);
  const expiresOn = parseTime(raw.expiresOn, 'expiresOn', fail, true)!;
  const createdAt = parseTime(raw.createdAt, 'createdAt', fail, false);
  const from = createdAt ? new Date(createdAt) : context.now;
  if (!context.allowPastExpiry && new Date(expiresOn) <= context.now)
    fail('expiresOn', 'is in the past');
  if (new Date(expiresOn).getTime() - from.getTime() > EXEMPTION_MAX_DAYS * DAY_MS) {
    fail('expiresOn', `is more than ${EXEMPTION_MAX_DAYS} days after the exemption was created`);
  }
  const exemption: Exemption = { id, checkId, scope, reason, owner, expiresOn };
  if (principalIds) exemption.principalIds = principalIds;
  if (ticket) exemption.ticket = ticket;
  const createdBy = text('createdBy', false);
  if (createdBy) exemption.createdBy = createdBy;
  if (createdAt) exemption.createdAt = createdAt;
  const revokedAt = parseTime(raw.revokedAt, 'revokedAt', fail, false);
  if (revokedAt) exemption.revokedAt = revokedAt;
  const revokedBy = text('revokedBy', false);
  if (revokedBy) exemption.revokedBy = revokedBy;
  const revokeReason = text('revokeReason', false);
  if (revokeReason) exemption.revokeReason = revokeReason;
  return exemption;
}

function parseTime(
  value: unknown,
  field: string,
  fail: (field: string, problem: string) => never,
  required: boolean,
): string | undefined {
  if (value === undefined || value === null || value === '')
    return required
      ? fail(field, 'is required (an ISO date such as 2027-03-31T00:00:00Z)')
      : undefined;
  const text = value instanceof Date ? value.toISOString() : value;
  if (typeof text !== 'string' || !ISO_TIME.test(text) || Number.isNaN(Date.parse(text))) {
    return fail(
      field,
      `${JSON.stringify(String(value)).slice(0, 60)} is not an ISO date such as 2027-03-31T00:00:00Z`,
    );
  }
  return new Date(text).toISOString();
}

export type ExemptionState = 'active' | 'expired' | 'revoked';

export function exemptionState(exemption: Exemption, now: Date): ExemptionState {
  if (exemption.revokedAt) return 'revoked';
  return new Date(exemption.expiresOn) <= now ? 'expired' : 'active';
}

/** Active exemptions expiring within `days` (the nightly digest's list), soonest first. */
export function expiringSoon(
  exemptions: readonly Exemption[],
  now: Date,
  days = EXEMPTION_WARNING_DAYS,
): Exemption[] {
  const until = now.getTime() + days * DAY_MS;
  return exemptions
    .filter((e) => exemptionState(e, now) === 'active' && new Date(e.expiresOn).getTime() <= until)
    .sort((a, b) => a.expiresOn.localeCompare(b.expiresOn));
}

/**
 * Management groups above a subscription (names or ids), when known (live: Resource Graph
 * `resourcecontainers`); undefined when unknown.
 */
export type SubscriptionAncestry = (subscriptionId: string) => readonly string[] | undefined;

/** The ancestry an estate carries, or undefined when it has none (a snapshot). */
export function estateAncestry(
  ancestry: Readonly<Record<string, readonly string[]>> | undefined,
): SubscriptionAncestry | undefined {
  if (!ancestry) return undefined;
  return (subscriptionId) => {
    const groups = ancestry[subscriptionId.toLowerCase()];
    // Every subscription sits at least under the tenant root group: an empty chain says nothing.
    return groups && groups.length > 0 ? groups : undefined;
  };
}

/** What a listing says beside an exemption applied on assumed management-group coverage. */
export const MG_UNVERIFIED_NOTE =
  "the subscription's management groups are unknown, so it is applied to every cluster";

/**
 * Whether the exemption's scope covers the cluster: `covers`, `no`, or `assumed` for a
 * management-group scope when the cluster's subscription ancestry is unknown. Then the
 * exemption applies (a snapshot cannot say which subscriptions sit under a management group,
 * docs/contracts.md "Exemptions") and every listing marks it, since it may hide a finding.
 */
export function exemptionCoverage(
  exemption: Pick<Exemption, 'scope'>,
  clusterId: string,
  ancestry?: SubscriptionAncestry,
): 'covers' | 'assumed' | 'no' {
  const scope = normaliseScopeId(exemption.scope);
  const cluster = normaliseScopeId(clusterId);
  if (scopeKind(scope) === 'managementGroup') {
    const subscriptionId = /^\/subscriptions\/([^/]+)/.exec(cluster)?.[1] ?? '';
    const groups = ancestry?.(subscriptionId);
    if (!groups) return 'assumed';
    const name = scope.split('/').pop()!;
    return groups.some((group) => normaliseScopeId(group).split('/').pop() === name)
      ? 'covers'
      : 'no';
  }
  return cluster === scope || cluster.startsWith(`${scope}/`) ? 'covers' : 'no';
}

/** Whether the exemption's scope covers the cluster (whole path segments, case-insensitively). */
export function exemptionCovers(
  exemption: Pick<Exemption, 'scope'>,
  clusterId: string,
  ancestry?: SubscriptionAncestry,
): boolean {
  return exemptionCoverage(exemption, clusterId, ancestry) !== 'no';
}

/** The failing elements of a finding: the principals it lists that are not approved. */
function failingPrincipals(finding: Finding): PrincipalAccess[] {
  return (finding.principals ?? []).filter((p) => !p.approved);
}

/**
 * The posture with every active exemption applied: matching findings list them, exempted
 * principals are marked, and status and score ignore findings whose every failing element is
 * exempted (the finding's own status stays as it is).
 */
export function applyExemptions(
  posture: ClusterPosture,
  exemptions: readonly Exemption[],
  now: Date,
  ancestry?: SubscriptionAncestry,
): ClusterPosture {
  const unverified = new Set<Exemption>();
  const active = exemptions.filter((e) => {
    if (exemptionState(e, now) !== 'active') return false;
    const coverage = exemptionCoverage(e, posture.id, ancestry);
    if (coverage === 'assumed') unverified.add(e);
    return coverage !== 'no';
  });
  if (!posture.findings.some((f) => active.some((e) => e.checkId === f.checkId))) return posture;
  const findings = posture.findings.map((finding) => {
    const matching = active.filter((e) => e.checkId === finding.checkId);
    if (matching.length === 0) return finding;
    const whole = matching.some((e) => !e.principalIds);
    const ids = new Set(matching.flatMap((e) => e.principalIds ?? []));
    const principals = finding.principals?.map((p) =>
      whole || ids.has(p.principalId.toLowerCase()) ? { ...p, exempted: true } : p,
    );
    const updated: Finding = {
      ...finding,
      exemptions: matching.map((e) => exemptionRef(e, unverified.has(e))),
    };
    if (principals) updated.principals = principals;
    const failing = failingPrincipals(updated);
    updated.exempted =
      finding.status === 'fail' &&
      (whole || (failing.length > 0 && failing.every((p) => p.exempted)));
    return updated;
  });
  const counted = findings.filter((f) => !f.exempted);
  return { ...posture, findings, status: clusterStatus(counted), score: scoreFindings(counted) };
}

function exemptionRef(exemption: Exemption, managementGroupUnverified: boolean): ExemptionRef {
  const ref: ExemptionRef = {
    id: exemption.id,
    reason: exemption.reason,
    owner: exemption.owner,
    expiresOn: exemption.expiresOn,
  };
  if (exemption.ticket) ref.ticket = exemption.ticket;
  if (exemption.principalIds) ref.principalIds = [...exemption.principalIds];
  if (managementGroupUnverified) ref.managementGroupUnverified = true;
  return ref;
}

/** Findings that count (for `--fail-on`, paging): those not wholly exempted. */
export function countedFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => !f.exempted);
}

/** Whether a principal of a finding is exempted (privilege gains of exempted principals page nobody). */
export function principalExempted(
  posture: ClusterPosture,
  checkId: string,
  principalId: string,
): boolean {
  const finding = posture.findings.find((f) => f.checkId === checkId);
  if (finding?.exempted) return true;
  const id = principalId.toLowerCase();
  return posture.findings.some((f) =>
    f.principals?.some(
      (p) =>
        p.principalId.toLowerCase() === id &&
        p.exempted &&
        (f.checkId === checkId || f.checkId === 'cluster-admin-paths'),
    ),
  );
}

/**
 * Exemptions that lapsed since the stored posture: a finding the stored posture counted as
 * exempted, which still fails now and is no longer exempted because an exemption it listed has
 * expired. Each yields one `exemption-expired` regression at the check's severity.
 */
export function expiredExemptionFindings(
  before: ClusterPosture | undefined,
  after: ClusterPosture,
  now: Date,
): Array<{ finding: Finding; exemption: ExemptionRef }> {
  if (!before) return [];
  const result: Array<{ finding: Finding; exemption: ExemptionRef }> = [];
  for (const finding of after.findings) {
    if (finding.status !== 'fail' || finding.exempted) continue;
    const previous = before.findings.find((f) => f.checkId === finding.checkId);
    if (!previous?.exempted) continue;
    const lapsed = (previous.exemptions ?? []).find((e) => new Date(e.expiresOn) <= now);
    if (lapsed) result.push({ finding, exemption: lapsed });
  }
  return result;
}
