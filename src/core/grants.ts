/**
 * How a grant's condition and the deny assignments over a cluster change the capabilities its
 * role gives (docs/checks.md "Which grants count"), and how a grant is marked in findings
 * (`eligible`, `condition`). The access index calls these; they hold no state of their own
 * beyond caches of pure answers. Pure.
 */
import { canAssignPrivilegedRole, type ConditionReading, readCondition } from './conditions';
import type { Capability, PrincipalAccess, RoleAssignment, RoleDefinition } from './model';
import {
  ACTION_ACCESS_PROFILE_LIST_CREDENTIAL,
  ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL,
  ACTION_MANAGED_CLUSTER_WRITE,
  ACTION_ROLE_ASSIGNMENT_WRITE,
  allowsAction,
  roleCapabilities,
} from './permissions';
import type { ResolvedAssignment } from './access';

/** The roles an estate knows (built-ins merged with its custom roles), for condition role sets. */
export interface RoleCatalogue {
  lookup(guid: string): RoleDefinition | undefined;
  all(): Iterable<RoleDefinition>;
}

const ROLE_ASSIGNMENT_WRITE: Capability = 'role-assignment-write';

/** The estate's roles, and the answers of its constrained-delegation conditions per Azure-RBAC setting. */
export interface Roles extends RoleCatalogue {
  conditionAnswers: {
    withoutAzureRbac: WeakMap<ConditionReading, boolean>;
    withAzureRbac: WeakMap<ConditionReading, boolean>;
  };
}

/**
 * The estate's roles (`byGuid`), and behind them `builtins` (the shipped catalogue, built on
 * demand): the estate's definition wins on a guid clash.
 */
export function roleCatalogue(
  byGuid: ReadonlyMap<string, RoleDefinition>,
  builtins?: RoleCatalogue,
): Roles {
  return {
    lookup: (guid) => byGuid.get(guid) ?? builtins?.lookup(guid),
    all: function* () {
      yield* byGuid.values();
      if (builtins) for (const role of builtins.all()) if (!byGuid.has(role.guid)) yield role;
    },
    conditionAnswers: { withoutAzureRbac: new WeakMap(), withAzureRbac: new WeakMap() },
  };
}

/** A grant's capabilities over a cluster: its role's, less what its condition rules out. */
export function grantCapabilities(
  a: RoleAssignment,
  role: RoleDefinition,
  azureRbac: boolean,
  roles: Roles,
): Capability[] {
  const answers = azureRbac
    ? roles.conditionAnswers.withAzureRbac
    : roles.conditionAnswers.withoutAzureRbac;
  return conditionedCapabilities(
    a,
    roleCapabilities(role, azureRbac),
    roles,
    (r) => roleCapabilities(r, azureRbac),
    answers,
  );
}

/**
 * The capabilities of a grant once its condition is read: a constrained-delegation condition
 * that lets the holder assign only roles without any capability takes `role-assignment-write`
 * away; any other condition changes nothing (it counts as unconditional). `capabilitiesOf` is the
 * cluster's view of a role (Azure RBAC on or off), used for the roles the holder may assign.
 */
export function conditionedCapabilities(
  assignment: RoleAssignment,
  capabilities: Capability[],
  catalogue: RoleCatalogue,
  capabilitiesOf: (role: RoleDefinition) => readonly Capability[],
  answers: WeakMap<ConditionReading, boolean>,
): Capability[] {
  if (assignment.condition === undefined || !capabilities.includes(ROLE_ASSIGNMENT_WRITE))
    return capabilities;
  const reading = readCondition(assignment.condition, assignment.conditionVersion);
  if (reading.kind !== 'constrained') return capabilities;
  // Readings are shared per distinct condition text: one answer per text and cluster view.
  let reaches = answers.get(reading);
  if (reaches === undefined) {
    reaches = canAssignPrivilegedRole(
      reading.assignableRoles,
      (g) => catalogue.lookup(g),
      catalogue.all(),
      capabilitiesOf,
    );
    answers.set(reading, reaches);
  }
  return reaches
    ? capabilities
    : (Object.freeze(capabilities.filter((c) => c !== ROLE_ASSIGNMENT_WRITE)) as Capability[]);
}

/** `eligible` and `condition` of a listed grant; nothing for an active grant without a condition. */
export function grantMarks(
  assignment: RoleAssignment,
): Pick<PrincipalAccess, 'eligible' | 'condition'> {
  const marks: Pick<PrincipalAccess, 'eligible' | 'condition'> = {};
  if (assignment.eligible === true) marks.eligible = true;
  if (assignment.condition !== undefined) {
    marks.condition =
      readCondition(assignment.condition, assignment.conditionVersion).kind === 'constrained'
        ? 'constrained'
        : 'not-evaluated';
  }
  return marks;
}

/**
 * The control-plane actions that give each capability (any one of them is enough). A capability
 * not listed here (a data-plane one, or one this table does not know) is never taken away by a
 * deny assignment: over-reporting is the safe side.
 */
const GIVEN_BY: Partial<Record<Capability, readonly string[]>> = {
  'admin-credential': [ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL, ACTION_ACCESS_PROFILE_LIST_CREDENTIAL],
  'cluster-write': [ACTION_MANAGED_CLUSTER_WRITE],
  'role-assignment-write': [ACTION_ROLE_ASSIGNMENT_WRITE],
};

/** The capabilities left when `denied` actions are removed: one survives if an action giving it is allowed and not denied. */
export function capabilitiesUnderDeny(
  role: RoleDefinition,
  capabilities: readonly Capability[],
  denied: (action: string) => boolean,
): Capability[] {
  return capabilities.filter((capability) => {
    const actions = GIVEN_BY[capability];
    return (
      actions === undefined ||
      actions.some((action) => allowsAction(role, action) && !denied(action))
    );
  });
}

/**
 * A cluster's assignments and privileged entries with what deny assignments take away
 * (core/denyAssignments): an entry left with no capability is no longer privileged. Entries no
 * deny touches are kept as they were (`principalOf` gives each one's privileged entry).
 */
export function withDenies(
  assignments: readonly ResolvedAssignment[],
  principalOf: (resolved: ResolvedAssignment) => PrincipalAccess | undefined,
  deniedFor: (principalId: string) => ((action: string) => boolean) | undefined,
  makePrincipal: (
    a: RoleAssignment,
    role: RoleDefinition,
    capabilities: Capability[],
  ) => PrincipalAccess,
): { assignments: ResolvedAssignment[]; privileged: PrincipalAccess[] } {
  const out: ResolvedAssignment[] = [];
  const privileged: PrincipalAccess[] = [];
  for (const resolved of assignments) {
    let kept = resolved;
    let principal = principalOf(resolved);
    const role = resolved.role;
    const denied =
      principal !== undefined && role !== undefined
        ? deniedFor(resolved.assignment.principalId)
        : undefined;
    if (denied !== undefined && role !== undefined) {
      const capabilities = capabilitiesUnderDeny(role, resolved.capabilities, denied);
      if (capabilities.length !== resolved.capabilities.length) {
        kept = Object.freeze({ assignment: resolved.assignment, role, capabilities });
        principal =
          capabilities.length > 0
            ? makePrincipal(resolved.assignment, role, capabilities)
            : undefined;
      }
    }
    out.push(kept);
    if (principal) privileged.push(principal);
  }
  return { assignments: out, privileged };
}
