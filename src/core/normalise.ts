/**
 * Normalisation (docs/architecture.md step 1): managed clusters, role assignments and role definitions
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
import {
  isObject,
  readField,
  readObject,
  readShapedField,
  Shape,
  shapeOf,
  type Json,
  type ShapeMemo,
} from './fieldSpelling';
import type {
  Addon,
  Cluster,
  Permission,
  RoleAssignment,
  RoleDefinition,
  UserAssignedIdentity,
} from './model';
import { namesFromExport } from './principals';
import { parseResourceId } from './resourceId';
import { roleDefinitionGuid } from './roleGuid';

export { roleDefinitionGuid } from './roleGuid';

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
    const properties = readShapedField(raw, this.rawShape, 'properties');
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
      const nested = readShapedField(this.properties, this.propertiesShape, key);
      if (nested !== undefined) return nested;
    }
    return readShapedField(this.raw, this.rawShape, key);
  }

  object(key: string): Json | undefined {
    const value = this.field(key);
    return isObject(value) ? value : undefined;
  }

  /** Top level only: `id`, `name`, `identity`, `location` live outside `properties` in ARM. */
  top(key: string): unknown {
    return readShapedField(this.raw, this.rawShape, key);
  }

  /** Under `properties` only (undefined when there are none). */
  nested(key: string): unknown {
    return this.properties
      ? readShapedField(this.properties, this.propertiesShape, key)
      : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Value coercion (each names the entry and field on failure)
// ---------------------------------------------------------------------------------------------

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
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
  if (!Array.isArray(value))
    throw new InputError(
      `${where}: "${field}" is ${describe(value)}, expected an array of strings`,
    );
  const out: string[] = [];
  for (const item of value) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string')
      throw new InputError(
        `${where}: "${field}" contains ${describe(item)}, expected strings only`,
      );
    if (!isBlank(item)) out.push(item);
  }
  return out;
}

/** A user-assigned identity: its resource id, and its principal and client ids when given. */
function userAssignedIdentity(resourceId: string, details: Json | undefined): UserAssignedIdentity {
  const principalId = toText(readField(details, 'principalId'));
  const clientId = toText(readField(details, 'clientId'));
  const out: UserAssignedIdentity = { resourceId };
  if (principalId !== undefined) out.principalId = principalId;
  if (clientId !== undefined) out.clientId = clientId;
  return out;
}

function requireObject(raw: unknown, where: string): Json {
  if (!isObject(raw))
    throw new InputError(`${where}: entry has no "id" (it is ${describe(raw)}, not an object)`);
  return raw;
}

function requireId(id: unknown, where: string): string {
  if (typeof id !== 'string' || isBlank(id)) throw new InputError(`${where}: entry has no "id"`);
  return id;
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
  if (doc.properties)
    return 'the cluster document has "properties" but no recognisable cluster configuration in it';
  if (
    doc.top('type') !== undefined ||
    doc.top('identity') !== undefined ||
    doc.top('location') !== undefined
  ) {
    return 'the cluster document has no "properties": its configuration was not returned';
  }
  return 'the cluster document has no recognisable cluster configuration';
}

function normaliseAadProfile(doc: Doc): Cluster['aadProfile'] {
  const aad = doc.object('aadProfile');
  if (!aad) return null;
  const where = doc.where;
  const managed = toBoolean(readField(aad, 'managed'), where, 'aadProfile.managed');
  const enableAzureRbac = toBoolean(
    readField(aad, 'enableAzureRbac'),
    where,
    'aadProfile.enableAzureRBAC',
  );
  const adminGroupObjectIds = toStringArray(
    readField(aad, 'adminGroupObjectIds'),
    where,
    'aadProfile.adminGroupObjectIDs',
  );
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
        const resourceId = toText(readField(item, 'resourceId')) ?? toText(readField(item, 'id'));
        if (!resourceId)
          throw new InputError(
            `${where}: "identity.userAssignedIdentities" has an entry without a resource id`,
          );
        out.push(userAssignedIdentity(resourceId, item));
      }
    }
    return out;
  }
  throw new InputError(
    `${where}: "identity.userAssignedIdentities" is ${describe(value)}, expected an object`,
  );
}

function normaliseIdentity(doc: Doc): Cluster['identity'] {
  // `identity` sits outside `properties` in ARM; the SDK and `az` put it at the top level too.
  const identity = doc.top('identity') ?? doc.field('identity');
  if (!isObject(identity)) return null;
  const type = toText(readField(identity, 'type'));
  const principalId = toText(readField(identity, 'principalId'));
  const userAssignedIdentities = normaliseUserAssignedIdentities(
    readField(identity, 'userAssignedIdentities'),
    doc.where,
  );
  const out = {} as NonNullable<Cluster['identity']>;
  if (type !== undefined) out.type = type;
  if (principalId !== undefined) out.principalId = principalId;
  out.userAssignedIdentities = userAssignedIdentities;
  return out;
}

function normaliseKubeletIdentity(doc: Doc): Cluster['kubeletIdentity'] {
  const kubelet = readObject(doc.object('identityProfile'), 'kubeletidentity');
  if (!kubelet) return null;
  const objectId = toText(readField(kubelet, 'objectId'));
  const clientId = toText(readField(kubelet, 'clientId'));
  const resourceId = toText(readField(kubelet, 'resourceId'));
  const out: NonNullable<Cluster['kubeletIdentity']> = {};
  if (objectId !== undefined) out.objectId = objectId;
  if (clientId !== undefined) out.clientId = clientId;
  if (resourceId !== undefined) out.resourceId = resourceId;
  return out;
}

function normaliseApiServerAccess(doc: Doc): Cluster['apiServerAccess'] {
  const profile = doc.object('apiServerAccessProfile');
  if (!profile) return null;
  const enablePrivateCluster = toBoolean(
    readField(profile, 'enablePrivateCluster'),
    doc.where,
    'apiServerAccessProfile.enablePrivateCluster',
  );
  const authorizedIpRanges = toStringArray(
    readField(profile, 'authorizedIpRanges'),
    doc.where,
    'apiServerAccessProfile.authorizedIPRanges',
  );
  const out: NonNullable<Cluster['apiServerAccess']> = {};
  if (enablePrivateCluster !== undefined) out.enablePrivateCluster = enablePrivateCluster;
  if (authorizedIpRanges !== undefined) out.authorizedIpRanges = authorizedIpRanges;
  return out;
}

function normaliseDefender(doc: Doc): boolean | undefined {
  const security = doc.object('securityProfile');
  const monitoring = readObject(readObject(security, 'defender'), 'securityMonitoring');
  const enabled = toBoolean(
    readField(monitoring, 'enabled'),
    doc.where,
    'securityProfile.defender.securityMonitoring.enabled',
  );
  if (enabled !== undefined) return enabled;
  // API versions before 2022 (preview) spelt it `securityProfile.azureDefender.enabled`.
  return toBoolean(
    readField(readObject(security, 'azureDefender'), 'enabled'),
    doc.where,
    'securityProfile.azureDefender.enabled',
  );
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
    const rawConfig = readObject(p, 'config');
    if (rawConfig) {
      for (const [k, v] of Object.entries(rawConfig)) {
        const text = configValue(v);
        if (text !== undefined) config[k] = text;
      }
    }
    // An add-on profile that does not say it is enabled is not enabled (ARM requires the flag).
    addons[key] = {
      enabled:
        toBoolean(readField(p, 'enabled'), doc.where, `addonProfiles.${name}.enabled`) === true,
      config,
    };
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
  const disableLocalAccounts = toBoolean(
    doc.field('disableLocalAccounts'),
    where,
    'disableLocalAccounts',
  );
  const enableRbac = toBoolean(doc.field('enableRbac'), where, 'enableRBAC');
  const servicePrincipalClientId = toText(
    readField(doc.object('servicePrincipalProfile'), 'clientId'),
  );
  const oidcIssuerEnabled = toBoolean(
    readField(doc.object('oidcIssuerProfile'), 'enabled'),
    where,
    'oidcIssuerProfile.enabled',
  );
  const workloadIdentityEnabled = toBoolean(
    readField(readObject(security, 'workloadIdentity'), 'enabled'),
    where,
    'securityProfile.workloadIdentity.enabled',
  );
  const podIdentityEnabled = toBoolean(
    readField(doc.object('podIdentityProfile'), 'enabled'),
    where,
    'podIdentityProfile.enabled',
  );
  const defenderSecurityMonitoringEnabled = normaliseDefender(doc);
  if (disableLocalAccounts !== undefined) cluster.disableLocalAccounts = disableLocalAccounts;
  if (enableRbac !== undefined) cluster.enableRbac = enableRbac;
  if (servicePrincipalClientId !== undefined)
    cluster.servicePrincipalClientId = servicePrincipalClientId;
  if (oidcIssuerEnabled !== undefined) cluster.oidcIssuerEnabled = oidcIssuerEnabled;
  const oidcIssuerUrl = toText(readField(doc.object('oidcIssuerProfile'), 'issuerUrl'));
  if (oidcIssuerUrl !== undefined) cluster.oidcIssuerUrl = oidcIssuerUrl;
  if (workloadIdentityEnabled !== undefined)
    cluster.workloadIdentityEnabled = workloadIdentityEnabled;
  if (podIdentityEnabled !== undefined) cluster.podIdentityEnabled = podIdentityEnabled;
  if (defenderSecurityMonitoringEnabled !== undefined)
    cluster.defenderSecurityMonitoringEnabled = defenderSecurityMonitoringEnabled;
  return cluster;
}

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

const hasOwn = Object.prototype.hasOwnProperty;

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

// Per shape, worked out the first time an assignment of that shape is read.
const flatAssignmentPlans = new WeakMap<Shape, FlatAssignmentPlan | null>();

function flatAssignmentPlan(shape: Shape): FlatAssignmentPlan | null {
  let known = flatAssignmentPlans.get(shape);
  if (known === undefined) {
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
    const flat =
      planField(shape, 'properties') === false && Object.values(plan).every((v) => v !== undefined);
    known = flat ? (plan as FlatAssignmentPlan) : null;
    flatAssignmentPlans.set(shape, known);
  }
  return known;
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
export function normaliseRoleAssignment(
  raw: unknown,
  where: string,
  listedInSubscriptionId?: string,
): RoleAssignment {
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
      plan.principalDisplayName
        ? obj.principalDisplayName
        : absentField(obj, 'principalDisplayName'),
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
  if (scope === undefined && ASSIGNMENT_SUFFIX.test(id.trim()))
    scope = id.trim().replace(ASSIGNMENT_SUFFIX, '') || '/';
  if (scope === undefined) throw new InputError(`${where}: entry has no "scope"`);

  const principalId = toText(rawPrincipalId);
  if (principalId === undefined) throw new InputError(`${where}: entry has no "principalId"`);
  const roleDefinitionId = toText(rawRoleDefinitionId);
  if (roleDefinitionId === undefined)
    throw new InputError(`${where}: entry has no "roleDefinitionId"`);

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
    const names = namesFromExport(
      assignment.principalType,
      rawPrincipalName,
      rawPrincipalDisplayName,
    );
    if (names.displayName !== undefined) assignment.displayName = names.displayName;
    if (names.userPrincipalName !== undefined)
      assignment.userPrincipalName = names.userPrincipalName;
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
  if (!Array.isArray(value))
    throw new InputError(`${where}: "permissions" is ${describe(value)}, expected an array`);
  return value.map((block, i) => {
    if (!isObject(block))
      throw new InputError(
        `${where}: "permissions[${i}]" is ${describe(block)}, expected an object`,
      );
    const list = (key: string) =>
      toStringArray(readField(block, key), where, `permissions[${i}].${key}`) ?? [];
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
  const roleType: RoleDefinition['roleType'] =
    roleTypeText?.trim().toLowerCase() === 'builtinrole' ? 'BuiltInRole' : 'CustomRole';

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
