import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { evaluateClusterNow } from '../usecases/queries';
import { queryOf, respond, segmentsOf } from './http';
import { defineFunction } from './registry';

/** `POST …/evaluate`: re-read live state now, record it (alerts go to the outbox for the delivery loop), return the new posture. */
export async function evaluateCluster(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = await getRuntime();
    return evaluateClusterNow(runtime.auditDeps(), segmentsOf(request), queryOf(request));
  });
}

export const evaluateClusterFunction = defineFunction({
  trigger: 'http',
  name: 'evaluateCluster',
  methods: ['POST'],
  authLevel: 'function',
  route: 'clusters/{subscriptionId}/{resourceGroup}/{clusterName}/evaluate',
  handler: evaluateCluster,
});
