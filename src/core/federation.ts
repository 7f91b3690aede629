/**
 * Workload identity federation (docs/access.md `workload-identity-federation`): the federated identity
 * credentials that let a Kubernetes service account of a cluster act as an Entra identity, read
 * from managed identities (ARM) and app registrations (Microsoft Graph) or from the snapshot's
 * `federated-credentials.json`. Pure.
 */
import { InputError } from './errors';
import type { Cluster, ClusterPosture } from './model';

/** The identity a federated credential lets a token act as. */
export interface FederatedIdentity {
  kind: 'managedIdentity' | 'application';
  /**
   * The object id role assignments name: the managed identity's `principalId`, or the app
   * registration's service principal. Absent when unknown (an app without a service principal
   * holds no role assignment).
   */
  principalId?: string;
  /** The identity's name (managed identity) or display name (app registration). */
  displayName?: string;
  /** Managed identity: its resource id. */
  resourceId?: string;
  /** App registration: its application (client) id. */
  appId?: string;
}

export interface FederatedCredential {
  /** Resource id (managed identity) or `applications/{objectId}/federatedIdentityCredentials/{id}`. */
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences?: string[];
  identity: FederatedIdentity;
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** Issuers compare case-insensitively with a trailing `/` ignored (docs/access.md "Precise readings"). */
export function issuerKey(issuer: string | undefined): string {
  return (issuer ?? '').trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * `system:serviceaccount:<namespace>:<name>`, or undefined for any other subject. Entra compares
 * subjects exactly, so only the exact prefix can ever match a cluster's token.
 */
export function serviceAccountOf(
  subject: string | undefined,
): { namespace: string; name: string } | undefined {
  if (typeof subject !== 'string' || !subject.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const rest = subject.slice(SERVICE_ACCOUNT_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return { namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

/** The credentials that a cluster with this issuer can use: same issuer, a service-account subject. */
export function credentialsForIssuer(
  credentials: readonly FederatedCredential[],
  issuer: string,
): FederatedCredential[] {
  const wanted = issuerKey(issuer);
  if (wanted === '') return [];
  return byIssuer(credentials).get(wanted) ?? [];
}

// Grouped once per list: an estate of thousands of clusters asks once per cluster.
const groupedByIssuer = new WeakMap<
  readonly FederatedCredential[],
  Map<string, FederatedCredential[]>
>();

function byIssuer(credentials: readonly FederatedCredential[]): Map<string, FederatedCredential[]> {
  let grouped = groupedByIssuer.get(credentials);
  if (!grouped) {
    grouped = new Map();
    for (const c of credentials) {
      if (!serviceAccountOf(c.subject)) continue;
      const key = issuerKey(c.issuer);
      const list = grouped.get(key);
      if (list) list.push(c);
      else grouped.set(key, [c]);
    }
    groupedByIssuer.set(credentials, grouped);
  }
  return grouped;
}

// ---------------------------------------------------------------------------------------------
// Normalisation of `az identity federated-credential list` / ARM REST entries
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A field at the top level (`az`) or under `properties` (ARM REST); `properties` wins. */
function field(obj: Json, key: string): unknown {
  const properties = isObject(obj.properties) ? obj.properties : undefined;
  return properties?.[key] ?? obj[key];
}

const IDENTITY_OF_CREDENTIAL =
  /^(.*\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+))\/federatedidentitycredentials\/[^/]+\/?$/i;

/**
 * One entry of `federated-credentials.json` (docs/contracts.md): a managed identity's credential in
 * `az` or ARM REST shape, with the identity's `principalId` added by the export loop (the
 * credential itself does not carry it). `where` names the file and index in every error.
 */
export function normaliseFederatedCredential(raw: unknown, where: string): FederatedCredential {
  if (!isObject(raw)) throw new InputError(`${where}: entry is not an object`);
  const id = text(raw.id);
  if (!id) throw new InputError(`${where}: entry has no "id"`);
  const issuer = text(field(raw, 'issuer'));
  if (!issuer) throw new InputError(`${where}: entry has no "issuer"`);
  const subject = text(field(raw, 'subject'));
  if (!subject) throw new InputError(`${where}: entry has no "subject"`);
  const principalId = text(raw.principalId) ?? text(field(raw, 'principalId'));
  if (!principalId) {
    throw new InputError(
      `${where}: entry has no "principalId" (add the identity's principal id to each credential, see the README's export loop)`,
    );
  }
  const audiencesRaw = field(raw, 'audiences');
  const audiences = Array.isArray(audiencesRaw)
    ? audiencesRaw.filter((a): a is string => typeof a === 'string')
    : undefined;
  const identityMatch = IDENTITY_OF_CREDENTIAL.exec(id);
  const credential: FederatedCredential = {
    id,
    name: text(raw.name) ?? id.slice(id.lastIndexOf('/') + 1),
    issuer,
    subject,
    identity: {
      kind: 'managedIdentity',
      principalId,
      ...(identityMatch ? { resourceId: identityMatch[1], displayName: identityMatch[2] } : {}),
    },
  };
  const displayName = text(raw.identityName) ?? text(raw.principalDisplayName);
  if (displayName) credential.identity.displayName = displayName;
  if (audiences) credential.audiences = audiences;
  return credential;
}

// ---------------------------------------------------------------------------------------------
// Events: which clusters a credential write or delete concerns (docs/events.md)
// ---------------------------------------------------------------------------------------------

function idKey(id: string | undefined): string {
  return (id ?? '').trim().replace(/\/+$/, '').toLowerCase();
}

/** The estate's clusters (OIDC issuer on) whose issuer a credential of this managed identity trusts. */
export function clustersTrustedBy(
  estate: { clusters: readonly Cluster[]; federatedCredentials?: readonly FederatedCredential[] },
  identityResourceId: string,
): string[] {
  const wanted = idKey(identityResourceId);
  const issuers = new Set(
    (estate.federatedCredentials ?? [])
      .filter((c) => idKey(c.identity.resourceId) === wanted && serviceAccountOf(c.subject))
      .map((c) => issuerKey(c.issuer)),
  );
  return estate.clusters
    .filter((c) => c.oidcIssuerEnabled === true && issuers.has(issuerKey(c.oidcIssuerUrl)))
    .map((c) => c.id);
}

/** Whether a stored posture's `workload-identity-federation` finding lists a grant of this managed identity. */
export function postureLinksIdentity(
  posture: Pick<ClusterPosture, 'findings'>,
  identityResourceId: string,
): boolean {
  const wanted = idKey(identityResourceId);
  const finding = posture.findings?.find((f) => f.checkId === 'workload-identity-federation');
  return (finding?.principals ?? []).some((p) => idKey(p.federatedIdentity) === wanted);
}
