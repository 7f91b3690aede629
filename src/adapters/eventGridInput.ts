/**
 * Event Grid input (docs/events.md): turns what Event Grid delivers — a webhook body (one event or a
 * batch, Event Grid schema or CloudEvents 1.0) or the one event the Functions trigger hands over
 * — into validated `ArmEvent`s. `@azure/eventgrid`'s deserialiser checks the envelope; it is run
 * on each element separately because it throws on the first bad element of an array, and one
 * malformed event must not cost the rest of its batch.
 */
import {
  EventGridDeserializer,
  isSystemEvent,
  type CloudEvent,
  type EventGridEvent,
} from '@azure/eventgrid';
import { errorMessage, InputError } from '../core/errors';
import {
  BadEventError,
  describeValue,
  usableEventId,
  validateArmEvent,
  type ArmEvent,
  type EventEnvelope,
} from '../core/events';

export interface RejectedEvent {
  /** The event's id when it had a usable one. */
  id?: string;
  reason: string;
}

export interface ParsedBatch {
  events: ArmEvent[];
  rejected: RejectedEvent[];
  /** Present when the batch is Event Grid's subscription validation handshake. */
  validation?: { validationCode: string };
}

const VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';
/** The code is echoed back in the response: only what Event Grid actually sends (a GUID-like token). */
const VALIDATION_CODE = /^[A-Za-z0-9-]{1,128}$/;
/** Event Grid delivers at most 5,000 events per batch (and 1 MB); more is not a delivery. */
const MAX_BATCH = 5000;

const deserializer = new EventGridDeserializer();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Element =
  | { kind: 'event'; event: ArmEvent }
  | { kind: 'validation'; validationCode: string }
  | { kind: 'rejected'; rejected: RejectedEvent };

/**
 * The reason is the problem alone when the id is usable (callers print `event {id} rejected:
 * {reason}`); otherwise it says what the id was, quoted, so a hostile id cannot forge a line.
 */
function reject(raw: unknown, problem: string): Element {
  const id = isRecord(raw) ? usableEventId(raw.id) : undefined;
  if (id) return { kind: 'rejected', rejected: { id, reason: problem } };
  const shown =
    isRecord(raw) && raw.id !== undefined ? `unusable id ${describeValue(raw.id)}` : 'no id';
  return { kind: 'rejected', rejected: { reason: `(${shown}) ${problem}` } };
}

/** One element of a delivery: schema detection, SDK deserialisation, then domain validation. */
async function parseElement(raw: unknown, index: number): Promise<Element> {
  if (!isRecord(raw)) return reject(raw, `element ${index} is not a JSON object`);
  try {
    if (raw.specversion !== undefined) {
      const [cloudEvent] = await deserializer.deserializeCloudEvents(raw);
      return { kind: 'event', event: validateArmEvent(cloudEnvelope(cloudEvent, raw)) };
    }
    if (raw.eventType !== undefined) {
      const [gridEvent] = await deserializer.deserializeEventGridEvents(raw);
      if (isSystemEvent(VALIDATION_EVENT, gridEvent)) {
        const code = gridEvent.data?.validationCode;
        if (typeof code !== 'string' || !VALIDATION_CODE.test(code)) {
          return reject(
            raw,
            `subscription validation event has no usable validationCode (${describeValue(code)})`,
          );
        }
        return { kind: 'validation', validationCode: code };
      }
      return { kind: 'event', event: validateArmEvent(gridEnvelope(gridEvent, raw)) };
    }
    return reject(
      raw,
      'neither the Event Grid schema (eventType) nor CloudEvents 1.0 (specversion)',
    );
  } catch (error) {
    if (error instanceof BadEventError) return reject(raw, error.problem);
    // The SDK throws TypeError/Error for envelope problems ("event is missing required property 'subject'").
    return reject(raw, errorMessage(error));
  }
}

/**
 * `data` is taken as sent: the SDK's mapper turns a string `data` into an object of characters,
 * which would hide a malformed event; binary CloudEvents data (`data_base64`) is passed on as the
 * SDK decoded it, to be refused by validation.
 */
function dataOf(deserialized: unknown, raw: Record<string, unknown>): unknown {
  return raw.data !== undefined ? raw.data : deserialized;
}

function gridEnvelope(event: EventGridEvent<unknown>, raw: Record<string, unknown>): EventEnvelope {
  return {
    id: event.id,
    schema: 'eventgrid',
    type: event.eventType,
    // As sent (the SDK checked it is a string): an unparseable time is then named in the reason.
    time: raw.eventTime ?? event.eventTime,
    subject: event.subject,
    source: event.topic,
    data: dataOf(event.data, raw),
  };
}

function cloudEnvelope(event: CloudEvent<unknown>, raw: Record<string, unknown>): EventEnvelope {
  return {
    id: event.id,
    schema: 'cloudevents',
    type: event.type,
    time: raw.time ?? event.time,
    subject: event.subject,
    source: event.source,
    data: dataOf(event.data, raw),
  };
}

/**
 * A webhook body: one event or an array, either schema (even mixed). Malformed elements are
 * returned in `rejected` with a reason naming the event id; the others are parsed. A body that
 * is not an event or an array at all is an InputError (the webhook answers 400).
 */
export async function parseEventBatch(body: unknown): Promise<ParsedBatch> {
  let value = body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(`the event batch is not JSON: ${errorMessage(error)}`);
    }
  }
  if (!Array.isArray(value) && !isRecord(value)) {
    throw new InputError(
      `the event batch must be an event object or an array of events, got ${describeValue(value)}`,
    );
  }
  const elements: unknown[] = Array.isArray(value) ? value : [value];
  if (elements.length > MAX_BATCH) {
    throw new InputError(
      `the event batch holds ${elements.length} events; Event Grid delivers at most ${MAX_BATCH}`,
    );
  }
  const batch: ParsedBatch = { events: [], rejected: [] };
  const seen = new Set<string>();
  for (let i = 0; i < elements.length; i++) {
    const element = await parseElement(elements[i], i);
    if (element.kind === 'validation') {
      batch.validation ??= { validationCode: element.validationCode };
    } else if (element.kind === 'rejected') {
      batch.rejected.push(element.rejected);
    } else if (!seen.has(element.event.id)) {
      // The same id twice in one delivery is one event (the store dedupes across deliveries).
      seen.add(element.event.id);
      batch.events.push(element.event);
    }
  }
  return batch;
}

/**
 * The Functions `app.eventGrid` trigger: one event, already JSON-parsed by the host (Event Grid
 * schema, `eventTime` as a string, or CloudEvents). The host answers the validation handshake
 * itself, so a validation event here is refused. Throws InputError naming the id and problem.
 */
export async function parseFunctionTriggerEvent(event: unknown): Promise<ArmEvent> {
  if (Array.isArray(event))
    throw new InputError('the Event Grid trigger hands one event, got an array');
  const element = await parseElement(event, 0);
  if (element.kind === 'event') return element.event;
  if (element.kind === 'validation') {
    throw new InputError(
      'a subscription validation event reached the trigger; the Functions host answers the handshake',
    );
  }
  const { id, reason } = element.rejected;
  throw new InputError(id ? `event ${id}: ${reason}` : `event ${reason}`, 'BadEvent');
}
