/**
 * Not going blind (docs/events.md): a deleted or broken Event Grid subscription sends nothing,
 * which looks exactly like a quiet estate. The last event received per watched subscription is
 * kept; one silent for longer than {@link SILENT_AFTER_HOURS} is shown in `/api/health` and named
 * in the nightly digest. Pure: no I/O.
 */
import type { Alert } from './model';

/** A watched subscription that sent no event for this long is named as silent. */
export const SILENT_AFTER_HOURS = 24;

export interface SubscriptionEvents {
  subscriptionId: string;
  /** When its last event was received; null when none ever was. */
  lastEventAt: string | null;
  /** No event for {@link SILENT_AFTER_HOURS} hours (or never, where events are expected). */
  silent: boolean;
}

/**
 * One entry per watched subscription. `expectEvents` says whether event delivery is set up at
 * all (in Azure it is; a laptop auditing exports gets none): without it, a subscription that
 * never sent an event is not called silent unless another one did send some.
 */
export function subscriptionEvents(
  watched: readonly string[],
  received: ReadonlyArray<{ subscriptionId: string; lastEventAt: string }>,
  now: Date,
  options: { expectEvents: boolean },
): SubscriptionEvents[] {
  const last = new Map(received.map((r) => [r.subscriptionId.toLowerCase(), r.lastEventAt]));
  const expect = options.expectEvents || received.length > 0;
  const cutoff = now.getTime() - SILENT_AFTER_HOURS * 3600_000;
  return [...new Set(watched.map((s) => s.toLowerCase()))].sort().map((subscriptionId) => {
    const lastEventAt = last.get(subscriptionId) ?? null;
    const at = lastEventAt === null ? Number.NaN : Date.parse(lastEventAt);
    const silent = lastEventAt === null ? expect : !(at >= cutoff);
    return { subscriptionId, lastEventAt, silent };
  });
}

/**
 * The nightly digest's entry for a silent subscription, filed under the subscription (its
 * outbox row lives in the subscription's partition) with the day in its dedupe key: named again
 * every night it stays silent, once per night.
 */
export function silentSubscriptionAlert(entry: SubscriptionEvents, now: Date): Alert {
  const since =
    entry.lastEventAt === null
      ? 'no event has ever been received from it'
      : `its last event was received at ${entry.lastEventAt}`;
  const subscription = `/subscriptions/${entry.subscriptionId}`;
  return {
    dedupeKey: `${subscription}|event-subscription-silent|${now.toISOString().slice(0, 10)}`,
    clusterId: subscription,
    clusterName: `subscription ${entry.subscriptionId}`,
    subscriptionId: entry.subscriptionId,
    resourceGroup: '',
    severity: 'medium',
    kind: 'event-subscription-silent',
    checkId: 'event-subscription-silent',
    title: `No ARM event from subscription ${entry.subscriptionId} for ${SILENT_AFTER_HOURS} hours`,
    before: `Events from subscription ${entry.subscriptionId} arrive as its resources change.`,
    after:
      `${since}. A deleted or failing Event Grid subscription looks like this: until it is fixed, ` +
      `changes to its clusters are seen only by the nightly audit.`,
    remediation:
      `az eventgrid system-topic event-subscription list --resource-group <arm-events resource group> --system-topic-name <topic> -o table   # in subscription ${entry.subscriptionId}: is it there, and is it delivering? ` +
      `Also check the dead-letter container and /api/health.`,
    createdAt: now.toISOString(),
  };
}
