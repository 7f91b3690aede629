/**
 * Keys and property layout for Table Storage (docs/storage.md): keys may not contain `/ \ # ?` or
 * control characters and are at most 1 KiB (512 UTF-16 characters, which Azurite enforces);
 * string properties are at most 64 KiB (32K UTF-16 characters); an entity is at most 1 MiB and
 * a transaction body at most 4 MiB. Everything here is reversible or keeps the original value
 * as a property: never lossy, never truncated.
 */
import { createHash, randomBytes } from 'crypto';
import { gunzipSync, gzipSync } from 'zlib';

/** Azure: 1 KiB of UTF-16; Azurite rejects keys longer than 512 characters. */
export const MAX_KEY_LENGTH = 512;
const FORBIDDEN_IN_KEY = /[\u0000-\u001f\u007f-\u009f/\\#?]/;

/** Reversible: base64url of the UTF-8 bytes (only `A-Z a-z 0-9 - _`, all valid in keys). */
export function encodeKeyPart(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** The inverse of {@link encodeKeyPart}; undefined when `key` is not such an encoding. */
export function decodeKeyPart(key: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(key)) return undefined;
  const value = Buffer.from(key, 'base64url').toString('utf8');
  return encodeKeyPart(value) === key ? value : undefined;
}

/** A digest used when the reversible form would be too long; `.` never occurs in base64url, so the forms cannot collide. */
function digestKey(value: string): string {
  return `.${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
}

/** `prefix` + the reversible encoding of `value`, or + a digest when that would not fit in a key. */
export function keyFor(prefix: string, value: string): string {
  const encoded = `${prefix}${encodeKeyPart(value)}`;
  return encoded.length <= MAX_KEY_LENGTH ? encoded : `${prefix}${digestKey(value)}`;
}

export function isValidKey(key: string): boolean {
  return (
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= MAX_KEY_LENGTH &&
    !FORBIDDEN_IN_KEY.test(key)
  );
}

/** ARM ids are case-insensitive and arrive with `resourcegroups` or `resourceGroups`: one form per cluster. */
export function normaliseResourceId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

/** The partition of a cluster: its lower-cased id, encoded. The id as given is kept as a property. */
export function clusterPartitionKey(clusterId: string): string {
  return keyFor('', normaliseResourceId(clusterId));
}

/** The lower-cased cluster id a partition key stands for (undefined for the digest form). */
export function decodeClusterPartitionKey(partitionKey: string): string | undefined {
  return decodeKeyPart(partitionKey);
}

export const POSTURE_ROW = 'posture';
export const POSTURE_PART_PREFIX = 'posture-part-';
export const HISTORY_PREFIX = 'history-';
/** The first row key after every `history-…` key (`.` follows `-`). */
export const HISTORY_END = 'history.';
export const ALERT_PREFIX = 'alert-';
export const ALERT_END = 'alert.';

export function posturePartRowKey(index: number): string {
  return `${POSTURE_PART_PREFIX}${String(index).padStart(4, '0')}`;
}

/** The alert (outbox) row of a dedupe key, within its cluster's partition. */
export function alertRowKey(dedupeKey: string): string {
  return keyFor(ALERT_PREFIX, dedupeKey);
}

/** The largest time JavaScript can represent, in ms: inverted times count down from it. */
const MAX_TIME_MS = 8_640_000_000_000_000;
const INVERTED_WIDTH = 16;

/** `history-` + (max − ms) zero-padded + `-` + a random suffix: newest sorts first, and two evaluations in one ms both get a row. */
export function historyRowKey(at: Date, unique: string = randomBytes(6).toString('hex')): string {
  return `${historyKeyPrefix(at)}-${unique}`;
}

/** The part of a history key that orders by time; every row at or after `at` (older) sorts at or after it. */
export function historyKeyPrefix(at: Date): string {
  const ms = at.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('history time is not a valid date');
  return `${HISTORY_PREFIX}${String(MAX_TIME_MS - ms).padStart(INVERTED_WIDTH, '0')}`;
}

/** The time a history row key was made for, or undefined for another key. */
export function historyTimeOf(rowKey: string): Date | undefined {
  const match = /^history-(\d{16})(?:-|$)/.exec(rowKey);
  return match ? new Date(MAX_TIME_MS - Number(match[1])) : undefined;
}

/** Processed events are partitioned by UTC day: `YYYYMMDD`. */
export function eventPartitionKey(at: Date): string {
  return at.toISOString().slice(0, 10).replace(/-/g, '');
}

export function eventRowKey(eventId: string): string {
  return keyFor('', eventId);
}

// ---------------------------------------------------------------------------------------------
// Large strings across properties and rows

/** Characters per string property: under the 32,768 UTF-16 characters Azure allows. */
export const PROPERTY_CHARS = 30_000;

/**
 * `value` in pieces of at most `maxChars` characters, never splitting a surrogate pair (a lone
 * surrogate would not survive the trip through JSON).
 */
export function splitString(value: string, maxChars: number = PROPERTY_CHARS): string[] {
  if (maxChars < 2) throw new RangeError('maxChars must be at least 2');
  const pieces: string[] = [];
  let start = 0;
  while (start < value.length) {
    let end = Math.min(start + maxChars, value.length);
    if (end < value.length) {
      const last = value.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    }
    pieces.push(value.slice(start, end));
    start = end;
  }
  return pieces;
}

/** `{ name_count: n, name_0: …, name_1: … }`: a string of any length as string properties. */
export function chunkProperty(
  name: string,
  value: string,
  maxChars: number = PROPERTY_CHARS,
): Record<string, string | number> {
  return piecesAsProperties(name, splitString(value, maxChars));
}

/** The inverse of {@link chunkProperty}; throws when a piece is missing (never returns a truncated value). */
export function joinChunks(entity: Record<string, unknown>, name: string): string {
  const count = entity[`${name}_count`];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new Error(`stored property ${name} has no valid ${name}_count`);
  }
  let value = '';
  for (let i = 0; i < count; i++) {
    const piece = entity[`${name}_${i}`];
    if (typeof piece !== 'string')
      throw new Error(`stored property ${name} is missing piece ${i} of ${count}`);
    value += piece;
  }
  return value;
}

export type PayloadEncoding = 'json' | 'gzip-base64';

/** JSON as is, or gzip-compressed and base64-encoded when it would not fit otherwise. */
export function encodePayload(json: string, encoding: PayloadEncoding): string {
  return encoding === 'json' ? json : gzipSync(Buffer.from(json, 'utf8')).toString('base64');
}

export function decodePayload(text: string, encoding: unknown): string {
  if (encoding === undefined || encoding === 'json') return text;
  if (encoding === 'gzip-base64') return gunzipSync(Buffer.from(text, 'base64')).toString('utf8');
  throw new Error(`unknown stored payload encoding ${JSON.stringify(encoding)}`);
}

/**
 * A payload laid out over rows: the first `firstRowPieces` pieces go on the main row, the rest
 * on extra rows of at most `partRowPieces` pieces each. With 30,000-character pieces, 12 pieces
 * (720 KB as UTF-16) leave the main row room for its other columns, and 15 (900 KB) keep a part
 * row under the 1 MiB entity limit.
 */
export interface PayloadLayout {
  main: string[];
  parts: string[][];
}

export const MAIN_ROW_PIECES = 12;
export const PART_ROW_PIECES = 15;

export function layoutPayload(
  text: string,
  firstRowPieces = MAIN_ROW_PIECES,
  partRowPieces = PART_ROW_PIECES,
  maxChars = PROPERTY_CHARS,
): PayloadLayout {
  const pieces = splitString(text, maxChars);
  const main = pieces.slice(0, firstRowPieces);
  const parts: string[][] = [];
  for (let i = firstRowPieces; i < pieces.length; i += partRowPieces)
    parts.push(pieces.slice(i, i + partRowPieces));
  return { main, parts };
}

/** Pieces as `name_0 … name_{n-1}` plus `name_count`. */
export function piecesAsProperties(
  name: string,
  pieces: readonly string[],
): Record<string, string | number> {
  const properties: Record<string, string | number> = { [`${name}_count`]: pieces.length };
  pieces.forEach((piece, i) => {
    properties[`${name}_${i}`] = piece;
  });
  return properties;
}

// ---------------------------------------------------------------------------------------------
// Continuation tokens

/** What our opaque continuation token carries: the next keys of one kind of query. */
export interface PageCursor {
  kind: string;
  nextPartitionKey: string;
  nextRowKey?: string;
}

export function encodeCursor(cursor: PageCursor): string {
  const body: Record<string, string> = { k: cursor.kind, p: cursor.nextPartitionKey };
  if (cursor.nextRowKey) body.r = cursor.nextRowKey;
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** Undefined for anything that is not a token we issued for `kind` (the caller raises InputError). */
export function decodeCursor(token: string, kind: string): PageCursor | undefined {
  if (
    typeof token !== 'string' ||
    token.length === 0 ||
    token.length > 4096 ||
    !/^[A-Za-z0-9_-]+$/.test(token)
  )
    return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { k, p, r } = body as Record<string, unknown>;
  if (k !== kind || typeof p !== 'string' || !isContinuationKey(p)) return undefined;
  if (r !== undefined && (typeof r !== 'string' || !isContinuationKey(r))) return undefined;
  return { kind, nextPartitionKey: p, nextRowKey: r };
}

/** Continuation keys are opaque to us but travel in headers: printable, bounded. */
function isContinuationKey(value: string): boolean {
  return value.length > 0 && value.length <= 2048 && /^[\x21-\x7e]+$/.test(value);
}

/** The SDK's own token format (base64 JSON of the next keys), for `byPage({ continuationToken })`. */
export function sdkContinuationToken(cursor: PageCursor): string {
  const body: Record<string, string> = { nextPartitionKey: cursor.nextPartitionKey };
  if (cursor.nextRowKey) body.nextRowKey = cursor.nextRowKey;
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

/** The next keys inside an SDK continuation token. */
export function cursorFromSdkToken(
  kind: string,
  token: string | undefined,
): PageCursor | undefined {
  if (!token) return undefined;
  const body = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
    nextPartitionKey?: string;
    nextRowKey?: string;
  };
  if (!body.nextPartitionKey) return undefined;
  return {
    kind,
    nextPartitionKey: body.nextPartitionKey,
    nextRowKey: body.nextRowKey || undefined,
  };
}
