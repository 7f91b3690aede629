/**
 * Ports: the small interfaces the use cases own and the adapters implement (docs/architecture.md).
 * Tests use the real adapters against local servers, never hand-written stand-ins of SDKs.
 */
import type { KnownClusterFacts } from './clusterFacts';
import type { Exemption } from './exemptions';
import type {
  Alert,
  AlertDelivery,
  Caller,
  ChannelName,
  ChannelState,
  ClusterPosture,
  ClusterStatus,
  DirectoryPrincipal,
  Estate,
  EstateSourceKind,
  FederatedCredential,
  Regression,
  Severity,
  SourceFailure,
} from './model';

export interface EstateFilter {
  /** Only these subscriptions (lower-cased guids). Omitted = every watched subscription. */
  subscriptionIds?: string[];
  /**
   * Managed identities (resource ids) whose federated credentials an event says changed: read
   * them again rather than from any cache.
   */
  changedIdentities?: string[];
}

export interface Health {
  ok: boolean;
  detail: string;
}

/** Where clusters, role assignments and role definitions come from (live ARM or exports). */
export interface EstateSource {
  readonly kind: EstateSourceKind;
  /** Subscriptions this source watches (lower-cased); events outside them are refused. */
  watchedSubscriptions(): Promise<string[]>;
  /**
   * Read the estate. A part that cannot be read is reported in `Estate.failures` (its clusters
   * become `error`), never thrown, unless nothing at all could be read.
   */
  readEstate(filter?: EstateFilter): Promise<Estate>;
  health(): Promise<Health>;
}

/**
 * A directory of principals by object id (Microsoft Graph when live; `principals.json` is read
 * by the snapshot source itself): names, types and group membership (docs/access.md "Names").
 */
export interface PrincipalDirectory {
  /** What it is, for messages: `Microsoft Graph`. */
  readonly name: string;
  /**
   * The directory objects with these ids. It answers for every id asked: one it does not
   * return no longer exists (`deleted`). Throws when the directory cannot be read.
   */
  lookup(ids: readonly string[]): Promise<DirectoryPrincipal[]>;
}

/** The users behind a group as a directory lists them. */
export interface TransitiveUsers {
  users: DirectoryPrincipal[];
  /** How many users the group has transitively (more than `users` when the listing was bounded). */
  count: number;
  /** Whether `users` is every user of the group. */
  complete: boolean;
}

/** Group membership (Microsoft Graph `transitiveMembers`); throws when it cannot be read. */
export interface GroupMemberDirectory {
  transitiveUsers(groupId: string): Promise<TransitiveUsers>;
}

/** What the directory said about one principal id, and when it was asked. */
export interface CachedPrincipal {
  id: string;
  /** What the directory returned; absent when it did not know the id (deleted). */
  principal?: DirectoryPrincipal;
  readAt: Date;
}

/** The users behind one group as the directory listed them, and when. */
export interface CachedGroupUsers {
  groupId: string;
  listing: TransitiveUsers;
  readAt: Date;
}

/**
 * Directory answers kept across runs (the `directory` table, docs/storage.md), so runs within
 * the TTL do not ask Microsoft Graph again. Reads return only entries read at or after `since`
 * that decode whole; anything else is left out (the caller asks the directory). Throws when
 * the store cannot be read or written.
 */
export interface DirectoryCache {
  principals(ids: readonly string[], since: Date): Promise<CachedPrincipal[]>;
  savePrincipals(entries: readonly CachedPrincipal[]): Promise<void>;
  groupUsers(groupId: string, since: Date): Promise<CachedGroupUsers | undefined>;
  saveGroupUsers(entry: CachedGroupUsers): Promise<void>;
}

/**
 * The same source, with every estate it reads passed through `map` (progress lines, data from
 * another service added): kind, watched subscriptions and health are the source's own.
 */
export function mappedEstateSource(
  source: EstateSource,
  map: (estate: Estate) => Promise<Estate> | Estate,
): EstateSource {
  return {
    kind: source.kind,
    watchedSubscriptions: () => source.watchedSubscriptions(),
    health: () => source.health(),
    readEstate: async (filter) => map(await source.readEstate(filter)),
  };
}

/** Federated identity credentials read from Azure (managed identities: ARM; app registrations: Graph). */
export interface FederatedCredentialReads {
  credentials: FederatedCredential[];
  /** Parts that could not be read (`identities`); the rest is kept. */
  failures: SourceFailure[];
}

/** The federated credentials of the user-assigned managed identities of some subscriptions. */
export interface ManagedIdentityCredentials {
  read(subscriptionIds: readonly string[]): Promise<FederatedCredentialReads>;
  /** An event wrote or deleted a credential of this identity: do not reuse what was read of it. */
  invalidate(identityResourceId: string): void;
}

/** The federated credentials of app registrations that trust these issuers; throws when they cannot be read. */
export interface ApplicationCredentials {
  credentialsForIssuers(issuers: readonly string[]): Promise<FederatedCredential[]>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A page of results with the opaque token to fetch the next one. */
export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

/** The estate view row (`GET /api/clusters`): summary columns only. */
export interface PostureSummary {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  status: ClusterStatus;
  score: number;
  failingCheckIds: string[];
  /** Highest severity among failing findings, if any. */
  worstSeverity?: Severity;
  privilegedPrincipalCount: number;
  evaluatedAt: string;
  deleted?: boolean;
}

export interface HistoryEntry {
  clusterId: string;
  evaluatedAt: string;
  status: ClusterStatus;
  score: number;
  failingCheckIds: string[];
  regressions: Regression[];
  sourceEventId?: string;
  /** The cluster was deleted at `evaluatedAt` (status and score are its last known ones). */
  deleted?: boolean;
  /**
   * `catalogue-upgraded`: the first evaluation under a new check catalogue. `changes` is what
   * only the new catalogue sees; it re-baselined silently and paged nobody (docs/checks.md "Regressions").
   */
  catalogueUpgraded?: { from: number; to: number; changes: Regression[] };
}

export interface OutboxAlert {
  alert: Alert;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  channels: Partial<Record<ChannelName, ChannelState>>;
  lastError?: string;
  updatedAt: string;
  /**
   * Until when one delivery run holds the alert (`claimAlert`); absent or past means free. The
   * lease outlives any one send, so only a run that crashed mid-send leaves one to expire.
   */
  claimedUntil?: string;
}

/** The last event received from one subscription's Event Grid subscription. */
export interface EventsReceived {
  /** Lower-cased. */
  subscriptionId: string;
  /** ISO 8601. */
  lastEventAt: string;
}

/** One blob of the container Event Grid dead-letters undeliverable events to. */
export interface DeadLetterBlob {
  name: string;
  /** When the auditor processed it (absent: not yet). */
  processedAt?: string;
  /** Why it could not be processed (it is not retried; absent: processed fine or not yet). */
  error?: string;
}

/** The dead-letter container (docs/events.md "Not going blind"). */
export interface DeadLetterBox {
  /** Where it is, for messages: `eventgrid-deadletter at https://…`. */
  readonly description: string;
  list(): Promise<DeadLetterBlob[]>;
  read(name: string): Promise<string>;
  /** Record on the blob that it was processed (with `error` when it could not be). */
  markProcessed(name: string, at: Date, error?: string): Promise<void>;
}

export interface RecordResult {
  /** True when no posture was stored before: this evaluation is the baseline and pages nobody. */
  baseline: boolean;
  regressions: Regression[];
  /** Alerts written to the outbox (pending) in the same transaction as the posture. */
  alerts: Alert[];
}

export interface RecordOptions {
  sourceEventId?: string;
  minAlertSeverity?: Severity;
  /** Alerts that page without a posture change (real-time signals), written with the posture. */
  extraAlerts?: Alert[];
  linkBase?: string;
  /** Who wrote the role assignments this evaluation follows, by lower-cased grantee principal id. */
  grantedBy?: Readonly<Record<string, Caller>>;
}

/** Latest posture, history, outbox and processed events (Table Storage; docs/storage.md). */
export interface PostureStore {
  /**
   * Diff against the stored posture and write posture + history + outbox rows in one partition
   * transaction, conditional on the ETag read (re-read and re-diff on 412).
   */
  recordEvaluation(posture: ClusterPosture, options?: RecordOptions): Promise<RecordResult>;
  getPosture(clusterId: string): Promise<ClusterPosture | undefined>;
  listPostures(
    filter: { subscriptionId?: string; status?: ClusterStatus; severity?: Severity },
    page: { continuationToken?: string; pageSize?: number },
  ): Promise<Page<PostureSummary>>;
  getHistory(
    clusterId: string,
    page: { continuationToken?: string; pageSize?: number },
  ): Promise<Page<HistoryEntry>>;
  listAlerts(filter: { since?: Date; state?: OutboxAlert['state'] }): Promise<OutboxAlert[]>;
  /** Write alerts that page without a posture change (real-time signals) to the outbox. */
  enqueueAlerts(alerts: Alert[]): Promise<Alert[]>;
  /**
   * Change an outbox row (re-read and retried on a concurrent change). A `claimedUntil` key that
   * is present replaces the claim (`undefined` releases it); absent, the claim is kept.
   */
  updateAlert(clusterId: string, dedupeKey: string, update: Partial<OutboxAlert>): Promise<void>;
  /**
   * Take a pending alert for one delivery run: writes `claimedUntil = now + leaseMs` under the
   * ETag read, so of several instances that read the same row only one gets it. Returns the row
   * as claimed (re-read: its channels are current), or undefined when the alert is not pending
   * any more or another run holds an unexpired claim. An expired claim (a run that crashed
   * before recording its send) can be taken again.
   */
  claimAlert(
    clusterId: string,
    dedupeKey: string,
    leaseMs: number,
    now: Date,
  ): Promise<OutboxAlert | undefined>;
  /** Whether the event id was marked processed within the last 48 hours (a redelivery to skip). */
  isEventProcessed(eventId: string, at: Date): Promise<boolean>;
  /**
   * Mark an event processed, once everything it produced is stored (never before: a crash in
   * between must leave it to be redelivered). Returns false when it was already marked that
   * day (an earlier day's mark is not looked up again: `isEventProcessed` was asked before).
   */
  markEventProcessed(eventId: string, at: Date): Promise<boolean>;
  markClusterDeleted(clusterId: string, at: Date, sourceEventId?: string): Promise<void>;
  /** Clusters whose latest posture is stored (ids as stored), for scope → cluster routing. */
  knownClusterIds(): Promise<string[]>;
  /** The same clusters with what the event router needs of each (docs/events.md "Routing"). */
  knownClusters(): Promise<KnownClusterFacts[]>;
  /**
   * Note that events of these (lower-cased) subscriptions were received at `at`: what
   * `/api/health` and the nightly digest tell a silent event subscription by. Written at most
   * once a minute per subscription by one process.
   */
  recordEventsReceived(subscriptionIds: readonly string[], at: Date): Promise<void>;
  /** When the last event of each subscription that ever sent one was received. */
  eventsReceived(): Promise<EventsReceived[]>;
  purgeExpired(now: Date, historyDays: number): Promise<void>;
  health(): Promise<Health>;
}

/** One delivery channel; it renders the alerts itself (email HTML/text, Teams Adaptive Card). */
export interface Notifier {
  readonly channel: ChannelName;
  /**
   * `digest` = several alerts in one message (nightly run). Throws on a final failure. `signal`
   * aborts the call (the delivery run's per-call timeout): no request may start after it.
   */
  send(alerts: Alert[], options: { digest: boolean; signal?: AbortSignal }): Promise<void>;
}

export type { AlertDelivery };

/** One change to an exemption, as its history records it (who and when). */
export interface ExemptionChange {
  action: 'created' | 'updated' | 'revoked' | 'expired';
  /** Who made the change: the signed-in identity, the CLI user, or `auditor` for an expiry. */
  by: string;
  at: string;
  detail?: string;
}

export interface ExemptionHistoryEntry extends ExemptionChange {
  id: string;
}

/** Where exemptions and their history are kept (Table Storage; docs/storage.md). */
export interface ExemptionStore {
  /** Every exemption, revoked and expired ones included. */
  list(): Promise<Exemption[]>;
  get(id: string): Promise<Exemption | undefined>;
  history(id: string): Promise<ExemptionHistoryEntry[]>;
  /** A new id; refused (InputError) when the id exists already. */
  insert(exemption: Exemption, change: ExemptionChange): Promise<Exemption>;
  /** Change under the ETag: `apply` returns the new state, or undefined for no change. */
  update(
    id: string,
    apply: (current: Exemption) => { exemption: Exemption; change: ExemptionChange } | undefined,
  ): Promise<Exemption>;
}
