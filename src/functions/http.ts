/**
 * The mapping every HTTP function shares: request → use-case arguments, result or error →
 * JSON response (`{ error: { code, message } }` with 400 / 404 / 503, docs/contracts.md). Kept here
 * so each function file stays a door: parse, one call, map back.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  ConfigurationError,
  DependencyError,
  errorMessage,
  InputError,
  NotFoundError,
} from '../core/errors';
import { redactSecrets } from '../core/redaction';
import type { ClusterSegments, QueryValues } from '../usecases/queries';

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
    if (name in values)
      throw new InputError(
        `query parameter ${JSON.stringify(name.slice(0, 40))} is given more than once`,
      );
    values[name] = value;
  }
  return values;
}

export function json(status: number, body: unknown): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  };
}

/** Run a use case and map its outcome; unexpected errors are logged in full but answered generically. */
export async function respond(
  context: InvocationContext,
  work: () => Promise<unknown>,
  successStatus = 200,
): Promise<HttpResponseInit> {
  try {
    return json(successStatus, await work());
  } catch (error) {
    return errorResponse(context, error);
  }
}

export function errorResponse(context: InvocationContext, error: unknown): HttpResponseInit {
  const answer = classifyError(context, error);
  return json(answer.status, { error: { code: answer.code, message: answer.message } });
}

/** What a failed request answers (status, code, message); logs what the operator needs. Shared by the JSON API and the dashboard pages. */
export function classifyError(
  context: InvocationContext,
  error: unknown,
): { status: number; code: string; message: string } {
  if (error instanceof ConfigurationError) {
    context.error(errorMessage(error));
    return {
      status: 500,
      code: 'Misconfigured',
      message: `the auditor is misconfigured (invocation ${context.invocationId}); see its log`,
    };
  }
  if (error instanceof InputError) return { status: 400, code: error.code, message: error.message };
  if (error instanceof NotFoundError)
    return { status: 404, code: error.code, message: error.message };
  if (error instanceof DependencyError) {
    const message = errorMessage(error);
    context.warn(`dependency ${error.dependency} unavailable: ${message}`);
    return {
      status: 503,
      code: 'DependencyUnavailable',
      message: `${error.dependency} is unavailable: ${message}`,
    };
  }
  if (isStoreUnreachable(error)) {
    context.warn(`store unreachable: ${errorMessage(error)}`);
    return {
      status: 503,
      code: 'DependencyUnavailable',
      message: 'the posture store is unavailable',
    };
  }
  context.error(
    `unexpected error: ${redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error))}`,
  );
  return {
    status: 500,
    code: 'InternalError',
    message: `internal error (invocation ${context.invocationId})`,
  };
}

/** Connection-level failures of an SDK call (the store or ARM is down), as opposed to bugs. */
function isStoreUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return (
    typeof code === 'string' &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EAI_AGAIN',
      'REQUEST_SEND_ERROR',
    ].includes(code)
  );
}
