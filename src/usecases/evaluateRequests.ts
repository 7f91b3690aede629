/**
 * The coalesced evaluation behind event handling (docs/events.md): read the estate once for every
 * request of a window, resolve role and federated-credential routes against it, evaluate each
 * affected cluster once and record each posture once (the store decides regressions and writes
 * their alerts under the posture's ETag).
 */
import type { Exemption } from '../core/exemptions';
import { assignmentPrincipal, clustersWithRole, subscriptionOf } from '../core/events';
import type { Caller, ClusterPosture, Estate, Severity, SourceFailure } from '../core/model';
import type { Clock, EstateSource, PostureStore, RecordResult } from '../core/ports';
import { normaliseScope } from '../core/scope';
import { recordUnreadableClusters } from './audit';
import { Coalescer, type CoalescerOptions } from './coalescer';
import { clustersOfFederations } from './federatedCredentials';

export type EvaluateFn = (
  estate: Estate,
  options: {
    now: Date;
    clusterIds?: string[];
    exemptions?: readonly Exemption[];
    approvedAdmins?: readonly string[];
  },
) => ClusterPosture[];

/** What an evaluation needs (a subset of `HandleEventsDeps`). */
export interface EvaluationDeps {
  source: EstateSource;
  store: PostureStore;
  /** The real one is `evaluateEstate` (core/evaluate). */
  evaluate: EvaluateFn;
  /** Active exemptions, applied to every evaluation (absent: none). */
  exemptions?: () => Promise<Exemption[]>;
  /** `AUDIT_APPROVED_ADMINS`: object ids approved to hold cluster-admin paths. */
  approvedAdmins?: readonly string[];
  clock: Clock;
  log?: (line: string) => void;
  minAlertSeverity?: Severity;
  /** Base URL of the HTTP API, for links in alerts. */
  linkBase?: string;
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
    approvedAdmins: deps.approvedAdmins,
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
