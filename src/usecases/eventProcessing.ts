/**
 * Which events count as processed after a batch (docs/events.md): an event is marked only once
 * what it produced is stored, and an event whose evaluation lacked the data it needs stays
 * unmarked for Event Grid to redeliver.
 */
import type { SourceFailure } from '../core/model';
import type { PostureStore } from '../core/ports';
import type { Routed } from './handleEvents';

/** Lower-cased subscriptions whose data an event's evaluation needs (none for a delete). */
export function subscriptionsNeeded(
  route: Routed['route'],
  watchedSubscriptions: string[],
): string[] {
  switch (route.kind) {
    case 'evaluate':
      return route.clusterIds.length > 0 ? route.subscriptionIds.map((s) => s.toLowerCase()) : [];
    case 'evaluate-role':
    case 'evaluate-federation':
      return watchedSubscriptions;
    case 'signal':
      return [route.subscriptionId.toLowerCase()];
    case 'deleted':
      // Confirming the delete reads the cluster's subscription.
      return [route.subscriptionId.toLowerCase()];
  }
}

/** Parts an evaluation cannot do without: an event needing them is not evaluated without them. */
const ESSENTIAL_PARTS: ReadonlySet<SourceFailure['part']> = new Set([
  'clusters',
  'roleAssignments',
]);

/** Lower-cased subscriptions (`*` = all) whose clusters or role assignments could not be read. */
export function unreadSubscriptions(failures: SourceFailure[]): Set<string> {
  return new Set(
    failures.filter((f) => ESSENTIAL_PARTS.has(f.part)).map((f) => f.subscriptionId.toLowerCase()),
  );
}

export function describeUnread(failures: SourceFailure[], subscriptions: Set<string>): string {
  const relevant = failures.filter(
    (f) =>
      ESSENTIAL_PARTS.has(f.part) &&
      (f.subscriptionId === '*' || subscriptions.has(f.subscriptionId.toLowerCase())),
  );
  return [
    ...new Set(
      relevant.map(
        (f) =>
          `the ${f.part === 'clusters' ? 'clusters' : 'role assignments'} of subscription ${f.subscriptionId} could not be read: ${f.message}`,
      ),
    ),
  ].join('; ');
}

/**
 * Mark the events whose products (posture, history, alert rows, signals, deletion) are stored,
 * now that they are: a crash before this point leaves them unmarked and their redelivery is
 * processed again, which pages at most once (the alert rows are keyed by dedupe key). Events
 * that could not be evaluated stay unmarked for Event Grid to redeliver. A failed mark is
 * logged, not thrown: the work is done, and a redelivery only repeats it harmlessly.
 */
export async function markProcessed(
  store: PostureStore,
  routed: Routed[],
  unevaluated: Routed[],
  at: Date,
  why: string,
  log: (line: string) => void,
): Promise<void> {
  const skipped = new Set(unevaluated.map((r) => r.event.id));
  for (const { event } of unevaluated)
    log(
      `event ${event.id}: not evaluated (${why}); left unprocessed so that its redelivery is evaluated`,
    );
  for (const { event } of routed) {
    if (skipped.has(event.id)) continue;
    try {
      await store.markEventProcessed(event.id, at);
    } catch (error) {
      log(
        `event ${event.id}: processed, but could not be marked so (${messageOf(error)}); a redelivery will be processed again without paging twice`,
      );
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
