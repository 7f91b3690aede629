/**
 * From regressions to alerts a person can act on at 3 a.m.: what changed (before → after, in
 * words), who holds the new access and through which role and scope, the `az` command that
 * fixes it, and a link to the cluster. Pure.
 */
import type {
  Alert,
  Capability,
  ClusterPosture,
  Finding,
  PrincipalAccess,
  Regression,
  Severity,
} from './model';
import {
  capabilitiesOfPrivilegeCheck,
  localAccountsEnabled,
  parseCapabilities,
  principalKey,
} from './regressions';
import { describePrincipal, principalLabel, scopeLabel } from './principals';
import { atLeast } from './report';
import { deleteAssignmentsCommand } from './checks/common';
import { principalExempted } from './exemptions';

const KEY_SEPARATOR = '|';

function normaliseClusterId(clusterId: string): string {
  return clusterId.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * The alert dedupe key (docs/storage.md): cluster id + check id (or signal) + principal id where
 * relevant, lower-cased so ids differing only in case (`resourcegroups`/`resourceGroups`, GUID
 * case) are one key. The store encodes it before using it in a row key.
 */
export function dedupeKey(clusterId: string, checkId: string, principalId?: string): string {
  const parts = [normaliseClusterId(clusterId), checkId.trim().toLowerCase()];
  if (principalId !== undefined && principalId.trim() !== '') parts.push(principalKey(principalId));
  return parts.join(KEY_SEPARATOR);
}

/**
 * The key of a regression's alert. An expired exemption gets its own key: the check's own alert
 * may still be open from before the exemption, and an open alert does not page again.
 */
function alertKeyOf(clusterId: string, regression: Regression): string {
  if (regression.kind === 'exemption-expired')
    return `${dedupeKey(clusterId, regression.checkId)}${KEY_SEPARATOR}exemption-expired`;
  return dedupeKey(
    clusterId,
    regression.checkId,
    regression.kind === 'privilege-gained' ? regression.principalId : undefined,
  );
}

export interface AlertOptions {
  /** Lowest severity that pages (ALERT_MIN_SEVERITY). */
  minSeverity: Severity;
  /** Base URL of the HTTP API (`https://func.example.net`); no link without it. */
  linkBase?: string;
  now: Date;
}

/** What each capability lets its holder do, in the words of docs/access.md. */
export const CAPABILITY_WORDS: Readonly<Record<Capability, string>> = Object.freeze({
  'admin-credential': 'can fetch the static cluster-admin kubeconfig (admin-credential)',
  'cluster-write': 'can rewrite the cluster, e.g. re-enable local accounts (cluster-write)',
  'role-assignment-write': 'can grant roles, including to itself (role-assignment-write)',
  'kubernetes-cluster-admin':
    'is Kubernetes cluster-admin through Azure RBAC (kubernetes-cluster-admin)',
  'run-command':
    'can run kubectl in the cluster through ARM, past network restrictions (run-command)',
  'trusted-access-write':
    "can bind another Azure resource's identity to in-cluster roles (trusted-access-write)",
  'node-access':
    "can run code on the cluster's nodes through the node resource group (node-access)",
});

const STATUS_WORDS: Record<string, string> = {
  pass: 'passing',
  fail: 'failing',
  'not-applicable': 'not applicable',
  error: 'could not be evaluated',
};

/** The path of the cluster's dashboard page: `/api/dashboard/clusters/{sub}/{rg}/{name}` (segments percent-encoded). */
export function dashboardClusterPath(
  posture: Pick<ClusterPosture, 'subscriptionId' | 'resourceGroup' | 'name'>,
): string {
  const segments = [posture.subscriptionId, posture.resourceGroup, posture.name].map((s) =>
    encodeURIComponent(s ?? ''),
  );
  return `/api/dashboard/clusters/${segments.join('/')}`;
}

/**
 * The link in an alert: the cluster's dashboard page, `${linkBase}/api/dashboard/clusters/…`.
 * It never carries a function key (in Azure the dashboard sits behind App Service
 * Authentication; docs/contracts.md).
 */
export function clusterLink(
  linkBase: string | undefined,
  posture: Pick<ClusterPosture, 'subscriptionId' | 'resourceGroup' | 'name'>,
): string | undefined {
  if (!linkBase || !linkBase.trim()) return undefined;
  return `${linkBase.trim().replace(/\/+$/, '')}${dashboardClusterPath(posture)}`;
}

function describeRoleAtScope(p: PrincipalAccess): string {
  return `${p.roleName || p.roleDefinitionId || 'an unnamed role'} at ${scopeLabel(p.scope)}`;
}

/** The principal as its grants name it (`core/principals`): short for a title, id beside the name for the body. */
function principalWords(
  principalId: string,
  grants: readonly PrincipalAccess[],
): { short: string; full: string } {
  const named = grants.find((g) => g.displayName || g.userPrincipalName);
  const principal = {
    ...named,
    principalId,
    principalType: grants.find((g) => g.principalType)?.principalType,
  };
  return { short: principalLabel(principal), full: describePrincipal(principal) };
}

/** The principal's grants, those carrying the gained capabilities first. */
function grantsOf(
  posture: ClusterPosture,
  principalId: string,
  gained: readonly Capability[],
): PrincipalAccess[] {
  const key = principalKey(principalId);
  const grants = (posture.privilegedPrincipals ?? []).filter(
    (p) => p?.principalId && principalKey(p.principalId) === key,
  );
  const carries = (p: PrincipalAccess) => p.capabilities.some((c) => gained.includes(c));
  return [...grants.filter(carries), ...grants.filter((p) => !carries(p))];
}

function findingOf(posture: ClusterPosture, checkId: string): Finding | undefined {
  return posture.findings.find((f) => f.checkId === checkId);
}

/**
 * Whether the check's own fix is true for the cluster's state: a check that passes has nothing
 * to fix (admin-credential-access passes once local accounts are disabled, and telling on-call
 * to `--disable-local-accounts` there would send them after a fix already made).
 */
function checkFixApplies(posture: ClusterPosture, finding: Finding | undefined): boolean {
  if (!finding?.remediation) return false;
  if (finding.status === 'pass' || finding.status === 'not-applicable') return false;
  return !/--disable-local-accounts\b/.test(finding.remediation) || localAccountsEnabled(posture);
}

function privilegeAlertText(
  posture: ClusterPosture,
  regression: Regression,
  finding: Finding | undefined,
) {
  const principalId = regression.principalId ?? '';
  const had = parseCapabilities(regression.before);
  const holds = parseCapabilities(regression.after);
  const gained = holds.filter((c) => !had.includes(c));
  const grants = grantsOf(posture, principalId, gained.length ? gained : holds);
  const { short, full: label } = principalWords(principalId, grants);
  const words = (caps: Capability[]) => caps.map((c) => CAPABILITY_WORDS[c]).join('; ');
  const through = grants.length ? ` through ${grants.map(describeRoleAtScope).join(', ')}` : '';
  const local = localAccountsEnabled(posture)
    ? ' Local accounts are enabled (or unknown), so admin-credential means a static cluster-admin kubeconfig that bypasses Entra ID and the audit trail.'
    : ' Local accounts are disabled.';
  const first = grants[0];
  // Removing the grant is the direct fix when it was not intended; the check's own remediation
  // (e.g. disabling local accounts) removes the risk for every holder.
  const removeGrant = first
    ? deleteAssignmentsCommand(undefined, {
        principalId,
        role: first.roleName || first.roleDefinitionId,
        scope: first.scope,
      })
    : undefined;
  const remediation = [
    removeGrant ? `${removeGrant}   # if this grant is not intended` : undefined,
    checkFixApplies(posture, finding) ? finding?.remediation : undefined,
  ]
    .filter((line): line is string => Boolean(line))
    .join('\n');
  return {
    title: `${posture.name}: ${short} gained ${gained.join(', ') || regression.after} over the cluster`,
    before: had.length
      ? `${label} ${words(had)}.`
      : `${label} held no privileged capability over the cluster.`,
    after: `${label} now ${words(holds)}${through}.${local}`,
    principal: first ? { ...first, capabilities: [...first.capabilities] } : undefined,
    remediation,
  };
}

function checkAlertText(
  posture: ClusterPosture,
  regression: Regression,
  finding: Finding | undefined,
) {
  const title = finding?.title ?? regression.checkId;
  const detail = finding?.detail ? `: ${finding.detail}` : '.';
  if (regression.kind === 'exemption-expired') {
    return {
      title: `${posture.name}: the exemption of "${title}" expired and the check still fails`,
      before: `Check ${regression.checkId} was failing, ${regression.before}.`,
      after: `Check ${regression.checkId} is failing and counts again${detail} Fix it, or renew the exemption with its owner.`,
      remediation: finding?.remediation ?? '',
    };
  }
  if (regression.kind === 'severity-rose') {
    return {
      title: `${posture.name}: "${title}" is failing at ${regression.after} (was ${regression.before})`,
      before: `Check ${regression.checkId} was failing at severity ${regression.before}.`,
      after: `Check ${regression.checkId} is failing at severity ${regression.after}${detail}`,
      remediation: finding?.remediation ?? '',
    };
  }
  return {
    title: `${posture.name}: "${title}" now fails`,
    before: `Check ${regression.checkId} was ${STATUS_WORDS[regression.before] ?? regression.before}.`,
    after: `Check ${regression.checkId} is failing${detail}`,
    remediation: finding?.remediation ?? '',
  };
}

/** The alerts for the regressions at or above `minSeverity`, one per regression. */
export function alertsFromRegressions(
  posture: ClusterPosture,
  regressions: readonly Regression[],
  options: AlertOptions,
): Alert[] {
  const createdAt = options.now.toISOString();
  const link = clusterLink(options.linkBase, posture);
  const alerts: Alert[] = [];
  for (const regression of regressions) {
    if (!atLeast(regression.severity, options.minSeverity)) continue;
    const finding = findingOf(posture, regression.checkId);
    // Accepted risk pages nobody, nor does an approved principal's gain (both are still
    // recorded in history).
    if (
      regression.kind === 'privilege-gained'
        ? principalExempted(posture, regression.checkId, regression.principalId ?? '') ||
          principalApproved(posture, regression.principalId ?? '')
        : finding?.exempted
    )
      continue;
    const text =
      regression.kind === 'privilege-gained'
        ? privilegeAlertText(posture, regression, finding)
        : { ...checkAlertText(posture, regression, finding), principal: undefined };
    const alert: Alert = {
      dedupeKey: alertKeyOf(posture.id, regression),
      clusterId: posture.id,
      clusterName: posture.name,
      subscriptionId: posture.subscriptionId,
      resourceGroup: posture.resourceGroup,
      severity: regression.severity,
      kind: regression.kind,
      checkId: regression.checkId,
      title: text.title,
      before: text.before,
      after: text.after,
      remediation:
        text.remediation || `See check ${regression.checkId} in \`aks-identity-auditor checks\`.`,
      createdAt,
    };
    if (text.principal) alert.principal = text.principal;
    if (link) alert.link = link;
    alerts.push(alert);
  }
  return alerts;
}

const EVENT_SIGNALS: ReadonlySet<Alert['kind']> = new Set([
  'admin-credential-retrieved',
  'run-command-invoked',
  'node-command-invoked',
]);

/**
 * Whether a finding lists the principal as approved to hold cluster-admin paths (the cluster's
 * admin groups, `AUDIT_APPROVED_ADMINS`): its gains page nobody (docs/checks.md "Regressions").
 */
function principalApproved(posture: ClusterPosture, principalId: string): boolean {
  const id = principalKey(principalId);
  return posture.findings.some((f) =>
    f.principals?.some((p) => p.approved === true && principalKey(p.principalId) === id),
  );
}

/**
 * Whether an open alert's condition has cleared in `posture`, so a later recurrence pages
 * again. A check alert clears when the check passes (or is not applicable); a privilege alert
 * when the principal no longer holds any capability filed under its check. `error` clears
 * nothing; alerts that are not about a check (real-time signals) never clear by evaluation.
 */
export function alertCleared(
  posture: ClusterPosture,
  alert: Pick<Alert, 'checkId' | 'kind'> & { principalId?: string },
  accessIsComplete: boolean,
): boolean {
  // Someone fetching the admin kubeconfig, or running a command, happened; no posture undoes it.
  if (EVENT_SIGNALS.has(alert.kind)) return false;
  const finding = findingOf(posture, alert.checkId);
  if (alert.principalId) {
    const capabilities = capabilitiesOfPrivilegeCheck(alert.checkId);
    if (capabilities.length === 0 || !accessIsComplete) return false;
    const key = principalKey(alert.principalId);
    return !(posture.privilegedPrincipals ?? []).some(
      (p) =>
        p?.principalId &&
        principalKey(p.principalId) === key &&
        p.capabilities.some((c) => capabilities.includes(c)),
    );
  }
  if (!finding) return false;
  return finding.status === 'pass' || finding.status === 'not-applicable';
}
