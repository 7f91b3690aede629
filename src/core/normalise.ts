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

/**
 * The value of `key` in `obj`, whatever its spelling. `key` is given in its usual camelCase
 * form; an exact match is tried first because nearly every input spells it that way.
 * Returns `undefined` when absent; `null` when present and null.
 */
function get(obj: Json | null | undefined, key: string): unknown {
  if (!obj) return undefined;
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const wanted = fold(key);
  const length = wanted.length;
  // for…in rather than Object.keys: no array per lookup (millions of role assignments pass here).
  for (const k in obj) {
    // Only a key of the same length, or a longer one with underscores, can fold to `wanted`:
    // this skips almost every key without folding it.
    if (k.length !== length && (k.length < length || k.indexOf('_') === -1)) continue;
    if (fold(k) === wanted && Object.prototype.hasOwnProperty.call(obj, k)) return obj[k];
  }
  return undefined;
}

/** A sub-object, or `undefined` when absent, `null` or not an object. */
function getObject(obj: Json | null | undefined, key: string): Json | undefined {
  const value = get(obj, key);
  return isObject(value) ? value : undefined;
}

/**
 * A resource document's fields, wherever its shape puts them: under `properties` (ARM REST)
 * or at the top level (SDK, `az`). `properties` wins when both carry a field.
 */
class Doc {
  readonly properties: Json | undefined;
  constructor(
    readonly raw: Json,
    readonly where: string,
  ) {
    this.properties = getObject(raw, 'properties');
  }

  field(key: string): unknown {
    if (this.properties) {
      const nested = get(this.properties, key);
      if (nested !== undefined) return nested;
    }
    return get(this.raw, key);
  }

  object(key: string): Json | undefined {
    const value = this.field(key);
    return isObject(value) ? value : undefined;
  }

  /** Top level only: `id`, `name`, `identity`, `location` live outside `properties` in ARM. */
  top(key: string): unknown {
    return get(this.raw, key);
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

/** A non-blank string, kept exactly as given (ids are echoed, never trimmed), or undefined. */
function toText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
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
    if (item.trim() !== '') out.push(item);
  }
  return out;
}

/** Copies only the defined properties, so absent input stays absent in the model. */
function compact<T extends object>(value: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

function requireObject(raw: unknown, where: string): Json {
  if (!isObject(raw)) throw new InputError(`${where}: entry has no "id" (it is ${describe(raw)}, not an object)`);
  return raw;
}

function requireId(doc: Json, where: string): string {
  const id = get(doc, 'id');
  if (typeof id !== 'string' || id.trim() === '') throw new InputError(`${where}: entry has no "id"`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Role definition ids
// ---------------------------------------------------------------------------------------------

/** A handful of role ids is shared by a million assignments: each is taken apart once. */
const knownGuids = new Map<string, string>();

/**
 * The lower-cased guid of a role definition, from any of its forms: the subscription-level id
 * `az` and ARM return, the provider-level id of management-group assignments and built-ins
 * (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`), or the bare guid.
 */
export function roleDefinitionGuid(id: string): string {
  let guid = knownGuids.get(id);
  if (guid === undefined) {
    let end = id.length;
    while (end > 0 && (id.charCodeAt(end - 1) === 47 /* / */ || id.charCodeAt(end - 1) <= 32)) end--;
    guid = id.slice(id.lastIndexOf('/', end - 1) + 1, end).trim().toLowerCase();
    // Capped, so hostile or random input cannot grow it without bound.
    if (knownGuids.size < 10_000) knownGuids.set(id, guid);
  }
  return guid;
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
  const hasProperties = get(doc.raw, 'properties');
  if (hasProperties !== undefined && !isObject(hasProperties)) {
    return `"properties" is ${describe(hasProperties)}: the cluster's configuration was not returned`;
  }
  if (CONFIGURATION_FIELDS.some((f) => doc.field(f) !== undefined)) return undefined;
  if (doc.properties) return 'the cluster document has "properties" but no recognisable cluster configuration in it';
  if (get(doc.raw, 'type') !== undefined || get(doc.raw, 'identity') !== undefined || get(doc.raw, 'location') !== undefined) {
    return 'the cluster document has no "properties": its configuration was not returned';
  }
  return 'the cluster document has no recognisable cluster configuration';
}

function normaliseAadProfile(doc: Doc): Cluster['aadProfile'] {
  const aad = doc.object('aadProfile');
  if (!aad) return null;
  const where = doc.where;
  return compact({
    managed: toBoolean(get(aad, 'managed'), where, 'aadProfile.managed'),
    enableAzureRbac: toBoolean(get(aad, 'enableAzureRbac'), where, 'aadProfile.enableAzureRBAC'),
    adminGroupObjectIds: toStringArray(get(aad, 'adminGroupObjectIds'), where, 'aadProfile.adminGroupObjectIDs'),
  });
}

function normaliseUserAssignedIdentities(value: unknown, where: string): UserAssignedIdentity[] {
  if (value === undefined || value === null) return [];
  const out: UserAssignedIdentity[] = [];
  // The documented shape in ARM, SDK and `az` alike: a map resourceId → { principalId, clientId }.
  if (isObject(value)) {
    for (const [resourceId, details] of Object.entries(value)) {
      const d = isObject(details) ? details : undefined;
      out.push(
        compact({ resourceId, principalId: toText(get(d, 'principalId')), clientId: toText(get(d, 'clientId')) }),
      );
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
        out.push(compact({ resourceId, principalId: toText(get(item, 'principalId')), clientId: toText(get(item, 'clientId')) }));
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
  return compact({
    type: toText(get(identity, 'type')),
    principalId: toText(get(identity, 'principalId')),
    userAssignedIdentities: normaliseUserAssignedIdentities(get(identity, 'userAssignedIdentities'), doc.where),
  });
}

function normaliseKubeletIdentity(doc: Doc): Cluster['kubeletIdentity'] {
  const kubelet = getObject(doc.object('identityProfile'), 'kubeletidentity');
  if (!kubelet) return null;
  return compact({
    objectId: toText(get(kubelet, 'objectId')),
    clientId: toText(get(kubelet, 'clientId')),
    resourceId: toText(get(kubelet, 'resourceId')),
  });
}

function normaliseApiServerAccess(doc: Doc): Cluster['apiServerAccess'] {
  const profile = doc.object('apiServerAccessProfile');
  if (!profile) return null;
  return compact({
    enablePrivateCluster: toBoolean(get(profile, 'enablePrivateCluster'), doc.where, 'apiServerAccessProfile.enablePrivateCluster'),
    authorizedIpRanges: toStringArray(get(profile, 'authorizedIpRanges'), doc.where, 'apiServerAccessProfile.authorizedIPRanges'),
  });
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
  const id = requireId(obj, where);
  const doc = new Doc(obj, where);
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
  const optional: Partial<Cluster> = compact({
    disableLocalAccounts: toBoolean(doc.field('disableLocalAccounts'), where, 'disableLocalAccounts'),
    enableRbac: toBoolean(doc.field('enableRbac'), where, 'enableRBAC'),
    servicePrincipalClientId: toText(get(doc.object('servicePrincipalProfile'), 'clientId')),
    oidcIssuerEnabled: toBoolean(get(doc.object('oidcIssuerProfile'), 'enabled'), where, 'oidcIssuerProfile.enabled'),
    workloadIdentityEnabled: toBoolean(
      get(getObject(security, 'workloadIdentity'), 'enabled'),
      where,
      'securityProfile.workloadIdentity.enabled',
    ),
    podIdentityEnabled: toBoolean(get(doc.object('podIdentityProfile'), 'enabled'), where, 'podIdentityProfile.enabled'),
    defenderSecurityMonitoringEnabled: normaliseDefender(doc),
  });
  return Object.assign(cluster, optional);
}

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

const ASSIGNMENT_SUFFIX = /\/providers\/microsoft\.authorization\/roleassignments\/[^/]+\/*$/i;

/**
 * One role assignment: `az role assignment list` (flat, with `roleDefinitionName`) or ARM REST
 * (`properties.*`). `listedInSubscriptionId` is the subscription whose listing returned it, when
 * known (see `RoleAssignment.listedInSubscriptionId`).
 */
export function normaliseRoleAssignment(raw: unknown, where: string, listedInSubscriptionId?: string): RoleAssignment {
  const obj = requireObject(raw, where);
  const id = requireId(obj, where);
  const doc = new Doc(obj, where);

  // The scope is also the id without its `/providers/Microsoft.Authorization/roleAssignments/{name}`
  // tail; older ARM listings omit `properties.scope`.
  let scope = toText(doc.field('scope'));
  if (scope === undefined && ASSIGNMENT_SUFFIX.test(id.trim())) scope = id.trim().replace(ASSIGNMENT_SUFFIX, '') || '/';
  if (scope === undefined) throw new InputError(`${where}: entry has no "scope"`);

  const principalId = toText(doc.field('principalId'));
  if (principalId === undefined) throw new InputError(`${where}: entry has no "principalId"`);
  const roleDefinitionId = toText(doc.field('roleDefinitionId'));
  if (roleDefinitionId === undefined) throw new InputError(`${where}: entry has no "roleDefinitionId"`);

  const assignment: RoleAssignment = {
    id,
    scope,
    principalId,
    // Older API versions did not return a type; `Unknown` is shown rather than a guess.
    principalType: toText(doc.field('principalType')) ?? 'Unknown',
    roleDefinitionId,
    roleDefinitionGuid: roleDefinitionGuid(roleDefinitionId),
  };
  const roleName = toText(doc.field('roleDefinitionName'));
  if (roleName !== undefined) assignment.roleDefinitionName = roleName;
  const condition = toText(doc.field('condition'));
  if (condition !== undefined) assignment.condition = condition;
  const listedIn = listedInSubscriptionId?.trim().toLowerCase();
  if (listedIn) assignment.listedInSubscriptionId = listedIn;
  return assignment;
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
  const id = requireId(obj, where);
  const doc = new Doc(obj, where);
  const guid = roleDefinitionGuid(id);

  // ARM puts BuiltInRole/CustomRole in `properties.type`; the top-level `type` is the resource
  // type (`Microsoft.Authorization/roleDefinitions`) and must not be read as the role type.
  const roleTypeText = toText(doc.field('roleType')) ?? toText(get(doc.properties, 'type'));
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
