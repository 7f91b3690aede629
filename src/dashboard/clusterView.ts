/**
 * The cluster page's content from one posture document: findings grouped by severity, and the
 * access view (each privileged capability with its holders, named). Pure.
 *
 * Names, group members and the eligible / condition / approved / exempted / deleted marks are
 * optional fields of the report's principals (docs/contracts.md, JSON report): they are shown
 * when the posture carries them and said to be unknown when it does not.
 */
import {
  CAPABILITIES,
  SEVERITIES,
  type ClusterPosture,
  type Finding,
  type FindingStatus,
  type PrincipalAccess,
  type Severity,
} from '../core/model';
import { principalKey } from '../core/regressions';

/** A member of a group, as the directory reports it. */
export interface MemberView {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
  guest?: boolean;
  enabled?: boolean;
}

/** The fields of a report principal beyond `PrincipalAccess` (present once the directory and grants work fill them). */
export interface PrincipalDetails {
  displayName?: string;
  userPrincipalName?: string;
  eligible?: boolean;
  condition?: 'none' | 'constrained' | 'not-evaluated';
  approved?: boolean;
  exempted?: boolean;
  deleted?: boolean;
  /** A directly assigned user the directory flags. */
  guest?: boolean;
  enabled?: boolean;
  members?: { count: number; users: MemberView[] };
}

export type ReportPrincipal = PrincipalAccess & PrincipalDetails;

export interface FindingGroup {
  severity: Severity;
  /** Failing and erroring first (open), then passing and not applicable. */
  findings: Finding[];
  failing: number;
  errors: number;
}

const STATUS_ORDER: Readonly<Record<FindingStatus, number>> = {
  fail: 0,
  error: 1,
  pass: 2,
  'not-applicable': 3,
};

/** Findings grouped by severity, most severe first; severities without findings are left out. */
export function findingGroups(findings: readonly Finding[]): FindingGroup[] {
  return SEVERITIES.map((severity) => {
    const group = findings
      .map((finding, order) => ({ finding, order }))
      .filter(({ finding }) => finding.severity === severity)
      .sort(
        (a, b) =>
          STATUS_ORDER[a.finding.status] - STATUS_ORDER[b.finding.status] || a.order - b.order,
      )
      .map(({ finding }) => finding);
    return {
      severity,
      findings: group,
      failing: group.filter((f) => f.status === 'fail').length,
      errors: group.filter((f) => f.status === 'error').length,
    };
  }).filter((g) => g.findings.length > 0);
}

/** One principal's hold on one capability through one assignment. */
export interface Holding {
  principalId: string;
  principalType: string;
  displayName?: string;
  userPrincipalName?: string;
  roleName: string;
  roleDefinitionId: string;
  scope: string;
  marks: Mark[];
  members?: { count: number; users: MemberView[] };
}

export type Mark =
  | 'eligible'
  | 'condition-constrained'
  | 'condition-not-evaluated'
  | 'approved'
  | 'exempted'
  | 'deleted'
  | 'guest'
  | 'disabled';

export const MARK_WORDS: Readonly<Record<Mark, string>> = Object.freeze({
  eligible: 'eligible (PIM)',
  'condition-constrained': 'condition: constrained',
  'condition-not-evaluated': 'condition not evaluated',
  approved: 'approved',
  exempted: 'exempted',
  deleted: 'deleted',
  guest: 'guest',
  disabled: 'disabled',
});

export interface CapabilityHolders {
  capability: string;
  holders: Holding[];
}

function grantKey(p: Pick<PrincipalAccess, 'principalId' | 'roleDefinitionId' | 'scope'>): string {
  return [
    principalKey(p.principalId),
    (p.roleDefinitionId ?? '').toLowerCase(),
    (p.scope ?? '').toLowerCase(),
  ].join('|');
}

/**
 * Every principal the posture mentions (privileged principals and each finding's principals),
 * merged per assignment: a field one copy lacks is taken from another, so a name or mark that
 * only a finding carries still reaches the access view.
 */
export function mergedGrants(posture: ClusterPosture): ReportPrincipal[] {
  const byGrant = new Map<string, ReportPrincipal>();
  const sources: ReportPrincipal[] = [
    ...(posture.privilegedPrincipals ?? []),
    ...posture.findings.flatMap((f) => f.principals ?? []),
  ];
  for (const principal of sources) {
    if (!principal?.principalId) continue;
    const key = grantKey(principal);
    const known = byGrant.get(key);
    if (!known) {
      byGrant.set(key, { ...principal, capabilities: [...(principal.capabilities ?? [])] });
      continue;
    }
    for (const capability of principal.capabilities ?? [])
      if (!known.capabilities.includes(capability)) known.capabilities.push(capability);
    for (const [field, value] of Object.entries(principal)) {
      const record = known as unknown as Record<string, unknown>;
      if (record[field] === undefined && value !== undefined) record[field] = value;
    }
  }
  // Names and members are the principal's, not the assignment's: share them across its grants.
  const identity = new Map<
    string,
    Pick<ReportPrincipal, 'displayName' | 'userPrincipalName' | 'members' | 'deleted'>
  >();
  for (const grant of byGrant.values()) {
    const key = principalKey(grant.principalId);
    const seen = identity.get(key) ?? {};
    identity.set(key, {
      displayName: seen.displayName ?? grant.displayName,
      userPrincipalName: seen.userPrincipalName ?? grant.userPrincipalName,
      members: seen.members ?? grant.members,
      deleted: seen.deleted ?? grant.deleted,
    });
  }
  return [...byGrant.values()].map((grant) => {
    const shared = identity.get(principalKey(grant.principalId)) ?? {};
    return {
      ...grant,
      displayName: grant.displayName ?? shared.displayName,
      userPrincipalName: grant.userPrincipalName ?? shared.userPrincipalName,
      members: grant.members ?? shared.members,
      deleted: grant.deleted ?? shared.deleted,
    };
  });
}

export function marksOf(p: PrincipalDetails): Mark[] {
  const marks: Mark[] = [];
  if (p.eligible === true) marks.push('eligible');
  if (p.condition === 'constrained') marks.push('condition-constrained');
  if (p.condition === 'not-evaluated') marks.push('condition-not-evaluated');
  if (p.approved === true) marks.push('approved');
  if (p.exempted === true) marks.push('exempted');
  if (p.deleted === true) marks.push('deleted');
  if (p.guest === true) marks.push('guest');
  if (p.enabled === false) marks.push('disabled');
  return marks;
}

/** How a capability sorts: the catalogue's known ones in their order, then any newer ones by name. */
function capabilityRank(capability: string): number {
  const index = (CAPABILITIES as readonly string[]).indexOf(capability);
  return index === -1 ? CAPABILITIES.length : index;
}

/** Each privileged capability with its holders (name order, then id, role and scope). */
export function capabilityHolders(grants: readonly ReportPrincipal[]): CapabilityHolders[] {
  const byCapability = new Map<string, Holding[]>();
  for (const grant of grants) {
    for (const capability of grant.capabilities ?? []) {
      const holders = byCapability.get(capability) ?? [];
      holders.push({
        principalId: grant.principalId,
        principalType: grant.principalType,
        displayName: grant.displayName,
        userPrincipalName: grant.userPrincipalName,
        roleName: grant.roleName,
        roleDefinitionId: grant.roleDefinitionId,
        scope: grant.scope,
        marks: marksOf(grant),
        members: grant.members,
      });
      byCapability.set(capability, holders);
    }
  }
  return [...byCapability.entries()]
    .sort(([a], [b]) => capabilityRank(a) - capabilityRank(b) || a.localeCompare(b))
    .map(([capability, holders]) => ({
      capability,
      holders: holders.sort(
        (a, b) =>
          (a.displayName ?? '\uffff').localeCompare(b.displayName ?? '\uffff') ||
          a.principalId.localeCompare(b.principalId) ||
          a.roleName.localeCompare(b.roleName) ||
          a.scope.localeCompare(b.scope),
      ),
    }));
}
