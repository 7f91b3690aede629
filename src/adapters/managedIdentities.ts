/**
 * Federated identity credentials of user-assigned managed identities, read from Azure Resource
 * Manager with `@azure/arm-msi` (docs/access.md `workload-identity-federation`): the identities of
 * each watched subscription (one paged listing), then each identity's credentials (one paged
 * listing per identity, a few at a time).
 *
 * Re-reading every identity on every evaluation would make identity reads grow with evaluations;
 * instead each identity's credentials are kept for a while (`ttlMs`) and re-read only when the
 * identity changed (another principal id), when the entry expired, or when an event said a
 * credential of that identity was written or deleted (`invalidate`). The identity listing itself
 * is read every time: it is what reveals new and deleted identities.
 */
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { TokenCredential } from '@azure/core-auth';
import type { FederatedCredential } from '../core/federation';
import type { SourceFailure } from '../core/model';
import type { Clock } from '../core/ports';
import type { ArmClientOptions } from './armClients';
import { mapLimit } from '../core/concurrency';
import { describeAzureError } from './azureErrors';

export interface ManagedIdentityReaderOptions {
  credential: TokenCredential;
  /** ARM endpoint; default https://management.azure.com. */
  endpoint?: string;
  clientOptions?: ArmClientOptions;
  /** Identities whose credentials are read at the same time. Default 8. */
  concurrency?: number;
  /** How long an identity's credentials are reused without an event about them. Default 7 days. */
  ttlMs?: number;
  clock: Clock;
}

interface CachedIdentity {
  principalId: string;
  readAt: number;
  credentials: FederatedCredential[];
}

export interface FederatedCredentialRead {
  credentials: FederatedCredential[];
  failures: SourceFailure[];
  /** Identities whose credentials were read from ARM this time (the rest came from the cache). */
  identitiesRead: number;
}

const DEFAULT_ENDPOINT = 'https://management.azure.com';
export const DEFAULT_IDENTITY_TTL_MS = 7 * 24 * 3600 * 1000;
const IDENTITY_ID =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)$/i;

export class ManagedIdentityCredentialReader {
  private readonly endpoint: string;
  private readonly concurrency: number;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, CachedIdentity>();

  constructor(private readonly options: ManagedIdentityReaderOptions) {
    this.endpoint = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.ttlMs = options.ttlMs ?? DEFAULT_IDENTITY_TTL_MS;
  }

  /** Forget an identity's credentials (an event wrote or deleted one): the next read re-reads it. */
  invalidate(identityResourceId: string): void {
    this.cache.delete(identityResourceId.trim().replace(/\/+$/, '').toLowerCase());
  }

  /** The credentials of every identity of these subscriptions; a subscription that fails is a failure (`identities`). */
  async read(subscriptionIds: readonly string[]): Promise<FederatedCredentialRead> {
    const result: FederatedCredentialRead = { credentials: [], failures: [], identitiesRead: 0 };
    const perSubscription = await mapLimit([...subscriptionIds], 4, (subscriptionId) =>
      this.readSubscription(subscriptionId),
    );
    for (const part of perSubscription) {
      result.credentials.push(...part.credentials);
      result.failures.push(...part.failures);
      result.identitiesRead += part.identitiesRead;
    }
    return result;
  }

  private async readSubscription(subscriptionId: string): Promise<FederatedCredentialRead> {
    const client = this.client(subscriptionId);
    const identities: Array<{ id: string; principalId: string; name: string }> = [];
    try {
      for await (const identity of client.userAssignedIdentities.listBySubscription()) {
        if (identity.id && identity.principalId)
          identities.push({
            id: identity.id,
            principalId: identity.principalId,
            name: identity.name ?? identity.id,
          });
      }
    } catch (error) {
      return {
        credentials: [],
        identitiesRead: 0,
        failures: [
          {
            subscriptionId,
            part: 'identities',
            message: `managed identities could not be listed: ${describeAzureError(error)}`,
          },
        ],
      };
    }
    const now = this.options.clock.now().getTime();
    const failures: SourceFailure[] = [];
    let identitiesRead = 0;
    const seen = new Set<string>();
    const lists = await mapLimit(identities, this.concurrency, async (identity) => {
      const key = identity.id.toLowerCase();
      seen.add(key);
      const cached = this.cache.get(key);
      if (cached && cached.principalId === identity.principalId && now - cached.readAt < this.ttlMs)
        return cached.credentials;
      const parts = IDENTITY_ID.exec(identity.id);
      if (!parts) {
        failures.push({
          subscriptionId,
          part: 'identities',
          message: `managed identity id ${identity.id} is not a user-assigned identity id`,
        });
        return [];
      }
      try {
        const credentials: FederatedCredential[] = [];
        for await (const fic of client.federatedIdentityCredentials.list(parts[2], parts[3])) {
          if (!fic.id || !fic.issuer || !fic.subject) continue;
          credentials.push({
            id: fic.id,
            name: fic.name ?? fic.id.slice(fic.id.lastIndexOf('/') + 1),
            issuer: fic.issuer,
            subject: fic.subject,
            ...(fic.audiences ? { audiences: fic.audiences } : {}),
            identity: {
              kind: 'managedIdentity',
              principalId: identity.principalId,
              resourceId: identity.id,
              displayName: identity.name,
            },
          });
        }
        identitiesRead++;
        this.cache.set(key, { principalId: identity.principalId, readAt: now, credentials });
        return credentials;
      } catch (error) {
        failures.push({
          subscriptionId,
          part: 'identities',
          message: `federated credentials of ${identity.id} could not be listed: ${describeAzureError(error)}`,
        });
        return [];
      }
    });
    // Identities deleted since the last read leave the cache with the listing that no longer has them.
    const prefix = `/subscriptions/${subscriptionId.toLowerCase()}/`;
    for (const key of [...this.cache.keys()])
      if (key.startsWith(prefix) && !seen.has(key)) this.cache.delete(key);
    return { credentials: lists.flat(), failures, identitiesRead };
  }

  private client(subscriptionId: string): ManagedServiceIdentityClient {
    const retry = this.options.clientOptions?.retry ?? {};
    return new ManagedServiceIdentityClient(this.options.credential, subscriptionId, {
      endpoint: this.endpoint,
      retryOptions: {
        maxRetries: retry.maxRetries ?? 4,
        retryDelayInMs: retry.retryDelayInMs ?? 1000,
        maxRetryDelayInMs: retry.maxRetryDelayInMs ?? 30000,
      },
      ...(this.options.clientOptions?.agent ? { agent: this.options.clientOptions.agent } : {}),
      credentialScopes: [`${this.endpoint}/.default`],
    });
  }
}
