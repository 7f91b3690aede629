/**
 * One way to declare and register a function, whatever its trigger. Each function file only
 * declares (`defineFunction`), so importing it never calls `app.*`: the local host and the tests
 * import the definitions freely (outside the Functions host every `app.*` call prints a "test
 * mode" WARNING from @azure/functions, with no switch to silence it). The app entry point
 * (`./index`) registers the whole list with `registerFunctions`.
 */
import {
  app,
  type EventGridHandler,
  type HttpHandler,
  type HttpMethod,
  type RetryOptions,
  type StorageQueueHandler,
  type TimerHandler,
} from '@azure/functions';
import { redactSecrets } from '../core/redaction';

export interface HttpFunctionDefinition {
  trigger: 'http';
  name: string;
  methods: HttpMethod[];
  authLevel: 'anonymous' | 'function';
  /** Functions route template under `/api` (`clusters/{subscriptionId}/…`). */
  route: string;
  handler: HttpHandler;
}

export interface EventGridFunctionDefinition {
  trigger: 'eventGrid';
  name: string;
  handler: EventGridHandler;
}

export interface StorageQueueFunctionDefinition {
  trigger: 'storageQueue';
  name: string;
  queueName: string;
  /** The app-setting prefix of the storage connection (`AUDIT_STORAGE`, `AUDIT_STORAGE__queueServiceUri`). */
  connection: string;
  handler: StorageQueueHandler;
}

export interface TimerFunctionDefinition {
  trigger: 'timer';
  name: string;
  /** NCRONTAB, or `%SETTING%` to read it from an app setting. */
  schedule: string;
  retry?: RetryOptions;
  handler: TimerHandler;
}

export type FunctionDefinition =
  | HttpFunctionDefinition
  | EventGridFunctionDefinition
  | StorageQueueFunctionDefinition
  | TimerFunctionDefinition;

/** Declares a function without registering it. */
export function defineFunction<T extends FunctionDefinition>(definition: T): T {
  return definition;
}

/**
 * Registers the definitions with the Functions host; called only by the app entry point. Every
 * handler's thrown error has its secrets redacted first: the host logs the message and stack.
 */
export function registerFunctions(definitions: readonly FunctionDefinition[]): void {
  for (const definition of definitions) {
    switch (definition.trigger) {
      case 'http':
        app.http(definition.name, {
          methods: definition.methods,
          authLevel: definition.authLevel,
          route: definition.route,
          handler: redactingErrors(definition.handler),
        });
        break;
      case 'eventGrid':
        app.eventGrid(definition.name, { handler: redactingErrors(definition.handler) });
        break;
      case 'storageQueue':
        app.storageQueue(definition.name, {
          queueName: definition.queueName,
          connection: definition.connection,
          handler: redactingErrors(definition.handler),
        });
        break;
      case 'timer':
        app.timer(definition.name, {
          schedule: definition.schedule,
          retry: definition.retry,
          handler: redactingErrors(definition.handler),
        });
        break;
    }
  }
}

/** The handler, with any error it throws redacted in place (same object, so its type is kept). */
export function redactingErrors<A extends unknown[], R>(
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (error) {
      if (error instanceof Error) {
        error.message = redactSecrets(error.message);
        if (error.stack) error.stack = redactSecrets(error.stack);
        throw error;
      }
      throw new Error(redactSecrets(String(error)));
    }
  };
}
