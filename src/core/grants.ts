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
  ACTION_LIST_CLUSTER_USER_CREDENTIAL,
  ACTION_MANAGED_CLUSTER_WRITE,
  ACTION_ROLE_ASSIGNMENT_WRITE,
  ACTION_RUN_COMMAND,
  ACTION_TRUSTED_ACCESS_WRITE,
  allowsAction,
  CONTEXT_COUNT,
  contextKey,
  NODE_ACCESS_ACTIONS,
  roleCapabilities,
  type CapabilityContext,
} from './permissions';
import type { ResolvedAssignment } from './access';

/** The roles an estate knows (built-ins merged with its custom roles), for condition role sets. */
export interface RoleCatalogue {
  lookup(guid: string): RoleDefinition | undefined;
  all(): Iterable<RoleDefinition>;
}

const ROLE_ASSIGNMENT_WRITE: Capability = 'role-assignment-write';

/**
 * The estate's roles, and the answers of its constrained-delegation conditions per capability
 * context (indexed by `contextKey`): whether a role the condition lets its holder assign carries
 * a capability in that context.
 */
export interface Roles extends RoleCatalogue {
  conditionAnswers: WeakMap<ConditionReading, boolean>[];
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
    conditionAnswers: Array.from({ length: CONTEXT_COUNT }, () => new WeakMap()),
  };
}

/**
 * A grant's capabilities over a cluster in this context: its role's, less what its condition
 * rules out. The roles a condition lets the holder assign are judged in the same context (the
 * same cluster, the same scope): assigning Virtual Machine Contributor at the node resource
 * group is a path, at the cluster's own resource group it is not.
 */
export function grantCapabilities(
  a: RoleAssignment,
  role: RoleDefinition,
  context: CapabilityContext,
  roles: Roles,
): Capability[] {
  return conditionedCapabilities(
    a,
    roleCapabilities(role, context),
    roles,
    (r) => roleCapabilities(r, context),
    roles.conditionAnswers[contextKey(context)],
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
 * The control-plane actions that give each capability in a context (any one of them is enough).
 * `kubernetes-cluster-admin` (a data-plane capability) is not listed: a deny assignment never
 * takes it away here, since over-reporting is the safe side.
 */
function actionsGiving(
  capability: Capability,
  context: CapabilityContext,
): readonly string[] | undefined {
  switch (capability) {
    case 'admin-credential':
      return context.withoutEntra ? USER_OR_ADMIN_CREDENTIAL : ADMIN_CREDENTIAL;
    case 'cluster-write':
      return CLUSTER_WRITE;
    case 'role-assignment-write':
      return ROLE_ASSIGNMENT_WRITE_ACTIONS;
    case 'run-command':
      return RUN_COMMAND;
    case 'trusted-access-write':
      return TRUSTED_ACCESS_WRITE;
    case 'node-access':
      return NODE_ACCESS_ACTIONS;
    default:
      return undefined;
  }
}
const ADMIN_CREDENTIAL = [
  ACTION_LIST_CLUSTER_ADMIN_CREDENTIAL,
  ACTION_ACCESS_PROFILE_LIST_CREDENTIAL,
];
const USER_OR_ADMIN_CREDENTIAL = [...ADMIN_CREDENTIAL, ACTION_LIST_CLUSTER_USER_CREDENTIAL];
const CLUSTER_WRITE = [ACTION_MANAGED_CLUSTER_WRITE];
const ROLE_ASSIGNMENT_WRITE_ACTIONS = [ACTION_ROLE_ASSIGNMENT_WRITE];
const RUN_COMMAND = [ACTION_RUN_COMMAND];
const TRUSTED_ACCESS_WRITE = [ACTION_TRUSTED_ACCESS_WRITE];

/** A predicate over control-plane actions: whether a deny assignment takes the action away. */
export type DeniedActions = (action: string) => boolean;

/**
 * The deny assignments that apply to one principal, on each side a capability is exercised: the
 * cluster (denies covering the cluster) and the nodes (denies covering the scale sets of the node
 * resource group). Undefined on a side where none applies.
 */
export interface PrincipalDenies {
  overCluster?: DeniedActions;
  overNodes?: DeniedActions;
}

/**
 * The capabilities left when deny assignments are applied: one survives if an action giving it
 * is allowed by the role and not denied on a side it is exercised on. `node-access` is exercised
 * on the nodes; `role-assignment-write` on the cluster and/or the nodes, as the scope covers
 * them; every other capability on the cluster.
 */
export function capabilitiesUnderDeny(
  role: RoleDefinition,
  capabilities: readonly Capability[],
  context: CapabilityContext,
  denies: PrincipalDenies,
): Capability[] {
  return capabilities.filter((capability) => {
    const actions = actionsAllowedGiving(role, capability, context);
    if (actions === undefined) return true;
    const sides: (DeniedActions | undefined)[] = [];
    if (capability === 'node-access') sides.push(denies.overNodes);
    else if (capability === 'role-assignment-write') {
      if (context.coversCluster) sides.push(denies.overCluster);
      if (context.coversNodes) sides.push(denies.overNodes);
    } else sides.push(denies.overCluster);
    return sides.some((denied) => actions.some((action) => !denied?.(action)));
  });
}

// Per role: the actions giving each capability that the role allows (by capability, and by
// whether the user credential counts). Roles are few; assignments under a deny are many.
const allowedGiving = new WeakMap<RoleDefinition, Map<string, readonly string[] | undefined>>();

function actionsAllowedGiving(
  role: RoleDefinition,
  capability: Capability,
  context: CapabilityContext,
): readonly string[] | undefined {
  let byCapability = allowedGiving.get(role);
  if (!byCapability) allowedGiving.set(role, (byCapability = new Map()));
  const key = `${capability}|${context.withoutEntra}`;
  if (!byCapability.has(key))
    byCapability.set(
      key,
      actionsGiving(capability, context)?.filter((action) => allowsAction(role, action)),
    );
  return byCapability.get(key);
}

// What a deny leaves of a role's capabilities, per deny pair, role, capability list and
// context: assignments of one role are many, the answers few.
const underDeny = new WeakMap<
  PrincipalDenies,
  WeakMap<RoleDefinition, Map<readonly Capability[], Map<number, Capability[]>>>
>();

function cachedUnderDeny(
  role: RoleDefinition,
  capabilities: readonly Capability[],
  context: CapabilityContext,
  denies: PrincipalDenies,
): Capability[] {
  let byRole = underDeny.get(denies);
  if (!byRole) underDeny.set(denies, (byRole = new WeakMap()));
  let byList = byRole.get(role);
  if (!byList) byRole.set(role, (byList = new Map()));
  let byContext = byList.get(capabilities);
  if (!byContext) byList.set(capabilities, (byContext = new Map()));
  const key = contextKey(context);
  let left = byContext.get(key);
  if (left === undefined) {
    left = Object.freeze(
      capabilitiesUnderDeny(role, capabilities, context, denies),
    ) as Capability[];
    byContext.set(key, left);
  }
  return left;
}

/** What `withDenies` reads of one view: its assignments and, per assignment, its privileged entry. */
export interface ViewEntries {
  readonly assignments: readonly ResolvedAssignment[];
  readonly principals: readonly (PrincipalAccess | undefined)[];
}

/** One view with what deny assignments take away: its entries and, per assignment, its privileged entry. */
export interface DeniedView {
  assignments: ResolvedAssignment[];
  principals: (PrincipalAccess | undefined)[];
  privileged: PrincipalAccess[];
}

/**
 * One view of a cluster's access with what deny assignments take away (core/denyAssignments):
 * an entry left with no capability is no longer privileged. Undefined when no deny changes any
 * entry of the view: the caller keeps the shared view (and what was worked out from it).
 */
export function viewUnderDenies(
  view: ViewEntries,
  context: CapabilityContext,
  deniesFor: (principalId: string) => PrincipalDenies | undefined,
  makePrincipal: (
    a: RoleAssignment,
    role: RoleDefinition,
    capabilities: Capability[],
  ) => PrincipalAccess,
): DeniedView | undefined {
  let out: DeniedView | undefined;
  const { assignments, principals } = view;
  for (let i = 0; i < assignments.length; i++) {
    const resolved = assignments[i];
    const principal = principals[i];
    const role = resolved.role;
    if (principal === undefined || role === undefined) continue;
    const denies = deniesFor(resolved.assignment.principalId);
    if (denies === undefined) continue;
    const capabilities = cachedUnderDeny(role, resolved.capabilities, context, denies);
    if (capabilities.length === resolved.capabilities.length) continue;
    out ??= {
      assignments: [...assignments],
      principals: [...principals],
      privileged: [],
    };
    out.assignments[i] = Object.freeze({ assignment: resolved.assignment, role, capabilities });
    out.principals[i] =
      capabilities.length > 0 ? makePrincipal(resolved.assignment, role, capabilities) : undefined;
  }
  if (out) for (const p of out.principals) if (p) out.privileged.push(p);
  return out;
}
