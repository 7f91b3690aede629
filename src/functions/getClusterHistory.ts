import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { getClusterHistory as clusterHistory } from '../usecases/queries';
import { queryOf, respond, segmentsOf } from './http';
import { defineFunction } from './registry';

/** `GET …/history`: evaluations, newest first, with the regressions each found. */
export async function getClusterHistory(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = await getRuntime();
    return clusterHistory(runtime.store, segmentsOf(request), queryOf(request));
  });
}

export const getClusterHistoryFunction = defineFunction({
  trigger: 'http',
  name: 'getClusterHistory',
  methods: ['GET'],
  authLevel: 'function',
  route: 'clusters/{subscriptionId}/{resourceGroup}/{clusterName}/history',
  handler: getClusterHistory,
});
