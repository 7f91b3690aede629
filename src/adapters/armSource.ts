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
 * policy (`armClients`). The 'resourceGraph' mode lives in `armResourceGraph`, custom role
 * definitions in `armRoleDefinitions`. A subscription that still fails is reported in `Estate.failures` and
 * the others carry on; only a failed subscription discovery throws (there is nothing to read).
 */
import { describeAzureError } from './azureErrors';
import { ArmClients, distinct, normaliseItem, type ArmClientOptions } from './armClients';
import { mapLimit } from '../core/concurrency';
import { readSubscriptionAncestry, readWithResourceGraph } from './armResourceGraph';
import { resolveRoleDefinitions } from './armRoleDefinitions';
import type { TokenCredential } from '@azure/core-auth';
import { DependencyError } from '../core/errors';
import type { Cluster, DenyAssignment, Estate, RoleAssignment, SourceFailure } from '../core/model';
import { normaliseCluster, normaliseRoleAssignment } from '../core/normalise';
import { normaliseDenyAssignment, normaliseEligibility } from '../core/normaliseGrants';
import type { EstateFilter, EstateSource, Health } from '../core/ports';

export type ArmSourceMode = 'arm' | 'resourceGraph';

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

/** The read permissions the eligibility and deny listings need (named in failures). */
export const READ_ELIGIBILITY = 'Microsoft.Authorization/roleEligibilityScheduleInstances/read';
export const READ_DENY_ASSIGNMENTS = 'Microsoft.Authorization/denyAssignments/read';
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
/** Subscriptions in these states cannot be read; discovery skips them. */
const UNREADABLE_SUBSCRIPTION_STATES = new Set(['disabled', 'deleted']);

export class ArmEstateSource implements EstateSource {
  readonly kind = 'azure' as const;
  private readonly clients: ArmClients;
  private readonly configured: string[];
  private readonly mode: ArmSourceMode;
  private readonly concurrency: number;
  private discovered?: { at: number; ids: string[] };

  constructor(options: ArmEstateSourceOptions) {
    this.clients = new ArmClients(options.credential, options.endpoint, options.clientOptions);
    this.configured = distinct(
      (options.subscriptionIds ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean),
    );
    this.mode = options.mode ?? 'arm';
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  async watchedSubscriptions(): Promise<string[]> {
    if (this.configured.length > 0) return [...this.configured];
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS)
      return [...this.discovered.ids];
    const ids: string[] = [];
    try {
      for await (const subscription of this.clients.subscriptions().subscriptions.list()) {
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
    // Once per read, in both modes: which management groups each subscription sits under
    // (management-group exemptions match through it; 'resourceGraph' mode places
    // management-group assignments with it).
    const ancestry = readSubscriptionAncestry(this.clients, targets);
    if (this.mode === 'resourceGraph')
      await readWithResourceGraph(this.clients, targets, estate, ancestry);
    else await this.readPerSubscription(targets, estate);
    const ancestryRead = await ancestry;
    if ('error' in ancestryRead)
      estate.failures.push({
        subscriptionId: '*',
        part: 'managementGroupAncestry',
        message: `the management groups above the subscriptions could not be read (Resource Graph: ${ancestryRead.error}); management-group exemptions apply to every cluster and are marked as not verified`,
      });
    else estate.managementGroupAncestry = ancestryRead.ancestry;
    await this.readGrants(targets, estate);
    estate.roleDefinitions = await resolveRoleDefinitions(
      this.clients,
      this.concurrency * 2,
      estate.roleAssignments,
      estate.failures,
    );
    return estate;
  }

  async health(): Promise<Health> {
    try {
      const client = this.clients.subscriptions();
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
    const client = this.clients.containerService(subscriptionId);
    let index = 0;
    try {
      for await (const raw of client.managedClusters.list()) {
        const where = `ARM managed clusters of subscription ${subscriptionId}, item ${index++}`;
        const cluster = normaliseItem(
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
      items: this.clients.authorization(subscriptionId).roleAssignments.listForSubscription(),
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
        const item = normaliseItem(
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
      items: this.clients
        .authorization(subscriptionId)
        .roleEligibilityScheduleInstances.listForScope(`subscriptions/${subscriptionId}`),
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
      items: this.clients.authorization(subscriptionId).denyAssignments.list(),
      what: 'deny assignments',
      normalise: (raw, where) => normaliseDenyAssignment(raw, where, subscriptionId),
      failed: (error) =>
        `deny assignments could not be listed (${describeAzureError(error, '')}); the auditor's identity needs ${READ_DENY_ASSIGNMENTS}`,
    });
  }
}
