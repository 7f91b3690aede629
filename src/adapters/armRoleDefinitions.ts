/**
 * Custom role definitions for the live `EstateSource`, shared by both read modes: fetched once
 * per distinct custom role per read. Built-ins ship with the product and are not fetched.
 */
import { describeAzureError } from './azureErrors';
import { normaliseItem, statusOf, type ArmClients } from './armClients';
import { mapLimit } from '../core/concurrency';
import { builtinRoleByGuid } from '../core/builtinRoles';
import type { RoleAssignment, RoleDefinition, SourceFailure } from '../core/model';
import { normaliseRoleDefinition } from '../core/normalise';

/** Any syntactically valid id: getById does not use the client's subscription. */
const NO_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

/**
 * Custom roles referenced by the assignments, each fetched once per read. A definition ARM does
 * not know (404 under every id it was referenced by) is left out: the core reports its
 * assignments as unresolved.
 */
export async function resolveRoleDefinitions(
  clients: ArmClients,
  concurrency: number,
  assignments: RoleAssignment[],
  failures: SourceFailure[],
): Promise<RoleDefinition[]> {
  const wanted = new Map<string, { ids: string[]; subscriptions: Set<string> }>();
  for (const a of assignments) {
    const guid = a.roleDefinitionGuid;
    if (!guid || builtinRoleByGuid(guid)) continue;
    const entry = wanted.get(guid) ?? { ids: [], subscriptions: new Set<string>() };
    wanted.set(guid, entry);
    const id = a.roleDefinitionId.includes('/')
      ? `/${a.roleDefinitionId.replace(/^\/+/, '')}`
      : undefined;
    if (id && !entry.ids.some((x) => x.toLowerCase() === id.toLowerCase())) entry.ids.push(id);
    entry.subscriptions.add(a.listedInSubscriptionId?.toLowerCase() ?? '*');
  }
  const client = clients.authorization(NO_SUBSCRIPTION);
  const resolved = await mapLimit([...wanted], concurrency, async ([guid, entry]) => {
    // The id as referenced first; then the subscription-level form, which is where a custom
    // role defined for a subscription (or a management group above it) is readable.
    const candidates = [...entry.ids];
    for (const sub of entry.subscriptions) {
      if (sub !== '*')
        candidates.push(
          `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
        );
    }
    if (candidates.length === 0)
      candidates.push(`/providers/Microsoft.Authorization/roleDefinitions/${guid}`);
    const tried = new Set<string>();
    for (const id of candidates) {
      if (tried.has(id.toLowerCase()) || tried.size >= 3) continue;
      tried.add(id.toLowerCase());
      try {
        // The operation's path template is `/{roleId}` with the id inserted unencoded: a
        // leading slash would make the request path start with `//`.
        const raw = await client.roleDefinitions.getById(id.replace(/^\/+/, ''));
        return normaliseItem(
          () => normaliseRoleDefinition(raw, `ARM role definition ${id}`),
          '*',
          'roleDefinitions',
          failures,
        );
      } catch (error) {
        if (statusOf(error) === 404) continue;
        for (const subscriptionId of entry.subscriptions) {
          failures.push({
            subscriptionId,
            part: 'roleDefinitions',
            message: `role definition ${guid} could not be read: ${describeAzureError(error)}`,
          });
        }
        return undefined;
      }
    }
    return undefined;
  });
  return resolved.filter((d): d is RoleDefinition => d !== undefined);
}
