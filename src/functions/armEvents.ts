import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { InputError } from '../core/errors';
import { getRuntime } from '../runtime';
import { defineFunction } from './registry';

/**
 * Event Grid trigger on the ARM system topic (docs/events.md). The host does the subscription
 * handshake and hands one event per invocation. A malformed event is logged and acknowledged
 * (retrying it cannot help); an outage (store, ARM) throws so Event Grid retries the delivery.
 */
export async function armEvents(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const runtime = await getRuntime();
  try {
    const results = await runtime.handleTriggerEvent(event);
    for (const result of results) {
      context.log(
        `event ${result.id} ${result.operationName ?? result.type}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`,
      );
    }
  } catch (error) {
    if (error instanceof InputError) {
      context.warn(`event ${event?.id ?? '(no id)'} rejected: ${error.message}`);
      return;
    }
    throw error;
  }
}

export const armEventsFunction = defineFunction({
  trigger: 'eventGrid',
  name: 'armEvents',
  handler: armEvents,
});
