/**
 * The guid of a role definition from any spelling of its id, with the strings interned: a few
 * roles are shared by a million assignments whose role definition ids differ (one per
 * subscription), so the fast form finds the guid from the id's characters, without making any
 * string, and every assignment of a role shares one guid string.
 *
 * One-line API: `roleDefinitionGuid(id)`. `roleDefinitionGuidPlain(id)` beside it is what it must
 * always equal (property-tested in test/roleGuid.test.ts); read that one to know what it does.
 */

/**
 * The reference: the segment after the last `/` once trailing `/` and blanks are dropped,
 * trimmed and lower-cased.
 */
export function roleDefinitionGuidPlain(id: string): string {
  let end = id.length;
  while (end > 0 && (id.charCodeAt(end - 1) === 47 || id.charCodeAt(end - 1) <= 32)) end--;
  return id
    .slice(id.lastIndexOf('/', end - 1) + 1, end)
    .trim()
    .toLowerCase();
}

/**
 * The guids met so far, lower-cased, in an open-addressing table keyed by a hash of the id's last
 * segment. A handful of roles is shared by a million assignments whose ids differ (one per
 * subscription): the guid is found from the id's characters without making any string, and every
 * assignment of a role shares one guid string.
 */
const GUID_TABLE_SIZE = 1 << 13;
const GUID_TABLE_MASK = GUID_TABLE_SIZE - 1;
const guidTable: Array<string | undefined> = new Array<string | undefined>(GUID_TABLE_SIZE).fill(
  undefined,
);
let guidsKnown = 0;
/** Half the table at most, so probes stay short; past it guids are still right, only not shared. */
const MAX_GUIDS_KNOWN = GUID_TABLE_SIZE >> 1;
/** Probes per look-up at most: input made to collide costs a bounded amount per id. */
const MAX_PROBES = 16;
/** Longer segments are not role guids: they are answered, never kept. */
const MAX_GUID_LENGTH = 64;

/**
 * The lower-cased guid of a role definition, from any of its forms: the subscription-level id
 * `az` and ARM return, the provider-level id of management-group assignments and built-ins
 * (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`), or the bare guid.
 */
export function roleDefinitionGuid(id: string): string {
  let end = id.length;
  let c = 0;
  while (end > 0 && ((c = id.charCodeAt(end - 1)) === 47 /* / */ || c <= 32)) end--;
  if (end === 0) return '';
  // Nearly always: the id ends in a guid met before, spelt in lower case. Equal to a known guid
  // and preceded by `/` (or nothing), it is the last segment, plain lower-case ASCII, which
  // `trim().toLowerCase()` would leave as it is. Compared in place: no string is made.
  const hash = tailHash(id, end);
  let slot = hash & GUID_TABLE_MASK;
  for (let probes = 0; probes < MAX_PROBES; probes++) {
    const known = guidTable[slot];
    if (known === undefined) break;
    const start = end - known.length;
    if (start >= 0 && (start === 0 || id.charCodeAt(start - 1) === 47)) {
      let i = known.length - 1;
      while (i >= 0 && id.charCodeAt(start + i) === known.charCodeAt(i)) i--;
      if (i < 0) return known;
    }
    slot = (slot + 1) & GUID_TABLE_MASK;
  }
  return unknownGuid(id, id.lastIndexOf('/', end - 1) + 1, end, hash);
}

/**
 * The last (up to) 12 characters of `id` before `end`, ASCII letters lower-cased, hashed (FNV-1a);
 * a `/` ends it early. Real guids are random throughout; generated ones (tests, benchmarks, sample
 * tenants) tend to differ at the end. A collision only costs a probe: a hit is compared whole.
 */
function tailHash(id: string, end: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = end - 1; i >= 0 && i >= end - 12; i--) {
    let c = id.charCodeAt(i);
    if (c === 47 /* / */) break;
    if (c >= 65 && c <= 90) c += 32;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  return hash;
}

/** `roleDefinitionGuid` for a segment not (yet) known in that spelling: upper case, new, or unusual. */
function unknownGuid(id: string, start: number, end: number, hash: number): string {
  const length = end - start;
  for (let i = start; i < end; i++) {
    const c = id.charCodeAt(i);
    // Blanks or non-ASCII inside the segment: `trim` and `toLowerCase` say what it becomes.
    if (c <= 32 || c >= 127) return guidFromSegment(id, end);
  }
  // Plain ASCII: lower-casing its letters is all `trim().toLowerCase()` would do. Compare so,
  // without making the lower-case string, with the guids already known.
  let slot = hash & GUID_TABLE_MASK;
  let probes = 0;
  for (let known = guidTable[slot]; known !== undefined; known = guidTable[slot]) {
    if (++probes > MAX_PROBES) return id.slice(start, end).toLowerCase();
    if (known.length === length) {
      let i = 0;
      while (i < length) {
        let c = id.charCodeAt(start + i);
        if (c >= 65 && c <= 90) c += 32;
        if (c !== known.charCodeAt(i)) break;
        i++;
      }
      if (i === length) return known;
    }
    slot = (slot + 1) & GUID_TABLE_MASK;
  }
  const guid = id.slice(start, end).toLowerCase();
  if (guidsKnown < MAX_GUIDS_KNOWN && length <= MAX_GUID_LENGTH) {
    // A string of its own (not a slice of `id`, which it would keep alive), cheap to compare with.
    const codes: number[] = [];
    for (let i = 0; i < length; i++) codes.push(guid.charCodeAt(i));
    const own = String.fromCharCode(...codes);
    guidTable[slot] = own;
    guidsKnown++;
    return own;
  }
  return guid;
}

/** The general case: the segment after the last `/` before `end`, trimmed and lower-cased. */
function guidFromSegment(id: string, end: number): string {
  return id
    .slice(id.lastIndexOf('/', end - 1) + 1, end)
    .trim()
    .toLowerCase();
}
