/**
 * Workload identity federation on a live estate: an estate source whose estates carry the
 * federated identity credentials that the `workload-identity-federation` check judges — those of
 * the user-assigned managed identities of every watched subscription (a credential in any of
 * them may trust any cluster's issuer) and those of the app registrations that trust one of the
 * estate's cluster issuers. A source that brings its own (a snapshot's
 * `federated-credentials.json`) is left as it is.
 *
 * What could not be read is said, never guessed: a subscription whose identities failed is an
 * `identities` failure; app registrations that could not be read (Graph refused, or
 * `AUDIT_DIRECTORY=none`) make the check `error` on clusters with the OIDC issuer on.
 */
import { clustersTrustedBy, issuerKey, postureLinksIdentity } from '../core/federation';
import type { Estate } from '../core/model';
import type {
  ApplicationCredentials,
  EstateSource,
  ManagedIdentityCredentials,
  PostureStore,
} from '../core/ports';

export interface FederationReaders {
  managedIdentities: ManagedIdentityCredentials;
  /** Absent: app registrations are not read (`AUDIT_DIRECTORY=none`). */
  applications?: ApplicationCredentials;
  log?: (line: string) => void;
}

export const APPLICATIONS_NOT_READ =
  'app registrations were not read (AUDIT_DIRECTORY=none); set AUDIT_DIRECTORY=graph to include their federated credentials';

export function withFederatedCredentials(
  source: EstateSource,
  readers: FederationReaders,
): EstateSource {
  return {
    kind: source.kind,
    watchedSubscriptions: () => source.watchedSubscriptions(),
    health: () => source.health(),
    async readEstate(filter) {
      // An event said these identities' credentials changed: what was read of them is stale.
      for (const id of filter?.changedIdentities ?? []) readers.managedIdentities.invalidate(id);
      const estate = await source.readEstate(filter);
      return estate.federatedCredentials !== undefined
        ? estate
        : addFederatedCredentials(estate, await source.watchedSubscriptions(), readers);
    },
  };
}

/** The issuers of the estate's clusters with the OIDC issuer on, each once. */
export function clusterIssuers(estate: Pick<Estate, 'clusters'>): string[] {
  const byKey = new Map<string, string>();
  for (const c of estate.clusters) {
    const url = c.oidcIssuerEnabled === true ? c.oidcIssuerUrl?.trim() : undefined;
    if (url && !byKey.has(issuerKey(url))) byKey.set(issuerKey(url), url);
  }
  return [...byKey.values()];
}

export async function addFederatedCredentials(
  estate: Estate,
  watched: readonly string[],
  readers: FederationReaders,
): Promise<Estate> {
  const issuers = clusterIssuers(estate);
  if (issuers.length === 0) return { ...estate, federatedCredentials: [] };
  const managed = await readers.managedIdentities.read(watched);
  const credentials = [...managed.credentials];
  const failures = [...estate.failures, ...managed.failures];
  const unread: string[] = [];
  if (readers.applications) {
    try {
      credentials.push(...(await readers.applications.credentialsForIssuers(issuers)));
    } catch (error) {
      const message = `app registrations could not be read from Microsoft Graph: ${error instanceof Error ? error.message : String(error)}`;
      readers.log?.(`federation: ${message}`);
      failures.push({ subscriptionId: '*', part: 'identities', message });
    }
  } else {
    unread.push(APPLICATIONS_NOT_READ);
  }
  const result: Estate = { ...estate, failures, federatedCredentials: credentials };
  if (unread.length > 0) result.federatedCredentialsUnread = unread;
  return result;
}

/**
 * For each managed identity an event says changed: the clusters to re-evaluate — those whose
 * issuer its credentials now trust (after a write) and those whose stored posture lists a grant
 * of it (after a delete only the store knows). Each stored posture is read once, and only for
 * federated-credential events.
 */
export async function clustersOfFederations<T extends { identityId: string }>(
  store: Pick<PostureStore, 'knownClusterIds' | 'getPosture'>,
  estate: Pick<Estate, 'clusters' | 'federatedCredentials'>,
  federations: readonly T[],
): Promise<Array<T & { clusterIds: string[] }>> {
  const linked = new Map<T, string[]>(federations.map((f) => [f, []]));
  for (const clusterId of await store.knownClusterIds()) {
    const posture = await store.getPosture(clusterId);
    if (!posture) continue;
    for (const f of federations)
      if (postureLinksIdentity(posture, f.identityId)) linked.get(f)!.push(clusterId);
  }
  return federations.map((f) => {
    const seen = new Map<string, string>();
    for (const id of [...clustersTrustedBy(estate, f.identityId), ...linked.get(f)!])
      if (!seen.has(id.toLowerCase())) seen.set(id.toLowerCase(), id);
    return { ...f, clusterIds: [...seen.values()] };
  });
}
