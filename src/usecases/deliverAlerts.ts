/**
 * Send what the outbox holds (docs/storage.md "Outbox"): every pending alert through every configured
 * channel, recording each channel's result on the outbox row.
 *
 * - A freshly written alert (never attempted) is sent now, whoever wrote it: this is also how
 *   an alert left pending by a crash between the outbox write and the send gets delivered.
 * - An alert already attempted is retried once its last attempt is `retryAfterMs` old, so a
 *   burst of runs does not hammer a channel that is down.
 * - A channel that already delivered an alert is not asked again on a retry: no channel sends
 *   the same alert twice because another channel failed.
 * - Each alert is claimed (a lease written under the row's ETag) before it is sent, so of
 *   several instances that read the same pending row only one sends it; a run that dies
 *   mid-send leaves a lease that runs out, and a later run sends the alert.
 * - After `maxAttempts` runs without every channel succeeding, the alert is marked `failed`
 *   with the last error (surfaced by the API); nothing is deleted.
 * - With no channel configured at all (in Azure: neither ALERT_EMAIL_* nor
 *   ALERT_TEAMS_WEBHOOK_URL), alerts are marked `sent` with every channel `skipped` and a
 *   warning is logged, so the outbox does not grow forever; the API still shows them and that
 *   nobody was told. (Locally the console channel is always configured.)
 */
import {
  SEVERITIES,
  type Alert,
  type AlertDelivery,
  type ChannelName,
  type ChannelState,
} from '../core/model';
import type { Clock, Notifier, OutboxAlert, PostureStore } from '../core/ports';

export interface DeliverDeps {
  store: PostureStore;
  notifiers: Notifier[];
  clock: Clock;
  /** Where warnings and failures are reported; default stderr (the Functions log). */
  log?: (line: string) => void;
}

export interface DeliverOptions {
  /** One message per channel carrying every alert (nightly), else one message per alert. */
  digest: boolean;
  /** Runs after which an undelivered alert is marked `failed`. Default 5. */
  maxAttempts?: number;
  /** An alert attempted less than this long ago waits for a later run. Default 60 s. */
  retryAfterMs?: number;
  /**
   * How long a run holds the alerts it claimed (PostureStore.claimAlert). Longer than a run may
   * last, so that the lease only runs out for a run that died before recording its sends; a
   * later run then delivers those alerts. Default 10 minutes (a Consumption-plan invocation is
   * stopped by then).
   */
  claimLeaseMs?: number;
  /**
   * Longest one channel call may take (a digest, or one alert) before it counts as a failed
   * attempt and is aborted: a channel that hangs must not hold the run. Default 20 s.
   */
  channelTimeoutMs?: number;
}

export const DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;
export const DEFAULT_RETRY_AFTER_MS = 60_000;
export const DEFAULT_CLAIM_LEASE_MS = 10 * 60_000;
export const DEFAULT_CHANNEL_TIMEOUT_MS = 20_000;
const CHANNELS: readonly ChannelName[] = ['email', 'teams', 'console'];
/**
 * In a one-message-per-alert run, a channel that failed for this many alerts in a row is not
 * tried for the rest of the run: a channel that is down would otherwise hold the run for its
 * whole retry budget once per alert. The alerts it skipped count the attempt and are retried.
 */
const CONSECUTIVE_FAILURES_TO_PAUSE_CHANNEL = 2;
const MAX_ERROR_CHARS = 2_000;

type Outcome = { ok: true } | { ok: false; error: string };

/**
 * Runs of one process against one store are serialised: two triggers firing together (an event
 * and the nightly audit) would otherwise claim against each other for nothing. Across instances
 * (several Functions hosts on one outbox) the claim under the row's ETag is what keeps an alert
 * from being sent twice.
 */
const inFlight = new WeakMap<PostureStore, Promise<unknown>>();

export async function deliverPendingAlerts(
  deps: DeliverDeps,
  options: DeliverOptions,
): Promise<AlertDelivery[]> {
  const previous = inFlight.get(deps.store) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => deliver(deps, options));
  inFlight.set(deps.store, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(deps.store) === run) inFlight.delete(deps.store);
  }
}

async function deliver(deps: DeliverDeps, options: DeliverOptions): Promise<AlertDelivery[]> {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_DELIVERY_ATTEMPTS);
  const retryAfterMs = Math.max(0, options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
  const claimLeaseMs = Math.max(1, options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS);
  const timeoutMs = Math.max(1, options.channelTimeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS);
  const now = deps.clock.now();
  const isDue = (row: OutboxAlert) =>
    row.attempts === 0 || !(now.getTime() - Date.parse(row.updatedAt) < retryAfterMs);

  const pending = await deps.store.listAlerts({ state: 'pending' });
  const candidates = pending
    .filter((row) => isDeliverable(row, log))
    .filter((row) => !isClaimed(row, now))
    .filter(isDue);
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => compareAlerts(a.alert, b.alert));
  const due = await claimDue(deps.store, candidates, { leaseMs: claimLeaseMs, now, isDue });
  if (due.length === 0) return [];

  const notifiers = uniqueChannels(deps.notifiers);
  const outcomes = new Map<string, Map<ChannelName, Outcome>>(
    due.map((row) => [row.alert.dedupeKey, new Map()]),
  );

  if (notifiers.length === 0) {
    log(
      `alerts: no alert channel is configured (ALERT_EMAIL_CONNECTION or ALERT_EMAIL_ENDPOINT, ALERT_TEAMS_WEBHOOK_URL); ` +
        `${due.length} alert(s) marked sent with every channel skipped`,
    );
  }

  for (const notifier of notifiers) {
    const targets = due.filter((row) => row.channels[notifier.channel] !== 'sent');
    if (targets.length === 0) continue;
    const record = (row: OutboxAlert, outcome: Outcome) =>
      outcomes.get(row.alert.dedupeKey)?.set(notifier.channel, outcome);
    if (options.digest) {
      const outcome = await attempt(
        notifier,
        targets.map((row) => row.alert),
        true,
        timeoutMs,
      );
      for (const row of targets) record(row, outcome);
      if (!outcome.ok)
        log(
          `alerts: ${notifier.channel} failed for a digest of ${targets.length} alert(s): ${outcome.error}`,
        );
      continue;
    }
    let consecutiveFailures = 0;
    let lastError = '';
    for (const row of targets) {
      if (consecutiveFailures >= CONSECUTIVE_FAILURES_TO_PAUSE_CHANNEL) {
        record(row, {
          ok: false,
          error: `not attempted in this run after ${consecutiveFailures} failures in a row (${lastError})`,
        });
        continue;
      }
      const outcome = await attempt(notifier, [row.alert], false, timeoutMs);
      record(row, outcome);
      if (outcome.ok) {
        consecutiveFailures = 0;
      } else {
        consecutiveFailures += 1;
        lastError = outcome.error;
        log(
          `alerts: ${notifier.channel} failed for alert ${row.alert.dedupeKey}: ${outcome.error}`,
        );
      }
    }
  }

  const configured = notifiers.map((n) => n.channel);
  const deliveries: AlertDelivery[] = [];
  for (const row of due) {
    const results = outcomes.get(row.alert.dedupeKey) ?? new Map<ChannelName, Outcome>();
    const channels: Partial<Record<ChannelName, ChannelState>> = { ...row.channels };
    const errors: string[] = [];
    for (const channel of CHANNELS) {
      const outcome = results.get(channel);
      if (outcome?.ok) channels[channel] = 'sent';
      else if (outcome) {
        channels[channel] = 'failed';
        // Notifiers name themselves (`teams: …`); others get the channel name in front.
        errors.push(
          outcome.error.startsWith(`${channel}:`) ? outcome.error : `${channel}: ${outcome.error}`,
        );
      } else if (!configured.includes(channel) && channels[channel] !== 'sent') {
        // Not configured (now): nobody was told through it, and nobody will be.
        channels[channel] = 'skipped';
      }
    }
    const attempts = row.attempts + 1;
    const everyChannelSent = configured.every((channel) => channels[channel] === 'sent');
    const state: OutboxAlert['state'] = everyChannelSent
      ? 'sent'
      : attempts >= maxAttempts
        ? 'failed'
        : 'pending';
    // Recording the attempt releases the claim: a row left pending is retried by the next due run.
    const update: Partial<OutboxAlert> = {
      state,
      attempts,
      channels,
      updatedAt: now.toISOString(),
      claimedUntil: undefined,
    };
    if (errors.length) update.lastError = errors.join('; ').slice(0, MAX_ERROR_CHARS);
    if (state === 'failed')
      log(
        `alerts: alert ${row.alert.dedupeKey} marked failed after ${attempts} attempt(s): ${update.lastError ?? ''}`,
      );
    try {
      await deps.store.updateAlert(row.alert.clusterId, row.alert.dedupeKey, update);
    } catch (error) {
      // What was sent stays sent; the row stays pending and the next run may repeat the
      // channels recorded here. Better a duplicate than a lost alert.
      log(
        `alerts: could not record the delivery of alert ${row.alert.dedupeKey}: ${(error as Error)?.message ?? String(error)}`,
      );
    }
    deliveries.push({ dedupeKey: row.alert.dedupeKey, severity: row.alert.severity, channels });
  }
  return deliveries;
}

/** Held by a run whose lease has not run out (perhaps this instance's own, perhaps another's). */
function isClaimed(row: OutboxAlert, now: Date): boolean {
  return Date.parse(row.claimedUntil ?? '') > now.getTime();
}

/**
 * Claim each candidate before anything is sent: of several instances that listed the same
 * pending row, only the one whose claim lands sends it. The claim returns the row as it is now,
 * so an alert another run attempted in between (and released) is left for when it is due again.
 */
async function claimDue(
  store: PostureStore,
  candidates: OutboxAlert[],
  options: { leaseMs: number; now: Date; isDue: (row: OutboxAlert) => boolean },
): Promise<OutboxAlert[]> {
  const claimed: OutboxAlert[] = [];
  for (const row of candidates) {
    const current = await store.claimAlert(
      row.alert.clusterId,
      row.alert.dedupeKey,
      options.leaseMs,
      options.now,
    );
    if (!current) continue;
    if (options.isDue(current)) {
      claimed.push(current);
      continue;
    }
    // Give it back untouched (its updatedAt times the retry) rather than hold it for the lease.
    await store.updateAlert(row.alert.clusterId, row.alert.dedupeKey, {
      updatedAt: current.updatedAt,
      claimedUntil: undefined,
    });
  }
  return claimed;
}

/** One channel call, aborted (and failed) after `timeoutMs`. */
async function attempt(
  notifier: Notifier,
  alerts: Alert[],
  digest: boolean,
  timeoutMs: number,
): Promise<Outcome> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${notifier.channel}: no answer within ${timeoutMs} ms; aborted`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    await Promise.race([notifier.send(alerts, { digest, signal: controller.signal }), timedOut]);
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message.split(/\r?\n/)[0] || 'unknown error' };
  } finally {
    clearTimeout(timer);
  }
}

function isDeliverable(row: OutboxAlert, log: (line: string) => void): boolean {
  if (
    row?.alert &&
    typeof row.alert.clusterId === 'string' &&
    typeof row.alert.dedupeKey === 'string' &&
    row.alert.dedupeKey
  )
    return true;
  log('alerts: an outbox row without a cluster id or dedupe key was ignored');
  return false;
}

/** One notifier per channel (the first wins): two would deliver the same alert twice. */
function uniqueChannels(notifiers: readonly Notifier[]): Notifier[] {
  const seen = new Set<ChannelName>();
  return notifiers.filter((n) => !seen.has(n.channel) && seen.add(n.channel));
}

function compareAlerts(a: Alert, b: Alert): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    (a.createdAt ?? '').localeCompare(b.createdAt ?? '') ||
    a.dedupeKey.localeCompare(b.dedupeKey)
  );
}
