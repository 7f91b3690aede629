import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { CHECKS } from '../core/checks';
import { InputError } from '../core/errors';
import { getRuntime } from '../runtime';
import {
  addExemption,
  listExemptionsQuery,
  revokeExemption,
  type ExemptionDeps,
} from '../usecases/exemptions';
import { queryOf, respond } from './http';
import { defineFunction } from './registry';

async function exemptionDeps(): Promise<ExemptionDeps> {
  const runtime = await getRuntime();
  return { store: runtime.exemptionStore, clock: runtime.clock, checkIds: CHECKS.map((c) => c.id) };
}

/**
 * Who is making the change: the identity App Service Authentication signed in (its header
 * cannot be forged from outside, the platform strips it), else the caller holds a function key.
 */
function callerOf(request: HttpRequest): string {
  return request.headers.get('x-ms-client-principal-name')?.trim() || 'function key';
}

async function jsonBody(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('the body must be a JSON exemption object');
  }
}

/** `GET /api/exemptions` (filters: clusterId, checkId, expiringWithinDays, all). */
export async function listExemptionsHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => ({
    exemptions: await listExemptionsQuery(await exemptionDeps(), queryOf(request)),
  }));
}

/** `POST /api/exemptions`: create; the signed-in identity is recorded as `createdBy`. */
export async function createExemptionHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(
    context,
    async () => addExemption(await exemptionDeps(), await jsonBody(request), callerOf(request)),
    201,
  );
}

/** `DELETE /api/exemptions/{id}`: revoke (it stays in history); `?reason=` is recorded. */
export async function revokeExemptionHttp(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return respond(context, async () => {
    const query = queryOf(request);
    for (const name of Object.keys(query))
      if (name !== 'reason' && name !== 'code')
        throw new InputError(
          `unknown query parameter ${JSON.stringify(name.slice(0, 40))} (accepted: reason)`,
        );
    return revokeExemption(
      await exemptionDeps(),
      request.params.id ?? '',
      callerOf(request),
      query.reason,
    );
  });
}

export const listExemptionsFunction = defineFunction({
  trigger: 'http',
  name: 'listExemptions',
  methods: ['GET'],
  authLevel: 'function',
  route: 'exemptions',
  handler: listExemptionsHttp,
});
export const createExemptionFunction = defineFunction({
  trigger: 'http',
  name: 'createExemption',
  methods: ['POST'],
  authLevel: 'function',
  route: 'exemptions',
  handler: createExemptionHttp,
});
export const revokeExemptionFunction = defineFunction({
  trigger: 'http',
  name: 'revokeExemption',
  methods: ['DELETE'],
  authLevel: 'function',
  route: 'exemptions/{id}',
  handler: revokeExemptionHttp,
});
