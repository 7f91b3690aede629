import type { InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { AUDIT_QUEUE_NAME, parseSubscriptionMessage } from '../usecases/fanOut';
import { defineFunction } from './registry';

/** Consumer of the nightly fan-out: audits one subscription (and sends its digest). */
export async function auditSubscription(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const { subscriptionId } = parseSubscriptionMessage(message);
  const runtime = await getRuntime();
  const outcome = await runtime.auditSubscription(subscriptionId);
  context.log(outcome);
}

export const auditSubscriptionFunction = defineFunction({
  trigger: 'storageQueue',
  name: 'auditSubscription',
  queueName: AUDIT_QUEUE_NAME,
  connection: 'AUDIT_STORAGE',
  handler: auditSubscription,
});
