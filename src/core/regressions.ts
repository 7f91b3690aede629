/**
 * The regression diff (docs/access.md "Regressions"): what got worse between the stored posture and
 * a new one. Pure.
 *
 * An `error` neither raises nor clears a regression, so comparing two postures is not enough:
 * a check that was `error` last time and `fail` now must be compared with its last status that
 * was not `error`, and a principal whose access could not be read last time must not look as if
 * it had just gained everything. That knowledge is the {@link PostureMemory}: the store keeps it
 * next to the posture and hands it back to `diffPostures`; `rememberPosture` advances it.
 */
import {
  CAPABILITIES,
  SEVERITIES,
  type Capability,
  type ClusterPosture,
  type FindingStatus,
  type PrincipalAccess,
  type Regression,
  type Severity,
} from './model';
import { expiredExemptionFindings } from './exemptions';
import { severityRank } from './report';

export type KnownStatus = Exclude<FindingStatus, 'error'>;

/** What the diff needs to know about the past, carried through `error` evaluations. */
export interface PostureMemory {
  version: 1;
  /** Per check id: the last status that was not `error`, with that finding's severity. */
  checks: Record<string, { status: KnownStatus; severity: Severity }>;
  /** Per lower-cased principal id: the privileged capabilities over the cluster last known to be held. */
  principals: Record<string, Capability[]>;
  /**
   * Whether the privileged principals were ever read completely. Until then nobody "gains"
   * anything: the first complete read is the baseline of access.
   */
  principalsKnown: boolean;
  /** The catalogue version the memory was last re-baselined under (core/alertPolicy); absent = the first. */
  catalogueVersion?: number;
}

/**
 * Which access check a gained capability belongs to (a regression's `checkId` is always a
 * check id, and with the principal it forms the alert's dedupe key):
 * - `admin-credential` → `admin-credential-access` (the check about fetching the admin kubeconfig);
 * - `cluster-write`, `role-assignment-write`, `kubernetes-cluster-admin` → `privileged-access-via-groups`
 *   (the check that lists every principal holding any privileged capability; kept so that open
 *   alerts keep their dedupe keys);
 * - the paths counted since catalogue 2 (`run-command`, `trusted-access-write`, `node-access`) →
 *   `cluster-admin-paths`, the check that judges them.
 */
export const PRIVILEGE_CHECK_BY_CAPABILITY: Readonly<Record<Capability, string>> = Object.freeze({
  'admin-credential': 'admin-credential-access',
  'cluster-write': 'privileged-access-via-groups',
  'role-assignment-write': 'privileged-access-via-groups',
  'kubernetes-cluster-admin': 'privileged-access-via-groups',
  'run-command': 'cluster-admin-paths',
  'trusted-access-write': 'cluster-admin-paths',
  'node-access': 'cluster-admin-paths',
});

/**
 * One principal gaining several capabilities at once (a new Contributor gains admin-credential
 * and cluster-write) is one regression, filed under the most serious check it touches.
 */
export function privilegeCheckId(gained: readonly Capability[]): string {
  // CAPABILITIES lists the older paths first: a gain that includes one keeps its older check.
  const first = CAPABILITIES.find((c) => gained.includes(c)) ?? 'cluster-write';
  return PRIVILEGE_CHECK_BY_CAPABILITY[first];
}

/** The capabilities whose gain files under `checkId` (empty for a check that is not about privilege). */
export function capabilitiesOfPrivilegeCheck(checkId: string): Capability[] {
  return CAPABILITIES.filter((c) => PRIVILEGE_CHECK_BY_CAPABILITY[c] === checkId);
}

/**
 * The access checks whose principal lists make up `privilegedPrincipals`. When one of them is
 * `error`, the principals shown may be incomplete (role assignments unreadable or unresolved).
 */
const ACCESS_COMPLETENESS_CHECKS = [
  'admin-credential-access',
  'cluster-admin-paths',
  'privileged-access-via-groups',
];

const LOCAL_ACCOUNTS_CHECK = 'local-accounts-disabled';

export function principalKey(principalId: string): string {
  return principalId.trim().toLowerCase();
}

/**
 * Whether the posture's privileged principals are complete: no access check that lists them is
 * `error`, and no role assigned over the cluster is unresolved (a custom role missing for one
 * run would otherwise drop its holders, and its return would page them as gaining access).
 */
export function accessComplete(posture: ClusterPosture): boolean {
  return (
    (posture.unresolvedRoleDefinitions ?? []).length === 0 &&
    !posture.findings.some(
      (f) => ACCESS_COMPLETENESS_CHECKS.includes(f.checkId) && f.status === 'error',
    )
  );
}

/** Capabilities per lower-cased principal id, the union over that principal's assignments. */
export function capabilitiesByPrincipal(
  principals: readonly PrincipalAccess[],
): Map<string, Set<Capability>> {
  const result = new Map<string, Set<Capability>>();
  for (const p of principals) {
    if (!p || typeof p.principalId !== 'string' || p.principalId.trim() === '') continue;
    const key = principalKey(p.principalId);
    let held = result.get(key);
    if (!held) result.set(key, (held = new Set()));
    for (const c of p.capabilities ?? []) held.add(c);
  }
  return result;
}

function ordered(capabilities: Iterable<Capability>): Capability[] {
  const set = new Set(capabilities);
  return CAPABILITIES.filter((c) => set.has(c));
}

/** `admin-credential, cluster-write`, or `none`: the `before`/`after` of a privilege-gained regression. */
export function formatCapabilities(capabilities: Iterable<Capability>): string {
  const list = ordered(capabilities);
  return list.length ? list.join(', ') : 'none';
}

/** The inverse of {@link formatCapabilities} (unknown words are dropped). */
export function parseCapabilities(text: string): Capability[] {
  const words = new Set(text.split(',').map((w) => w.trim()));
  return CAPABILITIES.filter((c) => words.has(c));
}

/**
 * The memory after recording `posture`, given the memory before it (or none).
 * - checks: a non-`error` finding replaces what was known; an `error` keeps it.
 * - principals: a complete read replaces what was known; an incomplete one (some access check
 *   `error`) only adds what it could see, so nothing is forgotten while access is unreadable.
 */
export function rememberPosture(posture: ClusterPosture, previous?: PostureMemory): PostureMemory {
  const checks: PostureMemory['checks'] = { ...(previous?.checks ?? {}) };
  for (const f of posture.findings) {
    if (f.status !== 'error') checks[f.checkId] = { status: f.status, severity: f.severity };
  }
  const current = capabilitiesByPrincipal(posture.privilegedPrincipals ?? []);
  const complete = accessComplete(posture);
  const principals: PostureMemory['principals'] = {};
  if (!complete && previous) {
    for (const [id, caps] of Object.entries(previous.principals)) principals[id] = ordered(caps);
  }
  for (const [id, caps] of current) {
    principals[id] = ordered([...(principals[id] ?? []), ...caps]);
  }
  for (const [id, caps] of Object.entries(principals)) if (caps.length === 0) delete principals[id];
  const memory: PostureMemory = {
    version: 1,
    checks,
    principals,
    principalsKnown: (previous?.principalsKnown ?? false) || complete,
  };
  if (previous?.catalogueVersion !== undefined) memory.catalogueVersion = previous.catalogueVersion;
  return memory;
}

/** Whether local accounts are enabled per the posture, else per the last known status; unknown counts as enabled (fail closed). */
export function localAccountsEnabled(posture: ClusterPosture, memory?: PostureMemory): boolean {
  const finding = posture.findings.find((f) => f.checkId === LOCAL_ACCOUNTS_CHECK);
  const status =
    finding && finding.status !== 'error'
      ? finding.status
      : memory?.checks[LOCAL_ACCOUNTS_CHECK]?.status;
  return status === undefined ? true : status === 'fail';
}

/**
 * What got worse from `before` to `after`. No `before` = the baseline: nothing. `memory` is
 * what the store remembered when it recorded `before` (see {@link rememberPosture}); without it
 * the memory is derived from `before` alone (its `error` findings then compare with nothing).
 *
 * - `check-failed`: last known status `pass`/`not-applicable`, now `fail` (severity: the finding's);
 * - `severity-rose`: failing before and now, at a higher severity;
 * - `privilege-gained`: a principal holds a capability it was not known to hold (one regression
 *   per principal, `checkId` per {@link privilegeCheckId}, before/after = capability lists),
 *   critical while local accounts are enabled, else high; one severity lower when every gained
 *   capability is held only through PIM eligibilities.
 * An `error` finding is never a regression; a check never known before (new to the catalogue,
 * or `error` since the baseline) sets its own baseline.
 */
export function diffPostures(
  before: ClusterPosture | undefined,
  after: ClusterPosture,
  memory?: PostureMemory,
): Regression[] {
  if (!before) return [];
  const known = memory ?? rememberPosture(before);
  const regressions: Regression[] = [];

  for (const finding of after.findings) {
    if (finding.status !== 'fail') continue;
    const previous = known.checks[finding.checkId];
    if (!previous) continue;
    if (previous.status === 'pass' || previous.status === 'not-applicable') {
      regressions.push({
        kind: 'check-failed',
        checkId: finding.checkId,
        before: previous.status,
        after: 'fail',
        severity: finding.severity,
      });
    } else if (severityRank(finding.severity) < severityRank(previous.severity)) {
      regressions.push({
        kind: 'severity-rose',
        checkId: finding.checkId,
        before: previous.severity,
        after: finding.severity,
        severity: finding.severity,
      });
    }
  }

  if (known.principalsKnown) {
    const severity: Severity = localAccountsEnabled(after, known) ? 'critical' : 'high';
    const firstSpelling = new Map<string, string>();
    for (const p of after.privilegedPrincipals ?? []) {
      if (p?.principalId && !firstSpelling.has(principalKey(p.principalId)))
        firstSpelling.set(principalKey(p.principalId), p.principalId.trim());
    }
    const activelyHeld = capabilitiesByPrincipal(
      (after.privilegedPrincipals ?? []).filter((p) => p?.eligible !== true),
    );
    for (const [id, held] of capabilitiesByPrincipal(after.privilegedPrincipals ?? [])) {
      // The memory holds what was eligible too: activating an eligibility (same principal, role
      // and scope) adds nothing it could not already do, so it is not a gain.
      const had = new Set(known.principals[id] ?? []);
      const gained = ordered([...held].filter((c) => !had.has(c)));
      if (gained.length === 0) continue;
      const active = activelyHeld.get(id);
      const eligibleOnly = !gained.some((c) => active?.has(c));
      regressions.push({
        kind: 'privilege-gained',
        checkId: privilegeCheckId(gained),
        principalId: firstSpelling.get(id) ?? id,
        before: formatCapabilities(had),
        after: formatCapabilities(held),
        // A gain held only through PIM eligibility needs an activation (approved, audited) to use.
        severity: eligibleOnly ? oneLower(severity) : severity,
      });
    }
  }
  // An accepted risk whose exemption lapsed while the finding still fails pages once, at the
  // check's severity: nothing else would, as the check was failing all along.
  for (const { finding, exemption } of expiredExemptionFindings(
    before,
    after,
    new Date(after.evaluatedAt),
  )) {
    regressions.push({
      kind: 'exemption-expired',
      checkId: finding.checkId,
      before: `exempted by ${exemption.id} until ${exemption.expiresOn}`,
      after: 'fail',
      severity: finding.severity,
    });
  }
  return regressions;
}

function oneLower(severity: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.indexOf(severity) + 1, SEVERITIES.length - 1)];
}

/** The failing check ids of a posture, sorted (the estate view and history rows). */
export function failingCheckIds(posture: ClusterPosture): string[] {
  return posture.findings
    .filter((f) => f.status === 'fail')
    .map((f) => f.checkId)
    .sort();
}

function principalsFingerprint(posture: ClusterPosture): string {
  return JSON.stringify(
    [...capabilitiesByPrincipal(posture.privilegedPrincipals ?? [])]
      .map(([id, caps]) => [id, ordered(caps)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

/**
 * Whether an evaluation changed something worth a history row: status, score, the failing
 * checks or the privileged principals. (Regressions found are a change too; the caller adds that.)
 */
export function postureChanged(before: ClusterPosture | undefined, after: ClusterPosture): boolean {
  if (!before) return true;
  return (
    before.status !== after.status ||
    before.score !== after.score ||
    failingCheckIds(before).join(',') !== failingCheckIds(after).join(',') ||
    principalsFingerprint(before) !== principalsFingerprint(after)
  );
}

/** The most severe severity among failing findings, if any. */
export function worstFailingSeverity(posture: ClusterPosture): Severity | undefined {
  let worst: Severity | undefined;
  for (const f of posture.findings) {
    if (
      f.status === 'fail' &&
      (worst === undefined || severityRank(f.severity) < severityRank(worst))
    )
      worst = f.severity;
  }
  return worst;
}
