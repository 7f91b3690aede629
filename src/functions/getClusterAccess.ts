import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { getClusterAccess as clusterAccess } from '../usecases/queries';
import { queryOf, respond, segmentsOf } from './http';
import { defineFunction } from './registry';

/** `GET …/access`: who holds which privileged capability, through which role and scope. */
export async function getClusterAccess(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = await getRuntime();
    return clusterAccess(runtime.store, segmentsOf(request), queryOf(request));
  });
}

export const getClusterAccessFunction = defineFunction({
  trigger: 'http',
  name: 'getClusterAccess',
  methods: ['GET'],
  authLevel: 'function',
  route: 'clusters/{subscriptionId}/{resourceGroup}/{clusterName}/access',
  handler: getClusterAccess,
});
