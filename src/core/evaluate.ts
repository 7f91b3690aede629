/**
 * Evaluation of clusters into postures (ARCHITECTURE.md step 4): every check of the catalogue
 * exactly once per cluster, in catalogue order, then the score and status. Pure.
 */
import { applyExemptions, type Exemption } from './exemptions';
import { buildAccessIndex, type AccessIndex, type AccessView, type ClusterAccess } from './access';
import { CHECKS, PLACEHOLDER_CLUSTER } from './checks';
import { accessViewsOfInput } from './checks/common';
import type { CheckDefinition, CheckInput, CheckOutcome } from './checks/types';
import {
  CAPABILITIES,
  type Capability,
  type Cluster,
  type ClusterPosture,
  type Estate,
  type Finding,
  type PrincipalAccess,
} from './model';
import { errorMessage } from './errors';
import { clusterStatus, scoreFindings } from './score';

/**
 * One check on one cluster. A check that throws (a bug, or input no one anticipated) yields
 * `error` for that check only, so one odd cluster cannot hide the findings of the others.
 */
function runCheck(check: CheckDefinition, input: CheckInput): Finding {
  let outcome: CheckOutcome;
  try {
    outcome = check.evaluate(input);
  } catch (error) {
    outcome = { status: 'error', detail: `The check could not be evaluated: ${errorMessage(error)}`, principals: check.category === 'access' ? [] : undefined };
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

/**
 * The same principal, role and scope listed more than once (e.g. a root assignment seen in
 * several subscriptions' listings) becomes one entry holding the union of the capabilities.
 */
export function dedupePrincipals(principals: readonly PrincipalAccess[]): PrincipalAccess[] {
  const byKey = new Map<string, { entry: PrincipalAccess; held: Set<Capability> }>();
  for (const p of principals) {
    const key = dedupeKey(p);
    const existing = byKey.get(key);
    if (existing) {
      for (const c of p.capabilities) existing.held.add(c);
    } else {
      byKey.set(key, { entry: { ...p }, held: new Set(p.capabilities) });
    }
  }
  return [...byKey.values()].map(({ entry, held }) => ({ ...entry, capabilities: CAPABILITIES.filter((c) => held.has(c)) }));
}

function keyPart(value: string | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

function dedupeKey(p: PrincipalAccess): string {
  // An eligibility and the active assignment it was activated into stay two entries: the
  // regressions tell an eligible-only gain by them.
  return `${keyPart(p.principalId)}|${keyPart(p.roleDefinitionId)}|${keyPart(p.scope)}${p.eligible === true ? '|eligible' : ''}`;
}

/** Whether a list of capabilities is already what `dedupePrincipals` makes of it: CAPABILITIES order, no repeats. */
function isCanonical(capabilities: readonly Capability[]): boolean {
  let at = -1;
  for (const c of capabilities) {
    const next = CAPABILITIES.indexOf(c);
    if (next <= at) return false;
    at = next;
  }
  return true;
}

/** `dedupePrincipals` of one shared scope view, and what decides whether it can meet another's. */
interface DedupedView {
  /** Frozen: shared by the postures of every cluster under the view's scope. */
  principals: readonly PrincipalAccess[];
  /** The distinct `keyPart(scope)` of the view's entries. */
  scopes: readonly string[];
  /** An id containing `|` would make the joined key ambiguous across scopes (see `privilegedPrincipalsOf`). */
  ambiguousKeys: boolean;
}

const dedupedByView = new WeakMap<AccessView, DedupedView>();

function dedupedView(view: AccessView): DedupedView {
  let deduped = dedupedByView.get(view);
  if (deduped === undefined) {
    const rawScopes = new Set<string>();
    let ambiguousKeys = false;
    for (const p of view.privileged) {
      rawScopes.add(p.scope ?? '');
      if ((p.principalId ?? '').includes('|') || (p.roleDefinitionId ?? '').includes('|')) ambiguousKeys = true;
    }
    deduped = {
      principals: dedupeSharedEntries(view.privileged),
      scopes: [...new Set([...rawScopes].map(keyPart))],
      ambiguousKeys,
    };
    dedupedByView.set(view, deduped);
  }
  return deduped;
}

/**
 * `dedupePrincipals` for the frozen entries of a view, equal in value, cheaper in work: an entry
 * can only repeat an earlier one of the same principal (unless an id contains `|`, in which case
 * `privilegedPrincipalsOf` does not use this result), so full keys are built only for entries
 * whose principal was already seen, and an entry that repeats nothing (nearly all of them) is
 * returned as the very same frozen object instead of a copy. Merged entries are new frozen objects.
 */
function dedupeSharedEntries(entries: readonly PrincipalAccess[]): PrincipalAccess[] {
  const kept: PrincipalAccess[] = [];
  // Per principal key, the positions in `kept` of its entries.
  const keptOfPrincipal = new Map<string, number[]>();
  // Positions in `kept` that absorbed later repeats, with everything they hold.
  const heldAt = new Map<number, Set<Capability>>();
  for (const p of entries) {
    const principal = keyPart(p.principalId);
    const positions = keptOfPrincipal.get(principal);
    if (positions === undefined) {
      keptOfPrincipal.set(principal, [kept.length]);
      kept.push(p);
      continue;
    }
    const key = dedupeKey(p);
    const first = positions.find((i) => dedupeKey(kept[i]!) === key);
    if (first === undefined) {
      positions.push(kept.length);
      kept.push(p);
      continue;
    }
    let held = heldAt.get(first);
    if (held === undefined) heldAt.set(first, (held = new Set(kept[first]!.capabilities)));
    for (const c of p.capabilities) held.add(c);
  }
  return kept.map((p, i) => {
    const held = heldAt.get(i);
    if (held === undefined && Object.isFrozen(p) && Object.isFrozen(p.capabilities) && isCanonical(p.capabilities)) return p;
    const capabilities = CAPABILITIES.filter((c) => (held ? held.has(c) : p.capabilities.includes(c)));
    return Object.freeze({ ...p, capabilities: Object.freeze(capabilities) as Capability[] });
  });
}

/**
 * `dedupePrincipals(access.privileged)`, without building a key per principal per cluster.
 * The key includes the scope, and the views a cluster's access is made of are each one scope
 * (the management-group view: a few), so entries of two views can only be merged if the two
 * share a scope key. When no two views do, the result is the concatenation of each view's own
 * deduplicated entries, computed once per view. Otherwise (or for an access not built by the
 * index) the whole list is deduplicated here.
 */
function privilegedPrincipalsOf(input: CheckInput): PrincipalAccess[] {
  const { access } = input;
  const views = accessViewsOfInput(input);
  if (views === undefined) return dedupePrincipals(access.privileged);
  const parts = views.map(dedupedView);
  const seenScopes: string[] = [];
  for (const part of parts) {
    if (part.ambiguousKeys) return dedupePrincipals(access.privileged);
    for (const scope of part.scopes) {
      if (seenScopes.includes(scope)) return dedupePrincipals(access.privileged);
    }
    // Pushed after the loop: a view's own repeats are already merged in its result.
    seenScopes.push(...part.scopes);
  }
  const principals: PrincipalAccess[] = [];
  for (const part of parts) for (const p of part.principals) principals.push(p);
  return principals;
}

export function evaluateCluster(cluster: Cluster, access: ClusterAccess, index: AccessIndex, now: Date, estate?: Readonly<Estate>): ClusterPosture {
  const input: CheckInput = { cluster, access, index };
  if (estate) input.estate = estate;
  const findings = CHECKS.map((check) => runCheck(check, input));
  return {
    id: cluster.id,
    name: cluster.name,
    subscriptionId: cluster.subscriptionId,
    resourceGroup: cluster.resourceGroup,
    status: clusterStatus(findings),
    score: scoreFindings(findings),
    findings,
    privilegedPrincipals: privilegedPrincipalsOf(input),
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
}

/**
 * Every cluster of the estate (or those named), with the access index built once. A cluster
 * listed twice (ARM ids are case-insensitive) is evaluated once. Subscriptions whose clusters
 * could not be listed have no cluster objects here; the use case handles the ones it knew.
 */
export function evaluateEstate(estate: Estate, options: EvaluateEstateOptions): ClusterPosture[] {
  const index = buildAccessIndex(estate);
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
    postures.push(applyExemptions(evaluateCluster(cluster, access, index, options.now, estate), options.exemptions ?? [], options.now));
  }
  return postures;
}

/**
 * A known cluster that could not be read this time (its subscription's cluster listing failed):
 * every check becomes `error` with the reason, so a stale `pass` is never reported. The last
 * known privileged principals are kept: emptying them would make the next successful read look
 * like every principal had just gained access.
 */
export function unreadablePosture(stored: ClusterPosture, reason: string, now: Date): ClusterPosture {
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
    status: clusterStatus(findings),
    score: scoreFindings(findings),
    findings,
    privilegedPrincipals: dedupePrincipals(stored.privilegedPrincipals ?? []),
    evaluatedAt: now.toISOString(),
  };
}
