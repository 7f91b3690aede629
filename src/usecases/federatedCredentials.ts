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
import { issuerKey } from '../core/federation';
import type { Estate } from '../core/model';
import { mappedEstateSource, type ApplicationCredentials, type EstateSource, type ManagedIdentityCredentials } from '../core/ports';

export interface FederationReaders {
  managedIdentities: ManagedIdentityCredentials;
  /** Absent: app registrations are not read (`AUDIT_DIRECTORY=none`). */
  applications?: ApplicationCredentials;
  log?: (line: string) => void;
}

export const APPLICATIONS_NOT_READ =
  'app registrations were not read (AUDIT_DIRECTORY=none); set AUDIT_DIRECTORY=graph to include their federated credentials';

export function withFederatedCredentials(source: EstateSource, readers: FederationReaders): EstateSource {
  return mappedEstateSource(source, async (estate) =>
    estate.federatedCredentials !== undefined ? estate : addFederatedCredentials(estate, await source.watchedSubscriptions(), readers),
  );
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

export async function addFederatedCredentials(estate: Estate, watched: readonly string[], readers: FederationReaders): Promise<Estate> {
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
