/**
 * The live Azure `EstateSource`: clusters, role assignments and custom role definitions read
 * from Azure Resource Manager with the Azure SDK clients, normalised by `core/normalise`.
 *
 * Scale (docs/architecture.md): reads grow with subscriptions and pages, never with clusters. There is
 * no per-cluster request in the audit path: one paged cluster listing and one paged
 * role-assignment listing per subscription (which also carries the management-group and root
 * assignments that apply to it), or two paged Resource Graph queries for all subscriptions at
 * once; role definitions are fetched once per distinct custom role per read.
 *
 * Throttling (429 + Retry-After) and transient 5xx are retried by the SDK pipeline's retry
 * policy, configured here. A subscription that still fails is reported in `Estate.failures` and
 * the others carry on; only a failed subscription discovery throws (there is nothing to read).
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'https';
import { describeAzureError } from './azureErrors';
import { builtinRoleByGuid } from '../core/builtinRoles';
import { DependencyError } from '../core/errors';
import type {
  Cluster,
  DenyAssignment,
  Estate,
  RoleAssignment,
  RoleDefinition,
  SourceFailure,
} from '../core/model';
import {
  normaliseCluster,
  normaliseRoleAssignment,
  normaliseRoleDefinition,
} from '../core/normalise';
import { normaliseDenyAssignment, normaliseEligibility } from '../core/normaliseGrants';
import type { EstateFilter, EstateSource, Health } from '../core/ports';

export type ArmSourceMode = 'arm' | 'resourceGraph';

export interface ArmRetryOptions {
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Base of the exponential back-off for 5xx (a 429 waits what its Retry-After says). Default 1000. */
  retryDelayInMs?: number;
  /** Cap of the exponential back-off. Default 30000. */
  maxRetryDelayInMs?: number;
}

export interface ArmClientOptions {
  /** E.g. an agent trusting a test certificate; otherwise Node's default. */
  agent?: Agent;
  retry?: ArmRetryOptions;
}

export interface ArmEstateSourceOptions {
  credential: TokenCredential;
  /** Subscriptions to watch (AUDIT_SUBSCRIPTION_IDS); omitted or empty = every one the identity can read. */
  subscriptionIds?: string[];
  /** Default 'arm'. */
  mode?: ArmSourceMode;
  /** ARM endpoint; default https://management.azure.com (sovereign clouds: their own). */
  endpoint?: string;
  clientOptions?: ArmClientOptions;
  /** Subscriptions read at the same time in 'arm' mode. Default 4: ARM throttles per identity. */
  concurrency?: number;
}

const DEFAULT_ENDPOINT = 'https://management.azure.com';
/** The read permissions the eligibility and deny listings need (named in failures). */
export const READ_ELIGIBILITY = 'Microsoft.Authorization/roleEligibilityScheduleInstances/read';
export const READ_DENY_ASSIGNMENTS = 'Microsoft.Authorization/denyAssignments/read';
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
/** Resource Graph accepts at most 1,000 subscriptions per request and 1,000 rows per page. */
const GRAPH_SUBSCRIPTION_BATCH = 1000;
const GRAPH_PAGE_ROWS = 1000;
/** Any syntactically valid id: getById does not use the client's subscription. */
const NO_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
/** Subscriptions in these states cannot be read; discovery skips them. */
const UNREADABLE_SUBSCRIPTION_STATES = new Set(['disabled', 'deleted']);

const CLUSTERS_QUERY = [
  'resources',
  "| where type =~ 'microsoft.containerservice/managedclusters'",
  '| project id, name, type, location, resourceGroup, subscriptionId, tenantId, sku, identity, properties',
  '| order by id asc',
].join(' ');
const ROLE_ASSIGNMENTS_QUERY = [
  'authorizationresources',
  "| where type =~ 'microsoft.authorization/roleassignments'",
  '| project id, name, type, subscriptionId, properties',
  '| order by id asc',
].join(' ');
const SUBSCRIPTION_ANCESTRY_QUERY = [
  'resourcecontainers',
  "| where type =~ 'microsoft.resources/subscriptions'",
  '| project id, subscriptionId, properties',
  '| order by id asc',
].join(' ');

export class ArmEstateSource implements EstateSource {
  readonly kind = 'azure' as const;
  private readonly credential: TokenCredential;
  private readonly configured: string[];
  private readonly mode: ArmSourceMode;
  private readonly endpoint: string;
  private readonly clientOptions: ArmClientOptions;
  private readonly concurrency: number;
  private discovered?: { at: number; ids: string[] };

  constructor(options: ArmEstateSourceOptions) {
    this.credential = options.credential;
    this.configured = distinct(
      (options.subscriptionIds ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean),
    );
    this.mode = options.mode ?? 'arm';
    this.endpoint = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.clientOptions = options.clientOptions ?? {};
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  async watchedSubscriptions(): Promise<string[]> {
    if (this.configured.length > 0) return [...this.configured];
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS)
      return [...this.discovered.ids];
    const ids: string[] = [];
    try {
      for await (const subscription of this.subscriptionClient().subscriptions.list()) {
        const id = subscription.subscriptionId?.toLowerCase();
        if (
          id &&
          !UNREADABLE_SUBSCRIPTION_STATES.has(String(subscription.state ?? '').toLowerCase())
        )
          ids.push(id);
      }
    } catch (error) {
      throw new DependencyError(
        `Azure subscriptions could not be listed: ${describeAzureError(error)}`,
        'arm',
      );
    }
    this.discovered = { at: Date.now(), ids: distinct(ids) };
    return [...this.discovered.ids];
  }

  async readEstate(filter?: EstateFilter): Promise<Estate> {
    const watched = await this.watchedSubscriptions();
    const wanted = filter?.subscriptionIds
      ? new Set(filter.subscriptionIds.map((s) => s.trim().toLowerCase()))
      : undefined;
    // Never read a subscription that is not watched, whatever the caller asks for.
    const targets = wanted ? watched.filter((s) => wanted.has(s)) : watched;
    const estate: Estate = {
      source: 'azure',
      clusters: [],
      roleAssignments: [],
      roleDefinitions: [],
      failures: [],
    };
    if (targets.length === 0) return estate;
    if (this.mode === 'resourceGraph') await this.readWithResourceGraph(targets, estate);
    else await this.readPerSubscription(targets, estate);
    await this.readGrants(targets, estate);
    estate.roleDefinitions = await this.resolveRoleDefinitions(
      estate.roleAssignments,
      estate.failures,
    );
    return estate;
  }

  async health(): Promise<Health> {
    try {
      const client = this.subscriptionClient();
      if (this.configured.length > 0) {
        await client.subscriptions.get(this.configured[0]);
        return {
          ok: true,
          detail: `Azure Resource Manager reachable; ${this.configured.length} subscription(s) watched (${this.mode} mode)`,
        };
      }
      const first = await client.subscriptions.list().byPage().next();
      const count = first.done ? 0 : first.value.length;
      return {
        ok: true,
        detail: `Azure Resource Manager reachable; ${count} subscription(s) on the first page (${this.mode} mode)`,
      };
    } catch (error) {
      return {
        ok: false,
        detail: `Azure Resource Manager unreachable: ${describeAzureError(error)}`,
      };
    }
  }

  // --- 'arm' mode: one cluster listing and one role-assignment listing per subscription ---

  private async readPerSubscription(targets: string[], estate: Estate): Promise<void> {
    const results = await mapLimit(targets, this.concurrency, (subscriptionId) =>
      this.readSubscription(subscriptionId),
    );
    for (const result of results) {
      estate.clusters.push(...result.clusters);
      estate.roleAssignments.push(...result.roleAssignments);
      estate.failures.push(...result.failures);
    }
  }

  private async readSubscription(
    subscriptionId: string,
  ): Promise<Pick<Estate, 'clusters' | 'roleAssignments' | 'failures'>> {
    const failures: SourceFailure[] = [];
    const [clusters, roleAssignments] = await Promise.all([
      this.listClusters(subscriptionId, failures),
      this.listRoleAssignments(subscriptionId, failures),
    ]);
    return { clusters, roleAssignments, failures };
  }

  /** Clusters read before a listing failed are kept: each is complete; the failure covers the rest. */
  private async listClusters(
    subscriptionId: string,
    failures: SourceFailure[],
  ): Promise<Cluster[]> {
    const clusters: Cluster[] = [];
    const client = new ContainerServiceClient(
      this.credential,
      subscriptionId,
      this.modularClientOptions(),
    );
    let index = 0;
    try {
      for await (const raw of client.managedClusters.list()) {
        const where = `ARM managed clusters of subscription ${subscriptionId}, item ${index++}`;
        const cluster = this.normalise(
          () => normaliseCluster(raw, where),
          subscriptionId,
          'clusters',
          failures,
        );
        if (cluster) clusters.push(cluster);
      }
    } catch (error) {
      failures.push({
        subscriptionId,
        part: 'clusters',
        message: `managed clusters could not be listed: ${describeAzureError(error)}`,
      });
    }
    return clusters;
  }

  /**
   * One unfiltered listing per subscription: ARM returns the assignments at the subscription,
   * below it (resource groups, clusters) and above it (management groups containing it, the
   * root). `$filter=atScope()` would drop the ones below, so it is not used. A listing that
   * fails part-way is dropped whole: the failure makes the access checks `error`.
   */
  private async listRoleAssignments(
    subscriptionId: string,
    failures: SourceFailure[],
  ): Promise<RoleAssignment[]> {
    return this.listWhole(subscriptionId, 'roleAssignments', failures, {
      items: this.authorizationClient(subscriptionId).roleAssignments.listForSubscription(),
      what: 'role assignments',
      normalise: (raw, where) => normaliseRoleAssignment(raw, where, subscriptionId),
      failed: (error) => `role assignments could not be listed: ${describeAzureError(error)}`,
    });
  }

  /**
   * Every item of one paged listing, normalised; a malformed item is a failure naming it. A
   * listing that fails part-way is dropped whole (with one failure): a partial list of grants
   * would under-report, so the checks that need it become `error` instead.
   */
  private async listWhole<T>(
    subscriptionId: string,
    part: SourceFailure['part'],
    failures: SourceFailure[],
    listing: {
      items: AsyncIterable<unknown>;
      what: string;
      normalise: (raw: unknown, where: string) => T;
      failed: (error: unknown) => string;
    },
  ): Promise<T[]> {
    const out: T[] = [];
    const local: SourceFailure[] = [];
    let index = 0;
    try {
      for await (const raw of listing.items) {
        const where = `ARM ${listing.what} of subscription ${subscriptionId}, item ${index++}`;
        const item = this.normalise(
          () => listing.normalise(raw, where),
          subscriptionId,
          part,
          local,
        );
        if (item) out.push(item);
      }
    } catch (error) {
      failures.push({ subscriptionId, part, message: listing.failed(error) });
      return [];
    }
    failures.push(...local);
    return out;
  }

  // --- PIM eligibilities and deny assignments, both modes: one paged listing of each per subscription ---

  /**
   * Eligibilities join the role assignments (marked `eligible`); deny assignments go to
   * `estate.denyAssignments`. A listing that fails is dropped whole and reported with the read
   * permission it needs: the access checks of that subscription become `error`, never `pass`.
   */
  private async readGrants(targets: string[], estate: Estate): Promise<void> {
    const results = await mapLimit(targets, this.concurrency, async (subscriptionId) => {
      const failures: SourceFailure[] = [];
      const [eligibilities, denies] = await Promise.all([
        this.listEligibilities(subscriptionId, failures),
        this.listDenyAssignments(subscriptionId, failures),
      ]);
      return { eligibilities, denies, failures };
    });
    const denies: DenyAssignment[] = [];
    for (const result of results) {
      estate.roleAssignments.push(...result.eligibilities);
      denies.push(...result.denies);
      estate.failures.push(...result.failures);
    }
    estate.denyAssignments = denies;
  }

  /**
   * `roleEligibilityScheduleInstances` at the subscription, unfiltered: like the role-assignment
   * listing it returns the eligibilities at, above (management groups, root) and below (resource
   * groups, clusters) the subscription. `$filter=atScope()` would drop those below.
   */
  private async listEligibilities(
    subscriptionId: string,
    failures: SourceFailure[],
  ): Promise<RoleAssignment[]> {
    return this.listWhole(subscriptionId, 'eligibility', failures, {
      // The operation's path is `/{scope}/providers/…` with the scope inserted as given: no leading slash.
      items: this.authorizationClient(subscriptionId).roleEligibilityScheduleInstances.listForScope(
        `subscriptions/${subscriptionId}`,
      ),
      what: 'role eligibility schedule instances',
      normalise: (raw, where) => normaliseEligibility(raw, where, subscriptionId),
      failed: (error) =>
        `PIM eligibilities could not be listed (${describeAzureError(error, '')}); the auditor's identity needs ${READ_ELIGIBILITY}`,
    });
  }

  private async listDenyAssignments(
    subscriptionId: string,
    failures: SourceFailure[],
  ): Promise<DenyAssignment[]> {
    return this.listWhole(subscriptionId, 'denyAssignments', failures, {
      items: this.authorizationClient(subscriptionId).denyAssignments.list(),
      what: 'deny assignments',
      normalise: (raw, where) => normaliseDenyAssignment(raw, where, subscriptionId),
      failed: (error) =>
        `deny assignments could not be listed (${describeAzureError(error, '')}); the auditor's identity needs ${READ_DENY_ASSIGNMENTS}`,
    });
  }

  // --- 'resourceGraph' mode ---

  /**
   * Trade-off against 'arm' mode: Resource Graph answers for up to 1,000 subscriptions per query,
   * so a large estate costs a handful of paged POSTs instead of two listings per subscription,
   * and it has its own throttling quota apart from the ARM read quota. In exchange its data lags
   * ARM by seconds to minutes (fine for the nightly audit, less so right after an event), a
   * failure cannot be pinned on one subscription (every queried subscription is reported), and
   * management-group assignments come without the subscription they apply to: a third query
   * (`resourcecontainers`) supplies each subscription's management-group ancestry; if it fails,
   * such assignments apply to every cluster read (over-reporting access is the safe side).
   */
  private async readWithResourceGraph(targets: string[], estate: Estate): Promise<void> {
    const client = new ResourceGraphClient(this.credential, this.modularClientOptions());
    const [clusterRows, assignmentRows, ancestryRows] = await Promise.all([
      this.queryAll(client, CLUSTERS_QUERY, targets),
      this.queryAll(client, ROLE_ASSIGNMENTS_QUERY, targets, {
        authorizationScopeFilter: 'AtScopeAboveAndBelow',
      }),
      this.queryAll(client, SUBSCRIPTION_ANCESTRY_QUERY, targets),
    ]);

    if ('error' in clusterRows) {
      for (const subscriptionId of targets) {
        estate.failures.push({
          subscriptionId,
          part: 'clusters',
          message: `Resource Graph cluster query failed: ${clusterRows.error}`,
        });
      }
    } else {
      clusterRows.rows.forEach((raw, index) => {
        const subscriptionId = subscriptionOf(raw) ?? '*';
        const where = `Resource Graph managed clusters, row ${index}`;
        const cluster = this.normalise(
          () => normaliseCluster(raw, where),
          subscriptionId,
          'clusters',
          estate.failures,
        );
        if (cluster) estate.clusters.push(cluster);
      });
    }

    if ('error' in assignmentRows) {
      for (const subscriptionId of targets) {
        estate.failures.push({
          subscriptionId,
          part: 'roleAssignments',
          message: `Resource Graph role-assignment query failed: ${assignmentRows.error}`,
        });
      }
      return;
    }
    const ancestry =
      'error' in ancestryRows ? undefined : managementGroupAncestry(ancestryRows.rows);
    const targetSet = new Set(targets);
    assignmentRows.rows.forEach((raw, index) => {
      const where = `Resource Graph role assignments, row ${index}`;
      for (const listedIn of listingsOf(raw, targetSet, ancestry)) {
        const assignment = this.normalise(
          () => normaliseRoleAssignment(raw, where, listedIn),
          listedIn ?? '*',
          'roleAssignments',
          estate.failures,
        );
        if (assignment) estate.roleAssignments.push(assignment);
      }
    });
  }

  /** Every row of a query over the subscriptions, following `$skipToken` page by page. */
  private async queryAll(
    client: ResourceGraphClient,
    query: string,
    subscriptions: string[],
    extra: { authorizationScopeFilter?: 'AtScopeAboveAndBelow' } = {},
  ): Promise<{ rows: Record<string, unknown>[] } | { error: string }> {
    const rows: Record<string, unknown>[] = [];
    try {
      for (let start = 0; start < subscriptions.length; start += GRAPH_SUBSCRIPTION_BATCH) {
        const batch = subscriptions.slice(start, start + GRAPH_SUBSCRIPTION_BATCH);
        let skipToken: string | undefined;
        do {
          const response = await client.resources({
            query,
            subscriptions: batch,
            options: {
              top: GRAPH_PAGE_ROWS,
              resultFormat: 'objectArray',
              ...extra,
              ...(skipToken ? { skipToken } : {}),
            },
          });
          if (!Array.isArray(response.data))
            return { error: 'Resource Graph returned rows in an unexpected format' };
          rows.push(...(response.data as Record<string, unknown>[]));
          if (response.resultTruncated === 'true' && !response.skipToken) {
            return { error: 'Resource Graph truncated the result without a continuation token' };
          }
          skipToken = response.skipToken || undefined;
        } while (skipToken);
      }
    } catch (error) {
      return { error: describeAzureError(error) };
    }
    return { rows };
  }

  // --- role definitions, shared by both modes ---

  /**
   * Custom roles referenced by the assignments, each fetched once per read. Built-ins ship with
   * the product and are not fetched. A definition ARM does not know (404 under every id it was
   * referenced by) is left out: the core reports its assignments as unresolved.
   */
  private async resolveRoleDefinitions(
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
    const client = this.authorizationClient(NO_SUBSCRIPTION);
    const resolved = await mapLimit([...wanted], this.concurrency * 2, async ([guid, entry]) => {
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
          return this.normalise(
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

  // --- plumbing ---

  /** A malformed item becomes a failure naming it; the rest of the listing is kept. */
  private normalise<T>(
    fn: () => T,
    subscriptionId: string,
    part: SourceFailure['part'],
    failures: SourceFailure[],
  ): T | undefined {
    try {
      return fn();
    } catch (error) {
      failures.push({ subscriptionId, part, message: (error as Error).message });
      return undefined;
    }
  }

  private retryOptions() {
    const retry = this.clientOptions.retry ?? {};
    return {
      maxRetries: retry.maxRetries ?? 4,
      retryDelayInMs: retry.retryDelayInMs ?? 1000,
      maxRetryDelayInMs: retry.maxRetryDelayInMs ?? 30000,
    };
  }

  /** Options of the TypeSpec-generated ("modular") clients: containerservice, subscriptions, resourcegraph. */
  private modularClientOptions() {
    return {
      endpoint: this.endpoint,
      retryOptions: this.retryOptions(),
      ...(this.clientOptions.agent ? { agent: this.clientOptions.agent } : {}),
      // They default to the public cloud's audience whatever the endpoint; follow the endpoint.
      credentials: { scopes: [`${this.endpoint}/.default`] },
    };
  }

  private subscriptionClient(): SubscriptionClient {
    return new SubscriptionClient(this.credential, this.modularClientOptions());
  }

  private authorizationClient(subscriptionId: string): AuthorizationManagementClient {
    return new AuthorizationManagementClient(this.credential, subscriptionId, {
      endpoint: this.endpoint,
      retryOptions: this.retryOptions(),
      ...(this.clientOptions.agent ? { agent: this.clientOptions.agent } : {}),
      credentialScopes: [`${this.endpoint}/.default`],
    });
  }
}

/**
 * The subscriptions whose listing a Resource Graph assignment row stands for, like the
 * per-subscription listings of 'arm' mode: its own subscription; for a management-group
 * assignment each watched subscription under that group, or `undefined` (every cluster read)
 * when the group holds all of them, the ancestry is unknown, or the scope is the root.
 */
function listingsOf(
  raw: Record<string, unknown>,
  targets: Set<string>,
  ancestry: Map<string, Set<string>> | undefined,
): Array<string | undefined> {
  const sub = subscriptionOf(raw);
  if (sub) return [sub];
  const scope = String(
    (raw.properties as Record<string, unknown> | undefined)?.scope ?? '',
  ).toLowerCase();
  const mg = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)\/?$/.exec(scope)?.[1];
  if (!mg || !ancestry) return [undefined];
  const under = [...targets].filter((s) => ancestry.get(s)?.has(mg));
  if (under.length === targets.size) return [undefined];
  return under;
}

/** Subscription id → names of the management groups above it (lower-cased). */
function managementGroupAncestry(rows: Record<string, unknown>[]): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const row of rows) {
    const sub = subscriptionOf(row);
    if (!sub) continue;
    const chain = (
      row.properties as { managementGroupAncestorsChain?: Array<{ name?: string }> } | undefined
    )?.managementGroupAncestorsChain;
    result.set(
      sub,
      new Set(
        (Array.isArray(chain) ? chain : [])
          .map((g) => String(g?.name ?? '').toLowerCase())
          .filter(Boolean),
      ),
    );
  }
  return result;
}

function subscriptionOf(row: Record<string, unknown>): string | undefined {
  const column =
    typeof row.subscriptionId === 'string' ? row.subscriptionId.trim().toLowerCase() : '';
  if (column) return column;
  const fromScope = /^\/subscriptions\/([^/]+)/i.exec(
    String((row.properties as Record<string, unknown> | undefined)?.scope ?? ''),
  )?.[1];
  return (
    fromScope?.toLowerCase() ??
    /^\/subscriptions\/([^/]+)/i.exec(String(row.id ?? ''))?.[1]?.toLowerCase()
  );
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
