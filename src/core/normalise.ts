/**
 * Normalisation (ARCHITECTURE.md step 1): managed clusters, role assignments and role definitions
 * arrive as ARM REST JSON (`properties.*` nested, wire names `enableRBAC`, `enableAzureRBAC`,
 * `adminGroupObjectIDs`, `authorizedIPRanges`), as JS SDK models (flattened, `enableRbac`,
 * `enableAzureRbac`) or as `az` CLI JSON (flattened camelCase such as `enableRbac`, `authorizedIpRanges`;
 * older tooling and hand-made exports use snake_case such as `enable_rbac`). The three differ
 * only in nesting and in how a name is spelt, so every key is looked up case-insensitively with
 * underscores ignored, first under `properties` and then at the top level.
 *
 * Absent and `null` are ordinary input, never a crash, and never guessed: they become `undefined`
 * (or `null` for the sub-objects the model says so). A value of the wrong kind where a decision
 * depends on it (a boolean that is neither true nor false) is an InputError naming the entry and
 * the field: reading it as "unknown" could turn a failing cluster into a passing one. Pure.
 */
import { InputError } from './errors';
import type { Addon, Cluster, Permission, RoleAssignment, RoleDefinition, UserAssignedIdentity } from './model';
import { namesFromExport } from './principals';
import { parseResourceId } from './resourceId';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Key lookup
// ---------------------------------------------------------------------------------------------

/** The spelling-independent form of a key: `enableRBAC`, `enableRbac`, `enable_rbac` → `enablerbac`. */
const foldedKeys = new Map<string, string>();
function fold(key: string): string {
  let folded = foldedKeys.get(key);
  if (folded === undefined) {
    folded = key.replace(/_/g, '').toLowerCase();
    // Keys repeat across millions of role assignments; unbounded growth would only come from
    // hostile input, so stop caching past a generous size instead of evicting.
    if (foldedKeys.size < 10_000) foldedKeys.set(key, folded);
  }
  return folded;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether `k`, a key of the object being searched, can be a spelling of the folded key `wanted`:
 * only a key of the same length, or a longer one with underscores, can fold to it. This skips
 * almost every key without folding it (and is part of the lookup's contract: see `Shape.spellingOf`).
 */
function couldSpell(k: string, wanted: string): boolean {
  return (k.length === wanted.length || (k.length > wanted.length && k.indexOf('_') !== -1)) && fold(k) === wanted;
}

/** The first own enumerable key of `obj`, in for…in order, that spells `key`; the reference lookup. */
function scan(obj: Json, key: string): unknown {
  const wanted = fold(key);
  // for…in rather than Object.keys: no array per lookup.
  for (const k in obj) {
    if (couldSpell(k, wanted) && hasOwn.call(obj, k)) return obj[k];
  }
  return undefined;
}

/**
 * The value of `key` in `obj`, whatever its spelling. `key` is given in its usual camelCase
 * form; an exact match is tried first because nearly every input spells it that way.
 * Returns `undefined` when absent; `null` when present and null.
 */
function get(obj: Json | null | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (hasOwn.call(obj, key)) return obj[key];
  return scan(obj, key);
}

/** A sub-object, or `undefined` when absent, `null` or not an object. */
function getObject(obj: Json | null | undefined, key: string): Json | undefined {
  const value = get(obj, key);
  return isObject(value) ? value : undefined;
}

/**
 * The keys of one kind of object, in for…in order, and how each wanted key is spelt among them.
 * A million role assignments from one export share one shape: working out once per shape that
 * `properties` or `roleDefinitionName` is absent, or is spelt `role_definition_name`, turns every
 * later miss into one map read instead of a walk over the object's keys.
 */
class Shape {
  private readonly spellings = new Map<string, string | null>();
  /** See `flatAssignmentPlan`; undefined until first asked. */
  flatAssignment: FlatAssignmentPlan | null | undefined = undefined;
  constructor(readonly keys: readonly string[]) {}

  /** Whether `key` is one of the keys exactly as spelt. */
  has(key: string): boolean {
    return this.keys.indexOf(key) !== -1;
  }

  /** The first key that could spell `key` (the one `scan` would look at first), or null for none. */
  spellingOf(key: string): string | null {
    let spelt = this.spellings.get(key);
    if (spelt === undefined) {
      spelt = null;
      const wanted = fold(key);
      for (const k of this.keys) {
        if (couldSpell(k, wanted)) {
          spelt = k;
          break;
        }
      }
      // The wanted keys are this module's field names: a bounded set. The cap is only a guard.
      if (this.spellings.size < 1_000) this.spellings.set(key, spelt);
    }
    return spelt;
  }
}

/** Shapes by their keys joined; capped, so input of ever-changing keys cannot grow it without bound. */
const shapes = new Map<string, Shape>();
const MAX_SHAPES = 2_000;

/** The shape most recently seen at one place (cluster documents, role assignments, their `properties`). */
interface ShapeMemo {
  last: Shape | undefined;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The shape of `obj`: its for…in keys, exactly. The common case (the same keys, in the same
 * order, as the previous object of its kind) is confirmed by one walk over the keys, with no
 * allocation. Undefined when the object's shape is not cached (too many shapes): look up by scanning.
 */
function shapeOf(obj: Json, memo: ShapeMemo): Shape | undefined {
  const last = memo.last;
  if (last !== undefined) {
    const expected = last.keys;
    let i = 0;
    let same = true;
    for (const k in obj) {
      if (i >= expected.length || k !== expected[i]) {
        same = false;
        break;
      }
      i++;
    }
    if (same && i === expected.length) return last;
  }
  const keys: string[] = [];
  for (const k in obj) keys.push(k);
  // A key may itself contain the separator: a hit is confirmed key by key.
  const id = keys.join('\u0000');
  let shape = shapes.get(id);
  if (shape === undefined || !sameKeys(shape.keys, keys)) {
    if (shapes.size >= MAX_SHAPES) return undefined;
    shape = new Shape(keys);
    shapes.set(id, shape);
  }
  memo.last = shape;
  return shape;
}

/**
 * `get(obj, key)`, with the walk over the keys replaced by the shape's answer. Exactly the same
 * result: the exact key first (own, enumerable or not); then the first for…in key that could spell
 * `key` when it is an own key. `shape` must be `shapeOf(obj)`, with `obj` unchanged since.
 */
function lookup(obj: Json, shape: Shape | undefined, key: string): unknown {
  if (hasOwn.call(obj, key)) return obj[key];
  if (shape === undefined) return scan(obj, key);
  const spelt = shape.spellingOf(key);
  // No key of the object could spell it: that is what the scan would find too.
  if (spelt === null) return undefined;
  if (hasOwn.call(obj, spelt)) return obj[spelt];
  // An inherited enumerable key came first (never in parsed JSON): let the scan decide.
  return scan(obj, key);
}

/** Where each kind of document last saw its shapes. */
interface DocKind {
  top: ShapeMemo;
  properties: ShapeMemo;
}
function docKind(): DocKind {
  return { top: { last: undefined }, properties: { last: undefined } };
}
const CLUSTER_DOCS = docKind();
const ASSIGNMENT_DOCS = docKind();
const DEFINITION_DOCS = docKind();

/**
 * A resource document's fields, wherever its shape puts them: under `properties` (ARM REST)
 * or at the top level (SDK, `az`). `properties` wins when both carry a field.
 */
class Doc {
  readonly properties: Json | undefined;
  private readonly rawShape: Shape | undefined;
  private readonly propertiesShape: Shape | undefined;
  constructor(
    readonly raw: Json,
    readonly where: string,
    kind: DocKind,
    /** `shapeOf(raw, kind.top)` when the caller has it already. */
    rawShape: Shape | undefined = shapeOf(raw, kind.top),
  ) {
    this.rawShape = rawShape;
    const properties = lookup(raw, this.rawShape, 'properties');
    if (isObject(properties)) {
      this.properties = properties;
      this.propertiesShape = shapeOf(properties, kind.properties);
    } else {
      this.properties = undefined;
      this.propertiesShape = undefined;
    }
  }

  field(key: string): unknown {
    if (this.properties) {
      const nested = lookup(this.properties, this.propertiesShape, key);
      if (nested !== undefined) return nested;
    }
    return lookup(this.raw, this.rawShape, key);
  }

  object(key: string): Json | undefined {
    const value = this.field(key);
    return isObject(value) ? value : undefined;
  }

  /** Top level only: `id`, `name`, `identity`, `location` live outside `properties` in ARM. */
  top(key: string): unknown {
    return lookup(this.raw, this.rawShape, key);
  }

  /** Under `properties` only (undefined when there are none). */
  nested(key: string): unknown {
    return this.properties ? lookup(this.properties, this.propertiesShape, key) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Value coercion (each names the entry and field on failure)
// ---------------------------------------------------------------------------------------------

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** true/false, or the strings "true"/"false" (any case); undefined when absent or null. */
function toBoolean(value: unknown, where: string, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  throw new InputError(`${where}: "${field}" is ${describe(value)}, expected true or false`);
}

/**
 * Whether `text` is empty or only white space (as `trim` sees it). Nearly every value starts with
 * a printable ASCII character, which settles it without making a trimmed copy.
 */
function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first > 32 && first < 127) return false;
  return text.trim() === '';
}

/** A non-blank string, kept exactly as given (ids are echoed, never trimmed), or undefined. */
function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return isBlank(value) ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** An array of strings, or undefined when absent or null. Blank entries are kept out. */
function toStringArray(value: unknown, where: string, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new InputError(`${where}: "${field}" is ${describe(value)}, expected an array of strings`);
  const out: string[] = [];
  for (const item of value) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string') throw new InputError(`${where}: "${field}" contains ${describe(item)}, expected strings only`);
    if (!isBlank(item)) out.push(item);
  }
  return out;
}

/** A user-assigned identity: its resource id, and its principal and client ids when given. */
function userAssignedIdentity(resourceId: string, details: Json | undefined): UserAssignedIdentity {
  const principalId = toText(get(details, 'principalId'));
  const clientId = toText(get(details, 'clientId'));
  const out: UserAssignedIdentity = { resourceId };
  if (principalId !== undefined) out.principalId = principalId;
  if (clientId !== undefined) out.clientId = clientId;
  return out;
}

function requireObject(raw: unknown, where: string): Json {
  if (!isObject(raw)) throw new InputError(`${where}: entry has no "id" (it is ${describe(raw)}, not an object)`);
  return raw;
}

function requireId(id: unknown, where: string): string {
  if (typeof id !== 'string' || isBlank(id)) throw new InputError(`${where}: entry has no "id"`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Role definition ids
// ---------------------------------------------------------------------------------------------

/**
 * The guids met so far, lower-cased, in an open-addressing table keyed by a hash of the id's last
 * segment. A handful of roles is shared by a million assignments whose ids differ (one per
 * subscription): the guid is found from the id's characters without making any string, and every
 * assignment of a role shares one guid string.
 */
const GUID_TABLE_SIZE = 1 << 13;
const GUID_TABLE_MASK = GUID_TABLE_SIZE - 1;
const guidTable: Array<string | undefined> = new Array<string | undefined>(GUID_TABLE_SIZE).fill(undefined);
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
  return id.slice(id.lastIndexOf('/', end - 1) + 1, end).trim().toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------------------------

/**
 * Fields only a managed cluster's configuration carries. A document with none of them (an ARM
 * object whose `properties` were not returned, a stub from a resource listing) says nothing
 * about the cluster: it is marked `incomplete` rather than read as "everything off".
 */
const CONFIGURATION_FIELDS = [
  'provisioningState',
  'kubernetesVersion',
  'currentKubernetesVersion',
  'dnsPrefix',
  'fqdn',
  'nodeResourceGroup',
  'agentPoolProfiles',
  'networkProfile',
  'aadProfile',
  'enableRbac',
  'disableLocalAccounts',
  'identityProfile',
  'servicePrincipalProfile',
  'apiServerAccessProfile',
  'addonProfiles',
  'oidcIssuerProfile',
  'securityProfile',
  'podIdentityProfile',
];

function incompleteReason(doc: Doc): string | undefined {
  const hasProperties = doc.top('properties');
  if (hasProperties !== undefined && !isObject(hasProperties)) {
    return `"properties" is ${describe(hasProperties)}: the cluster's configuration was not returned`;
  }
  if (CONFIGURATION_FIELDS.some((f) => doc.field(f) !== undefined)) return undefined;
  if (doc.properties) return 'the cluster document has "properties" but no recognisable cluster configuration in it';
  if (doc.top('type') !== undefined || doc.top('identity') !== undefined || doc.top('location') !== undefined) {
    return 'the cluster document has no "properties": its configuration was not returned';
  }
  return 'the cluster document has no recognisable cluster configuration';
}

function normaliseAadProfile(doc: Doc): Cluster['aadProfile'] {
  const aad = doc.object('aadProfile');
  if (!aad) return null;
  const where = doc.where;
  const managed = toBoolean(get(aad, 'managed'), where, 'aadProfile.managed');
  const enableAzureRbac = toBoolean(get(aad, 'enableAzureRbac'), where, 'aadProfile.enableAzureRBAC');
  const adminGroupObjectIds = toStringArray(get(aad, 'adminGroupObjectIds'), where, 'aadProfile.adminGroupObjectIDs');
  const out: NonNullable<Cluster['aadProfile']> = {};
  if (managed !== undefined) out.managed = managed;
  if (enableAzureRbac !== undefined) out.enableAzureRbac = enableAzureRbac;
  if (adminGroupObjectIds !== undefined) out.adminGroupObjectIds = adminGroupObjectIds;
  return out;
}

function normaliseUserAssignedIdentities(value: unknown, where: string): UserAssignedIdentity[] {
  if (value === undefined || value === null) return [];
  const out: UserAssignedIdentity[] = [];
  // The documented shape in ARM, SDK and `az` alike: a map resourceId → { principalId, clientId }.
  if (isObject(value)) {
    for (const [resourceId, details] of Object.entries(value)) {
      out.push(userAssignedIdentity(resourceId, isObject(details) ? details : undefined));
    }
    return out;
  }
  // Some tools list the ids instead; accept strings or `{ resourceId | id, … }` entries.
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string' && item.trim() !== '') out.push({ resourceId: item });
      else if (isObject(item)) {
        const resourceId = toText(get(item, 'resourceId')) ?? toText(get(item, 'id'));
        if (!resourceId) throw new InputError(`${where}: "identity.userAssignedIdentities" has an entry without a resource id`);
        out.push(userAssignedIdentity(resourceId, item));
      }
    }
    return out;
  }
  throw new InputError(`${where}: "identity.userAssignedIdentities" is ${describe(value)}, expected an object`);
}

function normaliseIdentity(doc: Doc): Cluster['identity'] {
  // `identity` sits outside `properties` in ARM; the SDK and `az` put it at the top level too.
  const identity = doc.top('identity') ?? doc.field('identity');
  if (!isObject(identity)) return null;
  const type = toText(get(identity, 'type'));
  const principalId = toText(get(identity, 'principalId'));
  const userAssignedIdentities = normaliseUserAssignedIdentities(get(identity, 'userAssignedIdentities'), doc.where);
  const out = {} as NonNullable<Cluster['identity']>;
  if (type !== undefined) out.type = type;
  if (principalId !== undefined) out.principalId = principalId;
  out.userAssignedIdentities = userAssignedIdentities;
  return out;
}

function normaliseKubeletIdentity(doc: Doc): Cluster['kubeletIdentity'] {
  const kubelet = getObject(doc.object('identityProfile'), 'kubeletidentity');
  if (!kubelet) return null;
  const objectId = toText(get(kubelet, 'objectId'));
  const clientId = toText(get(kubelet, 'clientId'));
  const resourceId = toText(get(kubelet, 'resourceId'));
  const out: NonNullable<Cluster['kubeletIdentity']> = {};
  if (objectId !== undefined) out.objectId = objectId;
  if (clientId !== undefined) out.clientId = clientId;
  if (resourceId !== undefined) out.resourceId = resourceId;
  return out;
}

function normaliseApiServerAccess(doc: Doc): Cluster['apiServerAccess'] {
  const profile = doc.object('apiServerAccessProfile');
  if (!profile) return null;
  const enablePrivateCluster = toBoolean(get(profile, 'enablePrivateCluster'), doc.where, 'apiServerAccessProfile.enablePrivateCluster');
  const authorizedIpRanges = toStringArray(get(profile, 'authorizedIpRanges'), doc.where, 'apiServerAccessProfile.authorizedIPRanges');
  const out: NonNullable<Cluster['apiServerAccess']> = {};
  if (enablePrivateCluster !== undefined) out.enablePrivateCluster = enablePrivateCluster;
  if (authorizedIpRanges !== undefined) out.authorizedIpRanges = authorizedIpRanges;
  return out;
}

function normaliseDefender(doc: Doc): boolean | undefined {
  const security = doc.object('securityProfile');
  const monitoring = getObject(getObject(security, 'defender'), 'securityMonitoring');
  const enabled = toBoolean(get(monitoring, 'enabled'), doc.where, 'securityProfile.defender.securityMonitoring.enabled');
  if (enabled !== undefined) return enabled;
  // API versions before 2022 (preview) spelt it `securityProfile.azureDefender.enabled`.
  return toBoolean(get(getObject(security, 'azureDefender'), 'enabled'), doc.where, 'securityProfile.azureDefender.enabled');
}

function configValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function normaliseAddons(doc: Doc): Record<string, Addon> {
  const profiles = doc.object('addonProfiles');
  const addons: Record<string, Addon> = {};
  if (!profiles) return addons;
  for (const [name, profile] of Object.entries(profiles)) {
    const key = name.toLowerCase();
    // Two spellings of one add-on in one document is not something ARM returns; keep the first
    // rather than let a later duplicate silently override it.
    if (Object.prototype.hasOwnProperty.call(addons, key)) continue;
    const p = isObject(profile) ? profile : undefined;
    const config: Record<string, string> = {};
    const rawConfig = getObject(p, 'config');
    if (rawConfig) {
      for (const [k, v] of Object.entries(rawConfig)) {
        const text = configValue(v);
        if (text !== undefined) config[k] = text;
      }
    }
    // An add-on profile that does not say it is enabled is not enabled (ARM requires the flag).
    addons[key] = { enabled: toBoolean(get(p, 'enabled'), doc.where, `addonProfiles.${name}.enabled`) === true, config };
  }
  return addons;
}

/** One managed cluster in any of the three shapes. `where` (e.g. `clusters.json[3]`) prefixes every error. */
export function normaliseCluster(raw: unknown, where: string): Cluster {
  const obj = requireObject(raw, where);
  const doc = new Doc(obj, where, CLUSTER_DOCS);
  const id = requireId(doc.top('id'), where);
  const fromId = parseResourceId(id);

  const subscriptionId = toText(doc.top('subscriptionId')) ?? fromId.subscriptionId;
  const resourceGroup = toText(doc.top('resourceGroup')) ?? fromId.resourceGroup;
  const name = toText(doc.top('name')) ?? fromId.name;
  if (!subscriptionId || !resourceGroup || !name) {
    throw new InputError(`${where}: "id" is not a managed cluster resource id (${describe(id)})`);
  }

  const incomplete = incompleteReason(doc);
  const cluster: Cluster = {
    id,
    name,
    subscriptionId: subscriptionId.trim().toLowerCase(),
    resourceGroup,
    aadProfile: null,
    identity: normaliseIdentity(doc),
    kubeletIdentity: null,
    apiServerAccess: null,
    addons: {},
  };
  const location = toText(doc.top('location'));
  if (location) cluster.location = location;
  if (incomplete) {
    cluster.incomplete = incomplete;
    return cluster;
  }

  cluster.aadProfile = normaliseAadProfile(doc);
  cluster.kubeletIdentity = normaliseKubeletIdentity(doc);
  cluster.apiServerAccess = normaliseApiServerAccess(doc);
  cluster.addons = normaliseAddons(doc);
  const security = doc.object('securityProfile');
  // Every value is read (and may throw) before any is set, in this order.
  const disableLocalAccounts = toBoolean(doc.field('disableLocalAccounts'), where, 'disableLocalAccounts');
  const enableRbac = toBoolean(doc.field('enableRbac'), where, 'enableRBAC');
  const servicePrincipalClientId = toText(get(doc.object('servicePrincipalProfile'), 'clientId'));
  const oidcIssuerEnabled = toBoolean(get(doc.object('oidcIssuerProfile'), 'enabled'), where, 'oidcIssuerProfile.enabled');
  const workloadIdentityEnabled = toBoolean(
    get(getObject(security, 'workloadIdentity'), 'enabled'),
    where,
    'securityProfile.workloadIdentity.enabled',
  );
  const podIdentityEnabled = toBoolean(get(doc.object('podIdentityProfile'), 'enabled'), where, 'podIdentityProfile.enabled');
  const defenderSecurityMonitoringEnabled = normaliseDefender(doc);
  if (disableLocalAccounts !== undefined) cluster.disableLocalAccounts = disableLocalAccounts;
  if (enableRbac !== undefined) cluster.enableRbac = enableRbac;
  if (servicePrincipalClientId !== undefined) cluster.servicePrincipalClientId = servicePrincipalClientId;
  if (oidcIssuerEnabled !== undefined) cluster.oidcIssuerEnabled = oidcIssuerEnabled;
  const oidcIssuerUrl = toText(get(doc.object('oidcIssuerProfile'), 'issuerUrl'));
  if (oidcIssuerUrl !== undefined) cluster.oidcIssuerUrl = oidcIssuerUrl;
  if (workloadIdentityEnabled !== undefined) cluster.workloadIdentityEnabled = workloadIdentityEnabled;
  if (podIdentityEnabled !== undefined) cluster.podIdentityEnabled = podIdentityEnabled;
  if (defenderSecurityMonitoringEnabled !== undefined) cluster.defenderSecurityMonitoringEnabled = defenderSecurityMonitoringEnabled;
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

const ASSIGNMENT_SUFFIX = /\/providers\/microsoft\.authorization\/roleassignments\/[^/]+\/*$/i;

/**
 * Which fields a flat role assignment shape (`az`, SDK) spells exactly as the model names them:
 * the rest it does not have under any spelling. Such a shape is read with plain property reads,
 * which is what keeps a million assignments fast; any other shape (ARM's `properties`,
 * snake_case, two spellings of one field) goes through `Doc`.
 */
interface FlatAssignmentPlan {
  id: boolean;
  scope: boolean;
  principalId: boolean;
  principalType: boolean;
  roleDefinitionId: boolean;
  roleDefinitionName: boolean;
  condition: boolean;
  principalName: boolean;
  principalDisplayName: boolean;
}

/** A field of a flat plan: spelt exactly in the shape, or absent under every spelling. */
function planField(shape: Shape, key: string): boolean | undefined {
  if (shape.has(key)) return true;
  return shape.spellingOf(key) === null ? false : undefined;
}

function flatAssignmentPlan(shape: Shape): FlatAssignmentPlan | null {
  if (shape.flatAssignment === undefined) {
    const plan = {
      id: planField(shape, 'id'),
      scope: planField(shape, 'scope'),
      principalId: planField(shape, 'principalId'),
      principalType: planField(shape, 'principalType'),
      roleDefinitionId: planField(shape, 'roleDefinitionId'),
      roleDefinitionName: planField(shape, 'roleDefinitionName'),
      condition: planField(shape, 'condition'),
      principalName: planField(shape, 'principalName'),
      principalDisplayName: planField(shape, 'principalDisplayName'),
    };
    const flat = planField(shape, 'properties') === false && Object.values(plan).every((v) => v !== undefined);
    shape.flatAssignment = flat ? (plan as FlatAssignmentPlan) : null;
  }
  return shape.flatAssignment;
}

/**
 * A field the shape does not have among its enumerable keys: `get` would still find it as an own
 * non-enumerable property, never as an inherited one.
 */
function absentField(obj: Json, key: string): unknown {
  return hasOwn.call(obj, key) ? obj[key] : undefined;
}

/**
 * One role assignment: `az role assignment list` (flat, with `roleDefinitionName`) or ARM REST
 * (`properties.*`). `listedInSubscriptionId` is the subscription whose listing returned it, when
 * known (see `RoleAssignment.listedInSubscriptionId`).
 */
export function normaliseRoleAssignment(raw: unknown, where: string, listedInSubscriptionId?: string): RoleAssignment {
  const obj = requireObject(raw, where);
  const shape = shapeOf(obj, ASSIGNMENT_DOCS.top);
  const plan = shape === undefined ? null : flatAssignmentPlan(shape);
  // The plan holds for this object when its keys are its own (for…in lists own keys before
  // inherited ones, so it is enough that the last one is) and it has no hidden `properties`.
  if (
    plan !== null &&
    (shape!.keys.length === 0 || hasOwn.call(obj, shape!.keys[shape!.keys.length - 1])) &&
    !hasOwn.call(obj, 'properties')
  ) {
    return buildAssignment(
      where,
      listedInSubscriptionId,
      plan.id ? obj.id : absentField(obj, 'id'),
      plan.scope ? obj.scope : absentField(obj, 'scope'),
      plan.principalId ? obj.principalId : absentField(obj, 'principalId'),
      plan.principalType ? obj.principalType : absentField(obj, 'principalType'),
      plan.roleDefinitionId ? obj.roleDefinitionId : absentField(obj, 'roleDefinitionId'),
      plan.roleDefinitionName ? obj.roleDefinitionName : absentField(obj, 'roleDefinitionName'),
      plan.condition ? obj.condition : absentField(obj, 'condition'),
      plan.principalName ? obj.principalName : absentField(obj, 'principalName'),
      plan.principalDisplayName ? obj.principalDisplayName : absentField(obj, 'principalDisplayName'),
    );
  }
  const doc = new Doc(obj, where, ASSIGNMENT_DOCS, shape);
  return buildAssignment(
    where,
    listedInSubscriptionId,
    doc.top('id'),
    doc.field('scope'),
    doc.field('principalId'),
    doc.field('principalType'),
    doc.field('roleDefinitionId'),
    doc.field('roleDefinitionName'),
    doc.field('condition'),
    doc.field('principalName'),
    doc.field('principalDisplayName'),
  );
}

/** The model of one role assignment from its fields' values, as read from whichever shape. */
function buildAssignment(
  where: string,
  listedInSubscriptionId: string | undefined,
  rawId: unknown,
  rawScope: unknown,
  rawPrincipalId: unknown,
  rawPrincipalType: unknown,
  rawRoleDefinitionId: unknown,
  rawRoleDefinitionName: unknown,
  rawCondition: unknown,
  rawPrincipalName: unknown,
  rawPrincipalDisplayName: unknown,
): RoleAssignment {
  const id = requireId(rawId, where);

  // The scope is also the id without its `/providers/Microsoft.Authorization/roleAssignments/{name}`
  // tail; older ARM listings omit `properties.scope`.
  let scope = toText(rawScope);
  if (scope === undefined && ASSIGNMENT_SUFFIX.test(id.trim())) scope = id.trim().replace(ASSIGNMENT_SUFFIX, '') || '/';
  if (scope === undefined) throw new InputError(`${where}: entry has no "scope"`);

  const principalId = toText(rawPrincipalId);
  if (principalId === undefined) throw new InputError(`${where}: entry has no "principalId"`);
  const roleDefinitionId = toText(rawRoleDefinitionId);
  if (roleDefinitionId === undefined) throw new InputError(`${where}: entry has no "roleDefinitionId"`);

  const assignment: RoleAssignment = {
    id,
    scope,
    principalId,
    // Older API versions did not return a type; `Unknown` is shown rather than a guess.
    principalType: toText(rawPrincipalType) ?? 'Unknown',
    roleDefinitionId,
    roleDefinitionGuid: roleDefinitionGuid(roleDefinitionId),
  };
  const roleName = toText(rawRoleDefinitionName);
  if (roleName !== undefined) assignment.roleDefinitionName = roleName;
  const condition = toText(rawCondition);
  if (condition !== undefined) assignment.condition = condition;
  if (rawPrincipalName != null || rawPrincipalDisplayName != null) {
    const names = namesFromExport(assignment.principalType, rawPrincipalName, rawPrincipalDisplayName);
    if (names.displayName !== undefined) assignment.displayName = names.displayName;
    if (names.userPrincipalName !== undefined) assignment.userPrincipalName = names.userPrincipalName;
  }
  if (listedInSubscriptionId != null) {
    const listedIn = subscriptionKey(listedInSubscriptionId);
    if (listedIn) assignment.listedInSubscriptionId = listedIn;
  }
  return assignment;
}

/** The listing subscription as the model keeps it; one listing passes the same id for each of its assignments. */
let lastListedIn = '';
let lastListedInKey = '';
function subscriptionKey(subscriptionId: string): string {
  if (subscriptionId !== lastListedIn) {
    lastListedInKey = subscriptionId.trim().toLowerCase();
    lastListedIn = subscriptionId;
  }
  return lastListedInKey;
}

// ---------------------------------------------------------------------------------------------
// Role definitions
// ---------------------------------------------------------------------------------------------

function normalisePermissions(value: unknown, where: string): Permission[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`${where}: "permissions" is ${describe(value)}, expected an array`);
  return value.map((block, i) => {
    if (!isObject(block)) throw new InputError(`${where}: "permissions[${i}]" is ${describe(block)}, expected an object`);
    const list = (key: string) => toStringArray(get(block, key), where, `permissions[${i}].${key}`) ?? [];
    return {
      actions: list('actions'),
      notActions: list('notActions'),
      dataActions: list('dataActions'),
      notDataActions: list('notDataActions'),
    };
  });
}

/**
 * One role definition: `az role definition list` (`roleName`, `roleType`, `permissions`) or ARM
 * REST (`properties.roleName`, `properties.type`, `properties.permissions`).
 */
export function normaliseRoleDefinition(raw: unknown, where: string): RoleDefinition {
  const obj = requireObject(raw, where);
  const doc = new Doc(obj, where, DEFINITION_DOCS);
  const id = requireId(doc.top('id'), where);
  const guid = roleDefinitionGuid(id);

  // ARM puts BuiltInRole/CustomRole in `properties.type`; the top-level `type` is the resource
  // type (`Microsoft.Authorization/roleDefinitions`) and must not be read as the role type.
  const roleTypeText = toText(doc.field('roleType')) ?? toText(doc.nested('type'));
  const roleType: RoleDefinition['roleType'] = roleTypeText?.trim().toLowerCase() === 'builtinrole' ? 'BuiltInRole' : 'CustomRole';

  const definition: RoleDefinition = {
    id,
    guid,
    // A role without a name is still a role: show its guid rather than drop what it grants.
    roleName: toText(doc.field('roleName')) ?? guid,
    roleType,
    permissions: normalisePermissions(doc.field('permissions'), where),
    assignableScopes: toStringArray(doc.field('assignableScopes'), where, 'assignableScopes') ?? [],
  };
  const description = toText(doc.field('description'));
  if (description !== undefined) definition.description = description;
  return definition;
}
