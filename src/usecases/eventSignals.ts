/**
 * The real-time signals an event raises (docs/events.md): the `admin-credential-retrieved`,
 * `run-command-invoked` and `node-command-invoked` pages (built here, enqueued by the caller) and
 * the report of `privileged-role-granted`, whose page the store already wrote with the posture.
 */
import { clusterLink, dedupeKey } from '../core/alerts';
import { checkById, PLACEHOLDER_CLUSTER } from '../core/checks';
import { clusterArgs, shellArg } from '../core/checks/common';
import {
  splitUntrustedResourceId,
  untrustedClusterIdParts,
  subscriptionOf,
  type ArmEvent,
  type SignalRoute,
} from '../core/events';
import type {
  Alert,
  Caller,
  ClusterPosture,
  EntraIntegration,
  RealTimeSignal,
  Severity,
} from '../core/model';
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

/** What a signal route came to, once the cluster was read again. */
export type RaisedSignal =
  | { kind: 'raised'; signal: RealTimeSignal; alert: Alert; reason: string }
  | { kind: 'ignored'; reason: string };

/**
 * The page of a signal route (docs/events.md "Real-time signals"), told with how the cluster
 * stands now (`current`, evaluated with the event) or, failing that, as last stored. A
 * user-credential fetch the router could not decide is dropped here when the cluster turns out
 * to have Entra integration; when that stays unknown it pages (the safe side).
 */
export async function raiseSignal(
  event: ArmEvent,
  route: SignalRoute,
  current: ClusterPosture | undefined,
  deps: Pick<HandleEventsDeps, 'linkBase' | 'store'>,
  now: Date,
): Promise<RaisedSignal> {
  // The router's value came from the stored posture (the store's summary of it).
  const entra = current?.entraIntegration ?? route.entraIntegration;
  if (route.onlyWithoutEntra && (entra === 'managed' || entra === 'legacy'))
    return {
      kind: 'ignored',
      reason: `${callerText(event.caller)} ${route.action}; the cluster has ${entra} Entra integration, so it needs an Entra sign-in: not a signal`,
    };
  const signal: RealTimeSignal = {
    signal: route.signal,
    clusterId: current?.id ?? route.clusterId,
    caller: event.caller,
    eventId: event.id,
    eventTime: event.time,
  };
  if (entra) signal.entraIntegration = entra;
  if (route.target) signal.target = route.target;
  if (route.signal === 'admin-credential-retrieved') {
    const localAccountsEnabled = await localAccountsState(deps.store, route.clusterId, current);
    if (localAccountsEnabled !== undefined) signal.localAccountsEnabled = localAccountsEnabled;
  }
  const alert = signalAlert(event, route, signal, current, deps, now);
  return {
    kind: 'raised',
    signal,
    alert,
    reason: `${callerText(event.caller)} ${route.action}; paging at ${alert.severity}`,
  };
}

/** run-command-invoked: high, critical unless the cluster is known to have managed Entra integration. */
function runCommandSeverity(entra: EntraIntegration | undefined): Severity {
  return entra === 'managed' ? 'high' : 'critical';
}

const ENTRA_WORDS: Record<EntraIntegration | 'unknown', string> = {
  managed:
    "the cluster has managed Entra integration: the command ran with the caller's own Kubernetes permissions",
  legacy:
    "the cluster has only the legacy Entra integration: the command ran with the cluster's own credential, as cluster-admin",
  none: "the cluster has no Entra integration: the command ran with the cluster's own credential, as cluster-admin",
  unknown:
    'whether the cluster has managed Entra integration is unknown (it has not been evaluated): the command may have run as cluster-admin',
};

function signalAlert(
  event: ArmEvent,
  route: SignalRoute,
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
  const cluster = {
    ...PLACEHOLDER_CLUSTER,
    id: signal.clusterId,
    name,
    resourceGroup,
    subscriptionId,
  };
  const from = event.caller.ipAddress ? ` from ${event.caller.ipAddress}` : '';
  const after = `${callerText(event.caller)} ${route.action}${from} at ${event.time} (event ${event.id})`;
  let text: Pick<Alert, 'severity' | 'checkId' | 'title' | 'before' | 'remediation'>;
  switch (route.signal) {
    case 'admin-credential-retrieved': {
      const check = checkById('admin-credential-access');
      text = {
        severity: 'critical',
        checkId: 'admin-credential-access',
        title: `Cluster-admin credentials of ${name} were retrieved`,
        before:
          signal.localAccountsEnabled === true
            ? 'local accounts are enabled: the static cluster-admin kubeconfig bypasses Entra ID, RBAC and audit'
            : signal.localAccountsEnabled === false
              ? 'local accounts are disabled per the latest posture (the fetch happened before they were disabled, or the posture is stale)'
              : 'whether local accounts are enabled is unknown (the cluster has not been evaluated)',
        // Once local accounts are disabled the fix is not to disable them again: certificates
        // fetched before stay valid until the cluster's certificates are rotated (docs: manage
        // local accounts).
        remediation:
          signal.localAccountsEnabled === false
            ? `az aks rotate-certs ${clusterArgs(cluster)}   # revokes the admin kubeconfig fetched before local accounts were disabled (restarts the nodes)`
            : check
              ? check.remediation(cluster)
              : `az aks update ${clusterArgs(cluster)} --disable-local-accounts`,
      };
      if (route.onlyWithoutEntra && signal.entraIntegration === undefined)
        text.before +=
          '; whether the cluster has Entra integration is unknown, so a user kubeconfig may be as good as the admin one';
      else if (route.action.includes('cluster-user'))
        text.before +=
          '; the cluster has no Entra integration, so its user kubeconfig is as good as the admin one';
      break;
    }
    case 'run-command-invoked':
      text = {
        severity: runCommandSeverity(signal.entraIntegration),
        checkId: 'run-command-disabled',
        title: `A command was run in ${name} through Azure Resource Manager`,
        before: ENTRA_WORDS[signal.entraIntegration ?? 'unknown'],
        remediation: `az aks update ${clusterArgs(cluster)} --disable-run-command`,
      };
      break;
    case 'node-command-invoked': {
      const scaleSet = scaleSetParts(route.target);
      text = {
        severity: 'high',
        checkId: 'cluster-admin-paths',
        title: `A command reached the nodes of ${name}`,
        before:
          "the nodes hold the kubelet identity's token and the secrets of every pod scheduled on them",
        remediation: scaleSet
          ? `az vmss extension list -g ${shellArg(scaleSet.resourceGroup)} --vmss-name ${shellArg(scaleSet.name)} -o table; ` +
            `az role assignment list --scope ${shellArg(`/subscriptions/${scaleSet.subscriptionId}/resourceGroups/${scaleSet.resourceGroup}`)} --include-inherited -o table`
          : `az role assignment list --all --include-inherited -o table`,
      };
      break;
    }
  }
  const alert: Alert = {
    // The event id as the third part: every signal pages, and a redelivery of one does not.
    dedupeKey: dedupeKey(signal.clusterId, route.signal, event.id),
    clusterId: signal.clusterId,
    clusterName: name,
    subscriptionId,
    resourceGroup,
    kind: route.signal,
    ...text,
    after,
    caller: event.caller,
    createdAt: now.toISOString(),
  };
  const link = clusterLink(deps.linkBase, { subscriptionId, resourceGroup, name });
  if (link) alert.link = link;
  return alert;
}

/** The node resource group and scale set of a node-command target (a scale-set id). */
function scaleSetParts(
  target: string | undefined,
): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const parsed = target ? splitUntrustedResourceId(target) : undefined;
  if (!parsed?.ok || parsed.segments.length < 8) return undefined;
  const [, subscriptionId, , resourceGroup, , , , name] = parsed.segments;
  return { subscriptionId, resourceGroup, name };
}
