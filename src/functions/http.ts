/**
 * The mapping every HTTP function shares: request → use-case arguments, result or error →
 * JSON response (`{ error: { code, message } }` with 400 / 404 / 503, CONTRACTS.md). Kept here
 * so each function file stays a door: parse, one call, map back.
 */
import { app, type HttpHandler, type HttpMethod, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ConfigurationError, DependencyError, InputError, NotFoundError } from '../core/errors';
import type { ClusterSegments, QueryValues } from '../usecases/queries';

export interface HttpFunctionDefinition {
  name: string;
  methods: HttpMethod[];
  authLevel: 'anonymous' | 'function';
  /** Functions route template under `/api` (`clusters/{subscriptionId}/…`). */
  route: string;
  handler: HttpHandler;
}

/**
 * Declares an HTTP function without registering it: the function files only declare, so the
 * local host can import the definitions (`./httpFunctions`) without touching `app`. Outside the
 * Functions host every `app.*` call makes @azure/functions print a "test mode" WARNING, and it
 * offers no switch to silence them.
 */
export function defineHttpFunction(definition: HttpFunctionDefinition): HttpFunctionDefinition {
  return definition;
}

/** Registers the definitions with the Functions host; called only by the app entry point (`./index`). */
export function registerHttpFunctions(definitions: readonly HttpFunctionDefinition[]): void {
  for (const definition of definitions) {
    app.http(definition.name, {
      methods: definition.methods,
      authLevel: definition.authLevel,
      route: definition.route,
      handler: definition.handler,
    });
  }
}

export function segmentsOf(request: HttpRequest): ClusterSegments {
  return {
    subscriptionId: request.params.subscriptionId ?? '',
    resourceGroup: request.params.resourceGroup ?? '',
    clusterName: request.params.clusterName ?? '',
  };
}

export function queryOf(request: HttpRequest): QueryValues {
  const values: QueryValues = {};
  for (const [name, value] of request.query.entries()) {
    if (name in values) throw new InputError(`query parameter ${JSON.stringify(name.slice(0, 40))} is given more than once`);
    values[name] = value;
  }
  return values;
}

export function json(status: number, body: unknown): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } };
}

/** Run a use case and map its outcome; unexpected errors are logged in full but answered generically. */
export async function respond(context: InvocationContext, work: () => Promise<unknown>, successStatus = 200): Promise<HttpResponseInit> {
  try {
    return json(successStatus, await work());
  } catch (error) {
    return errorResponse(context, error);
  }
}

export function errorResponse(context: InvocationContext, error: unknown): HttpResponseInit {
  if (error instanceof ConfigurationError) {
    context.error(error.message);
    return json(500, { error: { code: 'Misconfigured', message: `the auditor is misconfigured (invocation ${context.invocationId}); see its log` } });
  }
  if (error instanceof InputError) return json(400, { error: { code: error.code, message: error.message } });
  if (error instanceof NotFoundError) return json(404, { error: { code: error.code, message: error.message } });
  if (error instanceof DependencyError) {
    context.warn(`dependency ${error.dependency} unavailable: ${error.message}`);
    return json(503, { error: { code: 'DependencyUnavailable', message: `${error.dependency} is unavailable: ${error.message}` } });
  }
  if (isStoreUnreachable(error)) {
    context.warn(`store unreachable: ${(error as Error).message}`);
    return json(503, { error: { code: 'DependencyUnavailable', message: 'the posture store is unavailable' } });
  }
  context.error(`unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  return json(500, { error: { code: 'InternalError', message: `internal error (invocation ${context.invocationId})` } });
}

/** Connection-level failures of an SDK call (the store or ARM is down), as opposed to bugs. */
function isStoreUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(code);
}
