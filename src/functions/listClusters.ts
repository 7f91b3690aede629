import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { listClusters as listClusterSummaries } from '../usecases/queries';
import { queryOf, respond } from './http';
import { defineFunction } from './registry';

/** `GET /api/clusters`: the estate summary, filtered and paged. */
export async function listClusters(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = await getRuntime();
    return listClusterSummaries(runtime.store, queryOf(request));
  });
}

export const listClustersFunction = defineFunction({
  trigger: 'http',
  name: 'listClusters',
  methods: ['GET'],
  authLevel: 'function',
  route: 'clusters',
  handler: listClusters,
});
