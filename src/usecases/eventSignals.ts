/**
 * The real-time signals an event raises (docs/events.md): the `admin-credential-retrieved` page
 * (built here, enqueued by the caller) and the report of `privileged-role-granted`, whose page
 * the store already wrote with the posture.
 */
import { clusterLink, dedupeKey } from '../core/alerts';
import { checkById, PLACEHOLDER_CLUSTER } from '../core/checks';
import { clusterArgs } from '../core/checks/common';
import { untrustedClusterIdParts, subscriptionOf, type ArmEvent } from '../core/events';
import type { Alert, Caller, ClusterPosture, RealTimeSignal } from '../core/model';
import type { PostureStore } from '../core/ports';
import type { EvaluatedCluster } from './evaluateRequests';
import type { EventResult, HandleEventsDeps } from './handleEvents';

/**
 * `privileged-role-granted` is the privilege-gained regression a role-assignment write caused.
 * It pages ONCE: the store wrote the regression's alert with who granted it (`grantedBy`), in
 * the posture's transaction; here the signal is only reported.
 */
export function raisePrivilegedRoleGranted(
  event: ArmEvent,
  result: EventResult,
  evaluated: EvaluatedCluster[],
  grantee: string | undefined,
): void {
  for (const { posture, recorded } of evaluated) {
    const gained = recorded.regressions.some(
      (r) =>
        r.kind === 'privilege-gained' &&
        (grantee === undefined || (r.principalId ?? '').toLowerCase() === grantee.toLowerCase()),
    );
    if (!gained) continue;
    result.signals.push({
      signal: 'privileged-role-granted',
      clusterId: posture.id,
      caller: event.caller,
      eventId: event.id,
      eventTime: event.time,
    });
  }
}

/** Whether local accounts are enabled: per the current posture, else the stored one, else unknown. */
export async function localAccountsState(
  store: PostureStore,
  clusterId: string,
  current: ClusterPosture | undefined,
): Promise<boolean | undefined> {
  const fromPosture = (posture: ClusterPosture | undefined) => {
    const status = posture?.findings.find((f) => f.checkId === 'local-accounts-disabled')?.status;
    return status === 'fail' ? true : status === 'pass' ? false : undefined;
  };
  const now = fromPosture(current);
  if (now !== undefined) return now;
  try {
    return fromPosture(await store.getPosture(clusterId));
  } catch {
    return undefined;
  }
}

export function callerText(caller: Caller): string {
  const who =
    caller.name ??
    (caller.appId ? `application ${caller.appId}` : undefined) ??
    (caller.objectId ? `object ${caller.objectId}` : 'an unknown caller');
  const ids = [
    caller.objectId && caller.name ? `object id ${caller.objectId}` : undefined,
    caller.appId && caller.name ? `app id ${caller.appId}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return ids ? `${who} (${ids})` : who;
}

export function adminCredentialAlert(
  event: ArmEvent,
  signal: RealTimeSignal,
  posture: ClusterPosture | undefined,
  deps: Pick<HandleEventsDeps, 'linkBase'>,
  now: Date,
): Alert {
  const parts = untrustedClusterIdParts(signal.clusterId);
  const name = posture?.name ?? parts?.name ?? signal.clusterId;
  const resourceGroup = posture?.resourceGroup ?? parts?.resourceGroup ?? '';
  const subscriptionId =
    posture?.subscriptionId ?? parts?.subscriptionId ?? subscriptionOf(signal.clusterId) ?? '';
  const check = checkById('admin-credential-access');
  // Once local accounts are disabled the fix is not to disable them again: certificates fetched
  // before stay valid until the cluster's certificates are rotated (docs: manage local accounts).
  const disableFix = check
    ? check.remediation({
        ...PLACEHOLDER_CLUSTER,
        id: signal.clusterId,
        name,
        resourceGroup,
        subscriptionId,
      })
    : `az aks update --resource-group ${resourceGroup} --name ${name} --disable-local-accounts`;
  const remediation =
    signal.localAccountsEnabled === false
      ? `az aks rotate-certs ${clusterArgs({ resourceGroup, name })}   # revokes the admin kubeconfig fetched before local accounts were disabled (restarts the nodes)`
      : disableFix;
  const before =
    signal.localAccountsEnabled === true
      ? 'local accounts are enabled: the static cluster-admin kubeconfig bypasses Entra ID, RBAC and audit'
      : signal.localAccountsEnabled === false
        ? 'local accounts are disabled per the latest posture (the fetch happened before they were disabled, or the posture is stale)'
        : 'whether local accounts are enabled is unknown (the cluster has not been evaluated)';
  const from = event.caller.ipAddress ? ` from ${event.caller.ipAddress}` : '';
  const alert: Alert = {
    // The event id as the third part: every fetch pages, and a redelivery of one fetch does not.
    dedupeKey: dedupeKey(signal.clusterId, 'admin-credential-retrieved', event.id),
    clusterId: signal.clusterId,
    clusterName: name,
    subscriptionId,
    resourceGroup,
    severity: 'critical',
    kind: 'admin-credential-retrieved',
    checkId: 'admin-credential-access',
    title: `Cluster-admin credentials of ${name} were retrieved`,
    before,
    after: `${callerText(event.caller)} fetched the cluster-admin kubeconfig${from} at ${event.time} (event ${event.id})`,
    caller: event.caller,
    remediation,
    createdAt: now.toISOString(),
  };
  const link = clusterLink(deps.linkBase, { subscriptionId, resourceGroup, name });
  if (link) alert.link = link;
  return alert;
}
