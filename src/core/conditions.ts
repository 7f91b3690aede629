/**
 * What a role-assignment condition means for the access graph (docs/checks.md "Which grants
 * count"): the constrained-delegation form on `Microsoft.Authorization/roleAssignments/write`
 * (the Azure portal's "Constrain roles", "Constrain roles and principal types", "Constrain roles
 * and principals" and "Allow all except specific roles" templates, or the same written by hand)
 * is evaluated into the set of roles the holder may assign; every other condition is reported as
 * not evaluated, and its grant counts as unconditional (over-reporting is the safe side).
 *
 * How: the condition is evaluated for the write action symbolically, as a function of the role
 * being assigned. Each sub-expression gets two role sets: the roles for which it is certainly
 * true and those for which it may be true (its truth may also depend on the principal being
 * assigned to, which is not known in advance: such a test is "maybe" for every role). `NOT`
 * swaps and complements the two, `AND`/`OR` intersect/unite them. The roles the holder may
 * assign are those for which the whole condition may be true. Pure.
 */
import { type Comparison, type ConditionNode, parseCondition } from './conditionGrammar';
import type { RoleDefinition } from './model';
import { actionMatches } from './permissions';

export const ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';

/**
 * A set of role-definition guids (lower-case): the listed ones (`only`), or every role except
 * the listed ones (`allExcept`). Closed under union, intersection and complement.
 */
export type RoleSet =
  { kind: 'only'; guids: ReadonlySet<string> } | { kind: 'allExcept'; guids: ReadonlySet<string> };

export type ConditionReading =
  /** No condition on the grant. */
  | { kind: 'none' }
  /** The constrained-delegation form: role assignments can be written only for `assignableRoles`. */
  | {
      kind: 'constrained';
      assignableRoles: RoleSet;
      /** Principal ids the condition names for the write (informational; does not narrow the roles). */
      principalIds: string[];
      /** Principal types the condition names for the write, e.g. `User`, `Group` (informational). */
      principalTypes: string[];
    }
  /** Any other condition: the grant counts as if it had none. `reason` says why, for the finding's detail. */
  | { kind: 'not-evaluated'; reason: string };

const ALL: RoleSet = { kind: 'allExcept', guids: new Set() };
const NONE: RoleSet = { kind: 'only', guids: new Set() };

const ROLE_ASSIGNMENT_ATTRIBUTE_PREFIX = 'microsoft.authorization/roleassignments:';
const ROLE_DEFINITION_ID = 'roledefinitionid';
const PRINCIPAL_ID = 'principalid';
const PRINCIPAL_TYPE = 'principaltype';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Bounds {
  /** Roles for which the expression is true whatever else the request says. */
  certain: RoleSet;
  /** Roles for which the expression may be true. */
  possible: RoleSet;
}

/** Why an expression falls outside the evaluated form; thrown inside `evaluate`, caught by `readCondition`. */
class OutsideForm extends Error {}

/**
 * Reads a grant's condition. `conditionVersion` 1.0 (the storage-only legacy syntax) and unknown
 * versions are not evaluated; a missing version is read as 2.0, as ARM does.
 */
export function readCondition(
  condition: string | undefined | null,
  conditionVersion?: string | null,
): ConditionReading {
  if (condition === undefined || condition === null || condition.trim() === '') return NO_CONDITION;
  const version = (conditionVersion ?? '').trim();
  // An estate repeats a few condition texts (the portal templates) over many grants; parsing
  // takes milliseconds, so each distinct text is read once. Readings are shared: never changed.
  const key = `${version}\n${condition}`;
  let reading = readings.get(key);
  if (reading === undefined) {
    if (readings.size >= READING_CACHE_LIMIT) readings.clear();
    reading = read(condition, version);
    readings.set(key, reading);
  }
  return reading;
}

const NO_CONDITION: ConditionReading = Object.freeze({ kind: 'none' });
const READING_CACHE_LIMIT = 10_000;
const readings = new Map<string, ConditionReading>();

function read(condition: string, version: string): ConditionReading {
  if (version !== '' && version !== '2.0')
    return { kind: 'not-evaluated', reason: `condition version ${version} is not evaluated` };
  const parsed = parseCondition(condition);
  if (!parsed.ok)
    return {
      kind: 'not-evaluated',
      reason: `the condition could not be parsed (${parsed.message})`,
    };
  const mentions = { principalIds: new Set<string>(), principalTypes: new Set<string>() };
  let bounds: Bounds;
  try {
    bounds = evaluate(parsed.tree, mentions);
  } catch (error) {
    if (error instanceof OutsideForm) return { kind: 'not-evaluated', reason: error.message };
    throw error;
  }
  if (isAll(bounds.possible)) {
    return {
      kind: 'not-evaluated',
      reason: 'the condition does not limit which roles can be assigned',
    };
  }
  return {
    kind: 'constrained',
    assignableRoles: bounds.possible,
    principalIds: [...mentions.principalIds].sort(),
    principalTypes: [...mentions.principalTypes].sort(),
  };
}

/** Whether a guid (any case) is in the set. */
export function roleSetHas(set: RoleSet, guid: string): boolean {
  const has = set.guids.has(guid.trim().toLowerCase());
  return set.kind === 'only' ? has : !has;
}

/** For a finding's detail: `only 2 roles (…)` / `every role except 3 (…)`. */
export function describeRoleSet(
  set: RoleSet,
  nameOf: (guid: string) => string | undefined = () => undefined,
): string {
  const names = [...set.guids].map((g) => nameOf(g) ?? g).sort();
  if (set.kind === 'only') return names.length === 0 ? 'no role' : `only ${names.join(', ')}`;
  return names.length === 0 ? 'every role' : `every role except ${names.join(', ')}`;
}

function evaluate(
  node: ConditionNode,
  mentions: { principalIds: Set<string>; principalTypes: Set<string> },
): Bounds {
  switch (node.kind) {
    case 'and': {
      const l = evaluate(node.left, mentions);
      const r = evaluate(node.right, mentions);
      return {
        certain: intersect(l.certain, r.certain),
        possible: intersect(l.possible, r.possible),
      };
    }
    case 'or': {
      const l = evaluate(node.left, mentions);
      const r = evaluate(node.right, mentions);
      return { certain: unite(l.certain, r.certain), possible: unite(l.possible, r.possible) };
    }
    case 'not': {
      const inner = evaluate(node.operand, mentions);
      return { certain: complement(inner.possible), possible: complement(inner.certain) };
    }
    case 'actionMatches': {
      // The request being judged is a role-assignment write: a pattern matches it or not.
      const matches = actionMatches(node.pattern, ROLE_ASSIGNMENT_WRITE);
      return matches ? { certain: ALL, possible: ALL } : { certain: NONE, possible: NONE };
    }
    case 'subOperationMatches':
      // A role-assignment write has no sub-operation: the test is false.
      return { certain: NONE, possible: NONE };
    case 'comparison':
      return compare(node, mentions);
  }
}

function compare(
  node: Comparison,
  mentions: { principalIds: Set<string>; principalTypes: Set<string> },
): Bounds {
  const source = node.source.toLowerCase();
  const attribute = node.attribute.toLowerCase();
  if (
    !attribute.startsWith(ROLE_ASSIGNMENT_ATTRIBUTE_PREFIX) ||
    (source !== 'request' && source !== 'resource')
  ) {
    throw new OutsideForm(
      `the condition tests @${node.source}[${node.attribute}], which is not evaluated`,
    );
  }
  const name = attribute.slice(ROLE_ASSIGNMENT_ATTRIBUTE_PREFIX.length);
  if (source === 'resource') {
    // `@Resource[…roleAssignments:…]` describes an existing assignment: the delete half of the
    // portal templates. A write is not judged by it, and a condition that would make the write
    // depend on it is not in the evaluated form.
    return { certain: NONE, possible: ALL };
  }
  const operator = operatorOf(node);
  if (name === ROLE_DEFINITION_ID) {
    if (operator === undefined)
      throw new OutsideForm(
        `the operator ${describeOperator(node)} on the role definition id is not evaluated`,
      );
    const guids = new Set<string>();
    for (const value of node.values) {
      const guid = lastSegment(value).toLowerCase();
      if (!GUID.test(guid)) throw new OutsideForm(`'${value}' is not a role definition guid`);
      guids.add(guid);
    }
    const set = requestedRoleSet(operator, guids);
    return { certain: set, possible: set };
  }
  if (name === PRINCIPAL_ID || name === PRINCIPAL_TYPE) {
    if (operator !== undefined && !operator.negated) {
      const into = name === PRINCIPAL_ID ? mentions.principalIds : mentions.principalTypes;
      for (const value of node.values)
        into.add(name === PRINCIPAL_ID ? value.toLowerCase() : value);
    }
    // Depends on whom the holder assigns to, which the holder chooses: maybe, for every role.
    return { certain: NONE, possible: ALL };
  }
  throw new OutsideForm(
    `the condition tests @${node.source}[${node.attribute}], which is not evaluated`,
  );
}

const EQUALS_OPERATORS = new Set(['guidequals', 'stringequals', 'stringequalsignorecase']);
const NOT_EQUALS_OPERATORS = new Set([
  'guidnotequals',
  'stringnotequals',
  'stringnotequalsignorecase',
]);
const QUANTIFIERS = new Set([
  'foranyofanyvalues',
  'forallofanyvalues',
  'foranyofallvalues',
  'forallofallvalues',
]);

interface EqualityOperator {
  negated: boolean;
  /** `…OfAllValues`: the requested value is compared with every listed value, not with any one. */
  againstAll: boolean;
}

/** An equality operator (`GuidEquals`, `ForAnyOfAllValues:GuidNotEquals`, …); undefined for any other. */
function operatorOf(node: Comparison): EqualityOperator | undefined {
  const quantifier = node.quantifier?.toLowerCase();
  if (quantifier !== undefined && !QUANTIFIERS.has(quantifier)) {
    throw new OutsideForm(`the quantifier ${node.quantifier} is not evaluated`);
  }
  const op = node.operator.toLowerCase();
  const negated = NOT_EQUALS_OPERATORS.has(op);
  if (!negated && !EQUALS_OPERATORS.has(op)) return undefined;
  return { negated, againstAll: quantifier?.endsWith('ofallvalues') ?? false };
}

/**
 * The roles a test on the requested role definition id lets through. A request names one role, so
 * "any of" and "all of" its values coincide; the listed values are what the quantifier's second
 * half is about: `ForAnyOfAnyValues:GuidEquals {a, b}` is a or b; `ForAnyOfAllValues:GuidEquals`
 * needs the role to equal every listed one; `ForAnyOfAllValues:GuidNotEquals {a, b}` (the
 * portal's "Allow all except specific roles") is neither a nor b; `ForAnyOfAnyValues:GuidNotEquals`
 * differs from at least one. A plain operator reads as "any of" (over-reporting on a list).
 */
function requestedRoleSet(operator: EqualityOperator, guids: Set<string>): RoleSet {
  if (!operator.negated) {
    if (operator.againstAll && guids.size > 1) return NONE;
    return { kind: 'only', guids };
  }
  if (!operator.againstAll && guids.size > 1) return ALL;
  return { kind: 'allExcept', guids };
}

function describeOperator(node: Comparison): string {
  return node.quantifier ? `${node.quantifier}:${node.operator}` : node.operator;
}

function lastSegment(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function isAll(set: RoleSet): boolean {
  return set.kind === 'allExcept' && set.guids.size === 0;
}

function complement(set: RoleSet): RoleSet {
  return set.kind === 'only'
    ? { kind: 'allExcept', guids: set.guids }
    : { kind: 'only', guids: set.guids };
}

function intersect(a: RoleSet, b: RoleSet): RoleSet {
  if (a.kind === 'only' && b.kind === 'only')
    return { kind: 'only', guids: new Set([...a.guids].filter((g) => b.guids.has(g))) };
  if (a.kind === 'only')
    return { kind: 'only', guids: new Set([...a.guids].filter((g) => !b.guids.has(g))) };
  if (b.kind === 'only') return intersect(b, a);
  return { kind: 'allExcept', guids: new Set([...a.guids, ...b.guids]) };
}

function unite(a: RoleSet, b: RoleSet): RoleSet {
  return complement(intersect(complement(a), complement(b)));
}

/**
 * Whether a holder constrained to `assignableRoles` can still reach a cluster-admin path by
 * assigning one of them (to itself or an accomplice): some assignable role carries a capability
 * over the cluster. A listed role that is neither built-in nor known to the estate counts as
 * carrying one (it cannot be ruled out). `allRoles` is every role the estate knows, for exclusion
 * lists; `capabilitiesOf` is the cluster's view of a role (Azure RBAC on or off).
 */
export function canAssignPrivilegedRole(
  assignableRoles: RoleSet,
  lookup: (guid: string) => RoleDefinition | undefined,
  allRoles: Iterable<RoleDefinition>,
  capabilitiesOf: (role: RoleDefinition) => readonly unknown[],
): boolean {
  if (assignableRoles.kind === 'only') {
    for (const guid of assignableRoles.guids) {
      const role = lookup(guid);
      if (role === undefined || capabilitiesOf(role).length > 0) return true;
    }
    return false;
  }
  for (const role of allRoles) {
    if (!assignableRoles.guids.has(role.guid) && capabilitiesOf(role).length > 0) return true;
  }
  return false;
}
