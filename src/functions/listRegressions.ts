import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { listRegressions as recentRegressions } from '../usecases/queries';
import { queryOf, respond } from './http';
import { defineFunction } from './registry';

/** `GET /api/regressions?since=ISO`: recent regressions and their alert delivery state. */
export async function listRegressions(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const runtime = await getRuntime();
    return recentRegressions(runtime.store, queryOf(request), runtime.clock.now());
  });
}

export const listRegressionsFunction = defineFunction({
  trigger: 'http',
  name: 'listRegressions',
  methods: ['GET'],
  authLevel: 'function',
  route: 'regressions',
  handler: listRegressions,
});
