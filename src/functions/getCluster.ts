import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { getCluster as getClusterPosture } from '../usecases/queries';
import { queryOf, respond, segmentsOf } from './http';
import { defineFunction } from './registry';

/** `GET /api/clusters/{sub}/{rg}/{name}`: the latest posture document. */
export async function getCluster(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = await getRuntime();
    return getClusterPosture(runtime.store, segmentsOf(request), queryOf(request));
  });
}

export const getClusterFunction = defineFunction({
  trigger: 'http',
  name: 'getCluster',
  methods: ['GET'],
  authLevel: 'function',
  route: 'clusters/{subscriptionId}/{resourceGroup}/{clusterName}',
  handler: getCluster,
});
