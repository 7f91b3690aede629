import type { InvocationContext, Timer } from '@azure/functions';
import { getRuntime } from '../runtime';
import { defineFunction } from './registry';

/**
 * The delivery loop in Azure (docs/architecture.md "Persistence and alerting"): every 30 s,
 * send the outbox alerts that are due — fresh ones, and failed ones whose retry time came — so
 * a page goes out within a minute of being due whether or not events keep arriving. The event
 * trigger and the HTTP doors only store the outbox rows and answer.
 */
export const DELIVERY_SCHEDULE = '*/30 * * * * *';

export async function deliverAlerts(_timer: Timer, context: InvocationContext): Promise<void> {
  const runtime = await getRuntime();
  const deliveries = await runtime.deliverAlerts();
  if (deliveries.length > 0) context.log(`alerts: ${deliveries.length} delivery attempt(s)`);
}

export const deliverAlertsFunction = defineFunction({
  trigger: 'timer',
  name: 'deliverAlerts',
  schedule: DELIVERY_SCHEDULE,
  handler: deliverAlerts,
});
