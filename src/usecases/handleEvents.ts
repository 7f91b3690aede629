/**
 * Handle a batch of ARM events (docs/events.md): skip ids already processed, route each event,
 * re-evaluate every affected cluster ONCE against current state (one estate read per batch —
 * or per coalescing window when a long-lived `Coalescer` is passed), record the postures (the
 * store decides regressions and writes their alerts), raise the real-time signals, and mark
 * deleted clusters. Sending alerts is the caller's next step (deliverPendingAlerts).
 *
 * Because every evaluation reads the current state, the result is the same whatever the order
 * or duplication of the events; within a batch a delete wins over a write of the same cluster.
 */
import type { Exemption } from '../core/exemptions';
import { clusterLink, dedupeKey } from '../core/alerts';
import { checkById, PLACEHOLDER_CLUSTER } from '../core/checks';
import { DependencyError, InputError } from '../core/errors';
import {
  assignmentPrincipal,
  untrustedClusterIdParts,
  clustersWithRole,
  routeEvent,
  subscriptionOf,
  type ArmEvent,
  type Route,
} from '../core/events';
import type {
  Alert,
  Caller,
  ClusterPosture,
  Estate,
  RealTimeSignal,
  Regression,
  Severity,
  SourceFailure,
} from '../core/model';
import type { Clock, EstateSource, PostureStore, RecordResult } from '../core/ports';
import { normaliseScope } from '../core/scope';
import { recordUnreadableClusters } from './audit';
import { Coalescer, type CoalescerOptions } from './coalescer';
import { clustersOfFederations } from './federatedCredentials';

export type EventOutcome = 'evaluated' | 'ignored' | 'duplicate' | 'rejected';

/** A regression found while handling the event, with the cluster it is about. */
export type EventRegression = Regression & { clusterId: string };

/** One element of the `event` command's output (docs/contracts.md). */
export interface EventResult {
  id: string;
  type: string;
  operationName: string;
  subject: string;
  outcome: EventOutcome;
  reason: string;
  /** Cluster ids re-evaluated because of this event. */
  clusters: string[];
  signals: RealTimeSignal[];
  regressions: EventRegression[];
}

export type EvaluateFn = (
  estate: Estate,
  options: { now: Date; clusterIds?: string[]; exemptions?: readonly Exemption[] },
) => ClusterPosture[];

export interface HandleEventsDeps {
  source: EstateSource;
  store: PostureStore;
  /** The real one is `evaluateEstate` (core/evaluate). */
  evaluate: EvaluateFn;
  /** Active exemptions, applied to every evaluation (absent: none). */
  exemptions?: () => Promise<Exemption[]>;
  clock: Clock;
  log?: (line: string) => void;
  minAlertSeverity?: Severity;
  /** Base URL of the HTTP API, for links in alerts. */
  linkBase?: string;
  /**
   * A long-lived coalescer (see `createEvaluationCoalescer`) shared by concurrent invocations
   * (the Functions trigger hands one event per invocation). Absent: the batch is its own window.
   */
  coalescer?: EvaluationCoalescer;
}

/** What one caller asks the coalesced evaluation for. */
export interface EvaluationRequest {
  /** Clusters to re-evaluate, with the event that asked for each. */
  clusters: Array<{ clusterId: string; eventId: string }>;
  /** Lower-cased subscriptions to read. */
  subscriptionIds: string[];
  /** Role definitions whose clusters must be found in the estate (reads every watched subscription). */
  roles: Array<{ roleDefinitionGuid: string; eventId: string }>;
  /** Role assignments written (privileged-role-granted): whose grantee to look up, and who wrote them. */
  grants: Array<{ roleAssignmentId: string; caller: Caller }>;
  /** Managed identities whose federated credentials changed (reads every watched subscription). */
  federations?: Array<{ identityId: string; eventId: string }>;
  /** Clusters never to evaluate in this request (deleted in the same batch). */
  excludedClusterIds: string[];
  /** Lower-cased watched subscriptions: nothing outside them is evaluated. */
  watchedSubscriptions: string[];
}

export interface EvaluatedCluster {
  posture: ClusterPosture;
  recorded: RecordResult;
}

/** The result of one window's evaluation, shared by every request of the window. */
export interface EvaluationResult {
  /** By normalised cluster id. */
  clusters: Map<string, EvaluatedCluster>;
  /** Role guid (or normalised managed-identity id, for federated-credential events) → normalised ids of its clusters. */
  roleClusters: Map<string, string[]>;
  /** Normalised role-assignment id → grantee principal id, when found in the estate. */
  grantees: Map<string, string>;
  failures: SourceFailure[];
}

/** What the use case needs of a coalescer (a `Coalescer<EvaluationRequest, EvaluationResult>`). */
export interface EvaluationCoalescer {
  submit(...requests: EvaluationRequest[]): Promise<EvaluationResult>;
}

type EvaluationDeps = Pick<
  HandleEventsDeps,
  'source' | 'store' | 'evaluate' | 'clock' | 'log' | 'minAlertSeverity' | 'linkBase' | 'exemptions'
>;

const key = (id: string) => normaliseScope(id);

/** A coalescer of evaluations for a runtime to keep across invocations (default window 1500 ms). */
export function createEvaluationCoalescer(
  deps: EvaluationDeps,
  options: CoalescerOptions = {},
): Coalescer<EvaluationRequest, EvaluationResult> {
  return new Coalescer((requests) => evaluateRequests(deps, requests), options);
}

/**
 * Read the estate once for every request of a window, resolve role routes against it, evaluate
 * each affected cluster once, record each posture once.
 */
export async function evaluateRequests(
  deps: EvaluationDeps,
  requests: EvaluationRequest[],
): Promise<EvaluationResult> {
  const now = deps.clock.now();
  const watched = new Set(
    requests.flatMap((r) => r.watchedSubscriptions.map((s) => s.toLowerCase())),
  );
  const excluded = new Set(requests.flatMap((r) => r.excludedClusterIds.map(key)));
  const federations = requests.flatMap((r) => r.federations ?? []);
  const needsEveryWatched = requests.some((r) => r.roles.length > 0) || federations.length > 0;
  const subscriptionIds = [
    ...new Set(requests.flatMap((r) => r.subscriptionIds.map((s) => s.toLowerCase()))),
  ]
    .filter((s) => watched.has(s))
    .sort();
  const result: EvaluationResult = {
    clusters: new Map(),
    roleClusters: new Map(),
    grantees: new Map(),
    failures: [],
  };
  if (!needsEveryWatched && subscriptionIds.length === 0) return result;

  const changedIdentities =
    federations.length > 0 ? { changedIdentities: federations.map((f) => f.identityId) } : {};
  const estate = await deps.source.readEstate({
    subscriptionIds: needsEveryWatched ? [...watched].sort() : subscriptionIds,
    ...changedIdentities,
  });
  result.failures = estate.failures;
  for (const failure of estate.failures) {
    deps.log?.(
      `source: could not read ${failure.part} of subscription ${failure.subscriptionId}: ${failure.message}`,
    );
  }

  // Who wrote the grant a principal gained by: stored on its alert, in the posture's transaction.
  const grantedBy: Record<string, Caller> = {};
  // Which event asked for each cluster first: recorded as the evaluation's source event.
  const wanted = new Map<string, { clusterId: string; eventId: string }>();
  const want = (clusterId: string, eventId: string) => {
    const k = key(clusterId);
    const s = subscriptionOf(clusterId);
    if (excluded.has(k) || s === undefined || !watched.has(s) || wanted.has(k)) return;
    wanted.set(k, { clusterId, eventId });
  };
  for (const request of requests) for (const c of request.clusters) want(c.clusterId, c.eventId);
  for (const request of requests) {
    for (const role of request.roles) {
      const ids = clustersWithRole(estate, role.roleDefinitionGuid);
      result.roleClusters.set(
        role.roleDefinitionGuid,
        ids.map(key).filter((k) => !excluded.has(k)),
      );
      for (const id of ids) want(id, role.eventId);
    }
    for (const grant of request.grants) {
      const principal = assignmentPrincipal(estate, grant.roleAssignmentId);
      if (!principal) continue;
      result.grantees.set(key(grant.roleAssignmentId), principal);
      grantedBy[principal.toLowerCase()] ??= grant.caller;
    }
  }
  for (const { identityId, eventId, clusterIds } of federations.length
    ? await clustersOfFederations(deps.store, estate, federations)
    : []) {
    result.roleClusters.set(
      key(identityId),
      clusterIds.map(key).filter((k) => !excluded.has(k)),
    );
    for (const id of clusterIds) want(id, eventId);
  }
  if (wanted.size === 0) return result;

  const exemptions = deps.exemptions ? await deps.exemptions() : [];
  const postures = deps.evaluate(estate, {
    now,
    clusterIds: [...wanted.values()].map((w) => w.clusterId),
    exemptions,
  });
  for (const posture of postures) {
    const k = key(posture.id);
    const asked = wanted.get(k);
    if (!asked || result.clusters.has(k)) continue;
    const recorded = await deps.store.recordEvaluation(posture, {
      sourceEventId: asked.eventId,
      minAlertSeverity: deps.minAlertSeverity,
      linkBase: deps.linkBase,
      grantedBy,
    });
    posture.regressions = recorded.regressions;
    result.clusters.set(k, { posture, recorded });
  }

  // Known clusters of a subscription whose listing failed turn `error` instead of staying stale.
  const missing = [...wanted.entries()].filter(([k]) => !result.clusters.has(k));
  if (missing.length > 0 && estate.failures.length > 0) {
    const unreadable = await recordUnreadableClusters(
      {
        store: deps.store,
        clock: deps.clock,
        minAlertSeverity: deps.minAlertSeverity,
        linkBase: deps.linkBase,
      },
      estate.failures,
      postures,
      {
        clusterIds: missing.map(([, asked]) => asked.clusterId),
        sourceEventId: missing[0][1].eventId,
      },
    );
    for (const posture of unreadable) {
      const k = key(posture.id);
      if (!wanted.has(k)) continue;
      result.clusters.set(k, {
        posture,
        recorded: { baseline: false, regressions: posture.regressions ?? [], alerts: [] },
      });
    }
  }
  return result;
}

function emptyResult(event: ArmEvent): EventResult {
  return {
    id: event.id,
    type: event.type,
    operationName: event.operationName,
    subject: event.subject,
    outcome: 'evaluated',
    reason: '',
    clusters: [],
    signals: [],
    regressions: [],
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface Routed {
  event: ArmEvent;
  result: EventResult;
  route: Exclude<Route, { kind: 'ignored' } | { kind: 'rejected' }>;
}

export async function handleArmEvents(
  events: ArmEvent[],
  deps: HandleEventsDeps,
): Promise<EventResult[]> {
  if (events.length === 0) return [];
  const now = deps.clock.now();
  const log = deps.log ?? (() => undefined);
  const watchedSubscriptions = (await deps.source.watchedSubscriptions()).map((s) =>
    s.toLowerCase(),
  );
  const knownClusterIds = await deps.store.knownClusterIds();

  const results: EventResult[] = [];
  const routed: Routed[] = [];
  const inBatch = new Set<string>();
  for (const event of events) {
    const result = emptyResult(event);
    results.push(result);
    // Marked processed only once what it produced is stored (below): a crash before that
    // leaves it unmarked, and Event Grid's redelivery produces the page (once: dedupe keys).
    if (inBatch.has(event.id) || (await deps.store.isEventProcessed(event.id, now))) {
      result.outcome = 'duplicate';
      result.reason = 'already processed (at-least-once delivery)';
      continue;
    }
    inBatch.add(event.id);
    const route = routeEvent(event, { watchedSubscriptions, knownClusterIds });
    if (route.kind === 'ignored' || route.kind === 'rejected') {
      result.outcome = route.kind;
      result.reason = route.reason;
      continue;
    }
    routed.push({ event, result, route });
  }

  const known = new Set(knownClusterIds.map(key));
  const request: EvaluationRequest = {
    clusters: [],
    subscriptionIds: [],
    roles: [],
    grants: [],
    excludedClusterIds: [],
    watchedSubscriptions,
  };
  for (const { event, route } of routed) {
    if (route.kind === 'evaluate') {
      for (const clusterId of route.clusterIds)
        request.clusters.push({ clusterId, eventId: event.id });
      request.subscriptionIds.push(...route.subscriptionIds);
      if (route.signal && route.roleAssignmentId)
        request.grants.push({ roleAssignmentId: route.roleAssignmentId, caller: event.caller });
    } else if (route.kind === 'evaluate-role') {
      request.roles.push({ roleDefinitionGuid: route.roleDefinitionGuid, eventId: event.id });
    } else if (route.kind === 'evaluate-federation') {
      (request.federations ??= []).push({ identityId: route.identityId, eventId: event.id });
    } else if (route.kind === 'admin-credential') {
      // The page says whether local accounts are enabled NOW: the cluster is evaluated too.
      request.clusters.push({ clusterId: route.clusterId, eventId: event.id });
      request.subscriptionIds.push(route.subscriptionId);
    } else if (known.has(key(route.clusterId))) {
      // A delete is confirmed by reading the cluster (gone = absent from its subscription's
      // current state); a cluster that is still there is evaluated instead.
      request.clusters.push({ clusterId: route.clusterId, eventId: event.id });
      request.subscriptionIds.push(route.subscriptionId);
    }
  }

  let evaluation: EvaluationResult | undefined;
  let failure: unknown;
  const needsEvaluation =
    request.clusters.length > 0 ||
    request.roles.length > 0 ||
    (request.federations ?? []).length > 0;
  if (needsEvaluation) {
    try {
      evaluation = deps.coalescer
        ? await deps.coalescer.submit(request)
        : await evaluateRequests(deps, [request]);
    } catch (error) {
      failure = error;
    }
  }

  const adminAlerts: Alert[] = [];
  const unreadForDeletes = unreadSubscriptions(evaluation?.failures ?? []);
  for (const { event, result, route } of routed) {
    switch (route.kind) {
      case 'deleted':
        if (!known.has(key(route.clusterId))) {
          result.outcome = 'ignored';
          result.reason = `cluster ${route.clusterId} is not among the audited clusters (never audited, or already marked deleted)`;
        } else {
          await confirmDelete(event, route, result, evaluation, unreadForDeletes, deps, now);
        }
        break;
      case 'admin-credential': {
        const current = evaluation?.clusters.get(key(route.clusterId));
        if (current) describeEvaluated(result, [current]);
        const localAccountsEnabled = await localAccountsState(
          deps.store,
          route.clusterId,
          current?.posture,
        );
        const signal: RealTimeSignal = {
          signal: 'admin-credential-retrieved',
          clusterId: current?.posture.id ?? route.clusterId,
          caller: event.caller,
          eventId: event.id,
          eventTime: event.time,
        };
        if (localAccountsEnabled !== undefined) signal.localAccountsEnabled = localAccountsEnabled;
        result.signals.push(signal);
        adminAlerts.push(adminCredentialAlert(event, signal, current?.posture, deps, now));
        result.reason = `cluster-admin credential retrieved by ${callerText(event.caller)}; paging at critical`;
        break;
      }
      case 'evaluate':
      case 'evaluate-role':
      case 'evaluate-federation': {
        if (!evaluation) break;
        const keys =
          route.kind === 'evaluate'
            ? route.clusterIds.map(key)
            : (evaluation.roleClusters.get(
                route.kind === 'evaluate-role' ? route.roleDefinitionGuid : key(route.identityId),
              ) ?? []);
        const evaluated = keys
          .map((k) => evaluation.clusters.get(k))
          .filter((c): c is EvaluatedCluster => c !== undefined);
        describeEvaluated(result, evaluated);
        if (route.kind !== 'evaluate') {
          const what =
            route.kind === 'evaluate-role'
              ? `an assignment of role definition ${route.roleDefinitionGuid}`
              : `an issuer a federated credential of ${route.identityId} trusts (or trusted)`;
          if (keys.length === 0) {
            result.outcome = 'ignored';
            result.reason = `no cluster has ${what}`;
          } else {
            result.reason = `re-evaluated ${plural(evaluated.length, 'cluster')} with ${what}`;
          }
          break;
        }
        const notFound = keys.length - evaluated.length;
        result.reason =
          `re-evaluated ${plural(evaluated.length, 'cluster')}` +
          (notFound
            ? `; ${plural(notFound, 'cluster')} not found in the current state (deleted, or not yet visible)`
            : '');
        if (route.signal === 'privileged-role-granted' && route.roleAssignmentId) {
          const grantee = evaluation.grantees.get(key(route.roleAssignmentId));
          raisePrivilegedRoleGranted(event, result, evaluated, grantee);
        }
        break;
      }
    }
  }

  if (adminAlerts.length) await deps.store.enqueueAlerts(adminAlerts);

  const counts = { evaluated: 0, ignored: 0, duplicate: 0, rejected: 0 };
  for (const result of results) counts[result.outcome]++;
  log(
    `events: ${counts.evaluated} handled, ${counts.ignored} ignored, ${counts.duplicate} duplicate, ${counts.rejected} rejected; ` +
      `${plural(evaluation?.clusters.size ?? 0, 'cluster')} re-evaluated`,
  );

  if (failure !== undefined) {
    // Signals and deletes above were recorded, and their events count as processed. An outage
    // is retried by Event Grid: the events that wanted the evaluation stay unmarked, so their
    // redelivery is evaluated rather than skipped as a duplicate.
    const ids = routed.filter((r) => r.route.kind.startsWith('evaluate')).map((r) => r.event.id);
    const message = `re-evaluation for event(s) ${ids.join(', ') || routed.map((r) => r.event.id).join(', ')} failed: ${messageOf(failure)}`;
    log(message);
    if (failure instanceof InputError) throw failure;
    const unevaluated = routed.filter(
      (r) => subscriptionsNeeded(r.route, watchedSubscriptions).length > 0,
    );
    await markProcessed(deps.store, routed, unevaluated, now, messageOf(failure), log);
    if (failure instanceof DependencyError) throw failure;
    throw new DependencyError(message, 'source');
  }

  // A subscription whose clusters or role assignments could not be read (ARM throttling past
  // the retries, 5xx) leaves its clusters `error`: an event about them was not really
  // evaluated — a new Owner grant would go unnoticed until the nightly audit.
  const unread = unreadSubscriptions(evaluation?.failures ?? []);
  const unevaluated = routed.filter((r) =>
    subscriptionsNeeded(r.route, watchedSubscriptions).some(
      (s) => unread.has(s) || unread.has('*'),
    ),
  );
  const why = describeUnread(
    evaluation?.failures ?? [],
    new Set(unevaluated.flatMap((r) => subscriptionsNeeded(r.route, watchedSubscriptions))),
  );
  await markProcessed(deps.store, routed, unevaluated, now, why, log);
  if (unevaluated.length > 0) {
    throw new DependencyError(
      `event(s) ${unevaluated.map((r) => r.event.id).join(', ')} could not be evaluated: ${why}`,
      'source',
    );
  }
  return results;
}

/** Lower-cased subscriptions whose data an event's evaluation needs (none for a delete). */
function subscriptionsNeeded(route: Routed['route'], watchedSubscriptions: string[]): string[] {
  switch (route.kind) {
    case 'evaluate':
      return route.clusterIds.length > 0 ? route.subscriptionIds.map((s) => s.toLowerCase()) : [];
    case 'evaluate-role':
    case 'evaluate-federation':
      return watchedSubscriptions;
    case 'admin-credential':
      return [route.subscriptionId.toLowerCase()];
    case 'deleted':
      // Confirming the delete reads the cluster's subscription.
      return [route.subscriptionId.toLowerCase()];
  }
}

/**
 * A cluster delete (docs/events.md): marked deleted only when the read confirms the cluster is
 * gone, and not when the event is older than the stored evaluation (a late delivery must not
 * hide a cluster evaluated since, e.g. re-created under the same name). The evaluation read
 * failing leaves the event for its redelivery (the caller throws).
 */
async function confirmDelete(
  event: ArmEvent,
  route: Extract<Routed['route'], { kind: 'deleted' }>,
  result: EventResult,
  evaluation: EvaluationResult | undefined,
  unread: Set<string>,
  deps: HandleEventsDeps,
  now: Date,
): Promise<void> {
  const current = evaluation?.clusters.get(key(route.clusterId));
  if (current) {
    describeEvaluated(result, [current]);
    result.outcome = 'ignored';
    result.reason = `cluster ${route.clusterId} still exists (read now): the delete is not confirmed, the cluster was re-evaluated`;
    return;
  }
  if (!evaluation || unread.has(route.subscriptionId.toLowerCase()) || unread.has('*')) {
    result.reason = `cluster ${route.clusterId} could not be read to confirm the delete`;
    return;
  }
  const stored = await deps.store.getPosture(route.clusterId);
  const eventTime = Date.parse(event.time);
  if (stored && !Number.isNaN(eventTime) && Date.parse(stored.evaluatedAt) > eventTime) {
    result.outcome = 'ignored';
    result.reason = `the delete (${event.time}) is older than the stored evaluation of ${route.clusterId} (${stored.evaluatedAt}); not marked deleted`;
    return;
  }
  await deps.store.markClusterDeleted(route.clusterId, now, event.id);
  result.reason = `cluster ${route.clusterId} is gone (read now): marked deleted; its history is kept`;
}

/** Parts an evaluation cannot do without: an event needing them is not evaluated without them. */
const ESSENTIAL_PARTS: ReadonlySet<SourceFailure['part']> = new Set([
  'clusters',
  'roleAssignments',
]);

/** Lower-cased subscriptions (`*` = all) whose clusters or role assignments could not be read. */
function unreadSubscriptions(failures: SourceFailure[]): Set<string> {
  return new Set(
    failures.filter((f) => ESSENTIAL_PARTS.has(f.part)).map((f) => f.subscriptionId.toLowerCase()),
  );
}

function describeUnread(failures: SourceFailure[], subscriptions: Set<string>): string {
  const relevant = failures.filter(
    (f) =>
      ESSENTIAL_PARTS.has(f.part) &&
      (f.subscriptionId === '*' || subscriptions.has(f.subscriptionId.toLowerCase())),
  );
  return [
    ...new Set(
      relevant.map(
        (f) =>
          `the ${f.part === 'clusters' ? 'clusters' : 'role assignments'} of subscription ${f.subscriptionId} could not be read: ${f.message}`,
      ),
    ),
  ].join('; ');
}

/**
 * Mark the events whose products (posture, history, alert rows, signals, deletion) are stored,
 * now that they are: a crash before this point leaves them unmarked and their redelivery is
 * processed again, which pages at most once (the alert rows are keyed by dedupe key). Events
 * that could not be evaluated stay unmarked for Event Grid to redeliver. A failed mark is
 * logged, not thrown: the work is done, and a redelivery only repeats it harmlessly.
 */
async function markProcessed(
  store: PostureStore,
  routed: Routed[],
  unevaluated: Routed[],
  at: Date,
  why: string,
  log: (line: string) => void,
): Promise<void> {
  const skipped = new Set(unevaluated.map((r) => r.event.id));
  for (const { event } of unevaluated)
    log(
      `event ${event.id}: not evaluated (${why}); left unprocessed so that its redelivery is evaluated`,
    );
  for (const { event } of routed) {
    if (skipped.has(event.id)) continue;
    try {
      await store.markEventProcessed(event.id, at);
    } catch (error) {
      log(
        `event ${event.id}: processed, but could not be marked so (${messageOf(error)}); a redelivery will be processed again without paging twice`,
      );
    }
  }
}

function describeEvaluated(result: EventResult, evaluated: EvaluatedCluster[]): void {
  for (const { posture, recorded } of evaluated) {
    if (!result.clusters.includes(posture.id)) result.clusters.push(posture.id);
    for (const regression of recorded.regressions)
      result.regressions.push({ clusterId: posture.id, ...regression });
  }
}

/**
 * `privileged-role-granted` is the privilege-gained regression a role-assignment write caused.
 * It pages ONCE: the store wrote the regression's alert with who granted it (`grantedBy`), in
 * the posture's transaction; here the signal is only reported.
 */
function raisePrivilegedRoleGranted(
  event: ArmEvent,
  result: EventResult,
  evaluated: EvaluatedCluster[],
  grantee: string | undefined,
): void {
  for (const { posture, recorded } of evaluated) {
    const gained = recorded.regressions.some(
      (r) =>
        r.kind === 'privilege-gained' &&
        (grantee === undefined || (r.principalId ?? '').toLowerCase() === grantee.toLowerCase()),
    );
    if (!gained) continue;
    result.signals.push({
      signal: 'privileged-role-granted',
      clusterId: posture.id,
      caller: event.caller,
      eventId: event.id,
      eventTime: event.time,
    });
  }
}

/** Whether local accounts are enabled: per the current posture, else the stored one, else unknown. */
async function localAccountsState(
  store: PostureStore,
  clusterId: string,
  current: ClusterPosture | undefined,
): Promise<boolean | undefined> {
  const fromPosture = (posture: ClusterPosture | undefined) => {
    const status = posture?.findings.find((f) => f.checkId === 'local-accounts-disabled')?.status;
    return status === 'fail' ? true : status === 'pass' ? false : undefined;
  };
  const now = fromPosture(current);
  if (now !== undefined) return now;
  try {
    return fromPosture(await store.getPosture(clusterId));
  } catch {
    return undefined;
  }
}

function callerText(caller: Caller): string {
  const who =
    caller.name ??
    (caller.appId ? `application ${caller.appId}` : undefined) ??
    (caller.objectId ? `object ${caller.objectId}` : 'an unknown caller');
  const ids = [
    caller.objectId && caller.name ? `object id ${caller.objectId}` : undefined,
    caller.appId && caller.name ? `app id ${caller.appId}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return ids ? `${who} (${ids})` : who;
}

function adminCredentialAlert(
  event: ArmEvent,
  signal: RealTimeSignal,
  posture: ClusterPosture | undefined,
  deps: Pick<HandleEventsDeps, 'linkBase'>,
  now: Date,
): Alert {
  const parts = untrustedClusterIdParts(signal.clusterId);
  const name = posture?.name ?? parts?.name ?? signal.clusterId;
  const resourceGroup = posture?.resourceGroup ?? parts?.resourceGroup ?? '';
  const subscriptionId =
    posture?.subscriptionId ?? parts?.subscriptionId ?? subscriptionOf(signal.clusterId) ?? '';
  const check = checkById('admin-credential-access');
  const remediation = check
    ? check.remediation({
        ...PLACEHOLDER_CLUSTER,
        id: signal.clusterId,
        name,
        resourceGroup,
        subscriptionId,
      })
    : `az aks update --resource-group ${resourceGroup} --name ${name} --disable-local-accounts`;
  const before =
    signal.localAccountsEnabled === true
      ? 'local accounts are enabled: the static cluster-admin kubeconfig bypasses Entra ID, RBAC and audit'
      : signal.localAccountsEnabled === false
        ? 'local accounts are disabled per the latest posture (the fetch happened before they were disabled, or the posture is stale)'
        : 'whether local accounts are enabled is unknown (the cluster has not been evaluated)';
  const from = event.caller.ipAddress ? ` from ${event.caller.ipAddress}` : '';
  const alert: Alert = {
    // The event id as the third part: every fetch pages, and a redelivery of one fetch does not.
    dedupeKey: dedupeKey(signal.clusterId, 'admin-credential-retrieved', event.id),
    clusterId: signal.clusterId,
    clusterName: name,
    subscriptionId,
    resourceGroup,
    severity: 'critical',
    kind: 'admin-credential-retrieved',
    checkId: 'admin-credential-access',
    title: `Cluster-admin credentials of ${name} were retrieved`,
    before,
    after: `${callerText(event.caller)} fetched the cluster-admin kubeconfig${from} at ${event.time} (event ${event.id})`,
    caller: event.caller,
    remediation,
    createdAt: now.toISOString(),
  };
  const link = clusterLink(deps.linkBase, { subscriptionId, resourceGroup, name });
  if (link) alert.link = link;
  return alert;
}
