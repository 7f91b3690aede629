/**
 * Principals by name (docs/access.md "Names"): what the exports and the directory say a principal is
 * called, how directory data is read and applied to an estate, and the one way every output
 * (table, JSON, Markdown, SARIF, alerts, the HTTP API) describes a principal: its name beside
 * its id, e.g. `Dave Jones (dave@contoso.example) · Contributor at rg-prod · User 0000…`.
 * The id stays the key everywhere; a name is only ever shown. Pure.
 */
import { InputError } from './errors';
import { membersOfPrincipal } from './groupMembers';
import type {
  Directory,
  DirectoryPrincipal,
  Estate,
  GroupMembers,
  PrincipalAccess,
  RoleAssignment,
} from './model';
import { parseResourceId } from './resourceId';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The names a principal is shown with; either may be absent. */
export interface PrincipalNames {
  displayName?: string;
  userPrincipalName?: string;
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * The names an assignment export gives. In `az role assignment list` output `principalName` is
 * the UPN for users, the display name for groups, and for service principals the first service
 * principal name: usually the application id (a GUID, which is not a name and is dropped) or, for
 * older apps, a URI-like name. `principalDisplayName` (portal and some SDK exports) is always
 * the display name. With no `principalType`, a `principalName` with `@` is taken for a UPN.
 */
export function namesFromExport(
  principalType: string | undefined,
  principalName: unknown,
  principalDisplayName: unknown,
): PrincipalNames {
  const names: PrincipalNames = {};
  const displayName = text(principalDisplayName);
  if (displayName !== undefined) names.displayName = displayName;
  const name = text(principalName);
  if (name === undefined) return names;
  const type = (principalType ?? '').trim().toLowerCase();
  if (type === 'user' || ((type === '' || type === 'unknown') && name.includes('@'))) {
    names.userPrincipalName = name;
  } else if (!GUID.test(name)) {
    names.displayName ??= name;
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Directory data (`principals.json`; Microsoft Graph objects have the same shape)
// ---------------------------------------------------------------------------------------------

const ODATA_TYPES: Record<string, string> = {
  user: 'User',
  group: 'Group',
  serviceprincipal: 'ServicePrincipal',
  device: 'Device',
  orgcontact: 'OrgContact',
};

/** `#microsoft.graph.servicePrincipal` → `ServicePrincipal`; `users` in an `@odata.context` → `User`. */
function typeFromGraphName(name: string): string | undefined {
  const key = name
    .toLowerCase()
    .replace(/^#?microsoft\.graph\./, '')
    .replace(/s$/, '');
  return ODATA_TYPES[key];
}

/**
 * The principal type of a directory object: `@odata.type` (Graph), `principalType` (hand-made),
 * `objectType` (`az ad … show` before 2.37), the entity set in `@odata.context` (`az ad user
 * show` today), or failing those the fields only one kind of object has. Undefined when none say.
 */
function directoryType(obj: Record<string, unknown>): string | undefined {
  const odata = text(obj['@odata.type']);
  if (odata !== undefined)
    return typeFromGraphName(odata) ?? odata.replace(/^#?microsoft\.graph\./i, '');
  const given = text(obj.principalType) ?? text(obj.objectType);
  if (given !== undefined) return typeFromGraphName(given) ?? given;
  const context = text(obj['@odata.context']);
  const entitySet = context && /#([A-Za-z]+)/.exec(context)?.[1];
  if (entitySet) {
    const type = typeFromGraphName(entitySet);
    if (type) return type;
  }
  if ('userPrincipalName' in obj) return 'User';
  if ('appId' in obj || 'servicePrincipalType' in obj) return 'ServicePrincipal';
  if ('securityEnabled' in obj || 'groupTypes' in obj || 'members' in obj) return 'Group';
  return undefined;
}

function optionalBoolean(value: unknown, where: string, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim()))
    return value.trim().toLowerCase() === 'true';
  throw new InputError(`${where}: "${field}" is ${JSON.stringify(value)}, expected true or false`);
}

/** Group members as ids: plain ids, or directory objects (`transitiveMembers` output) with an `id`. */
function memberIds(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw new InputError(`${where}: "members" is not an array (expected member ids)`);
  return value.map((member, i) => {
    const id =
      typeof member === 'string'
        ? text(member)
        : member && typeof member === 'object'
          ? text((member as Record<string, unknown>).id)
          : undefined;
    if (id === undefined) throw new InputError(`${where}: "members[${i}]" has no id`);
    return id;
  });
}

/** One entry of `principals.json` (docs/contracts.md). `where` (e.g. `principals.json[2]`) prefixes every error. */
export function normaliseDirectoryPrincipal(raw: unknown, where: string): DirectoryPrincipal {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InputError(`${where}: entry is not an object`);
  const obj = raw as Record<string, unknown>;
  // `objectId` is how `az ad` spelt the id before it moved to Microsoft Graph.
  const id = text(obj.id) ?? text(obj.objectId);
  if (id === undefined) throw new InputError(`${where}: entry has no "id"`);
  const principal: DirectoryPrincipal = { id };
  const type = directoryType(obj);
  if (type !== undefined) principal.principalType = type;
  const displayName = text(obj.displayName);
  if (displayName !== undefined) principal.displayName = displayName;
  const userPrincipalName = text(obj.userPrincipalName);
  if (userPrincipalName !== undefined) principal.userPrincipalName = userPrincipalName;
  const userType = text(obj.userType);
  if (userType !== undefined) principal.userType = userType;
  const accountEnabled = optionalBoolean(obj.accountEnabled, where, 'accountEnabled');
  if (accountEnabled !== undefined) principal.accountEnabled = accountEnabled;
  const members = memberIds(obj.members, where);
  if (members !== undefined) principal.members = members;
  return principal;
}

/** Object ids compare case-insensitively, surrounding blanks ignored. */
export function principalKey(id: string | undefined): string {
  return (id ?? '').trim().toLowerCase();
}

/** The directory's entries by principal key (the first entry of an id wins). */
export function directoryIndex(directory: Directory): Map<string, DirectoryPrincipal> {
  const byId = new Map<string, DirectoryPrincipal>();
  for (const principal of directory.principals) {
    const key = principalKey(principal.id);
    if (key !== '' && !byId.has(key)) byId.set(key, principal);
  }
  return byId;
}

/** Every principal id an estate's role assignments name, each once (for a directory look-up). */
export function principalIdsOf(estate: Pick<Estate, 'roleAssignments'>): string[] {
  const seen = new Map<string, string>();
  for (const a of estate.roleAssignments) {
    const key = principalKey(a.principalId);
    if (key !== '' && !seen.has(key)) seen.set(key, a.principalId.trim());
  }
  return [...seen.values()];
}

/**
 * The estate with the directory's answers on its role assignments: names (the directory wins
 * over the export, which may be stale), the principal type where the export had none, and
 * `deleted` for a principal a complete directory does not list. Assignments the directory says
 * nothing new about are kept as the same objects. Without a directory, the estate as it is.
 */
export function applyDirectory(estate: Estate): Estate {
  const directory = estate.directory;
  if (!directory) return estate;
  const byId = directoryIndex(directory);
  const roleAssignments = estate.roleAssignments.map((a) => {
    const entry = byId.get(principalKey(a.principalId));
    return withDirectoryAnswer(
      a,
      entry,
      directory.complete,
      entry && membersOfPrincipal(directory, byId, entry),
    );
  });
  return { ...estate, roleAssignments };
}

function withDirectoryAnswer(
  a: RoleAssignment,
  entry: DirectoryPrincipal | undefined,
  complete: boolean,
  members: GroupMembers | undefined,
): RoleAssignment {
  if (entry === undefined) return complete && a.deleted !== true ? { ...a, deleted: true } : a;
  const displayName = entry.displayName ?? a.displayName;
  const userPrincipalName = entry.userPrincipalName ?? a.userPrincipalName;
  const principalType = isKnownType(a.principalType)
    ? a.principalType
    : (entry.principalType ?? a.principalType);
  const user = (entry.principalType ?? '').trim().toLowerCase() === 'user';
  const guest = user && (entry.userType ?? '').trim().toLowerCase() === 'guest' ? true : undefined;
  const enabled = user && entry.accountEnabled === false ? false : undefined;
  if (
    displayName === a.displayName &&
    userPrincipalName === a.userPrincipalName &&
    principalType === a.principalType &&
    a.deleted === undefined &&
    members === a.members &&
    guest === a.guest &&
    enabled === a.enabled
  )
    return a;
  const named: RoleAssignment = { ...a, principalType };
  delete named.deleted;
  delete named.guest;
  delete named.enabled;
  if (displayName !== undefined) named.displayName = displayName;
  if (userPrincipalName !== undefined) named.userPrincipalName = userPrincipalName;
  if (members !== undefined) named.members = members;
  if (guest !== undefined) named.guest = guest;
  if (enabled !== undefined) named.enabled = enabled;
  return named;
}

/** Whether a principal type says what the principal is (`Unknown` and blank do not). */
export function isKnownType(principalType: string | undefined): boolean {
  const type = (principalType ?? '').trim().toLowerCase();
  return type !== '' && type !== 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Descriptions: the one wording every output uses
// ---------------------------------------------------------------------------------------------

/** What a description needs of a principal; `PrincipalAccess` and `RoleAssignment` both fit. */
export interface NamedPrincipal extends PrincipalNames {
  principalId: string;
  principalType?: string;
  deleted?: boolean;
  /** A user the directory says is a guest (`userType` Guest). */
  guest?: boolean;
  /** `false`: a user the directory says is disabled (`accountEnabled` false). */
  enabled?: boolean;
}

/**
 * What a responder must notice about the principal itself, after its name: ` (deleted)`,
 * ` [guest]`, ` [disabled]`, ` [guest, disabled]` (group members are flagged the same way).
 */
export function principalMarks(p: Pick<NamedPrincipal, 'deleted' | 'guest' | 'enabled'>): string {
  const deleted = p.deleted === true ? ' (deleted)' : '';
  const flags = [
    p.guest === true ? 'guest' : undefined,
    p.enabled === false ? 'disabled' : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return `${deleted}${flags ? ` [${flags}]` : ''}`;
}

/** `Dave Jones (dave@contoso.example)`, `Dave Jones`, `dave@contoso.example`, or undefined when unnamed. */
export function principalName(p: PrincipalNames): string | undefined {
  const displayName = text(p.displayName);
  const upn = text(p.userPrincipalName);
  if (displayName && upn && displayName.toLowerCase() !== upn.toLowerCase())
    return `${displayName} (${upn})`;
  return displayName ?? upn;
}

/** `User 00000000-…`: the type and id (`Principal` when the type is unknown). */
export function principalIdentity(p: NamedPrincipal): string {
  const type = isKnownType(p.principalType) ? p.principalType!.trim() : 'Principal';
  return `${type} ${p.principalId}`;
}

/**
 * The principal in a few words: its name when known, else its type and id; `(deleted)` when the
 * directory no longer knows it. Use `describePrincipal` where the id must be shown beside it.
 */
export function principalLabel(p: NamedPrincipal): string {
  return `${principalName(p) ?? principalIdentity(p)}${principalMarks(p)}`;
}

/** The principal with its id beside its name: `Dave Jones (dave@contoso.example) · User 0000…`. */
export function describePrincipal(p: NamedPrincipal): string {
  const name = principalName(p);
  const deleted = principalMarks(p);
  return name === undefined
    ? `${principalIdentity(p)}${deleted}`
    : `${name}${deleted} · ${principalIdentity(p)}`;
}

/**
 * A scope in the words an engineer uses: the resource group's or resource's name, `subscription
 * <id>`, `management group <name>`, `the tenant root (/)`. The full scope stays in the JSON.
 */
export function scopeLabel(scope: string | undefined): string {
  const trimmed = (scope ?? '').trim().replace(/\/+$/, '');
  if (trimmed === '') return 'the tenant root (/)';
  const mg = /^\/?providers\/microsoft\.management\/managementgroups\/([^/]+)$/i.exec(trimmed);
  if (mg) return `management group ${mg[1]}`;
  const parts = parseResourceId(trimmed);
  if (parts.name !== undefined) return parts.name;
  if (parts.resourceGroup !== undefined) return parts.resourceGroup;
  if (parts.subscriptionId !== undefined) return `subscription ${parts.subscriptionId}`;
  return trimmed;
}

/** What a grant needs to be described; `PrincipalAccess` fits. */
export interface Grant extends NamedPrincipal {
  roleName: string;
  scope: string;
}

/**
 * The principal and what it holds, with its id kept beside the name:
 * `Dave Jones (dave@contoso.example) · Contributor at rg-prod · User 0000…`
 * (`User 0000… · Contributor at rg-prod` when the principal has no name).
 */
export function describeGrant(p: Grant): string {
  const name = principalName(p);
  const deleted = principalMarks(p);
  const grant = `${p.roleName} at ${scopeLabel(p.scope)}`;
  return name === undefined
    ? `${principalIdentity(p)}${deleted} · ${grant}`
    : `${name}${deleted} · ${grant} · ${principalIdentity(p)}`;
}

/**
 * What the directory says of an entry as it is copied onto a `PrincipalAccess`: its names,
 * `deleted`, and a group's members (absent fields left out).
 */
export function namesOf(
  p: PrincipalNames & {
    deleted?: boolean;
    guest?: boolean;
    enabled?: boolean;
    members?: GroupMembers;
  },
): Pick<
  PrincipalAccess,
  'displayName' | 'userPrincipalName' | 'deleted' | 'guest' | 'enabled' | 'members'
> {
  const names: Pick<
    PrincipalAccess,
    'displayName' | 'userPrincipalName' | 'deleted' | 'guest' | 'enabled' | 'members'
  > = {};
  if (p.displayName !== undefined) names.displayName = p.displayName;
  if (p.userPrincipalName !== undefined) names.userPrincipalName = p.userPrincipalName;
  if (p.deleted === true) names.deleted = true;
  if (p.guest === true) names.guest = true;
  if (p.enabled === false) names.enabled = false;
  if (p.members !== undefined) names.members = p.members;
  return names;
}
