/**
 * Handle a batch of ARM events (docs/events.md): skip ids already processed, route each event,
 * re-evaluate every affected cluster ONCE against current state (one estate read per batch —
 * or per coalescing window when a long-lived `Coalescer` is passed; see evaluateRequests.ts),
 * record the postures (the store decides regressions and writes their alerts), raise the
 * real-time signals (eventSignals.ts), and mark deleted clusters. Sending alerts is the delivery
 * loop's job (deliverPendingAlerts).
 *
 * Because every evaluation reads the current state, the result is the same whatever the order
 * or duplication of the events; within a batch a delete wins over a write of the same cluster.
 */
import type { KnownClusterFacts } from '../core/clusterFacts';
import { DependencyError, InputError } from '../core/errors';
import { routeEvent, subscriptionOf, type ArmEvent, type Route } from '../core/events';
import type { Alert, RealTimeSignal, Regression } from '../core/model';
import { atLeast } from '../core/report';
import { normaliseScope } from '../core/scope';
import {
  evaluateRequests,
  type EvaluatedCluster,
  type EvaluationCoalescer,
  type EvaluationDeps,
  type EvaluationRequest,
  type EvaluationResult,
} from './evaluateRequests';
import {
  describeUnread,
  markProcessed,
  messageOf,
  subscriptionsNeeded,
  unreadSubscriptions,
} from './eventProcessing';
import { raisePrivilegedRoleGranted, raiseSignal } from './eventSignals';

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

export interface HandleEventsDeps extends EvaluationDeps {
  /**
   * Where the watched subscriptions and the known clusters come from (default: read both per
   * call). A runtime shares one read among concurrent invocations (`shareConcurrentCalls`).
   */
  routingContext?: () => Promise<RoutingContext>;
  /**
   * A long-lived coalescer (see `createEvaluationCoalescer`) shared by concurrent invocations
   * (the Functions trigger hands one event per invocation). Absent: the batch is its own window.
   */
  coalescer?: EvaluationCoalescer;
}

const key = (id: string) => normaliseScope(id);

/** What routing an event needs to know: the subscriptions watched and the clusters stored. */
export interface RoutingContext {
  watchedSubscriptions: string[];
  /** The stored clusters with what routing needs of each (core/clusterFacts). */
  knownClusters: KnownClusterFacts[];
}

export async function readRoutingContext(
  deps: Pick<HandleEventsDeps, 'source' | 'store'>,
): Promise<RoutingContext> {
  const [watchedSubscriptions, knownClusters] = await Promise.all([
    deps.source.watchedSubscriptions(),
    deps.store.knownClusters(),
  ]);
  return { watchedSubscriptions, knownClusters };
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

export interface Routed {
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
  const context = await (deps.routingContext ?? (() => readRoutingContext(deps)))();
  const watchedSubscriptions = context.watchedSubscriptions.map((s) => s.toLowerCase());
  const { knownClusters } = context;
  const knownClusterIds = knownClusters.map((c) => c.id);

  await noteEventsReceived(events, watchedSubscriptions, deps, now, log);

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
    const route = routeEvent(event, { watchedSubscriptions, knownClusterIds, knownClusters });
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
    } else if (route.kind === 'signal') {
      // The page says how the cluster stands NOW (local accounts, Entra): it is evaluated too.
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

  const signalAlerts: Alert[] = [];
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
      case 'signal': {
        const current = evaluation?.clusters.get(key(route.clusterId));
        if (current) describeEvaluated(result, [current]);
        const raised = await raiseSignal(event, route, current?.posture, deps, now);
        result.reason = raised.reason;
        if (raised.kind === 'ignored') {
          result.outcome = 'ignored';
          break;
        }
        result.signals.push(raised.signal);
        // Reported always; paged at the configured minimum severity, like regressions.
        if (atLeast(raised.alert.severity, deps.minAlertSeverity ?? 'high'))
          signalAlerts.push(raised.alert);
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

  if (signalAlerts.length) await deps.store.enqueueAlerts(signalAlerts);

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

function describeEvaluated(result: EventResult, evaluated: EvaluatedCluster[]): void {
  for (const { posture, recorded } of evaluated) {
    if (!result.clusters.includes(posture.id)) result.clusters.push(posture.id);
    for (const regression of recorded.regressions)
      result.regressions.push({ clusterId: posture.id, ...regression });
  }
}

/**
 * Every event received (duplicates and ignored ones too) shows its watched subscription's
 * Event Grid subscription is delivering (docs/events.md "Not going blind"). Observability, not
 * the event's work: a failure is logged, never thrown.
 */
async function noteEventsReceived(
  events: ArmEvent[],
  watchedSubscriptions: string[],
  deps: HandleEventsDeps,
  now: Date,
  log: (line: string) => void,
): Promise<void> {
  const watched = new Set(watchedSubscriptions);
  const subscriptions = new Set<string>();
  for (const event of events) {
    const s = (event.subscriptionId ?? subscriptionOf(event.subject))?.toLowerCase();
    if (s && watched.has(s)) subscriptions.add(s);
  }
  if (subscriptions.size === 0) return;
  try {
    await deps.store.recordEventsReceived([...subscriptions], now);
  } catch (error) {
    log(`events: could not note the last event received: ${messageOf(error)}`);
  }
}
