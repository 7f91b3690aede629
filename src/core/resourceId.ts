/**
 * ARM resource ids, taken apart. ARM treats ids case-insensitively and both `resourceGroups`
 * and `resourcegroups` occur in real exports and event subjects, so segment keywords are matched
 * case-insensitively; the values (names) keep the case they were given in. Pure.
 */
import { InputError } from './errors';

export interface ResourceIdParts {
  subscriptionId?: string;
  resourceGroup?: string;
  /** The resource provider namespace of the last `providers/{namespace}` (`Microsoft.ContainerService`). */
  provider?: string;
  /** Resource type under that provider, nested types joined by `/` (`managedClusters/agentPools`). */
  type?: string;
  /** Name of the last (innermost) resource. */
  name?: string;
}

/**
 * Splits an ARM id into its parts. Tolerates blanks around it, a missing leading slash, trailing
 * and doubled slashes. Parts that the id does not have are left out (a subscription id has no
 * resource group; a management group id has no subscription).
 */
export function parseResourceId(id: string): ResourceIdParts {
  const segments = id
    .trim()
    .split('/')
    .filter((s) => s !== '');
  const parts: ResourceIdParts = {};
  let i = 0;
  if (segments[i]?.toLowerCase() === 'subscriptions' && segments[i + 1] !== undefined) {
    parts.subscriptionId = segments[i + 1];
    i += 2;
    if (segments[i]?.toLowerCase() === 'resourcegroups' && segments[i + 1] !== undefined) {
      parts.resourceGroup = segments[i + 1];
      i += 2;
    }
  }
  // `providers/{namespace}/{type}/{name}[/{childType}/{childName}…]`; an extension resource
  // (a role assignment on a cluster) starts again at a later `providers`, and the innermost wins.
  while (i < segments.length) {
    if (segments[i].toLowerCase() === 'providers' && segments[i + 1] !== undefined) {
      parts.provider = segments[i + 1];
      delete parts.type;
      delete parts.name;
      i += 2;
      continue;
    }
    if (parts.provider === undefined) break;
    const type = segments[i];
    parts.type = parts.type === undefined ? type : `${parts.type}/${type}`;
    const name = segments[i + 1];
    if (name === undefined) {
      delete parts.name;
      break;
    }
    parts.name = name;
    i += 2;
  }
  return parts;
}

export interface ClusterIdParts {
  /** Lower-cased: subscription guids are case-insensitive and compared lower-cased everywhere. */
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** The subscription, resource group and name of a managed cluster id; InputError for anything else. */
export function clusterIdParts(id: string): ClusterIdParts {
  const parts = parseResourceId(id);
  const isCluster =
    parts.provider?.toLowerCase() === 'microsoft.containerservice' &&
    parts.type?.toLowerCase() === 'managedclusters';
  if (!isCluster || !parts.subscriptionId || !parts.resourceGroup || !parts.name) {
    throw new InputError(`not a managed cluster resource id: "${oneLine(id)}"`);
  }
  return {
    subscriptionId: parts.subscriptionId.toLowerCase(),
    resourceGroup: parts.resourceGroup,
    name: parts.name,
  };
}

/** Keeps an echoed user value on one line and short, so the error message stays one line. */
function oneLine(value: string): string {
  const flat = value.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
