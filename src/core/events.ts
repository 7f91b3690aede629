/**
 * ARM events (docs/events.md): the validated form of one Event Grid / CloudEvents delivery from a
 * `Microsoft.Resources.Subscriptions` system topic, and the routing table that decides what it
 * re-evaluates. Pure: the adapter deserialises with the SDK and hands an envelope in.
 *
 * Everything in an event is sender-controlled (the local webhook is reachable by anyone holding
 * the function key), so routing refuses anything outside the watched subscriptions and parses
 * the resource ids it routes on strictly, segment by segment.
 */
export * from './eventValidation';
export * from './eventResourceIds';
export * from './eventRouting';
export * from './eventResolution';
