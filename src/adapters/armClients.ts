/**
 * Shared plumbing of the live ARM readers (`armSource`, `armResourceGraph`, `armRoleDefinitions`,
 * `managedIdentities`): the Azure SDK clients built with one retry policy, endpoint and agent,
 * and small helpers for listings.
 *
 * Throttling (429 + Retry-After) and transient 5xx are retried by the SDK pipeline's retry
 * policy, configured here.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'https';
import type { SourceFailure } from '../core/model';

export interface ArmRetryOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Base of the exponential back-off for 5xx (a 429 waits what its Retry-After says). Default 1000. */
  retryDelayInMs?: number;
  /** Cap of the exponential back-off. Default 30000. */
  maxRetryDelayInMs?: number;
}

export interface ArmClientOptions {
  /** E.g. an agent trusting a test certificate; otherwise Node's default. */
  agent?: Agent;
  retry?: ArmRetryOptions;
}

export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

/** Builds the SDK clients of one source, all against one endpoint with one retry policy. */
export class ArmClients {
  readonly endpoint: string;

  constructor(
    readonly credential: TokenCredential,
    endpoint: string | undefined,
    private readonly clientOptions: ArmClientOptions = {},
  ) {
    this.endpoint = (endpoint ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, '');
  }

  subscriptions(): SubscriptionClient {
    return new SubscriptionClient(this.credential, this.modularClientOptions());
  }

  containerService(subscriptionId: string): ContainerServiceClient {
    return new ContainerServiceClient(this.credential, subscriptionId, this.modularClientOptions());
  }

  resourceGraph(): ResourceGraphClient {
    return new ResourceGraphClient(this.credential, this.modularClientOptions());
  }

  authorization(subscriptionId: string): AuthorizationManagementClient {
    return new AuthorizationManagementClient(this.credential, subscriptionId, {
      endpoint: this.endpoint,
      retryOptions: this.retryOptions(),
      ...(this.clientOptions.agent ? { agent: this.clientOptions.agent } : {}),
      credentialScopes: [`${this.endpoint}/.default`],
    });
  }

  private retryOptions() {
    const retry = this.clientOptions.retry ?? {};
    return {
      maxRetries: retry.maxRetries ?? 4,
      retryDelayInMs: retry.retryDelayInMs ?? 1000,
      maxRetryDelayInMs: retry.maxRetryDelayInMs ?? 30000,
    };
  }

  /** Options of the TypeSpec-generated ("modular") clients: containerservice, subscriptions, resourcegraph. */
  private modularClientOptions() {
    return {
      endpoint: this.endpoint,
      retryOptions: this.retryOptions(),
      ...(this.clientOptions.agent ? { agent: this.clientOptions.agent } : {}),
      // They default to the public cloud's audience whatever the endpoint; follow the endpoint.
      credentials: { scopes: [`${this.endpoint}/.default`] },
    };
  }
}

/** A malformed item becomes a failure naming it; the rest of the listing is kept. */
export function normaliseItem<T>(
  fn: () => T,
  subscriptionId: string,
  part: SourceFailure['part'],
  failures: SourceFailure[],
): T | undefined {
  try {
    return fn();
  } catch (error) {
    failures.push({ subscriptionId, part, message: (error as Error).message });
    return undefined;
  }
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}
