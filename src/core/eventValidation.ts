/**
 * Validation of one ARM event (docs/events.md "Validation and bad input"): the adapter deserialised
 * it with the SDK; here every field is checked and cleaned into an `ArmEvent`, or refused with one
 * line naming the event id and the problem.
 */
import { InputError } from './errors';
import type { Caller } from './model';

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
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const RESOURCE_EVENT_TYPE =
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
