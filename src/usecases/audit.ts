/**
 * Audit a scope (the estate, some subscriptions, some clusters): read current state, evaluate,
 * and — when a store is given — record each posture (regressions are decided by the store under
 * the posture's ETag), then — when notifiers are given — deliver the pending alerts.
 * Every door (CLI, nightly timer, queue consumer, HTTP `evaluate`) calls this one use case.
 */
import { evaluateEstate, unreadablePosture } from '../core/evaluate';
import type { Exemption } from '../core/exemptions';
import type { AlertDelivery, ClusterPosture, Report, Severity, SourceFailure } from '../core/model';
import type { Clock, EstateSource, Notifier, PostureStore } from '../core/ports';
import { buildReport } from '../core/report';
import { deliverPendingAlerts } from './deliverAlerts';

export interface AuditDeps {
  source: EstateSource;
  clock: Clock;
  /** Present for `--store` / the Functions app: postures and history are recorded. */
  store?: PostureStore;
  /** Present for `--notify` / the Functions app: pending alerts are delivered after recording. */
  notifiers?: Notifier[];
  minAlertSeverity?: Severity;
  /** Base URL of the HTTP API, for links in alerts. */
  linkBase?: string;
  log?: (line: string) => void;
  /** Active exemptions (the store's, or a file's for `audit --exemptions`). */
  exemptions?: () => Promise<Exemption[]>;
  /** `AUDIT_APPROVED_ADMINS`: object ids approved to hold cluster-admin paths. */
  approvedAdmins?: readonly string[];
}

export interface AuditOptions {
  subscriptionIds?: string[];
  /** Only these clusters (ids compared case-insensitively). */
  clusterIds?: string[];
  /** One message per channel for the whole run (nightly) rather than one per alert. */
  digest?: boolean;
  sourceEventId?: string;
}

export interface AuditResult {
  report: Report;
  failures: SourceFailure[];
}

export async function runAudit(deps: AuditDeps, options: AuditOptions = {}): Promise<AuditResult> {
  const now = deps.clock.now();
  const estate = await deps.source.readEstate(
    options.subscriptionIds ? { subscriptionIds: options.subscriptionIds } : undefined,
  );
  for (const failure of estate.failures) {
    deps.log?.(
      `source: could not read ${failure.part} of subscription ${failure.subscriptionId}: ${failure.message}`,
    );
  }
  const exemptions = deps.exemptions ? await deps.exemptions() : [];
  const postures = evaluateEstate(estate, {
    now,
    clusterIds: options.clusterIds,
    exemptions,
    approvedAdmins: deps.approvedAdmins,
  });
  if (deps.store) {
    for (const posture of postures) {
      const recorded = await deps.store.recordEvaluation(posture, {
        sourceEventId: options.sourceEventId,
        minAlertSeverity: deps.minAlertSeverity,
        linkBase: deps.linkBase,
      });
      posture.regressions = recorded.regressions;
    }
    postures.push(
      ...(await recordUnreadableClusters(
        { ...deps, store: deps.store },
        estate.failures,
        postures,
        options,
      )),
    );
  }
  const report = buildReport(postures, deps.source.kind, now, estate.failures);
  if (deps.store && deps.notifiers) {
    const deliveries: AlertDelivery[] = await deliverPendingAlerts(
      { store: deps.store, notifiers: deps.notifiers, clock: deps.clock, log: deps.log },
      { digest: options.digest ?? true },
    );
    report.alerts = deliveries;
  }
  return { report, failures: estate.failures };
}

/**
 * A subscription whose clusters could not be listed returns no cluster objects; the clusters
 * the store already knows there must then turn `error` rather than keep a stale `pass`. They
 * are recorded (an `error` neither raises nor clears a regression) and returned.
 */
export async function recordUnreadableClusters(
  deps: Pick<AuditDeps, 'clock' | 'minAlertSeverity' | 'linkBase'> & { store: PostureStore },
  failures: SourceFailure[],
  evaluated: ClusterPosture[],
  options: Pick<AuditOptions, 'clusterIds' | 'sourceEventId'> = {},
): Promise<ClusterPosture[]> {
  const listingFailures = failures.filter(
    (f) => f.part === 'clusters' || f.part === 'subscriptions',
  );
  if (listingFailures.length === 0) return [];
  const now = deps.clock.now();
  const seen = new Set(evaluated.map((p) => p.id.toLowerCase()));
  const only = options.clusterIds
    ? new Set(options.clusterIds.map((id) => id.toLowerCase()))
    : undefined;
  const result: ClusterPosture[] = [];
  for (const id of await deps.store.knownClusterIds()) {
    const lower = id.toLowerCase();
    if (seen.has(lower) || (only && !only.has(lower))) continue;
    const failure = listingFailures.find(
      (f) =>
        f.subscriptionId === '*' ||
        lower.startsWith(`/subscriptions/${f.subscriptionId.toLowerCase()}/`),
    );
    if (!failure) continue;
    const stored = await deps.store.getPosture(id);
    if (!stored) continue;
    const posture = unreadablePosture(
      stored,
      `the ${failure.part} of subscription ${failure.subscriptionId} could not be read: ${failure.message}`,
      now,
    );
    const recorded = await deps.store.recordEvaluation(posture, {
      sourceEventId: options.sourceEventId,
      minAlertSeverity: deps.minAlertSeverity,
      linkBase: deps.linkBase,
    });
    posture.regressions = recorded.regressions;
    result.push(posture);
  }
  return result;
}
