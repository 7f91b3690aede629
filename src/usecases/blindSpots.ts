/**
 * Not going blind (docs/events.md): events Event Grid gave up on are read back from the
 * dead-letter container and processed like any delivery; the last event received per watched
 * subscription is shown in `/api/health`, and the nightly digest names the subscriptions that
 * have been silent for 24 hours.
 */
import { DependencyError, InputError } from '../core/errors';
import {
  silentSubscriptionAlert,
  subscriptionEvents,
  SILENT_AFTER_HOURS,
  type SubscriptionEvents,
} from '../core/eventSubscriptions';
import type { Clock, DeadLetterBox, EstateSource, Health, PostureStore } from '../core/ports';
import type { EventResult } from './handleEvents';

export interface DeadLetterRun {
  /** Blobs processed in this run (with or without events it could not use). */
  processed: number;
  /** Of those, blobs recorded with an error (not JSON, or events rejected). */
  withErrors: number;
  /** Events handed to the event handling, by outcome. */
  events: Record<EventResult['outcome'], number>;
}

/**
 * Process every dead-lettered blob not processed yet: its events go through the same handling
 * as a webhook delivery (already processed ids are skipped, so a dead letter of an event that
 * did get through later pages nobody twice). A blob is marked processed only after its events
 * were handled; an outage (DependencyError) leaves it and the rest for the next run.
 */
export async function processDeadLetters(deps: {
  box: DeadLetterBox;
  /** The webhook's batch handling (`Runtime.handleEventBatch` minus the validation handshake). */
  handleBatch: (elements: unknown[]) => Promise<EventResult[]>;
  clock: Clock;
  log: (line: string) => void;
}): Promise<DeadLetterRun> {
  const run: DeadLetterRun = {
    processed: 0,
    withErrors: 0,
    events: { evaluated: 0, ignored: 0, duplicate: 0, rejected: 0 },
  };
  for (const blob of await deps.box.list()) {
    if (blob.processedAt) continue;
    let error: string | undefined;
    try {
      const elements = deadLetteredEvents(await deps.box.read(blob.name));
      const results = await deps.handleBatch(elements);
      for (const result of results) run.events[result.outcome]++;
      const rejected = results.filter((r) => r.outcome === 'rejected');
      if (rejected.length > 0)
        error = `${rejected.length} of ${results.length} event(s) rejected: ${rejected
          .map((r) => `${r.id || '(no id)'}: ${r.reason}`)
          .join('; ')}`;
      deps.log(
        `dead letters: ${blob.name}: ${results.length} event(s) processed (${results.filter((r) => r.outcome === 'evaluated').length} evaluated)`,
      );
    } catch (e) {
      if (!(e instanceof InputError)) {
        deps.log(
          `dead letters: ${blob.name} left for the next run: ${e instanceof Error ? e.message : String(e)}`,
        );
        if (e instanceof DependencyError) break;
        throw e;
      }
      error = e.message;
    }
    if (error) deps.log(`dead letters: ${blob.name}: ${error}`);
    await deps.box.markProcessed(blob.name, deps.clock.now(), error);
    run.processed++;
    if (error) run.withErrors++;
  }
  return run;
}

/**
 * The events of one dead-letter blob: a JSON array (or one object) of the events as delivered,
 * each with Event Grid's dead-letter fields beside them (`deadLetterReason`, `deliveryAttempts`,
 * …), or wrapped as `{ event, deadLetterProperties }`.
 */
export function deadLetteredEvents(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      `the dead letter is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const elements = Array.isArray(value) ? value : [value];
  return elements.map((element) => {
    const wrapped =
      element && typeof element === 'object' && 'event' in element
        ? (element as { event: unknown }).event
        : undefined;
    return wrapped && typeof wrapped === 'object' ? wrapped : element;
  });
}

/** `/api/health`'s count of dead letters. */
export interface DeadLetterHealth extends Health {
  configured: boolean;
  blobs?: number;
  pending?: number;
  processed?: number;
  /** Processed with an error: events the auditor could not use, for a person to look at. */
  withErrors?: number;
}

export async function deadLetterHealth(box: DeadLetterBox | undefined): Promise<DeadLetterHealth> {
  if (!box)
    return {
      ok: true,
      configured: false,
      detail:
        'no dead-letter container configured (AUDIT_DEAD_LETTER_CONTAINER with a blob endpoint in AUDIT_STORAGE)',
    };
  try {
    const blobs = await box.list();
    const pending = blobs.filter((b) => !b.processedAt).length;
    const withErrors = blobs.filter((b) => b.processedAt && b.error).length;
    const processed = blobs.length - pending;
    return {
      // Pending ones are processed within a minute; ones it could not use need a person.
      ok: withErrors === 0,
      configured: true,
      blobs: blobs.length,
      pending,
      processed,
      withErrors,
      detail:
        `${box.description}: ${blobs.length} dead letter(s), ${pending} pending, ${processed} processed` +
        (withErrors
          ? `, ${withErrors} with events that could not be used (see their metadata)`
          : ''),
    };
  } catch (error) {
    return {
      ok: false,
      configured: true,
      detail: error instanceof Error ? error.message : String(error),
    };
  }
}

/** `/api/health`'s last event per watched subscription. */
export interface EventsHealth {
  silentAfterHours: number;
  subscriptions: SubscriptionEvents[];
  detail?: string;
}

export async function eventsHealth(
  deps: { store: PostureStore; source: Pick<EstateSource, 'watchedSubscriptions'> },
  now: Date,
  expectEvents: boolean,
): Promise<EventsHealth> {
  try {
    const [watched, received] = await Promise.all([
      deps.source.watchedSubscriptions(),
      deps.store.eventsReceived(),
    ]);
    return {
      silentAfterHours: SILENT_AFTER_HOURS,
      subscriptions: subscriptionEvents(watched, received, now, { expectEvents }),
    };
  } catch (error) {
    return {
      silentAfterHours: SILENT_AFTER_HOURS,
      subscriptions: [],
      detail: `the last events received could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * The nightly run's part: one outbox row per silent watched subscription (dedupe key with the
 * day), written before the digest is sent so that the digest names them.
 */
export async function enqueueSilentSubscriptions(
  deps: {
    store: PostureStore;
    source: Pick<EstateSource, 'watchedSubscriptions'>;
    clock: Clock;
    log?: (line: string) => void;
  },
  expectEvents: boolean,
): Promise<SubscriptionEvents[]> {
  const now = deps.clock.now();
  const silent = subscriptionEvents(
    await deps.source.watchedSubscriptions(),
    await deps.store.eventsReceived(),
    now,
    { expectEvents },
  ).filter((s) => s.silent);
  if (silent.length === 0) return [];
  await deps.store.enqueueAlerts(silent.map((s) => silentSubscriptionAlert(s, now)));
  deps.log?.(
    `events: ${silent.length} watched subscription(s) sent no event for ${SILENT_AFTER_HOURS} hours: ${silent.map((s) => s.subscriptionId).join(', ')}`,
  );
  return silent;
}
