import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getRuntime } from '../runtime';
import { errorResponse, json } from './http';
import { defineFunction } from './registry';

/**
 * `GET /api/health` (anonymous): store and source reachability, disabled channels, the last
 * event per watched subscription and the dead letters; 503 when any is wrong.
 */
export async function health(
  _request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  try {
    const runtime = await getRuntime();
    const report = await runtime.health();
    return json(report.status === 'ok' ? 200 : 503, report);
  } catch (error) {
    return errorResponse(context, error);
  }
}

export const healthFunction = defineFunction({
  trigger: 'http',
  name: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'health',
  handler: health,
});
