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
import { isObject, readField, shapeOf, type Json, type Shape } from './fieldSpelling';
import type { Permission, RoleAssignment, RoleDefinition } from './model';
import {
  Doc,
  describe,
  docKind,
  requireId,
  requireObject,
  toStringArray,
  toText,
} from './normaliseDocument';
import { namesFromExport } from './principals';
import { roleDefinitionGuid } from './roleGuid';

export { roleDefinitionGuid } from './roleGuid';
export { normaliseCluster } from './normaliseCluster';

const ASSIGNMENT_DOCS = docKind();
const DEFINITION_DOCS = docKind();

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
