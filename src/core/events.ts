/**
 * ARM events (docs/events.md): the validated form of one Event Grid / CloudEvents delivery from a
 * `Microsoft.Resources.Subscriptions` system topic, and the routing table that decides what it
 * re-evaluates. Pure: the adapter deserialises with the SDK and hands an envelope in.
 *
 * Everything in an event is sender-controlled (the local webhook is reachable by anyone holding
 * the function key), so routing refuses anything outside the watched subscriptions and parses
 * the resource ids it routes on strictly, segment by segment.
 */
import { buildAccessIndex } from './access';
import { InputError } from './errors';
import type { Caller, Estate, RealTimeSignalKind } from './model';
import { normaliseScope, scopeCovers } from './scope';

export type EventSchema = 'eventgrid' | 'cloudevents';

/** `authorization.evidence`: the role assignment that allowed the CALLER (not the one being written). */
export interface ArmEventEvidence {
  role?: string;
  roleAssignmentScope?: string;
  roleAssignmentId?: string;
  roleDefinitionId?: string;
  principalId?: string;
  principalType?: string;
}

export interface ArmEvent {
  id: string;
  schema: EventSchema;
  /** e.g. `Microsoft.Resources.ResourceWriteSuccess`. */
  type: string;
  /** ISO 8601. */
  time: string;
  /** The target resource id, as sent. */
  subject: string;
  /** `data.operationName`, as sent ('' for event types that carry none). */
  operationName: string;
  status?: string;
  /** Lower-cased subscription named by the event outside its subject (topic/source, data), if any. */
  subscriptionId?: string;
  caller: Caller;
  evidence?: ArmEventEvidence;
}

/** What the adapter hands over after the SDK deserialised one element of a batch. */
export interface EventEnvelope {
  id: unknown;
  schema: EventSchema;
  type: unknown;
  time: unknown;
  subject: unknown;
  /** Event Grid `topic` / CloudEvents `source`. */
  source: unknown;
  data: unknown;
}

const MAX_ID = 256;
const MAX_SUBJECT = 2048;
const MAX_TEXT = 256;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const CONTROL_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RESOURCE_EVENT_TYPE =
  /^microsoft\.resources\.resource(write|delete|action)(success|failure|cancel)$/i;

export const CLAIM = {
  upnUri: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  nameUri: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  objectIdUri: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
} as const;

/** A sender-controlled value, quoted and cut short, safe to put in one log line. */
export function describeValue(value: unknown, max = 80): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text =
      typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The event id when it is usable as one (for log lines and dedupe), else undefined. */
export function usableEventId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_ID || CONTROL.test(trimmed)) return undefined;
  return trimmed;
}

/** A claim or request field: strings only, control characters removed, bounded. */
function cleanText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value.replace(CONTROL_GLOBAL, '').trim();
  if (cleaned.length === 0) return undefined;
  return cleaned.length > MAX_TEXT ? cleaned.slice(0, MAX_TEXT) : cleaned;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

/** A malformed event: the message names the id and the problem; both are kept apart too. */
export class BadEventError extends InputError {
  constructor(
    readonly eventId: string | undefined,
    readonly problem: string,
    shownId: string = eventId ?? '(no id)',
  ) {
    super(`event ${shownId}: ${problem}`, 'BadEvent');
    this.name = 'BadEventError';
  }
}

function fail(id: string, problem: string): never {
  throw new BadEventError(id, problem);
}

/** The subscription segment of `/subscriptions/{id}/…`, lower-cased, or undefined. */
export function subscriptionOf(resourceId: string): string | undefined {
  const match = /^\/*subscriptions\/+([^/]+)/i.exec(resourceId.trim());
  return match ? match[1].toLowerCase() : undefined;
}

/** Who did it: name/upn, object id, app id and client IP; never a token (claims hold none we keep). */
export function callerFrom(data: Record<string, unknown>): Caller {
  const claims = isRecord(data.claims) ? data.claims : {};
  const http = isRecord(data.httpRequest) ? data.httpRequest : {};
  const caller: Caller = {};
  const name =
    cleanText(claims[CLAIM.upnUri]) ??
    cleanText(claims.upn) ??
    cleanText(claims[CLAIM.nameUri]) ??
    cleanText(claims.name) ??
    cleanText(claims.unique_name);
  const objectId = cleanText(claims[CLAIM.objectIdUri]) ?? cleanText(claims.oid);
  const appId = cleanText(claims.appid) ?? cleanText(claims.azp);
  const ipAddress = cleanText(http.clientIpAddress);
  if (name) caller.name = name;
  if (objectId) caller.objectId = objectId;
  if (appId) caller.appId = appId;
  if (ipAddress) caller.ipAddress = ipAddress;
  return caller;
}

function evidenceFrom(data: Record<string, unknown>): ArmEventEvidence | undefined {
  const authorization = isRecord(data.authorization) ? data.authorization : undefined;
  const raw =
    authorization && isRecord(authorization.evidence) ? authorization.evidence : undefined;
  if (!raw) return undefined;
  const evidence: ArmEventEvidence = {};
  for (const key of [
    'role',
    'roleAssignmentScope',
    'roleAssignmentId',
    'roleDefinitionId',
    'principalId',
    'principalType',
  ] as const) {
    const value = cleanText(raw[key]);
    if (value) evidence[key] = value;
  }
  return Object.keys(evidence).length ? evidence : undefined;
}

function timeOf(id: string, value: unknown): string {
  if (value === undefined || value === null || value === '') fail(id, 'time is missing');
  // The SDK has already turned the time string into a Date (an Invalid Date when unparseable).
  const date =
    value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()))
    fail(
      id,
      `time ${value instanceof Date ? '(unparseable)' : describeValue(value)} is not a valid date`,
    );
  return date.toISOString();
}

/**
 * Validate one deserialised event into an `ArmEvent`. Throws InputError naming the event id and
 * the problem. Events that are not ARM resource events are accepted here (they route to
 * `ignored`); ARM resource events must carry an operation name, and every subscription the event
 * names (subject, topic/source, `data.subscriptionId`, `data.resourceUri`) must be the same one,
 * so a sender cannot pass the watched-subscription check with one field and aim with another.
 */
export function validateArmEvent(envelope: EventEnvelope): ArmEvent {
  const id = usableEventId(envelope.id);
  if (!id) {
    throw new BadEventError(
      undefined,
      `id must be a non-empty string of at most ${MAX_ID} characters without control characters`,
      describeValue(envelope.id),
    );
  }
  if (
    typeof envelope.type !== 'string' ||
    envelope.type.trim() === '' ||
    envelope.type.length > MAX_TEXT ||
    CONTROL.test(envelope.type)
  ) {
    fail(id, `type ${describeValue(envelope.type)} is not a valid event type`);
  }
  const type = envelope.type.trim();
  const time = timeOf(id, envelope.time);
  if (typeof envelope.subject !== 'string' || envelope.subject.trim() === '')
    fail(id, 'subject (the target resource id) is missing');
  const subject = envelope.subject.trim();
  if (subject.length > MAX_SUBJECT || CONTROL.test(subject))
    fail(id, `subject ${describeValue(subject)} is not a resource id`);

  const isResourceEvent = RESOURCE_EVENT_TYPE.test(type);
  if (envelope.data !== undefined && envelope.data !== null && !isRecord(envelope.data)) {
    fail(
      id,
      `data must be a JSON object, got ${envelope.data instanceof Uint8Array ? 'binary data' : describeValue(envelope.data)}`,
    );
  }
  const data: Record<string, unknown> = isRecord(envelope.data) ? envelope.data : {};
  if (isResourceEvent && !isRecord(envelope.data)) fail(id, `data is missing for ${type}`);

  let operationName = '';
  if (isResourceEvent) {
    if (
      typeof data.operationName !== 'string' ||
      data.operationName.trim() === '' ||
      data.operationName.length > MAX_TEXT ||
      CONTROL.test(data.operationName)
    ) {
      fail(
        id,
        `data.operationName ${describeValue(data.operationName)} is missing or not an operation name`,
      );
    }
    operationName = data.operationName.trim();
  }

  // Every subscription the event names must agree with the subject's.
  const named: Array<[string, string]> = [];
  const subjectSubscription = subscriptionOf(subject);
  if (subjectSubscription) named.push(['subject', subjectSubscription]);
  if (typeof envelope.source === 'string') {
    const s = subscriptionOf(envelope.source);
    if (s) named.push([envelope.schema === 'cloudevents' ? 'source' : 'topic', s]);
  }
  if (
    data.subscriptionId !== undefined &&
    data.subscriptionId !== null &&
    data.subscriptionId !== ''
  ) {
    if (typeof data.subscriptionId !== 'string')
      fail(id, `data.subscriptionId ${describeValue(data.subscriptionId)} is not a string`);
    named.push(['data.subscriptionId', data.subscriptionId.trim().toLowerCase()]);
  }
  if (typeof data.resourceUri === 'string') {
    const s = subscriptionOf(data.resourceUri);
    if (s) named.push(['data.resourceUri', s]);
  }
  const subscriptionId = named[0]?.[1];
  for (const [field, value] of named) {
    if (value !== subscriptionId) {
      fail(
        id,
        `${named[0][0]} names subscription ${describeValue(subscriptionId)} but ${field} names ${describeValue(value)}`,
      );
    }
  }

  const event: ArmEvent = {
    id,
    schema: envelope.schema,
    type,
    time,
    subject,
    operationName,
    caller: callerFrom(data),
  };
  const status = cleanText(data.status);
  if (status) event.status = status;
  if (subscriptionId) event.subscriptionId = subscriptionId;
  const evidence = evidenceFrom(data);
  if (evidence) event.evidence = evidence;
  return event;
}

// ---------------------------------------------------------------------------------------------
// Routing (docs/events.md "Routing")
// ---------------------------------------------------------------------------------------------

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

// Whole segments of a resource id we route on: Azure names of subscriptions, resource groups,
// clusters, management groups and role assignments use only these characters. Anything else
// (`%2F`, `..`, `\`, `?`, blanks) is not a real ARM id and is refused rather than interpreted.
const SEGMENT = /^[\p{L}\p{N}_\-.()]+$/u;

type Parsed = { ok: true; segments: string[] } | { ok: false; problem: string };

/** Strictly split a resource id into segments; refuses empty, `.`/`..` and odd characters. */
export function splitUntrustedResourceId(id: string): Parsed {
  if (!id.startsWith('/'))
    return { ok: false, problem: `${describeValue(id)} does not start with '/'` };
  const body = id.endsWith('/') && id.length > 1 ? id.slice(1, -1) : id.slice(1);
  if (body === '') return { ok: true, segments: [] };
  const segments = body.split('/');
  for (const segment of segments) {
    if (segment === '')
      return { ok: false, problem: `${describeValue(id)} has an empty path segment` };
    if (segment === '.' || segment === '..')
      return {
        ok: false,
        problem: `${describeValue(id)} has a relative path segment '${segment}'`,
      };
    if (!SEGMENT.test(segment))
      return {
        ok: false,
        problem: `${describeValue(id)} has a path segment with characters no Azure resource id uses`,
      };
  }
  return { ok: true, segments };
}

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b;

/** The canonical managed-cluster id of `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/n[/…]`. */
function clusterIdFromSegments(segments: string[]): string | undefined {
  if (
    segments.length >= 8 &&
    eq(segments[0], 'subscriptions') &&
    eq(segments[2], 'resourcegroups') &&
    eq(segments[4], 'providers') &&
    eq(segments[5], 'microsoft.containerservice') &&
    eq(segments[6], 'managedclusters')
  ) {
    return `/subscriptions/${segments[1].toLowerCase()}/resourceGroups/${segments[3]}/providers/Microsoft.ContainerService/managedClusters/${segments[7]}`;
  }
  return undefined;
}

/** The parts of a managed-cluster id (for alerts about clusters the store may not know). */
export function untrustedClusterIdParts(
  clusterId: string,
): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const parsed = splitUntrustedResourceId(clusterId);
  if (!parsed.ok || parsed.segments.length !== 8) return undefined;
  const canonical = clusterIdFromSegments(parsed.segments);
  if (!canonical) return undefined;
  return {
    subscriptionId: parsed.segments[1].toLowerCase(),
    resourceGroup: parsed.segments[3],
    name: parsed.segments[7],
  };
}

/** A known id spelt as stored when one matches case-insensitively, else the given one. */
function asKnown(clusterId: string, known: readonly string[]): string {
  const key = normaliseScope(clusterId);
  return known.find((k) => normaliseScope(k) === key) ?? clusterId;
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

function splitExtension(
  segments: string[],
  namespace: string,
  type: string,
): { scope: string[]; name: string } | undefined {
  const n = segments.length;
  if (
    n < 4 ||
    !eq(segments[n - 4], 'providers') ||
    !eq(segments[n - 3], namespace) ||
    !eq(segments[n - 2], type)
  )
    return undefined;
  return { scope: segments.slice(0, n - 4), name: segments[n - 1] };
}

type ScopeShape =
  { kind: 'tenant' } | { kind: 'subscription'; subscriptionId: string } | { kind: 'unknown' };

function scopeShape(scope: string[]): ScopeShape {
  if (scope.length === 0) return { kind: 'tenant' };
  if (
    scope.length === 4 &&
    eq(scope[0], 'providers') &&
    eq(scope[1], 'microsoft.management') &&
    eq(scope[2], 'managementgroups')
  ) {
    return { kind: 'tenant' };
  }
  if (scope.length >= 2 && eq(scope[0], 'subscriptions'))
    return { kind: 'subscription', subscriptionId: scope[1].toLowerCase() };
  return { kind: 'unknown' };
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

// ---------------------------------------------------------------------------------------------
// Resolution against the current estate (for routes the event alone cannot resolve)
// ---------------------------------------------------------------------------------------------

/**
 * Clusters that have an assignment of a role (docs/events.md: a role definition changed): an
 * assignment over the cluster (same scope rules as the access checks), or one held by the
 * cluster's own kubelet or control-plane identity at any scope (their least-privilege checks).
 */
export function clustersWithRole(estate: Estate, roleDefinitionGuid: string): string[] {
  const guid = roleDefinitionGuid.toLowerCase();
  const index = buildAccessIndex(estate);
  const matches: string[] = [];
  for (const cluster of estate.clusters) {
    const access = index.forCluster(cluster);
    const identities = [
      cluster.kubeletIdentity?.objectId,
      cluster.identity?.principalId,
      ...(cluster.identity?.userAssignedIdentities ?? []).map((u) => u.principalId),
    ].filter((p): p is string => typeof p === 'string' && p !== '');
    const overCluster =
      access.assignments.some((a) => a.assignment.roleDefinitionGuid.toLowerCase() === guid) ||
      access.unresolved.some((a) => a.roleDefinitionGuid.toLowerCase() === guid);
    const heldByIdentity = identities.some((p) =>
      index
        .assignmentsOfPrincipal(p)
        .some((a) => a.assignment.roleDefinitionGuid.toLowerCase() === guid),
    );
    if (overCluster || heldByIdentity) matches.push(cluster.id);
  }
  return matches;
}

/**
 * The principal a role assignment (by resource id) was granted to, from the current estate.
 * The event does not say: its `authorization.evidence` is the caller's own assignment.
 */
export function assignmentPrincipal(estate: Estate, roleAssignmentId: string): string | undefined {
  const wanted = normaliseScope(roleAssignmentId);
  const name = wanted.slice(wanted.lastIndexOf('/') + 1);
  const exact = estate.roleAssignments.find((a) => normaliseScope(a.id) === wanted);
  const match =
    exact ??
    (GUID.test(name)
      ? estate.roleAssignments.find(
          (a) => normaliseScope(a.id).endsWith(`/${name}`) || a.id.toLowerCase() === name,
        )
      : undefined);
  return match?.principalId;
}
