import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getRuntime } from '../runtime';

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

app.timer('nightlyAudit', { schedule: '%AUDIT_SCHEDULE%', handler: nightlyAudit });
