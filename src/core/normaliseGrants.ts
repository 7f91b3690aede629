/**
 * Normalisation of the grants that are not plain role assignments: PIM eligibilities
 * (`roleEligibilityScheduleInstances`) and deny assignments (`denyAssignments`), in the ARM REST
 * shape (`properties` nested, as `az rest` exports them) or the SDK's (fields at the top level).
 * Every problem is an InputError naming the entry and field. Pure.
 */
import { InputError } from './errors';
import type { DenyAssignment, DenyPrincipal, Permission, RoleAssignment } from './model';
import { normaliseRoleAssignment } from './normalise';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field under `properties` (ARM REST) or at the top level (SDK). */
function field(obj: Json, key: string): unknown {
  const properties = obj.properties;
  if (isObject(properties) && properties[key] !== undefined && properties[key] !== null)
    return properties[key];
  return obj[key];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * One eligibility schedule instance, as a role assignment marked `eligible`: it has the same
 * scope, principal, role and condition fields. The instance's status and end date are not
 * judged: every instance listed counts (over-reporting is the safe side).
 */
export function normaliseEligibility(
  raw: unknown,
  where: string,
  listedInSubscriptionId?: string,
): RoleAssignment {
  const assignment = normaliseRoleAssignment(raw, where, listedInSubscriptionId);
  assignment.eligible = true;
  // ARM names the role only in `expandedProperties` (as `az` names it in `roleDefinitionName`).
  const expanded = isObject(raw) ? field(raw, 'expandedProperties') : undefined;
  const roleName =
    isObject(expanded) && isObject(expanded.roleDefinition)
      ? text(expanded.roleDefinition.displayName)
      : undefined;
  if (assignment.roleDefinitionName === undefined && roleName !== undefined)
    assignment.roleDefinitionName = roleName;
  const conditionVersion = isObject(raw) ? text(field(raw, 'conditionVersion')) : undefined;
  if (conditionVersion !== undefined) assignment.conditionVersion = conditionVersion;
  return assignment;
}

function strings(value: unknown, where: string, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`${where}: "${name}" is not an array`);
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw new InputError(`${where}: "${name}[${i}]" is not a string`);
    if (item.trim() !== '') out.push(item);
  });
  return out;
}

function permissions(value: unknown, where: string): Permission[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`${where}: "permissions" is not an array`);
  return value.map((block, i) => {
    if (!isObject(block)) throw new InputError(`${where}: "permissions[${i}]" is not an object`);
    const list = (key: string) => strings(block[key], where, `permissions[${i}].${key}`);
    return {
      actions: list('actions'),
      notActions: list('notActions'),
      dataActions: list('dataActions'),
      notDataActions: list('notDataActions'),
    };
  });
}

function principals(value: unknown, where: string, name: string): DenyPrincipal[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`${where}: "${name}" is not an array`);
  return value.map((item, i) => {
    const id = isObject(item) ? text(item.id) : undefined;
    if (id === undefined) throw new InputError(`${where}: "${name}[${i}]" has no "id"`);
    const type = text((item as Json).type);
    return type === undefined ? { id } : { id, type };
  });
}

const DENY_SUFFIX = /\/providers\/microsoft\.authorization\/denyassignments\/[^/]+\/*$/i;

/** One deny assignment. Its scope is `properties.scope`, or its id without the deny-assignment tail. */
export function normaliseDenyAssignment(
  raw: unknown,
  where: string,
  listedInSubscriptionId?: string,
): DenyAssignment {
  if (!isObject(raw)) throw new InputError(`${where}: entry is not an object`);
  const id = text(raw.id);
  if (id === undefined) throw new InputError(`${where}: entry has no "id"`);
  let scope = text(field(raw, 'scope'));
  if (scope === undefined && DENY_SUFFIX.test(id.trim()))
    scope = id.trim().replace(DENY_SUFFIX, '') || '/';
  if (scope === undefined) throw new InputError(`${where}: entry has no "scope"`);
  const childScopes = field(raw, 'doNotApplyToChildScopes');
  if (childScopes !== undefined && childScopes !== null && typeof childScopes !== 'boolean') {
    throw new InputError(`${where}: "doNotApplyToChildScopes" is not true or false`);
  }
  const deny: DenyAssignment = {
    id,
    scope,
    permissions: permissions(field(raw, 'permissions'), where),
    principals: principals(field(raw, 'principals'), where, 'principals'),
    excludePrincipals: principals(field(raw, 'excludePrincipals'), where, 'excludePrincipals'),
    doNotApplyToChildScopes: childScopes === true,
  };
  const name = text(field(raw, 'denyAssignmentName')) ?? text(raw.name);
  if (name !== undefined) deny.name = name;
  const listedIn = listedInSubscriptionId?.trim().toLowerCase();
  if (listedIn) deny.listedInSubscriptionId = listedIn;
  return deny;
}
