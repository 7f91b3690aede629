/** Postures built directly for the store tests (the store does not care how they were evaluated). */
import type {
  Capability,
  ClusterPosture,
  Finding,
  FindingStatus,
  PrincipalAccess,
  Severity,
} from '../../src/core/model';

export const SUB_A = '00000000-0000-0000-0000-00000000000a';
export const SUB_B = '00000000-0000-0000-0000-00000000000b';

export function clusterId(name: string, subscriptionId = SUB_A, resourceGroup = 'rg-prod'): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

export function grant(
  principalId: string,
  capabilities: Capability[],
  roleName = 'Contributor',
  principalType = 'Group',
): PrincipalAccess {
  return {
    principalId,
    principalType,
    roleName,
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${roleName.replace(/\W/g, '')}`,
    scope: `/subscriptions/${SUB_A}/resourceGroups/rg-prod`,
    capabilities,
  };
}

export function finding(
  checkId: string,
  status: FindingStatus,
  severity: Severity,
  principals?: PrincipalAccess[],
): Finding {
  const f: Finding = {
    checkId,
    status,
    severity,
    title: `Title of ${checkId}`,
    detail: `Detail of ${checkId}`,
    remediation: `az aks update -g rg-prod -n aks --fix-${checkId}`,
  };
  if (principals) f.principals = principals;
  return f;
}

export interface Spec {
  id?: string;
  name?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  local?: FindingStatus;
  adminAccess?: FindingStatus;
  viaGroups?: FindingStatus;
  defender?: FindingStatus;
  principals?: PrincipalAccess[];
  evaluatedAt?: string;
  score?: number;
}

/** A small posture; the cluster status and score follow the findings unless given. */
export function posture(spec: Spec = {}): ClusterPosture {
  const principals = spec.principals ?? [];
  const name = spec.name ?? 'aks-prod';
  const subscriptionId = spec.subscriptionId ?? SUB_A;
  const resourceGroup = spec.resourceGroup ?? 'rg-prod';
  const findings = [
    finding('local-accounts-disabled', spec.local ?? 'pass', 'high'),
    finding('defender-enabled', spec.defender ?? 'pass', 'low'),
    finding('admin-credential-access', spec.adminAccess ?? 'pass', 'critical', principals),
    finding('privileged-access-via-groups', spec.viaGroups ?? 'pass', 'medium', principals),
  ];
  const failing = findings.filter((f) => f.status === 'fail').length;
  const errors = findings.filter((f) => f.status === 'error').length;
  return {
    id: spec.id ?? clusterId(name, subscriptionId, resourceGroup),
    name,
    subscriptionId,
    resourceGroup,
    status: errors ? 'error' : failing ? 'fail' : 'pass',
    score: spec.score ?? 100 - 20 * failing,
    findings,
    privilegedPrincipals: principals,
    evaluatedAt: spec.evaluatedAt ?? '2026-11-22T02:00:00.000Z',
  };
}

/** `n` distinct principals with GUID-like ids, each with a long scope (a cluster with thousands of assignments). */
export function manyPrincipals(n: number, seed = 1): PrincipalAccess[] {
  const result: PrincipalAccess[] = [];
  for (let i = 0; i < n; i++) {
    const hex = ((i + 1) * 2654435761 * seed).toString(16).padStart(12, '0').slice(-12);
    result.push({
      ...grant(
        `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4000-8000-${hex}`,
        i % 3 === 0 ? ['admin-credential', 'cluster-write'] : ['cluster-write'],
        `Custom role ${i}`,
      ),
      scope: `/subscriptions/${SUB_A}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-big-${i}`,
    });
  }
  return result;
}
