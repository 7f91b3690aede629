/**
 * The alert policy (docs/architecture.md "Persistence and alerting", docs/storage.md): given
 * what is stored for a cluster and a new posture, what recording it writes. Pure: the store
 * reads, calls {@link decideRecording}, and applies the result in one partition transaction
 * under the ETag it read (re-reading and deciding again when another writer got there first).
 *
 * Alert rows and paging once: an alert row is `open` while its condition holds. A regression
 * whose dedupe key has an open row pages nobody (a severity that rises while the check's alert
 * is open, a principal gaining a second capability filed under the same check). When a later
 * evaluation sees the condition cleared (the check passes or is not applicable again, or the
 * principal lost the capability) the row closes in the same transaction, and a recurrence
 * reopens it: a regression that was fixed and comes back pages again. `error` closes nothing.
 *
 * Catalogue upgrades: a posture evaluated with another catalogue version than the stored one
 * (new checks, newly counted capabilities, changed rules) re-baselines silently. What only the
 * new catalogue sees is recorded in history as `catalogue-upgraded` and pages nobody; open
 * alerts keep their dedupe keys.
 */
import { alertCleared, alertsFromRegressions } from './alerts';
import type { Alert, Caller, ClusterPosture, Regression, Severity } from './model';
import {
  accessComplete,
  diffPostures,
  postureChanged,
  rememberPosture,
  type PostureMemory,
} from './regressions';

/** The catalogue version of a memory that does not say (written before versions were recorded). */
export const UNVERSIONED_CATALOGUE = 1;

/** An outbox row as the policy sees it. */
export interface StoredAlertState {
  alert: Alert;
  open: boolean;
}

/** What the store holds for the cluster when the recording begins. */
export interface StoredClusterState {
  /** The latest posture; absent when none is stored or the cluster is marked deleted. */
  posture?: ClusterPosture;
  /** What the diff remembers with it (absent in rows written before memory existed). */
  memory?: PostureMemory;
  /** The cluster's outbox rows. */
  alerts: readonly StoredAlertState[];
}

export interface RecordingInput {
  stored: StoredClusterState;
  posture: ClusterPosture;
  now: Date;
  /** Lowest severity that pages (ALERT_MIN_SEVERITY). */
  minAlertSeverity: Severity;
  /** The catalogue version the posture was evaluated with (`CATALOGUE_VERSION` of core/checks). */
  catalogueVersion: number;
  /** Base URL of the HTTP API, for links in alerts. */
  linkBase?: string;
  /** Alerts about this cluster that page without a posture change, opened with it. */
  extraAlerts?: readonly Alert[];
  /** Who wrote the role assignments behind this evaluation, by lower-cased grantee: named on privilege alerts. */
  grantedBy?: Readonly<Record<string, Caller>>;
  /**
   * The posture stored when this recording first read the store. A recording that lost a race
   * decides again against what the other writer stored, but the change it brings is still a
   * change against what it first saw (so it files its history row).
   */
  postureFirstRead?: ClusterPosture;
}

export interface CatalogueUpgrade {
  from: number;
  to: number;
  /** What the diff would have reported, recorded but paging nobody. */
  unpaged: Regression[];
}

export interface RecordingDecision {
  /** Nothing was stored: this evaluation is the baseline and pages nobody. */
  baseline: boolean;
  /** The regressions that count (recorded on the posture and in history). */
  regressions: Regression[];
  /** The posture to store (with its regressions). */
  posture: ClusterPosture;
  memory: PostureMemory;
  /** Whether this evaluation changed something worth a history row. */
  writeHistory: boolean;
  catalogueUpgrade?: CatalogueUpgrade;
  /** Outbox rows to write as pending: new dedupe keys, or closed rows reopened. */
  open: Alert[];
  /** Dedupe keys of open rows whose condition has cleared. */
  close: string[];
}

export function decideRecording(input: RecordingInput): RecordingDecision {
  const { stored, posture, now } = input;
  const before = stored.posture;
  const storedVersion = stored.memory?.catalogueVersion ?? UNVERSIONED_CATALOGUE;
  const version = input.catalogueVersion;
  const upgraded = before !== undefined && version !== storedVersion;

  const found = diffPostures(before, posture, stored.memory);
  const regressions = upgraded ? [] : found;
  const memory = rememberPosture(posture, stored.memory);
  // The re-baseline is complete once access was read in full under the new catalogue; until
  // then the memory keeps the old version and the next evaluation re-baselines too, so a
  // capability the new catalogue counts never pages as a gain.
  memory.catalogueVersion = upgraded && !accessComplete(posture) ? storedVersion : version;

  const candidates = uniqueByKey([
    ...alertsFromRegressions(posture, regressions, {
      minSeverity: input.minAlertSeverity,
      linkBase: input.linkBase,
      now,
    }).map((alert) => withGrantor(alert, input.grantedBy)),
    ...(input.extraAlerts ?? []),
  ]);
  const rows = new Map(stored.alerts.map((row) => [row.alert.dedupeKey, row]));
  const open = candidates.filter((alert) => !rows.get(alert.dedupeKey)?.open);

  const candidateKeys = new Set(candidates.map((a) => a.dedupeKey));
  const complete = accessComplete(posture);
  const close = stored.alerts
    .filter((row) => row.open && !candidateKeys.has(row.alert.dedupeKey))
    .filter(({ alert }) =>
      alertCleared(
        posture,
        {
          checkId: alert.checkId,
          kind: alert.kind,
          principalId: alert.principal?.principalId ?? principalOfKey(alert),
        },
        complete,
      ),
    )
    .map((row) => row.alert.dedupeKey);

  const writeHistory =
    regressions.length > 0 ||
    upgraded ||
    postureChanged(before, posture) ||
    (input.postureFirstRead !== undefined && postureChanged(input.postureFirstRead, posture));
  const decision: RecordingDecision = {
    baseline: before === undefined,
    regressions,
    posture: { ...posture, regressions },
    memory,
    writeHistory,
    open,
    close,
  };
  if (upgraded) decision.catalogueUpgrade = { from: storedVersion, to: version, unpaged: found };
  return decision;
}

export interface TransactionPlan<TOpen, TClose> {
  /** Written before the transaction, one by one: a crash then leaves them pending, never lost. */
  opensBefore: TOpen[];
  opensInTransaction: TOpen[];
  closesInTransaction: TClose[];
  /** Written after the transaction (the next evaluation would close them anyway). */
  closesAfter: TClose[];
}

/**
 * How the writes of one recording fit a transaction of at most `limit` entities, of which
 * `fixed` (posture, its parts, history) must be in it: alert openings first, then closings.
 */
export function planTransaction<TOpen, TClose>(
  fixed: number,
  opens: readonly TOpen[],
  closes: readonly TClose[],
  limit: number,
): TransactionPlan<TOpen, TClose> {
  const room = Math.max(0, limit - fixed);
  const opensInTransaction = opens.slice(0, room);
  const closesInTransaction = closes.slice(0, room - opensInTransaction.length);
  return {
    opensBefore: opens.slice(opensInTransaction.length),
    opensInTransaction,
    closesInTransaction,
    closesAfter: closes.slice(closesInTransaction.length),
  };
}

/** A privilege alert names who granted the access, when the event that caused it says. */
function withGrantor(alert: Alert, grantedBy: RecordingInput['grantedBy']): Alert {
  if (alert.kind !== 'privilege-gained' || !grantedBy) return alert;
  const caller =
    grantedBy[(alert.principal?.principalId ?? principalOfKey(alert) ?? '').toLowerCase()];
  return caller ? { ...alert, caller } : alert;
}

function uniqueByKey(alerts: readonly Alert[]): Alert[] {
  const seen = new Set<string>();
  return alerts.filter((a) => !seen.has(a.dedupeKey) && seen.add(a.dedupeKey));
}

/** The principal of a privilege alert without a `principal` object: the last part of its dedupe key. */
function principalOfKey(alert: Alert): string | undefined {
  if (alert.kind !== 'privilege-gained' && alert.kind !== 'privileged-role-granted')
    return undefined;
  const parts = alert.dedupeKey.split('|');
  return parts.length >= 3 ? parts[parts.length - 1] : undefined;
}
