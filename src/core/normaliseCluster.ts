/**
 * Managed clusters in any of the three shapes (ARM REST, JS SDK, `az` CLI) into the model's
 * `Cluster` (see core/normalise for the shapes and the rules on absent and wrong values). Pure.
 */
import { InputError } from './errors';
import { isObject, readField, readObject, type Json } from './fieldSpelling';
import type { Addon, AttachedIdentity, Cluster, UserAssignedIdentity } from './model';
import {
  Doc,
  describe,
  docKind,
  requireId,
  requireObject,
  toBoolean,
  toStringArray,
  toText,
} from './normaliseDocument';
import { parseResourceId } from './resourceId';

const CLUSTER_DOCS = docKind();

/** A user-assigned identity: its resource id, and its principal and client ids when given. */
function userAssignedIdentity(resourceId: string, details: Json | undefined): UserAssignedIdentity {
  const principalId = toText(readField(details, 'principalId'));
  const clientId = toText(readField(details, 'clientId'));
  const out: UserAssignedIdentity = { resourceId };
  if (principalId !== undefined) out.principalId = principalId;
  if (clientId !== undefined) out.clientId = clientId;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Clusters
// ---------------------------------------------------------------------------------------------

/**
 * Fields only a managed cluster's configuration carries. A document with none of them (an ARM
 * object whose `properties` were not returned, a stub from a resource listing) says nothing
 * about the cluster: it is marked `incomplete` rather than read as "everything off".
 */
const CONFIGURATION_FIELDS = [
  'provisioningState',
  'kubernetesVersion',
  'currentKubernetesVersion',
  'dnsPrefix',
  'fqdn',
  'nodeResourceGroup',
  'agentPoolProfiles',
  'networkProfile',
  'aadProfile',
  'enableRbac',
  'disableLocalAccounts',
  'identityProfile',
  'servicePrincipalProfile',
  'apiServerAccessProfile',
  'addonProfiles',
  'oidcIssuerProfile',
  'securityProfile',
  'podIdentityProfile',
];

function incompleteReason(doc: Doc): string | undefined {
  const hasProperties = doc.top('properties');
  if (hasProperties !== undefined && !isObject(hasProperties)) {
    return `"properties" is ${describe(hasProperties)}: the cluster's configuration was not returned`;
  }
  if (CONFIGURATION_FIELDS.some((f) => doc.field(f) !== undefined)) return undefined;
  if (doc.properties)
    return 'the cluster document has "properties" but no recognisable cluster configuration in it';
  if (
    doc.top('type') !== undefined ||
    doc.top('identity') !== undefined ||
    doc.top('location') !== undefined
  ) {
    return 'the cluster document has no "properties": its configuration was not returned';
  }
  return 'the cluster document has no recognisable cluster configuration';
}

function normaliseAadProfile(doc: Doc): Cluster['aadProfile'] {
  const aad = doc.object('aadProfile');
  if (!aad) return null;
  const where = doc.where;
  const managed = toBoolean(readField(aad, 'managed'), where, 'aadProfile.managed');
  const enableAzureRbac = toBoolean(
    readField(aad, 'enableAzureRbac'),
    where,
    'aadProfile.enableAzureRBAC',
  );
  const adminGroupObjectIds = toStringArray(
    readField(aad, 'adminGroupObjectIds'),
    where,
    'aadProfile.adminGroupObjectIDs',
  );
  const out: NonNullable<Cluster['aadProfile']> = {};
  if (managed !== undefined) out.managed = managed;
  if (enableAzureRbac !== undefined) out.enableAzureRbac = enableAzureRbac;
  if (adminGroupObjectIds !== undefined) out.adminGroupObjectIds = adminGroupObjectIds;
  return out;
}

function normaliseUserAssignedIdentities(value: unknown, where: string): UserAssignedIdentity[] {
  if (value === undefined || value === null) return [];
  const out: UserAssignedIdentity[] = [];
  // The documented shape in ARM, SDK and `az` alike: a map resourceId → { principalId, clientId }.
  if (isObject(value)) {
    for (const [resourceId, details] of Object.entries(value)) {
      out.push(userAssignedIdentity(resourceId, isObject(details) ? details : undefined));
    }
    return out;
  }
  // Some tools list the ids instead; accept strings or `{ resourceId | id, … }` entries.
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string' && item.trim() !== '') out.push({ resourceId: item });
      else if (isObject(item)) {
        const resourceId = toText(readField(item, 'resourceId')) ?? toText(readField(item, 'id'));
        if (!resourceId)
          throw new InputError(
            `${where}: "identity.userAssignedIdentities" has an entry without a resource id`,
          );
        out.push(userAssignedIdentity(resourceId, item));
      }
    }
    return out;
  }
  throw new InputError(
    `${where}: "identity.userAssignedIdentities" is ${describe(value)}, expected an object`,
  );
}

function normaliseIdentity(doc: Doc): Cluster['identity'] {
  // `identity` sits outside `properties` in ARM; the SDK and `az` put it at the top level too.
  const identity = doc.top('identity') ?? doc.field('identity');
  if (!isObject(identity)) return null;
  const type = toText(readField(identity, 'type'));
  const principalId = toText(readField(identity, 'principalId'));
  const userAssignedIdentities = normaliseUserAssignedIdentities(
    readField(identity, 'userAssignedIdentities'),
    doc.where,
  );
  const out = {} as NonNullable<Cluster['identity']>;
  if (type !== undefined) out.type = type;
  if (principalId !== undefined) out.principalId = principalId;
  out.userAssignedIdentities = userAssignedIdentities;
  return out;
}

/** An identity object (`{ objectId, clientId, resourceId }`), or undefined when absent or empty. */
function attachedIdentity(value: Json | undefined): AttachedIdentity | undefined {
  if (!value) return undefined;
  const objectId = toText(readField(value, 'objectId'));
  const clientId = toText(readField(value, 'clientId'));
  const resourceId = toText(readField(value, 'resourceId'));
  const out: AttachedIdentity = {};
  if (objectId !== undefined) out.objectId = objectId;
  if (clientId !== undefined) out.clientId = clientId;
  if (resourceId !== undefined) out.resourceId = resourceId;
  return out;
}

function normaliseKubeletIdentity(doc: Doc): Cluster['kubeletIdentity'] {
  return attachedIdentity(readObject(doc.object('identityProfile'), 'kubeletidentity')) ?? null;
}

function normaliseApiServerAccess(doc: Doc): Cluster['apiServerAccess'] {
  const profile = doc.object('apiServerAccessProfile');
  if (!profile) return null;
  const enablePrivateCluster = toBoolean(
    readField(profile, 'enablePrivateCluster'),
    doc.where,
    'apiServerAccessProfile.enablePrivateCluster',
  );
  const authorizedIpRanges = toStringArray(
    readField(profile, 'authorizedIpRanges'),
    doc.where,
    'apiServerAccessProfile.authorizedIPRanges',
  );
  const disableRunCommand = toBoolean(
    readField(profile, 'disableRunCommand'),
    doc.where,
    'apiServerAccessProfile.disableRunCommand',
  );
  const out: NonNullable<Cluster['apiServerAccess']> = {};
  if (disableRunCommand !== undefined) out.disableRunCommand = disableRunCommand;
  if (enablePrivateCluster !== undefined) out.enablePrivateCluster = enablePrivateCluster;
  if (authorizedIpRanges !== undefined) out.authorizedIpRanges = authorizedIpRanges;
  return out;
}

function normaliseDefender(doc: Doc): boolean | undefined {
  const security = doc.object('securityProfile');
  const monitoring = readObject(readObject(security, 'defender'), 'securityMonitoring');
  const enabled = toBoolean(
    readField(monitoring, 'enabled'),
    doc.where,
    'securityProfile.defender.securityMonitoring.enabled',
  );
  if (enabled !== undefined) return enabled;
  // API versions before 2022 (preview) spelt it `securityProfile.azureDefender.enabled`.
  return toBoolean(
    readField(readObject(security, 'azureDefender'), 'enabled'),
    doc.where,
    'securityProfile.azureDefender.enabled',
  );
}

function configValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function normaliseAddons(doc: Doc): Record<string, Addon> {
  const profiles = doc.object('addonProfiles');
  const addons: Record<string, Addon> = {};
  if (!profiles) return addons;
  for (const [name, profile] of Object.entries(profiles)) {
    const key = name.toLowerCase();
    // Two spellings of one add-on in one document is not something ARM returns; keep the first
    // rather than let a later duplicate silently override it.
    if (Object.prototype.hasOwnProperty.call(addons, key)) continue;
    const p = isObject(profile) ? profile : undefined;
    const config: Record<string, string> = {};
    const rawConfig = readObject(p, 'config');
    if (rawConfig) {
      for (const [k, v] of Object.entries(rawConfig)) {
        const text = configValue(v);
        if (text !== undefined) config[k] = text;
      }
    }
    // An add-on profile that does not say it is enabled is not enabled (ARM requires the flag).
    addons[key] = {
      enabled:
        toBoolean(readField(p, 'enabled'), doc.where, `addonProfiles.${name}.enabled`) === true,
      config,
    };
    const identity = attachedIdentity(readObject(p, 'identity'));
    if (identity?.objectId !== undefined) addons[key].identity = identity;
  }
  return addons;
}

/** One managed cluster in any of the three shapes. `where` (e.g. `clusters.json[3]`) prefixes every error. */
export function normaliseCluster(raw: unknown, where: string): Cluster {
  const obj = requireObject(raw, where);
  const doc = new Doc(obj, where, CLUSTER_DOCS);
  const id = requireId(doc.top('id'), where);
  const fromId = parseResourceId(id);

  const subscriptionId = toText(doc.top('subscriptionId')) ?? fromId.subscriptionId;
  const resourceGroup = toText(doc.top('resourceGroup')) ?? fromId.resourceGroup;
  const name = toText(doc.top('name')) ?? fromId.name;
  if (!subscriptionId || !resourceGroup || !name) {
    throw new InputError(`${where}: "id" is not a managed cluster resource id (${describe(id)})`);
  }

  const incomplete = incompleteReason(doc);
  const cluster: Cluster = {
    id,
    name,
    subscriptionId: subscriptionId.trim().toLowerCase(),
    resourceGroup,
    aadProfile: null,
    identity: normaliseIdentity(doc),
    kubeletIdentity: null,
    apiServerAccess: null,
    addons: {},
  };
  const location = toText(doc.top('location'));
  if (location) cluster.location = location;
  if (incomplete) {
    cluster.incomplete = incomplete;
    return cluster;
  }

  cluster.aadProfile = normaliseAadProfile(doc);
  cluster.kubeletIdentity = normaliseKubeletIdentity(doc);
  cluster.apiServerAccess = normaliseApiServerAccess(doc);
  cluster.addons = normaliseAddons(doc);
  const nodeResourceGroup = toText(doc.field('nodeResourceGroup'));
  if (nodeResourceGroup !== undefined) cluster.nodeResourceGroup = nodeResourceGroup;
  const webAppRouting = attachedIdentity(
    readObject(readObject(doc.object('ingressProfile'), 'webAppRouting'), 'identity'),
  );
  if (webAppRouting?.objectId !== undefined) cluster.webAppRoutingIdentity = webAppRouting;
  const security = doc.object('securityProfile');
  // Every value is read (and may throw) before any is set, in this order.
  const disableLocalAccounts = toBoolean(
    doc.field('disableLocalAccounts'),
    where,
    'disableLocalAccounts',
  );
  const enableRbac = toBoolean(doc.field('enableRbac'), where, 'enableRBAC');
  const servicePrincipalClientId = toText(
    readField(doc.object('servicePrincipalProfile'), 'clientId'),
  );
  const oidcIssuerEnabled = toBoolean(
    readField(doc.object('oidcIssuerProfile'), 'enabled'),
    where,
    'oidcIssuerProfile.enabled',
  );
  const workloadIdentityEnabled = toBoolean(
    readField(readObject(security, 'workloadIdentity'), 'enabled'),
    where,
    'securityProfile.workloadIdentity.enabled',
  );
  const podIdentityEnabled = toBoolean(
    readField(doc.object('podIdentityProfile'), 'enabled'),
    where,
    'podIdentityProfile.enabled',
  );
  const defenderSecurityMonitoringEnabled = normaliseDefender(doc);
  if (disableLocalAccounts !== undefined) cluster.disableLocalAccounts = disableLocalAccounts;
  if (enableRbac !== undefined) cluster.enableRbac = enableRbac;
  if (servicePrincipalClientId !== undefined)
    cluster.servicePrincipalClientId = servicePrincipalClientId;
  if (oidcIssuerEnabled !== undefined) cluster.oidcIssuerEnabled = oidcIssuerEnabled;
  const oidcIssuerUrl = toText(readField(doc.object('oidcIssuerProfile'), 'issuerUrl'));
  if (oidcIssuerUrl !== undefined) cluster.oidcIssuerUrl = oidcIssuerUrl;
  if (workloadIdentityEnabled !== undefined)
    cluster.workloadIdentityEnabled = workloadIdentityEnabled;
  if (podIdentityEnabled !== undefined) cluster.podIdentityEnabled = podIdentityEnabled;
  if (defenderSecurityMonitoringEnabled !== undefined)
    cluster.defenderSecurityMonitoringEnabled = defenderSecurityMonitoringEnabled;
  return cluster;
}
