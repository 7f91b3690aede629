import type { InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { AUDIT_QUEUE_NAME, parseSubscriptionMessage } from '../usecases/fanOut';
import { defineFunction } from './registry';

/**
 * A subscription audit that failed every retry lands in the poison queue. Its clusters must not
 * keep a stale `pass`: they are recorded as `error`, visible in the API, and the failure logged.
 */
export async function auditSubscriptionPoison(
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  let subscriptionId: string;
  try {
    ({ subscriptionId } = parseSubscriptionMessage(message));
  } catch (error) {
    context.error(
      `poison message that is not a subscription audit request: ${(error as Error).message}`,
    );
    return;
  }
  const runtime = await getRuntime();
  const marked = await runtime.recordSubscriptionFailure(
    subscriptionId,
    `the audit of subscription ${subscriptionId} failed after every retry (poison queue)`,
  );
  context.error(
    `subscription ${subscriptionId}: audit failed after every retry; ${marked} cluster(s) marked error`,
  );
}

export const auditSubscriptionPoisonFunction = defineFunction({
  trigger: 'storageQueue',
  name: 'auditSubscriptionPoison',
  queueName: `${AUDIT_QUEUE_NAME}-poison`,
  connection: 'AUDIT_STORAGE',
  handler: auditSubscriptionPoison,
});
