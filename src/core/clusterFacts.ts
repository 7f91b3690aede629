/**
 * What the event router must know about a known cluster that an event does not carry
 * (docs/events.md "Routing"): whether it has Entra integration (a user-credential fetch is an
 * admin-credential fetch without it) and which resource group holds its nodes (role assignments
 * and scale-set commands there concern the cluster). Recorded in the posture, kept by the store.
 */
import { untrustedClusterIdParts } from './eventResourceIds';
import type { Cluster, ClusterPosture, EntraIntegration } from './model';

/** A known cluster and what its stored posture says (absent fields: not recorded, unknown). */
export interface KnownClusterFacts {
  /** The cluster id as stored. */
  id: string;
  nodeResourceGroup?: string;
  entraIntegration?: EntraIntegration;
}

/** `aadProfile` in the router's terms; undefined when the cluster document says nothing. */
export function entraIntegrationOf(cluster: Cluster): EntraIntegration | undefined {
  if (cluster.incomplete !== undefined) return undefined;
  if (cluster.aadProfile === null) return 'none';
  return cluster.aadProfile.managed === true ? 'managed' : 'legacy';
}

/** The routing facts a posture records about its cluster (only those known). */
export function routingFactsOf(
  cluster: Cluster,
): Pick<ClusterPosture, 'nodeResourceGroup' | 'entraIntegration'> {
  const facts: Pick<ClusterPosture, 'nodeResourceGroup' | 'entraIntegration'> = {};
  const nodeResourceGroup = cluster.nodeResourceGroup?.trim();
  if (nodeResourceGroup) facts.nodeResourceGroup = nodeResourceGroup;
  const entraIntegration = entraIntegrationOf(cluster);
  if (entraIntegration) facts.entraIntegration = entraIntegration;
  return facts;
}

/** Location names are lower-case letters and digits (`westeurope`, `eastus2`). */
const LOCATION = /^[a-z0-9]+$/;

/**
 * Whether `resourceGroup` (of `subscriptionId`) holds the nodes of `cluster`. The recorded
 * `nodeResourceGroup` decides; a posture recorded before it was kept falls back to the name AKS
 * gives by default, `MC_{resourceGroup}_{cluster}_{location}` (over-reporting rather than
 * missing a grant over the nodes until the next evaluation records the real name).
 */
export function holdsNodesOf(
  cluster: KnownClusterFacts,
  subscriptionId: string,
  resourceGroup: string,
): boolean {
  const parts = untrustedClusterIdParts(cluster.id);
  if (!parts || parts.subscriptionId !== subscriptionId.toLowerCase()) return false;
  const wanted = resourceGroup.toLowerCase();
  if (cluster.nodeResourceGroup !== undefined)
    return cluster.nodeResourceGroup.toLowerCase() === wanted;
  const prefix = `mc_${parts.resourceGroup}_${parts.name}_`.toLowerCase();
  return wanted.startsWith(prefix) && LOCATION.test(wanted.slice(prefix.length));
}
