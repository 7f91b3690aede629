/**
 * The nightly audit and its fan-out (docs/architecture.md "Scale"): a small estate is audited in one
 * run; past a handful of subscriptions the timer enqueues one message per subscription and the
 * Functions host scales the queue consumers out. No home-made scheduler or worker pool.
 */
import { validateSubscriptionId } from '../core/azureNames';
import { InputError } from '../core/errors';
import type { ExemptionStore, PostureStore } from '../core/ports';
import { recordUnreadableClusters, runAudit, type AuditDeps } from './audit';
import { nightlyExemptionDuties } from './exemptions';

export const AUDIT_QUEUE_NAME = 'audit-subscriptions';

/** Up to this many subscriptions are audited in the timer invocation itself. */
export const FAN_OUT_THRESHOLD = 5;

/** Where the per-subscription audit requests go (Azure Storage Queues; Azurite locally). */
export interface SubscriptionQueue {
  enqueue(subscriptionIds: string[]): Promise<void>;
}

export function subscriptionMessage(subscriptionId: string): string {
  return JSON.stringify({ subscriptionId });
}

/** The queue trigger hands over the decoded message: an object, or a string holding JSON. */
export function parseSubscriptionMessage(message: unknown): { subscriptionId: string } {
  let value = message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InputError('audit queue message is not JSON');
    }
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { subscriptionId?: unknown }).subscriptionId !== 'string'
  ) {
    throw new InputError('audit queue message has no "subscriptionId" string');
  }
  return {
    subscriptionId: validateSubscriptionId(
      (value as { subscriptionId: string }).subscriptionId,
      'audit queue message subscriptionId',
    ),
  };
}

export interface NightlyDeps extends AuditDeps {
  store: PostureStore;
  queue?: SubscriptionQueue;
  historyDays: number;
  fanOutThreshold?: number;
  /**
   * Exemptions: expiries recorded, and the accepted-risk digest (exempted findings, exemptions
   * expiring within 14 days) sent to every channel after the audit.
   */
  exemptionStore?: ExemptionStore;
}

/** One line saying what the run did, for the invocation log. */
export async function runNightlyAudit(deps: NightlyDeps): Promise<string> {
  const now = deps.clock.now();
  await deps.store.purgeExpired(now, deps.historyDays);
  // After the audit (or the fan-out), so the digest lists the findings as just evaluated; with a
  // fan-out, as each cluster's latest evaluation left them (its subscription audit runs later).
  const acceptedRisk = async () => {
    if (deps.exemptionStore)
      await nightlyExemptionDuties({
        store: deps.exemptionStore,
        postures: deps.store,
        clock: deps.clock,
        notifiers: deps.notifiers,
        log: deps.log,
      });
  };
  const watched = await deps.source.watchedSubscriptions();
  if (deps.queue && watched.length > (deps.fanOutThreshold ?? FAN_OUT_THRESHOLD)) {
    await deps.queue.enqueue(watched);
    await acceptedRisk();
    return `nightly audit: fanned out ${watched.length} subscription audits to the ${AUDIT_QUEUE_NAME} queue`;
  }
  const { report, failures } = await runAudit(deps, { digest: true });
  await acceptedRisk();
  return `nightly audit: ${summaryLine(report.summary.clusters, report.summary.failing, failures.length)}`;
}

export async function runSubscriptionAudit(
  deps: AuditDeps & { store: PostureStore },
  subscriptionId: string,
): Promise<string> {
  const { report, failures } = await runAudit(deps, {
    subscriptionIds: [subscriptionId],
    digest: true,
  });
  return `subscription ${subscriptionId}: ${summaryLine(report.summary.clusters, report.summary.failing, failures.length)}`;
}

/** Poison path: the subscription's known clusters become `error` (never a silent pass). */
export async function recordSubscriptionFailure(
  deps: AuditDeps & { store: PostureStore },
  subscriptionId: string,
  message: string,
): Promise<number> {
  const postures = await recordUnreadableClusters(
    deps,
    [{ subscriptionId, part: 'clusters', message }],
    [],
  );
  return postures.length;
}

function summaryLine(clusters: number, failing: number, sourceFailures: number): string {
  return `${clusters} cluster(s) evaluated, ${failing} failing${sourceFailures ? `, ${sourceFailures} source failure(s)` : ''}`;
}
