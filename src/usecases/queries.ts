/**
 * What the on-call HTTP API answers (docs/contracts.md "HTTP API"), one function per route. Query
 * values are validated here (never passed raw to a store filter); the HTTP triggers only map
 * requests in and results out.
 */
import {
  clusterIdFromSegments,
  parseClusterStatus,
  parseIsoTime,
  parsePageSize,
  parseSeverity,
} from '../core/azureNames';
import { InputError, NotFoundError } from '../core/errors';
import type { Caller, Capability, ClusterPosture, PrincipalAccess } from '../core/model';
import type {
  DeadLetterBox,
  Health,
  HistoryEntry,
  OutboxAlert,
  PostureStore,
  PostureSummary,
} from '../core/ports';
import { runAudit, type AuditDeps } from './audit';
import {
  deadLetterHealth,
  eventsHealth,
  type DeadLetterHealth,
  type EventsHealth,
} from './blindSpots';
import { describePrincipal, namesOf } from '../core/principals';

/** Query parameters as the HTTP layer hands them over (first value of each name). */
export type QueryValues = Record<string, string | undefined>;

export interface ClusterSegments {
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
}

/** `code` is the Functions key parameter: present on every keyed call, never ours to refuse. */
const ALWAYS_ALLOWED = ['code'];

export function checkQuery(query: QueryValues, allowed: string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name) && !ALWAYS_ALLOWED.includes(name)) {
      const known = allowed.length ? allowed.join(', ') : 'none';
      throw new InputError(
        `unknown query parameter ${JSON.stringify(name.slice(0, 40))} (accepted: ${known})`,
      );
    }
  }
}

export function clusterIdOf(segments: ClusterSegments): string {
  return clusterIdFromSegments(
    segments.subscriptionId,
    segments.resourceGroup,
    segments.clusterName,
  );
}

export interface ClusterList {
  clusters: PostureSummary[];
  continuationToken?: string;
}

export async function listClusters(store: PostureStore, query: QueryValues): Promise<ClusterList> {
  checkQuery(query, ['subscriptionId', 'status', 'severity', 'pageSize', 'continuationToken']);
  const filter = {
    subscriptionId:
      query.subscriptionId !== undefined ? clusterSubscription(query.subscriptionId) : undefined,
    status: query.status !== undefined ? parseClusterStatus(query.status, 'status') : undefined,
    severity: query.severity !== undefined ? parseSeverity(query.severity, 'severity') : undefined,
  };
  const page = await store.listPostures(filter, {
    pageSize: query.pageSize !== undefined ? parsePageSize(query.pageSize, 'pageSize') : 100,
    continuationToken: query.continuationToken,
  });
  return { clusters: page.items, continuationToken: page.continuationToken };
}

function clusterSubscription(value: string): string {
  // Reuse the path validation so the filter accepts exactly what a path segment accepts.
  return clusterIdFromSegments(value, 'x', 'x').split('/')[2];
}

export async function getCluster(
  store: PostureStore,
  segments: ClusterSegments,
  query: QueryValues = {},
): Promise<ClusterPosture> {
  checkQuery(query, []);
  const id = clusterIdOf(segments);
  const posture = await store.getPosture(id);
  if (!posture) throw new NotFoundError(`no posture is stored for cluster ${id}`);
  return posture;
}

export interface ClusterHistory {
  clusterId: string;
  history: HistoryEntry[];
  continuationToken?: string;
}

export async function getClusterHistory(
  store: PostureStore,
  segments: ClusterSegments,
  query: QueryValues,
): Promise<ClusterHistory> {
  checkQuery(query, ['pageSize', 'continuationToken']);
  // Every value is checked before the store is asked anything (400 wins over 404).
  const pageSize = query.pageSize !== undefined ? parsePageSize(query.pageSize, 'pageSize') : 50;
  const posture = await getCluster(store, segments);
  const page = await store.getHistory(posture.id, {
    pageSize,
    continuationToken: query.continuationToken,
  });
  return { clusterId: posture.id, history: page.items, continuationToken: page.continuationToken };
}

export interface PrincipalCapabilities {
  principalId: string;
  principalType: string;
  displayName?: string;
  userPrincipalName?: string;
  deleted?: boolean;
  /** The principal in words, id beside the name (`core/principals` `describePrincipal`). */
  description: string;
  capabilities: Capability[];
  /** Approved to hold cluster-admin paths: an admin group (or a member), `AUDIT_APPROVED_ADMINS`. */
  approved?: boolean;
  /** An active exemption names the principal (for the checks that list it). */
  exempted?: boolean;
  /** Each role assignment the capabilities come through, and how it is held. */
  grants: Array<
    Pick<
      PrincipalAccess,
      'roleName' | 'roleDefinitionId' | 'scope' | 'capabilities' | 'eligible' | 'condition'
    >
  >;
}

/**
 * One service account's reach into Azure (`workload-identity-federation`): the identity it can
 * act as through a federated credential, and that identity's role assignments.
 */
export interface FederatedReach {
  serviceAccount: string;
  identity: {
    principalId: string;
    displayName?: string;
    federatedIdentity?: string;
    description: string;
  };
  grants: Array<Pick<PrincipalAccess, 'roleName' | 'roleDefinitionId' | 'scope' | 'capabilities'>>;
}

export interface ClusterAccessView {
  clusterId: string;
  evaluatedAt: string;
  localAccountsEnabled: boolean | 'unknown';
  principals: PrincipalCapabilities[];
  /** The cluster's blast radius into Azure: service account → identity → role at scope. */
  reachIntoAzure: FederatedReach[];
}

/** Who holds which privileged capability over the cluster, grouped by principal. */
export async function getClusterAccess(
  store: PostureStore,
  segments: ClusterSegments,
  query: QueryValues = {},
): Promise<ClusterAccessView> {
  checkQuery(query, []);
  const posture = await getCluster(store, segments);
  return accessView(posture);
}

export function accessView(posture: ClusterPosture): ClusterAccessView {
  // How each principal is held, as the access checks marked it (approved, exempted).
  const approved = new Set<string>();
  const exempted = new Set<string>();
  for (const finding of posture.findings) {
    for (const p of finding.principals ?? []) {
      if (p.approved === true) approved.add(p.principalId.toLowerCase());
      if (p.exempted === true) exempted.add(p.principalId.toLowerCase());
    }
  }
  const byPrincipal = new Map<string, PrincipalCapabilities>();
  for (const grant of posture.privilegedPrincipals) {
    const key = grant.principalId.toLowerCase();
    let entry = byPrincipal.get(key);
    if (!entry) {
      entry = {
        principalId: grant.principalId,
        principalType: grant.principalType,
        ...namesOf(grant),
        description: '',
        capabilities: [],
        grants: [],
      };
      if (approved.has(key)) entry.approved = true;
      if (exempted.has(key)) entry.exempted = true;
      byPrincipal.set(key, entry);
    }
    // A name given by any grant of the principal is its name (the export may name only some).
    if (entry.displayName === undefined && grant.displayName !== undefined)
      entry.displayName = grant.displayName;
    if (entry.userPrincipalName === undefined && grant.userPrincipalName !== undefined)
      entry.userPrincipalName = grant.userPrincipalName;
    entry.grants.push({
      roleName: grant.roleName,
      roleDefinitionId: grant.roleDefinitionId,
      scope: grant.scope,
      capabilities: grant.capabilities,
      ...(grant.eligible === true ? { eligible: true as const } : {}),
      ...(grant.condition !== undefined ? { condition: grant.condition } : {}),
    });
    for (const capability of grant.capabilities) {
      if (!entry.capabilities.includes(capability)) entry.capabilities.push(capability);
    }
  }
  const localAccounts = posture.findings.find((f) => f.checkId === 'local-accounts-disabled');
  return {
    clusterId: posture.id,
    evaluatedAt: posture.evaluatedAt,
    localAccountsEnabled:
      localAccounts?.status === 'fail'
        ? true
        : localAccounts?.status === 'pass'
          ? false
          : 'unknown',
    principals: [...byPrincipal.values()]
      .map((entry) => ({ ...entry, description: describePrincipal(entry) }))
      .sort((a, b) => a.principalId.localeCompare(b.principalId)),
    reachIntoAzure: reachIntoAzure(posture),
  };
}

/** `workload-identity-federation`'s grants, by service account and identity. */
function reachIntoAzure(posture: ClusterPosture): FederatedReach[] {
  const finding = posture.findings.find((f) => f.checkId === 'workload-identity-federation');
  const byAccount = new Map<string, FederatedReach>();
  for (const grant of finding?.principals ?? []) {
    for (const serviceAccount of grant.serviceAccounts ?? []) {
      const key = `${serviceAccount}|${grant.principalId.toLowerCase()}`;
      let entry = byAccount.get(key);
      if (!entry) {
        const identity: FederatedReach['identity'] = {
          principalId: grant.principalId,
          ...namesOf(grant),
          description: describePrincipal(grant),
        };
        delete (identity as { members?: unknown }).members;
        if (grant.federatedIdentity) identity.federatedIdentity = grant.federatedIdentity;
        entry = { serviceAccount, identity, grants: [] };
        byAccount.set(key, entry);
      }
      entry.grants.push({
        roleName: grant.roleName,
        roleDefinitionId: grant.roleDefinitionId,
        scope: grant.scope,
        capabilities: grant.capabilities,
      });
    }
  }
  return [...byAccount.values()].sort((a, b) => a.serviceAccount.localeCompare(b.serviceAccount));
}

export interface RegressionView {
  clusterId: string;
  clusterName: string;
  subscriptionId: string;
  resourceGroup: string;
  dedupeKey: string;
  kind: OutboxAlert['alert']['kind'];
  checkId: string;
  severity: OutboxAlert['alert']['severity'];
  title: string;
  before: string;
  after: string;
  principalId?: string;
  /** The principal's name, when the alert carries it. */
  principalName?: string;
  /** Who acted, for a real-time signal (a credential fetch, a role grant). */
  caller?: Caller;
  detectedAt: string;
  delivery: {
    state: OutboxAlert['state'];
    attempts: number;
    channels: OutboxAlert['channels'];
    lastError?: string;
  };
}

/** Recent regressions (those that page, i.e. at or above ALERT_MIN_SEVERITY) with their delivery state. */
export async function listRegressions(
  store: PostureStore,
  query: QueryValues,
  now: Date,
): Promise<{ since: string; regressions: RegressionView[] }> {
  checkQuery(query, ['since']);
  const since =
    query.since !== undefined
      ? parseIsoTime(query.since, 'since')
      : new Date(now.getTime() - 7 * 24 * 3600 * 1000);
  const alerts = await store.listAlerts({ since });
  const regressions = alerts
    .map((row): RegressionView => ({
      clusterId: row.alert.clusterId,
      clusterName: row.alert.clusterName,
      subscriptionId: row.alert.subscriptionId,
      resourceGroup: row.alert.resourceGroup,
      dedupeKey: row.alert.dedupeKey,
      kind: row.alert.kind,
      checkId: row.alert.checkId,
      severity: row.alert.severity,
      title: row.alert.title,
      before: row.alert.before,
      after: row.alert.after,
      principalId: row.alert.principal?.principalId,
      principalName: (row.alert.principal as { displayName?: string } | undefined)?.displayName,
      caller: row.alert.caller,
      detectedAt: row.alert.createdAt,
      delivery: {
        state: row.state,
        attempts: row.attempts,
        channels: row.channels,
        lastError: row.lastError,
      },
    }))
    .sort((a, b) => b.detectedAt.localeCompare(a.detectedAt));
  return { since: since.toISOString(), regressions };
}

/** Re-evaluate one cluster now from live (or snapshot) state, record it, deliver its alerts. */
export async function evaluateClusterNow(
  deps: AuditDeps & { store: PostureStore },
  segments: ClusterSegments,
  query: QueryValues = {},
): Promise<ClusterPosture> {
  checkQuery(query, []);
  const id = clusterIdOf(segments);
  const subscriptionId = id.split('/')[2];
  const watched = await deps.source.watchedSubscriptions();
  if (!watched.includes(subscriptionId)) {
    throw new NotFoundError(`subscription ${subscriptionId} is not watched by this auditor`);
  }
  // Recorded, not delivered: the answer comes once the outbox rows are stored, and the delivery
  // loop (the deliverAlerts timer in Azure, the local host's loop) sends them within a minute, so
  // a slow or hanging channel never holds the caller (docs/architecture.md, delivery).
  const { report } = await runAudit(
    { ...deps, notifiers: undefined },
    { subscriptionIds: [subscriptionId], clusterIds: [id], digest: false },
  );
  const posture = report.clusters.find((c) => c.id.toLowerCase() === id.toLowerCase());
  if (!posture)
    throw new NotFoundError(`cluster ${id} was not found in subscription ${subscriptionId}`);
  return posture;
}

/** A setting that could not be used and what it switched off (an alert channel, or links). */
export interface DisabledByConfiguration {
  disables: string;
  setting: string;
  message: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  store: Health;
  source: Health & { kind: string };
  /** Channel settings that could not be used; any entry makes the status `degraded`. */
  disabled: DisabledByConfiguration[];
  /** When the last event was received, per watched subscription (docs/events.md "Not going blind"). */
  events: EventsHealth;
  /** The dead letters read back from Event Grid's container; one not usable makes it `degraded`. */
  deadLetters: DeadLetterHealth;
}

export interface HealthOptions {
  deadLetters?: DeadLetterBox;
  now?: Date;
  /** Event delivery is set up (in Azure): a subscription that never sent an event is silent. */
  expectEvents?: boolean;
}

export async function checkHealth(
  store: PostureStore,
  source: AuditDeps['source'],
  disabled: readonly DisabledByConfiguration[] = [],
  options: HealthOptions = {},
): Promise<HealthReport> {
  const [storeHealth, sourceHealth, events, deadLetters] = await Promise.all([
    store.health().catch((e: Error) => ({ ok: false, detail: e.message })),
    source.health().catch((e: Error) => ({ ok: false, detail: e.message })),
    eventsHealth({ store, source }, options.now ?? new Date(), options.expectEvents ?? false),
    deadLetterHealth(options.deadLetters),
  ]);
  return {
    // A channel that cannot page is the auditor failing its promise: not ok, though it runs.
    status:
      storeHealth.ok && sourceHealth.ok && disabled.length === 0 && deadLetters.ok
        ? 'ok'
        : 'degraded',
    store: storeHealth,
    source: { ...sourceHealth, kind: source.kind },
    disabled: disabled.map(({ disables, setting, message }) => ({ disables, setting, message })),
    events,
    deadLetters,
  };
}
