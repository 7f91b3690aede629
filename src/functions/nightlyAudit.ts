import type { InvocationContext, Timer } from '@azure/functions';
import { getRuntime } from '../runtime';
import { defineFunction } from './registry';

/**
 * The nightly audit of the whole estate (`%AUDIT_SCHEDULE%`, default 02:00 UTC). Small estates
 * are audited here; larger ones are fanned out, one queue message per subscription.
 */
export async function nightlyAudit(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.warn('nightly audit is running late (isPastDue)');
  const runtime = await getRuntime();
  const outcome = await runtime.nightlyAudit();
  context.log(outcome);
}

export const nightlyAuditFunction = defineFunction({
  trigger: 'timer',
  name: 'nightlyAudit',
  schedule: '%AUDIT_SCHEDULE%',
  // A run that failed as a whole (store or ARM down at 02:00) is tried again within the hour
  // instead of leaving the estate unaudited until the next night.
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: 3,
    minimumInterval: { minutes: 5 },
    maximumInterval: { minutes: 30 },
  },
  handler: nightlyAudit,
});
