/**
 * Evaluation of clusters into postures (docs/architecture.md step 4): every check of the catalogue
 * exactly once per cluster, in catalogue order, then the score and status. Pure.
 */
import {
  applyExemptions,
  estateAncestry,
  exemptionCovers,
  exemptionState,
  type Exemption,
  type SubscriptionAncestry,
} from './exemptions';
import { buildAccessIndex, type AccessIndex, type ClusterAccess } from './access';
import { CHECKS, PLACEHOLDER_CLUSTER } from './checks';
import type { CheckDefinition, CheckInput, CheckOutcome } from './checks/types';
import type { Cluster, ClusterPosture, Estate, Finding } from './model';
import { errorMessage } from './errors';
import { routingFactsOf } from './clusterFacts';
import { dedupePrincipals, distinctPaths } from './distinctPaths';
import { clusterStatus, scoreFindings } from './score';

export { dedupePrincipals } from './distinctPaths';

/**
 * One check on one cluster. A check that throws (a bug, or input no one anticipated) yields
 * `error` for that check only, so one odd cluster cannot hide the findings of the others.
 */
function runCheck(check: CheckDefinition, input: CheckInput): Finding {
  let outcome: CheckOutcome;
  try {
    outcome = check.evaluate(input);
  } catch (error) {
    outcome = {
      status: 'error',
      detail: `The check could not be evaluated: ${errorMessage(error)}`,
      principals: check.category === 'access' ? [] : undefined,
    };
  }
  let remediation: string;
  try {
    remediation = check.remediation(input.cluster, { assignmentIds: outcome.assignmentIds });
  } catch {
    remediation = check.remediation(PLACEHOLDER_CLUSTER);
  }
  const finding: Finding = {
    checkId: check.id,
    status: outcome.status,
    severity: check.severity,
    title: check.title,
    detail: outcome.detail,
    remediation,
  };
  if (check.category === 'access') finding.principals = outcome.principals ?? [];
  return finding;
}

/** What an evaluation knows beyond the estate: who is approved, what is exempted. */
export interface EvaluationPolicy {
  /** `AUDIT_APPROVED_ADMINS`: object ids approved to hold cluster-admin paths. */
  approvedAdmins?: readonly string[];
  /** Accepted risk (core/exemptions); expired and revoked ones are ignored. */
  exemptions?: readonly Exemption[];
}

/**
 * Per check id, the principals an active exemption covering the cluster names (lower-cased):
 * `cluster-admin-paths` treats them as approved (docs/contracts.md "Exemptions").
 */
function exemptedPrincipalsOf(
  clusterId: string,
  exemptions: readonly Exemption[],
  now: Date,
  ancestry: SubscriptionAncestry | undefined,
): Map<string, Set<string>> | undefined {
  let byCheck: Map<string, Set<string>> | undefined;
  for (const e of exemptions) {
    if (!e.principalIds || e.principalIds.length === 0) continue;
    if (exemptionState(e, now) !== 'active' || !exemptionCovers(e, clusterId, ancestry)) continue;
    byCheck ??= new Map();
    let ids = byCheck.get(e.checkId);
    if (!ids) byCheck.set(e.checkId, (ids = new Set()));
    for (const id of e.principalIds) ids.add(id.trim().toLowerCase());
  }
  return byCheck;
}

export function evaluateCluster(
  cluster: Cluster,
  access: ClusterAccess,
  index: AccessIndex,
  now: Date,
  estate?: Readonly<Estate>,
  policy: EvaluationPolicy = {},
): ClusterPosture {
  const input: CheckInput = { cluster, access, index };
  if (estate) input.estate = estate;
  if (policy.approvedAdmins && policy.approvedAdmins.length > 0)
    input.approvedAdmins = new Set(policy.approvedAdmins.map((id) => id.trim().toLowerCase()));
  const exempted = exemptedPrincipalsOf(
    cluster.id,
    policy.exemptions ?? [],
    now,
    estateAncestry(estate?.managementGroupAncestry),
  );
  if (exempted) input.exemptedPrincipals = exempted;
  const findings = CHECKS.map((check) => runCheck(check, input));
  const unresolved = [
    ...new Set(access.unresolved.map((a) => a.roleDefinitionId || a.roleDefinitionGuid)),
  ].sort();
  return {
    ...(unresolved.length > 0 ? { unresolvedRoleDefinitions: unresolved } : {}),
    id: cluster.id,
    name: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    ...routingFactsOf(cluster),
    status: clusterStatus(findings),
    score: scoreFindings(findings),
    findings,
    privilegedPrincipals: distinctPaths(access),
    evaluatedAt: now.toISOString(),
  };
}

function idKey(id: string | undefined): string {
  return (id ?? '').trim().replace(/\/+$/, '').toLowerCase();
}

export interface EvaluateEstateOptions {
  now: Date;
  /** Only these clusters (resource ids, compared case-insensitively); omitted = every cluster. */
  clusterIds?: string[];
  /** Accepted risk to apply (core/exemptions); expired and revoked ones are ignored. */
  exemptions?: readonly Exemption[];
  /** `AUDIT_APPROVED_ADMINS`: object ids approved to hold cluster-admin paths. */
  approvedAdmins?: readonly string[];
}

/**
 * Every cluster of the estate (or those named), with the access index built once. A cluster
 * listed twice (ARM ids are case-insensitive) is evaluated once. Subscriptions whose clusters
 * could not be listed have no cluster objects here; the use case handles the ones it knew.
 */
export function evaluateEstate(estate: Estate, options: EvaluateEstateOptions): ClusterPosture[] {
  const index = buildAccessIndex(estate);
  const ancestry = estateAncestry(estate.managementGroupAncestry);
  const only = options.clusterIds ? new Set(options.clusterIds.map(idKey)) : undefined;
  const seen = new Set<string>();
  const postures: ClusterPosture[] = [];
  for (const cluster of estate.clusters ?? []) {
    const key = idKey(cluster.id);
    if (only && !only.has(key)) continue;
    if (seen.has(key)) continue;
    seen.add(key);
    let access: ClusterAccess;
    try {
      access = index.forCluster(cluster);
    } catch (error) {
      access = {
        clusterId: cluster.id,
        unavailable: `the role assignments over the cluster could not be evaluated: ${errorMessage(error)}`,
        assignments: [],
        privileged: [],
        unresolved: [],
      };
    }
    postures.push(
      applyExemptions(
        evaluateCluster(cluster, access, index, options.now, estate, options),
        options.exemptions ?? [],
        options.now,
        ancestry,
      ),
    );
  }
  return postures;
}

/**
 * A known cluster that could not be read this time (its subscription's cluster listing failed):
 * every check becomes `error` with the reason, so a stale `pass` is never reported. The last
 * known privileged principals are kept: emptying them would make the next successful read look
 * like every principal had just gained access.
 */
export function unreadablePosture(
  stored: ClusterPosture,
  reason: string,
  now: Date,
): ClusterPosture {
  const cluster: Cluster = {
    ...PLACEHOLDER_CLUSTER,
    id: stored.id,
    name: stored.name,
    subscriptionId: stored.subscriptionId,
    resourceGroup: stored.resourceGroup,
  };
  const findings: Finding[] = CHECKS.map((check) => {
    const finding: Finding = {
      checkId: check.id,
      status: 'error',
      severity: check.severity,
      title: check.title,
      detail: `The cluster could not be read: ${reason}`,
      remediation: check.remediation(cluster),
    };
    if (check.category === 'access') finding.principals = [];
    return finding;
  });
  return {
    id: stored.id,
    name: stored.name,
    subscriptionId: stored.subscriptionId,
    resourceGroup: stored.resourceGroup,
    // What routes events to the cluster stays as last read.
    ...(stored.nodeResourceGroup ? { nodeResourceGroup: stored.nodeResourceGroup } : {}),
    ...(stored.entraIntegration ? { entraIntegration: stored.entraIntegration } : {}),
    status: clusterStatus(findings),
    score: scoreFindings(findings),
    findings,
    privilegedPrincipals: dedupePrincipals(stored.privilegedPrincipals ?? []),
    evaluatedAt: now.toISOString(),
  };
}
