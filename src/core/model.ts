/**
 * The internal domain model. Every input shape (ARM REST, JS SDK, `az` CLI) is normalised into
 * these types by `core/normalise`; everything downstream (access graph, checks, store, API)
 * speaks only these. Pure types: nothing here may import `@azure/*` or do I/O.
 */
import type { FederatedCredential } from './federation';

export type { FederatedCredential } from './federation';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type FindingStatus = 'pass' | 'fail' | 'not-applicable' | 'error';
export type ClusterStatus = 'pass' | 'fail' | 'error';

/**
 * The paths to Kubernetes cluster-admin (docs/checks.md "Capabilities"). New ones are appended:
 * the order is the order findings list them in, and the older ones keep their place.
 */
export const CAPABILITIES = [
  'admin-credential',
  'cluster-write',
  'role-assignment-write',
  'kubernetes-cluster-admin',
  'run-command',
  'trusted-access-write',
  'node-access',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type EstateSourceKind = 'snapshot' | 'azure';

/** A user-assigned managed identity attached to a cluster's control plane. */
export interface UserAssignedIdentity {
  resourceId: string;
  principalId?: string;
  clientId?: string;
}

/** A managed identity the cluster attaches to its nodes for an add-on (`addonProfiles.*.identity`). */
export interface AttachedIdentity {
  objectId?: string;
  clientId?: string;
  resourceId?: string;
}

/** One AKS add-on; keys of `Cluster.addons` are lower-cased add-on names. */
export interface Addon {
  enabled: boolean;
  /** Add-on config values as strings (`"true"` stays a string, as ARM returns it). */
  config: Record<string, string>;
  /** The identity the add-on runs as on the nodes, when the cluster reports one. */
  identity?: AttachedIdentity;
}

/**
 * A managed cluster, normalised. `undefined` means absent or null in the input; it is never
 * guessed. Check semantics (docs/access.md) decide what absence means.
 */
export interface Cluster {
  /** The resource id exactly as given in the input (echoed in reports). */
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location?: string;
  /**
   * Set when the cluster document carries no configuration at all (e.g. an ARM object without
   * `properties`): configuration checks are then `error`, never `pass` or `fail`.
   */
  incomplete?: string;
  /** `aadProfile`; null when absent or null. */
  aadProfile: {
    managed?: boolean;
    enableAzureRbac?: boolean;
    adminGroupObjectIds?: string[];
  } | null;
  disableLocalAccounts?: boolean;
  enableRbac?: boolean;
  /** `identity`; null when absent (a service principal cluster). */
  identity: {
    type?: string;
    principalId?: string;
    userAssignedIdentities: UserAssignedIdentity[];
  } | null;
  servicePrincipalClientId?: string;
  /** `identityProfile.kubeletidentity`; null when absent. */
  kubeletIdentity: { objectId?: string; clientId?: string; resourceId?: string } | null;
  oidcIssuerEnabled?: boolean;
  /** `oidcIssuerProfile.issuerUrl`: the `iss` of the cluster's service-account tokens. */
  oidcIssuerUrl?: string;
  workloadIdentityEnabled?: boolean;
  podIdentityEnabled?: boolean;
  apiServerAccess: {
    enablePrivateCluster?: boolean;
    authorizedIpRanges?: string[];
    /** `disableRunCommand`: command invoke (`managedClusters/runCommand`) is turned off. */
    disableRunCommand?: boolean;
  } | null;
  /** `nodeResourceGroup`: the resource group (in the cluster's subscription) holding its nodes. */
  nodeResourceGroup?: string;
  /** `ingressProfile.webAppRouting.identity`: the application routing add-on's identity. */
  webAppRoutingIdentity?: AttachedIdentity;
  defenderSecurityMonitoringEnabled?: boolean;
  /** Keyed by lower-cased add-on name (`azurepolicy`, `azurekeyvaultsecretsprovider`, …). */
  addons: Record<string, Addon>;
}

export interface RoleAssignment {
  id: string;
  /** The scope as given (case preserved); compare with `core/scope`. */
  scope: string;
  principalId: string;
  /** `User`, `Group`, `ServicePrincipal`, `ForeignGroup`, `Device`, or as given. */
  principalType: string;
  /** As given in the input (full id, provider-level id or bare guid). */
  roleDefinitionId: string;
  /** Lower-cased guid of the role definition: the join key with `RoleDefinition.guid`. */
  roleDefinitionGuid: string;
  /** `az` exports carry the role name; ARM REST does not. */
  roleDefinitionName?: string;
  condition?: string;
  /** `2.0` for today's conditions; `1.0` was the storage-only preview syntax. */
  conditionVersion?: string;
  /**
   * A PIM eligibility (`roleEligibilityScheduleInstances`), not an active assignment: the principal
   * can activate it in minutes, so it counts for "who can" (docs/checks.md "Which grants count").
   */
  eligible?: true;
  /**
   * The principal's names, from the export (`principalName`, `principalDisplayName`) and then
   * from directory data (`principals.json`, Microsoft Graph), which wins (see `core/principals`).
   */
  displayName?: string;
  userPrincipalName?: string;
  /** The directory, asked about this principal, no longer knows it (an orphaned assignment). */
  deleted?: boolean;
  /** A user the directory says is a guest (`userType` Guest); absent otherwise. */
  guest?: true;
  /** `false`: a user the directory says is disabled (`accountEnabled` false); absent otherwise. */
  enabled?: false;
  /** A group whose membership the directory knows: the users behind it (`core/groupMembers`). */
  members?: GroupMembers;
  /**
   * The subscription whose listing returned this assignment. A management-group assignment
   * applies to that subscription's clusters (docs/access.md); when unknown (a snapshot that does not
   * say), it applies to every cluster of the estate: over-reporting access is the safe side.
   */
  listedInSubscriptionId?: string;
}

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
  /** A condition on the block (some built-in roles carry one); unevaluated, it counts as absent (over-reports). */
  condition?: string;
}

export interface RoleDefinition {
  id: string;
  /** Lower-cased guid (last segment of the id). */
  guid: string;
  roleName: string;
  roleType: 'BuiltInRole' | 'CustomRole';
  description?: string;
  permissions: Permission[];
  assignableScopes: string[];
}

/** A part of the estate that the source could not read; what depends on it becomes `error`. */
export interface SourceFailure {
  /** Subscription id the failure is about, or `*` for the whole estate. */
  subscriptionId: string;
  part:
    | 'clusters'
    | 'roleAssignments'
    | 'roleDefinitions'
    | 'eligibility'
    | 'denyAssignments'
    | 'identities'
    | 'directory'
    | 'subscriptions'
    | 'managementGroupAncestry';
  message: string;
}

/**
 * One directory object (user, group, service principal…) as `principals.json` or Microsoft Graph
 * describes it. Only `id` is certain; every other field is absent when the directory did not say.
 */
export interface DirectoryPrincipal {
  id: string;
  /** `User`, `Group`, `ServicePrincipal`, `Device`… (the `principalType` spelling of role assignments). */
  principalType?: string;
  displayName?: string;
  userPrincipalName?: string;
  /** `Member` or `Guest` (users). */
  userType?: string;
  accountEnabled?: boolean;
  /** Groups: member object ids (transitive once expanded); absent = membership unknown. */
  members?: string[];
  /**
   * Groups: how many transitive users there are when `members` holds only the first page of a
   * large group (Microsoft Graph listings are bounded); absent when `members` is complete.
   */
  memberCount?: number;
}

/** A user behind a group, as findings list it (`members.users[]`). */
export interface GroupMemberUser {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
  /** `userType` is `Guest`. */
  guest: boolean;
  /** `accountEnabled` is not `false`. */
  enabled: boolean;
}

/** The users behind a group: all of them, or the first page of a larger group with its count. */
export interface GroupMembers {
  count: number;
  users: GroupMemberUser[];
}

/** Directory data for an estate: what `principals.json` or Microsoft Graph answered. */
export interface Directory {
  /** Where the answers come from, for details and messages: `principals.json`, `Microsoft Graph`. */
  source: string;
  principals: DirectoryPrincipal[];
  /**
   * The directory answered for every principal the estate names, so an id it does not list is
   * deleted (docs/access.md: `principals.json` and Graph's `getByIds` both answer this way).
   */
  complete: boolean;
}

/** Everything an evaluation needs, as one source returned it. */
export interface Estate {
  source: EstateSourceKind;
  clusters: Cluster[];
  roleAssignments: RoleAssignment[];
  /** Custom (and any fetched) role definitions; built-ins ship with the product as data. */
  roleDefinitions: RoleDefinition[];
  failures: SourceFailure[];
  /** Names, types and membership of principals, when a directory was read (`core/principals`). */
  directory?: Directory;
  /**
   * Deny assignments; undefined when the source has none to give (a snapshot without
   * `deny-assignments.json`): then nothing is denied, which over-reports access.
   */
  denyAssignments?: DenyAssignment[];
  /**
   * Federated identity credentials of managed identities and app registrations (see
   * `core/federation`). Absent = not read: `workload-identity-federation` cannot say and is
   * `error` for clusters with the OIDC issuer on.
   */
  federatedCredentials?: FederatedCredential[];
  /**
   * Kinds of federated credentials left out by choice (app registrations with
   * `AUDIT_DIRECTORY=none`), each as a sentence the finding repeats; read failures are in
   * `failures` (`identities`) and make the check `error`.
   */
  federatedCredentialsUnread?: string[];
  /**
   * The management groups above each subscription (lower-cased subscription id → management
   * group names, nearest first), read live from Resource Graph `resourcecontainers`. Absent =
   * unknown (a snapshot, or the query failed); a subscription missing from it is unknown too.
   * Management-group exemptions match through it (`core/exemptions`).
   */
  managementGroupAncestry?: Record<string, string[]>;
}

/** A principal a deny assignment names (Everyone is the all-zero id with type `SystemDefined`). */
export interface DenyPrincipal {
  id: string;
  type?: string;
}

/** One deny assignment (`Microsoft.Authorization/denyAssignments`), normalised. */
export interface DenyAssignment {
  id: string;
  name?: string;
  scope: string;
  /** What it denies, per block: `actions` minus `notActions` (and the data-action pair). */
  permissions: Permission[];
  principals: DenyPrincipal[];
  excludePrincipals: DenyPrincipal[];
  /** When true it applies at exactly its own scope, not below it. */
  doNotApplyToChildScopes: boolean;
  /** The subscription whose listing returned it, when known (as for role assignments). */
  listedInSubscriptionId?: string;
}

/** One principal's privileged access over a cluster through one role assignment. */
export interface PrincipalAccess {
  principalId: string;
  principalType: string;
  /** Names when the export or the directory gave one; the id stays the key (`core/principals`). */
  displayName?: string;
  userPrincipalName?: string;
  /** The directory no longer knows the principal (an orphaned assignment). */
  deleted?: boolean;
  /** A directly assigned user the directory says is a guest; absent otherwise. */
  guest?: boolean;
  /** `false`: a directly assigned user the directory says is disabled; absent otherwise. */
  enabled?: boolean;
  /** A group whose membership is known: its member count and the users behind it. */
  members?: GroupMembers;
  roleName: string;
  roleDefinitionId: string;
  scope: string;
  capabilities: Capability[];
  /**
   * `workload-identity-federation`: the service accounts (`system:serviceaccount:<ns>:<name>`)
   * of the cluster that can act as this identity through a federated credential.
   */
  serviceAccounts?: string[];
  /**
   * `workload-identity-federation`: the identity those service accounts act as — the managed
   * identity's resource id, or the app registration's application id.
   */
  federatedIdentity?: string;
  /** Held through a PIM eligibility, not an active assignment (absent: active). */
  eligible?: boolean;
  /**
   * The grant's condition: `constrained` when it is the evaluated constrained-delegation form,
   * `not-evaluated` for any other (the grant then counts as unconditional); absent: none.
   */
  condition?: 'none' | 'constrained' | 'not-evaluated';
  /** Approved to hold cluster-admin paths (an admin group of the cluster, `AUDIT_APPROVED_ADMINS`). */
  approved?: boolean;
  /** An active exemption of this finding names the principal (or the whole finding). */
  exempted?: boolean;
}

/** An exemption as a finding lists it (core/exemptions; docs/contracts.md "Exemptions"). */
export interface ExemptionRef {
  id: string;
  reason: string;
  owner: string;
  ticket?: string;
  expiresOn: string;
  principalIds?: string[];
  /**
   * The exemption is scoped to a management group and whether the cluster's subscription lies
   * under it is unknown (no ancestry: a snapshot, or Resource Graph could not say): it is applied
   * as if it did, which may hide a finding it was not meant for.
   */
  managementGroupUnverified?: true;
}

export interface Finding {
  checkId: string;
  status: FindingStatus;
  severity: Severity;
  title: string;
  detail: string;
  remediation: string;
  principals?: PrincipalAccess[];
  /** Active exemptions that match this finding. */
  exemptions?: ExemptionRef[];
  /** Every failing element is exempted: the cluster's status, score, `--fail-on` and paging ignore it. */
  exempted?: boolean;
}

/** One cluster's evaluated posture: the `clusters[]` element of the JSON report. */
export interface ClusterPosture {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  /**
   * The resource group of the cluster's nodes (`nodeResourceGroup`, same subscription): events in
   * it (role assignments, scale-set commands) are routed to this cluster (docs/events.md).
   */
  nodeResourceGroup?: string;
  /** `aadProfile` as the event router needs it; absent when the cluster document was incomplete. */
  entraIntegration?: EntraIntegration;
  status: ClusterStatus;
  score: number;
  findings: Finding[];
  /** Every principal holding a privileged capability over the cluster (union over checks). */
  privilegedPrincipals: PrincipalAccess[];
  evaluatedAt: string;
  /** Present once the posture was compared with a stored one (`--store`). */
  regressions?: Regression[];
  /**
   * Role definitions assigned over the cluster that could not be resolved this time (a custom
   * role missing from the export, or unreadable): what their holders can do is not known, so
   * the privileged principals are incomplete and the last known ones are kept (docs/storage.md).
   */
  unresolvedRoleDefinitions?: string[];
}

export type RegressionKind =
  'check-failed' | 'privilege-gained' | 'severity-rose' | 'exemption-expired';

export interface Regression {
  kind: RegressionKind;
  checkId: string;
  /** privilege-gained only. */
  principalId?: string;
  before: string;
  after: string;
  severity: Severity;
}

export type RealTimeSignalKind =
  | 'admin-credential-retrieved'
  | 'run-command-invoked'
  | 'node-command-invoked'
  | 'privileged-role-granted';

/**
 * How the cluster authenticates Kubernetes users (`aadProfile`): `managed` Entra integration,
 * the `legacy` integration with its own server and client applications, or `none` (no
 * `aadProfile`: the user kubeconfig carries a static credential, docs/access.md).
 */
export type EntraIntegration = 'managed' | 'legacy' | 'none';

export interface Caller {
  name?: string;
  objectId?: string;
  appId?: string;
  ipAddress?: string;
}

export interface RealTimeSignal {
  signal: RealTimeSignalKind;
  clusterId: string;
  caller: Caller;
  eventId: string;
  eventTime: string;
  /** admin-credential-retrieved: whether local accounts were enabled per the stored/current posture. */
  localAccountsEnabled?: boolean;
  /** run-command-invoked / credential fetches: the cluster's Entra integration, when known. */
  entraIntegration?: EntraIntegration;
  /** node-command-invoked: the scale set (and instance or extension) acted on. */
  target?: string;
}

export type ChannelName = 'email' | 'teams' | 'console';
export type ChannelState = 'sent' | 'failed' | 'skipped' | 'pending';

/** Something that pages a person: a regression or a real-time signal, with what fixes it. */
export interface Alert {
  /** cluster id + check id (or signal) + principal id where relevant; see core/alerts. */
  dedupeKey: string;
  clusterId: string;
  clusterName: string;
  subscriptionId: string;
  resourceGroup: string;
  severity: Severity;
  /**
   * `accepted-risk`: the nightly digest of exempted findings and exemptions about to expire;
   * `event-subscription-silent`: a watched subscription sent no event for 24 hours (filed under
   * `/subscriptions/<id>`, not a cluster).
   */
  kind: RegressionKind | RealTimeSignalKind | 'accepted-risk' | 'event-subscription-silent';
  checkId: string;
  title: string;
  /** What changed, before → after, in words a person acts on at 3 a.m. */
  before: string;
  after: string;
  /** Who holds the new access and through which role and scope (privilege kinds). */
  principal?: PrincipalAccess;
  caller?: Caller;
  remediation: string;
  /** Link to the cluster's dashboard page (never carries a function key). */
  link?: string;
  createdAt: string;
}

export interface AlertDelivery {
  dedupeKey: string;
  severity: Severity;
  channels: Partial<Record<ChannelName, ChannelState>>;
}

export interface ReportSummary {
  clusters: number;
  failing: number;
  findingsBySeverity: Record<Severity, number>;
}

/** The JSON report of docs/contracts.md. */
export interface Report {
  schemaVersion: 1;
  generatedAt: string;
  source: EstateSourceKind;
  summary: ReportSummary;
  clusters: ClusterPosture[];
  /** What could not be read (a partial read); empty when everything was read. */
  failures: SourceFailure[];
  alerts?: AlertDelivery[];
}
