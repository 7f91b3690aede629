/**
 * The exemptions page's view model (pure): every stored exemption in one of three lists —
 * active, expiring within {@link EXEMPTION_WARNING_DAYS} days (the nightly digest's list), and
 * ended (expired or revoked, which stay readable) — each with the clusters it covers and its
 * principals by name beside their ids.
 */
import {
  EXEMPTION_WARNING_DAYS,
  exemptionCovers,
  exemptionState,
  scopeKind,
  type Exemption,
  type ExemptionState,
} from '../core/exemptions';
import type { ClusterPosture } from '../core/model';
import { principalKey, principalName, scopeLabel } from '../core/principals';
import type { PostureSummary } from '../core/ports';

const DAY_MS = 24 * 3600 * 1000;

export interface ExemptionPrincipal {
  id: string;
  /** `Dave Jones (dave@contoso.example)`; undefined when no posture read names it. */
  name?: string;
  type?: string;
}

export interface ExemptionRow {
  exemption: Exemption;
  state: ExemptionState;
  /** Whole days until expiry (0 on its last day); negative once expired. */
  daysLeft: number;
  /** When it ended: the revocation, else the expiry. */
  endedAt?: string;
  scopeKind: string;
  scopeLabel: string;
  /** The clusters of the estate it covers (a management group: every cluster, see `coversAll`). */
  clusters: PostureSummary[];
  /** A management-group scope: the page cannot tell which subscriptions sit under it. */
  coversAll: boolean;
  principals: ExemptionPrincipal[];
}

export interface ExemptionLists {
  expiring: ExemptionRow[];
  active: ExemptionRow[];
  ended: ExemptionRow[];
}

const SCOPE_WORDS: Record<string, string> = {
  cluster: 'cluster',
  resourceGroup: 'resource group',
  subscription: 'subscription',
  managementGroup: 'management group',
};

/** The clusters whose postures name the exemptions' principals: the ones they cover. */
export function clustersToName(
  exemptions: readonly Exemption[],
  summaries: readonly PostureSummary[],
  limit: number,
): string[] {
  const ids = new Set<string>();
  for (const exemption of exemptions) {
    if (!exemption.principalIds?.length) continue;
    for (const summary of summaries) {
      if (ids.size >= limit) return [...ids];
      if (exemptionCovers(exemption, summary.id)) ids.add(summary.id);
    }
  }
  return [...ids];
}

/** Principal names (by lower-cased id) from what the postures' findings and grants carry. */
export function namesFromPostures(
  postures: readonly ClusterPosture[],
): Map<string, Omit<ExemptionPrincipal, 'id'>> {
  const names = new Map<string, Omit<ExemptionPrincipal, 'id'>>();
  for (const posture of postures) {
    const grants = [
      ...(posture.privilegedPrincipals ?? []),
      ...posture.findings.flatMap((f) => f.principals ?? []),
    ];
    for (const grant of grants) {
      const key = principalKey(grant.principalId);
      const name = principalName(grant);
      const known = names.get(key);
      if (!known?.name && (name || !known))
        names.set(key, { name, type: grant.principalType ?? known?.type });
    }
  }
  return names;
}

export function exemptionLists(
  exemptions: readonly Exemption[],
  summaries: readonly PostureSummary[],
  names: ReadonlyMap<string, Omit<ExemptionPrincipal, 'id'>>,
  now: Date,
): ExemptionLists {
  const lists: ExemptionLists = { expiring: [], active: [], ended: [] };
  const warnUntil = now.getTime() + EXEMPTION_WARNING_DAYS * DAY_MS;
  for (const exemption of exemptions) {
    const state = exemptionState(exemption, now);
    const expires = Date.parse(exemption.expiresOn);
    const kind = scopeKind(exemption.scope);
    const row: ExemptionRow = {
      exemption,
      state,
      daysLeft: Math.floor((expires - now.getTime()) / DAY_MS),
      endedAt:
        state === 'revoked'
          ? exemption.revokedAt
          : state === 'expired'
            ? exemption.expiresOn
            : undefined,
      scopeKind: kind ? SCOPE_WORDS[kind] : 'scope',
      scopeLabel: scopeLabel(exemption.scope),
      clusters: summaries.filter((s) => exemptionCovers(exemption, s.id)),
      coversAll: kind === 'managementGroup',
      principals: (exemption.principalIds ?? []).map((id) => ({
        id,
        ...names.get(principalKey(id)),
      })),
    };
    if (state !== 'active') lists.ended.push(row);
    else if (expires <= warnUntil) lists.expiring.push(row);
    else lists.active.push(row);
  }
  const byExpiry = (a: ExemptionRow, b: ExemptionRow) =>
    a.exemption.expiresOn.localeCompare(b.exemption.expiresOn) ||
    a.exemption.id.localeCompare(b.exemption.id);
  lists.expiring.sort(byExpiry);
  lists.active.sort(byExpiry);
  // Most recently ended first: what just lapsed or was withdrawn is what on-call asks about.
  lists.ended.sort(
    (a, b) =>
      (b.endedAt ?? '').localeCompare(a.endedAt ?? '') ||
      a.exemption.id.localeCompare(b.exemption.id),
  );
  return lists;
}
