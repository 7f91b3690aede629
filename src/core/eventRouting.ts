/**
 * The routing table (docs/events.md "Routing"): what an event re-evaluates, or which real-time
 * signal it raises. Anything in, or naming, an unwatched subscription is refused first.
 */
import {
  asKnown,
  clusterIdFromSegments,
  eq,
  scopeShape,
  splitExtension,
  splitUntrustedResourceId,
} from './eventResourceIds';
import {
  describeValue,
  GUID,
  RESOURCE_EVENT_TYPE,
  subscriptionOf,
  type ArmEvent,
} from './eventValidation';
import type { RealTimeSignalKind } from './model';
import { scopeCovers } from './scope';

export type Route =
  | {
      kind: 'evaluate';
      /** Cluster ids to re-evaluate (known ids as stored; a new cluster as built from the subject). */
      clusterIds: string[];
      /** Lower-cased subscriptions to read. */
      subscriptionIds: string[];
      /** Set on role-assignment writes: confirmed when the evaluation finds a privilege gained. */
      signal?: Extract<RealTimeSignalKind, 'privileged-role-granted'>;
      /** Role-assignment events: the assignment's resource id (the subject). */
      roleAssignmentId?: string;
    }
  | { kind: 'evaluate-role'; roleDefinitionGuid: string; subscriptionIds: string[] }
  /** A federated credential of this managed identity was written or deleted (`core/federation`). */
  | { kind: 'evaluate-federation'; identityId: string; subscriptionIds: string[] }
  | { kind: 'deleted'; clusterId: string; subscriptionId: string }
  | { kind: 'admin-credential'; clusterId: string; subscriptionId: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; reason: string };

export interface RouteContext {
  /** Lower-cased subscription ids the auditor watches. */
  watchedSubscriptions: string[];
  /** Cluster ids as stored. */
  knownClusterIds: string[];
}
const OPERATIONS = {
  roleAssignmentWrite: 'microsoft.authorization/roleassignments/write',
  roleAssignmentDelete: 'microsoft.authorization/roleassignments/delete',
  roleDefinitionWrite: 'microsoft.authorization/roledefinitions/write',
  roleDefinitionDelete: 'microsoft.authorization/roledefinitions/delete',
  clusterWrite: 'microsoft.containerservice/managedclusters/write',
  agentPoolWrite: 'microsoft.containerservice/managedclusters/agentpools/write',
  clusterDelete: 'microsoft.containerservice/managedclusters/delete',
  adminCredential: 'microsoft.containerservice/managedclusters/listclusteradmincredential/action',
  // The older access-profile API hands out the same static cluster-admin kubeconfig (docs/access.md
  // `admin-credential`); its `clusterAdmin` profile is the same escape hatch.
  accessProfileCredential:
    'microsoft.containerservice/managedclusters/accessprofiles/listcredential/action',
  federatedCredentialWrite:
    'microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/write',
  federatedCredentialDelete:
    'microsoft.managedidentity/userassignedidentities/federatedidentitycredentials/delete',
} as const;

const EXPECTED_TYPE: Record<string, string> = {
  [OPERATIONS.roleAssignmentWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.roleAssignmentDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.roleDefinitionWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.roleDefinitionDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.clusterWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.agentPoolWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.clusterDelete]: 'microsoft.resources.resourcedeletesuccess',
  [OPERATIONS.adminCredential]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.accessProfileCredential]: 'microsoft.resources.resourceactionsuccess',
  [OPERATIONS.federatedCredentialWrite]: 'microsoft.resources.resourcewritesuccess',
  [OPERATIONS.federatedCredentialDelete]: 'microsoft.resources.resourcedeletesuccess',
};

/**
 * Every ARM operation the router acts on (lower case), with the event type that carries it:
 * the one list the deployment's Event Grid filter is generated from
 * (`infra/modules/routedOperations.json`, written by `npm run generate:infra`; a test fails when
 * the two differ). Route a new operation by adding it to EXPECTED_TYPE and the switch below.
 */
export const ROUTED_OPERATIONS: ReadonlyArray<{ operationName: string; eventType: string }> =
  Object.entries(EXPECTED_TYPE).map(([operationName, eventType]) => ({ operationName, eventType }));

function watchedKnownClusters(ctx: RouteContext, watched: ReadonlySet<string>): string[] {
  return ctx.knownClusterIds.filter((id) => {
    const s = subscriptionOf(id);
    return s !== undefined && watched.has(s);
  });
}

function uniqueSubscriptions(clusterIds: readonly string[]): string[] {
  return [
    ...new Set(
      clusterIds.map((id) => subscriptionOf(id)).filter((s): s is string => s !== undefined),
    ),
  ].sort();
}

/**
 * What an event re-evaluates (docs/events.md routing table). Operation names, types and ids compare
 * case-insensitively. Anything in, or naming, an unwatched subscription is `rejected`; events
 * that do not matter are `ignored` with the reason.
 */
export function routeEvent(event: ArmEvent, ctx: RouteContext): Route {
  const watched = new Set(ctx.watchedSubscriptions.map((s) => s.toLowerCase()));
  const type = event.type.toLowerCase();

  // The subscription check comes first: nothing about an unwatched subscription is looked at.
  const subjectSubscription = subscriptionOf(event.subject);
  for (const s of [subjectSubscription, event.subscriptionId]) {
    if (s !== undefined && !watched.has(s))
      return { kind: 'rejected', reason: `subscription ${describeValue(s)} is not watched` };
  }

  const typeMatch = RESOURCE_EVENT_TYPE.exec(type);
  if (!typeMatch)
    return {
      kind: 'ignored',
      reason: `event type ${describeValue(event.type)} is not an ARM resource event`,
    };
  if (typeMatch[2] !== 'success') {
    return {
      kind: 'ignored',
      reason: `the operation did not succeed (${event.type}); nothing changed`,
    };
  }

  const operation = event.operationName.toLowerCase();
  const expectedType = EXPECTED_TYPE[operation];
  if (!expectedType)
    return {
      kind: 'ignored',
      reason: `operation ${describeValue(event.operationName)} does not affect cluster identity posture`,
    };
  if (expectedType !== type) {
    return {
      kind: 'ignored',
      reason: `operation ${describeValue(event.operationName)} does not match event type ${describeValue(event.type)}`,
    };
  }

  const parsed = splitUntrustedResourceId(event.subject);
  if (!parsed.ok) return { kind: 'rejected', reason: `subject ${parsed.problem}` };
  const segments = parsed.segments;

  switch (operation) {
    case OPERATIONS.roleAssignmentWrite:
    case OPERATIONS.roleAssignmentDelete:
      return routeRoleAssignment(
        event,
        segments,
        operation === OPERATIONS.roleAssignmentWrite,
        ctx,
        watched,
      );
    case OPERATIONS.roleDefinitionWrite:
    case OPERATIONS.roleDefinitionDelete:
      return routeRoleDefinition(event, segments, watched);
    case OPERATIONS.federatedCredentialWrite:
    case OPERATIONS.federatedCredentialDelete:
      return routeFederatedCredential(event, segments, watched);
    case OPERATIONS.clusterWrite:
    case OPERATIONS.agentPoolWrite:
    case OPERATIONS.clusterDelete:
    case OPERATIONS.adminCredential:
    case OPERATIONS.accessProfileCredential:
      return routeCluster(event, segments, operation, ctx);
    default:
      return {
        kind: 'ignored',
        reason: `operation ${describeValue(event.operationName)} is not routed`,
      };
  }
}
function routeRoleAssignment(
  event: ArmEvent,
  segments: string[],
  isWrite: boolean,
  ctx: RouteContext,
  watched: ReadonlySet<string>,
): Route {
  const split = splitExtension(segments, 'microsoft.authorization', 'roleassignments');
  if (!split)
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} is not a role assignment id`,
    };
  const shape = scopeShape(split.scope);
  const scope = '/' + split.scope.join('/');
  let clusterIds: string[];
  if (shape.kind === 'tenant') {
    // A management group's hierarchy is not in the id: every watched cluster may be under it.
    clusterIds = watchedKnownClusters(ctx, watched);
  } else if (shape.kind === 'subscription') {
    if (!watched.has(shape.subscriptionId))
      return {
        kind: 'rejected',
        reason: `subscription ${describeValue(shape.subscriptionId)} is not watched`,
      };
    clusterIds = watchedKnownClusters(ctx, watched).filter((id) => scopeCovers(scope, id));
  } else {
    return {
      kind: 'rejected',
      reason: `role assignment scope ${describeValue(scope)} is not a tenant, management group or subscription scope`,
    };
  }
  if (clusterIds.length === 0)
    return { kind: 'ignored', reason: `no known cluster under scope ${describeValue(scope)}` };
  const route: Route = {
    kind: 'evaluate',
    clusterIds,
    subscriptionIds: uniqueSubscriptions(clusterIds),
    roleAssignmentId: event.subject,
  };
  if (isWrite) route.signal = 'privileged-role-granted';
  return route;
}

function routeRoleDefinition(
  event: ArmEvent,
  segments: string[],
  watched: ReadonlySet<string>,
): Route {
  const split = splitExtension(segments, 'microsoft.authorization', 'roledefinitions');
  if (!split)
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} is not a role definition id`,
    };
  if (!GUID.test(split.name))
    return {
      kind: 'rejected',
      reason: `role definition name ${describeValue(split.name)} is not a GUID`,
    };
  const shape = scopeShape(split.scope);
  if (shape.kind === 'unknown') {
    return {
      kind: 'rejected',
      reason: `role definition scope ${describeValue('/' + split.scope.join('/'))} is not a tenant, management group or subscription scope`,
    };
  }
  // A custom role may be assignable in any watched subscription: all of them are read.
  return {
    kind: 'evaluate-role',
    roleDefinitionGuid: split.name.toLowerCase(),
    subscriptionIds: [...watched].sort(),
  };
}

/**
 * `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{id}/federatedIdentityCredentials/{name}`:
 * which clusters it concerns is known only from the credential (its issuer, read again) and, after
 * a delete, from the stored postures; a credential may trust a cluster of any watched subscription.
 */
function routeFederatedCredential(
  event: ArmEvent,
  segments: string[],
  watched: ReadonlySet<string>,
): Route {
  if (
    segments.length !== 10 ||
    !eq(segments[0], 'subscriptions') ||
    !eq(segments[2], 'resourcegroups') ||
    !eq(segments[4], 'providers') ||
    !eq(segments[5], 'microsoft.managedidentity') ||
    !eq(segments[6], 'userassignedidentities') ||
    !eq(segments[8], 'federatedidentitycredentials')
  ) {
    return {
      kind: 'rejected',
      reason: `subject ${describeValue(event.subject)} is not a federated identity credential id`,
    };
  }
  return {
    kind: 'evaluate-federation',
    identityId: `/${segments.slice(0, 8).join('/')}`,
    subscriptionIds: [...watched].sort(),
  };
}

function routeCluster(
  event: ArmEvent,
  segments: string[],
  operation: string,
  ctx: RouteContext,
): Route {
  const clusterId = clusterIdFromSegments(segments);
  const rest = segments.slice(8).map((s) => s.toLowerCase());
  const subscriptionId = segments[1]?.toLowerCase();
  const notCluster: Route = {
    kind: 'rejected',
    reason: `subject ${describeValue(event.subject)} does not match operation ${describeValue(event.operationName)}`,
  };
  if (!clusterId || !subscriptionId) return notCluster;
  const id = asKnown(clusterId, ctx.knownClusterIds);
  switch (operation) {
    case OPERATIONS.clusterWrite:
      if (rest.length !== 0) return notCluster;
      return { kind: 'evaluate', clusterIds: [id], subscriptionIds: [subscriptionId] };
    case OPERATIONS.agentPoolWrite:
      if (rest.length !== 2 || rest[0] !== 'agentpools') return notCluster;
      return { kind: 'evaluate', clusterIds: [id], subscriptionIds: [subscriptionId] };
    case OPERATIONS.clusterDelete:
      if (rest.length !== 0) return notCluster;
      return { kind: 'deleted', clusterId: id, subscriptionId };
    case OPERATIONS.adminCredential:
      // Action events name the resource; tolerate the action appended as a last segment.
      if (rest.length > 1 || (rest.length === 1 && rest[0] !== 'listclusteradmincredential'))
        return notCluster;
      return { kind: 'admin-credential', clusterId: id, subscriptionId };
    case OPERATIONS.accessProfileCredential:
      if (rest.length < 2 || rest[0] !== 'accessprofiles') return notCluster;
      if (rest[1] !== 'clusteradmin')
        return {
          kind: 'ignored',
          reason: `access profile ${describeValue(segments[9])} is not the cluster-admin profile`,
        };
      if (rest.length > 3 || (rest.length === 3 && rest[2] !== 'listcredential')) return notCluster;
      return { kind: 'admin-credential', clusterId: id, subscriptionId };
    default:
      return {
        kind: 'ignored',
        reason: `operation ${describeValue(event.operationName)} is not routed`,
      };
  }
}
