/**
 * Helpers shared by the check modules: building definitions, rendering `az` commands, and the
 * wording of `error` outcomes. Pure.
 */
import type { ResolvedAssignment } from '../access';
import type {
  Addon,
  Cluster,
  Directory,
  DirectoryPrincipal,
  PrincipalAccess,
  RoleAssignment,
} from '../model';
import { grantMarks } from '../grants';
import { accessQuery } from '../accessQuery';
import { principalKey } from '../accessViews';
import { membersOfPrincipal } from '../groupMembers';
import { describeGrant, describePrincipal, directoryIndex, namesOf } from '../principals';
import type { CheckDefinition, CheckInput, CheckOutcome, RemediationContext } from './types';

/** Placeholders (`<cluster-name>`) are shown as they are; they are for a person to replace. */
const PLACEHOLDER = /^<[a-z0-9-]+>$/;
const SHELL_SAFE = /^[A-Za-z0-9_./:=@,+-]+$/;

/**
 * A value as one POSIX shell word. Resource group names may contain parentheses, which a shell
 * would interpret, so anything outside a conservative safe set is single-quoted.
 */
export function shellArg(value: string): string {
  if (PLACEHOLDER.test(value) || SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `-g <resource group> -n <cluster name>`, with placeholders when the input lacks them. */
export function clusterArgs(cluster: Pick<Cluster, 'resourceGroup' | 'name'>): string {
  const name = cluster.name?.trim() || '<cluster-name>';
  return `-g ${resourceGroupArg(cluster)} -n ${shellArg(name)}`;
}

/** The cluster's resource group as a shell word (a placeholder when the input lacks it). */
export function resourceGroupArg(cluster: Pick<Cluster, 'resourceGroup'>): string {
  return shellArg(cluster.resourceGroup?.trim() || '<resource-group>');
}

/** Enum-like strings from ARM, the SDK and `az` differ in case (`systemassigned`). */
export function sameText(a: string | undefined | null, b: string): boolean {
  return typeof a === 'string' && a.trim().toLowerCase() === b.toLowerCase();
}

/** `true`, or the string `"true"` in any case (add-on config carries string booleans). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

export interface CheckMetadata {
  id: string;
  title: string;
  severity: CheckDefinition['severity'];
  rationale: string;
  references: readonly string[];
  remediation(cluster: Cluster, context?: RemediationContext): string;
  failsWhen: string;
  infrastructureAsCode?: CheckDefinition['infrastructureAsCode'];
}

function configurationUnread(cluster: Cluster): string {
  return `The cluster's configuration could not be read: ${cluster.incomplete}`;
}

/**
 * A configuration check. A cluster document without configuration (`incomplete`) makes it
 * `error`: judging absent configuration as "not enabled" would invent a failure, and as
 * "fine" would invent a pass.
 */
export function configurationCheck(
  meta: CheckMetadata,
  evaluateConfiguration: (cluster: Cluster) => CheckOutcome,
): CheckDefinition {
  return Object.freeze({
    ...meta,
    references: Object.freeze([...meta.references]),
    category: 'configuration' as const,
    evaluate(input: CheckInput): CheckOutcome {
      const { cluster } = input;
      if (cluster.incomplete) return { status: 'error', detail: configurationUnread(cluster) };
      return evaluateConfiguration(cluster);
    },
  });
}

/**
 * An access check. When the role assignments over the cluster could not be read nothing can be
 * said about who has access: `error`. One that `needsConfiguration` (which identity the cluster
 * uses, whether its OIDC issuer is on) is `error` as well when the cluster document has none.
 */
export function accessCheck(
  meta: CheckMetadata,
  evaluateAccess: (input: CheckInput) => CheckOutcome,
  options: { needsConfiguration?: boolean } = {},
): CheckDefinition {
  return Object.freeze({
    ...meta,
    references: Object.freeze([...meta.references]),
    category: 'access' as const,
    evaluate(input: CheckInput): CheckOutcome {
      if (input.access.unavailable) {
        return {
          status: 'error',
          detail: `Role assignments could not be evaluated: ${input.access.unavailable}`,
          principals: [],
        };
      }
      if (options.needsConfiguration && input.cluster.incomplete)
        return { status: 'error', detail: configurationUnread(input.cluster), principals: [] };
      return evaluateAccess(input);
    },
  });
}

/** How to make unresolved role definitions resolvable, for both ways of reading the estate. */
export const ROLE_DEFINITIONS_HINT =
  'Every built-in role ships with the tool, so these are custom roles (or built-ins newer than its catalogue): ' +
  'from a snapshot, add what that command prints to role-definitions.json; ' +
  'auditing live Azure, the auditing identity needs Microsoft.Authorization/roleDefinitions/read.';

/** The command that exports one role definition, for a snapshot's role-definitions.json. */
export function exportRoleCommand(roleDefinitionGuid: string): string {
  return `az role definition list --name ${roleDefinitionGuid || '<role-definition-guid>'} -o json`;
}

/**
 * Names each unresolved assignment by its role definition id, principal and scope, and each
 * distinct role by the command that exports it.
 */
export function describeUnresolved(assignments: readonly RoleAssignment[]): string {
  const listed = assignments.map(
    (a) =>
      `role definition ${a.roleDefinitionId || '(none given)'} (assignment ${a.id || '(no id)'}, ${describePrincipal(a)} at ${a.scope || '/'})`,
  );
  const guids = [...new Set(assignments.map((a) => a.roleDefinitionGuid || a.roleDefinitionId))];
  const commands = guids.map((guid) => `\`${exportRoleCommand(guid)}\``).join(', ');
  const noun =
    assignments.length === 1
      ? 'assignment has a role definition'
      : 'assignments have role definitions';
  return `${assignments.length} role ${noun} that could not be resolved: ${listed.join('; ')}. Export ${guids.length === 1 ? 'it' : 'them'} with ${commands}. ${ROLE_DEFINITIONS_HINT}`;
}

/** The `error` outcome of an access check whose result hinges on unresolved role definitions. */
export function unresolvedOutcome(
  what: string,
  assignments: readonly RoleAssignment[],
  principals: PrincipalAccess[],
): CheckOutcome {
  return { status: 'error', detail: `${what} ${describeUnresolved(assignments)}`, principals };
}

export function describePrincipals(principals: readonly PrincipalAccess[], limit = 5): string {
  const shown = principals.slice(0, limit).map(describeGrant);
  const more = principals.length > limit ? ` and ${principals.length - limit} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** A resolved assignment as a report entry (the role's name when resolved, else what `az` gave). */
export function principalAccessOf(resolved: ResolvedAssignment): PrincipalAccess {
  const a = resolved.assignment;
  return {
    principalId: a.principalId,
    principalType: a.principalType,
    ...namesOf(a),
    ...grantMarks(a),
    roleName:
      resolved.role?.roleName || a.roleDefinitionName || a.roleDefinitionGuid || a.roleDefinitionId,
    roleDefinitionId: a.roleDefinitionId,
    scope: a.scope,
    capabilities: [...resolved.capabilities],
  };
}

export { assignmentIdsOf, sharedPrincipalAccess } from '../accessQuery';

/** A grant as a stored posture keeps it (no assignment id): who, which role, where. */
export interface GrantToRemove {
  principalId: string;
  role: string;
  scope: string;
}

/**
 * The one way to say "remove this grant": `az role assignment delete --ids …` for the given
 * assignments; without their ids (an alert, rendered from a stored posture) by assignee, role
 * and scope; a placeholder when neither is known.
 */
export function deleteAssignmentsCommand(
  context?: RemediationContext,
  grant?: GrantToRemove,
): string {
  const ids = context?.assignmentIds?.filter((id) => id.trim() !== '') ?? [];
  if (ids.length === 0 && grant)
    return `az role assignment delete --assignee ${shellArg(grant.principalId)} --role ${shellArg(grant.role)} --scope ${shellArg(grant.scope || '/')}`;
  const args = ids.length > 0 ? ids.map(shellArg).join(' ') : '<role-assignment-id>';
  return `az role assignment delete --ids ${args}`;
}

/** `n thing(s)`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** The cluster's managed identity kind, or undefined when it is not a managed identity. */
export function managedIdentityKind(
  cluster: Cluster,
): 'systemassigned' | 'userassigned' | undefined {
  const type = cluster.identity?.type;
  if (sameText(type, 'SystemAssigned')) return 'systemassigned';
  if (sameText(type, 'UserAssigned')) return 'userassigned';
  return undefined;
}

/** An add-on by name, case-insensitively (`azurepolicy`, `azurePolicy`). */
export function findAddon(cluster: Cluster, name: string): Addon | undefined {
  const addons = cluster.addons ?? {};
  const wanted = name.toLowerCase();
  for (const [key, addon] of Object.entries(addons)) {
    if (key.toLowerCase() === wanted && addon) return addon;
  }
  return undefined;
}

/** An add-on config value by key, case-insensitively. */
export function addonConfigValue(addon: Addon, key: string): string | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(addon.config ?? {})) {
    if (k.toLowerCase() === wanted) return v;
  }
  return undefined;
}

/** Who may hold cluster-admin paths over one cluster (docs/checks.md "Capabilities"). */
export interface Approval {
  /** Whether the principal is approved (an admin group, `AUDIT_APPROVED_ADMINS`) or exempted. */
  covers(principalId: string): boolean;
  /** Whether an active exemption names the holder for the check. */
  exempted(holder: PrincipalAccess): boolean;
  /** Whether any active exemption names a principal for the check. */
  readonly anyExempted: boolean;
  /** The holders, those approved marked `approved` (copies: the index's entries are shared). */
  mark(holders: PrincipalAccess[]): PrincipalAccess[];
}

// Object ids as the access index keys them (no copy for an id that is already lower case).
const idKey = (id: string | undefined) => principalKey(id);

const directoryIndexes = new WeakMap<Directory, Map<string, DirectoryPrincipal>>();

/**
 * The principals approved over this cluster: its `aadProfile.adminGroupObjectIDs` and the
 * `AUDIT_APPROVED_ADMINS` setting, with the users the directory knows to be (transitive)
 * members of an approved group (a member of the cluster's admin group is a cluster-admin
 * already: another path of hers adds nobody); and those an active exemption names for
 * `checkId`. A group whose membership is unknown approves only its own grants.
 */
export function approvalOf(input: CheckInput, checkId: string): Approval {
  const approved = new Set<string>(input.approvedAdmins ?? []);
  for (const id of input.cluster.aadProfile?.adminGroupObjectIds ?? [])
    if (typeof id === 'string' && id.trim() !== '') approved.add(idKey(id));
  const directory = input.estate?.directory;
  if (directory && approved.size > 0) {
    let byId = directoryIndexes.get(directory);
    if (!byId) directoryIndexes.set(directory, (byId = directoryIndex(directory)));
    for (const id of [...approved]) {
      const entry = byId.get(id);
      const members = entry ? membersOfPrincipal(directory, byId, entry) : undefined;
      for (const user of members?.users ?? []) approved.add(idKey(user.id));
    }
  }
  const exempted = input.exemptedPrincipals?.get(checkId) ?? new Set<string>();
  return {
    covers: (principalId) => approved.has(idKey(principalId)) || exempted.has(idKey(principalId)),
    exempted: (holder) => exempted.size > 0 && exempted.has(idKey(holder.principalId)),
    anyExempted: exempted.size > 0,
    mark: (holders) => {
      // Most clusters' approved principals hold no path: the list goes back as it is.
      // An approved id that holds no assignment anywhere (most admin groups) cannot be among them.
      let assigned: Set<string> | undefined;
      for (const id of approved)
        if (input.index.isAssignedAnywhere(id)) (assigned ??= new Set()).add(id);
      if (!assigned || !accessQuery(input.access).holdsAnyPath(assigned)) return holders;
      return holders.map((p) =>
        approved.has(idKey(p.principalId)) ? Object.freeze({ ...p, approved: true }) : p,
      );
    },
  };
}
