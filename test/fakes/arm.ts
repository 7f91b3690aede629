/**
 * A local HTTPS fake of the parts of Azure Resource Manager the auditor reads, so the real SDK
 * clients (ContainerServiceClient, AuthorizationManagementClient, SubscriptionClient,
 * ResourceGraphClient) can be exercised end to end without Azure.
 *
 * It speaks the ARM REST shapes (`properties` nested, `value` + `nextLink` paging, ARM error
 * bodies), checks that every request carries `Authorization: Bearer …` and an `api-version`,
 * counts requests per route (tests assert that reads grow with subscriptions and pages, not
 * clusters) and injects faults per path pattern (429 with Retry-After, 5xx, 404, permanent).
 *
 * State is plain mutable data: tests (and end-to-end tests) change it between reads.
 */
import { randomUUID } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { createServer } from 'https';
import type { Agent } from 'https';
import type { AddressInfo } from 'net';
import { testCertificate } from './tls';

export type ArmObject = Record<string, any>;

export interface FakeSubscription {
  subscriptionId: string;
  displayName?: string;
  /** `Enabled`, `Disabled`, `Warned`, … (ARM's subscription state). */
  state?: string;
  tenantId?: string;
}

export interface ArmFakeState {
  subscriptions: FakeSubscription[];
  /** Managed clusters in ARM REST shape; the subscription is taken from the id. */
  clusters: ArmObject[];
  /** Role assignments in ARM REST shape (`properties.scope`, `properties.roleDefinitionId`, …). */
  roleAssignments: ArmObject[];
  /** Role definitions in ARM REST shape (`properties.roleName`, `properties.type`, …). */
  roleDefinitions: ArmObject[];
  /** PIM eligibility schedule instances in ARM REST shape (same `properties` as role assignments). */
  roleEligibilityScheduleInstances: ArmObject[];
  /** Deny assignments in ARM REST shape (`properties.scope`, `permissions`, `principals`, …). */
  denyAssignments: ArmObject[];
  /**
   * Management group name → the subscriptions under it (directly or through child groups). A
   * group not listed here contains every subscription, like the tenant root group.
   */
  managementGroups: Record<string, string[]>;
  /** User-assigned managed identities in ARM REST shape (`properties.principalId`, …). */
  identities: ArmObject[];
  /** Federated identity credentials in ARM REST shape; the identity is the id's parent. */
  federatedCredentials: ArmObject[];
}

/** Route names used in request counts. */
export type ArmRoute =
  | 'subscriptions.list'
  | 'subscriptions.get'
  | 'managedClusters.list'
  | 'managedClusters.listByResourceGroup'
  | 'managedClusters.get'
  | 'roleAssignments.listForSubscription'
  | 'roleAssignments.listForScope'
  | 'roleDefinitions.get'
  | 'roleDefinitions.list'
  | 'roleEligibilityScheduleInstances.listForScope'
  | 'denyAssignments.listForSubscription'
  | 'resourceGraph.clusters'
  | 'resourceGraph.roleAssignments'
  | 'resourceGraph.subscriptions'
  | 'resourceGraph.other'
  | 'identities.listBySubscription'
  | 'federatedCredentials.list'
  | 'unknown';

export interface RecordedRequest {
  method: string;
  /** Path as received (case preserved), without the query string. */
  path: string;
  query: Record<string, string>;
  route: ArmRoute;
  /** Lower-cased subscription id in the path, if any. */
  subscriptionId?: string;
  status: number;
  /** Parsed JSON body of POST requests (Resource Graph). */
  body?: unknown;
}

export interface RequestLog {
  readonly log: RecordedRequest[];
  /** Requests to a route (all statuses, retries included), optionally for one subscription. */
  count(route: ArmRoute, subscriptionId?: string): number;
  total(): number;
  reset(): void;
}

export interface FaultRule {
  /** Matched against `METHOD path?query`, e.g. /managedClusters/i or /subscriptions\/sub-b\//i. */
  match: RegExp;
  status: number;
  /** How many matching requests fail before the rule stops applying. Default: every one. */
  times?: number;
  /** Sent as `Retry-After` (seconds). Defaults to 0 for 429 so retries stay instant in tests. */
  retryAfterSeconds?: number;
  code?: string;
  message?: string;
}

export interface FaultHandle {
  /** Requests this rule answered so far. */
  readonly hits: number;
  remove(): void;
}

export interface ArmFakeOptions {
  /** Items per page of ARM list responses (`value` + `nextLink`). Default 100. */
  pageSize?: number;
  /** Upper bound of rows per Resource Graph page (the request's `$top` is honoured below it). Default 1000. */
  resourceGraphPageSize?: number;
  tenantId?: string;
  /** When set, only this bearer token is accepted (otherwise any non-empty one). */
  expectedToken?: string;
}

export interface ClusterInput {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  /** Replaces the default (reasonably hardened) cluster properties where given. */
  properties?: ArmObject;
  identity?: ArmObject | null;
}

export interface RoleAssignmentInput {
  scope: string;
  principalId: string;
  principalType?: string;
  /** Full role definition id, or a bare guid (expanded against the scope's subscription). */
  roleDefinitionId: string;
  /** The assignment's name (a guid); generated when absent. */
  name?: string;
  condition?: string;
}

export interface DenyAssignmentInput {
  scope: string;
  actions: string[];
  notActions?: string[];
  /** Principal ids (type `User` unless given as `{ id, type }`); default Everyone. */
  principals?: Array<string | { id: string; type: string }>;
  excludePrincipals?: Array<string | { id: string; type: string }>;
  doNotApplyToChildScopes?: boolean;
  name?: string;
  denyAssignmentName?: string;
}

export interface CustomRoleInput {
  guid?: string;
  roleName: string;
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
  assignableScopes: string[];
  /** Scope whose form the id takes (`/subscriptions/{s}`); default the first assignable scope. */
  definedAt?: string;
  description?: string;
}

export interface IdentityInput {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Generated from the id when absent. */
  principalId?: string;
}

export interface FederatedCredentialInput {
  /** The identity's resource id. */
  identityId: string;
  name: string;
  issuer: string;
  subject: string;
  audiences?: string[];
}

export interface ArmFake {
  /** `https://127.0.0.1:PORT`, for the clients' `endpoint` option. */
  endpoint: string;
  /** Trusts the fake's self-signed certificate. */
  agent: Agent;
  state: ArmFakeState;
  requests: RequestLog;
  /** Mutable paging, e.g. 2 to force several pages. */
  options: Required<Pick<ArmFakeOptions, 'pageSize' | 'resourceGraphPageSize'>> & ArmFakeOptions;
  addSubscription(subscriptionId: string, displayName?: string): FakeSubscription;
  addCluster(input: ClusterInput | ArmObject): ArmObject;
  /** Replaces the cluster with this id (case-insensitive), or changes it in place through `update`. */
  setCluster(id: string, update: ArmObject | ((cluster: ArmObject) => void)): ArmObject;
  removeCluster(id: string): void;
  addRoleAssignment(input: RoleAssignmentInput | ArmObject): ArmObject;
  removeRoleAssignment(id: string): void;
  addRoleDefinition(input: CustomRoleInput | ArmObject): ArmObject;
  /** A PIM eligibility (an eligibility schedule instance). */
  addEligibility(input: RoleAssignmentInput): ArmObject;
  addDenyAssignment(input: DenyAssignmentInput | ArmObject): ArmObject;
  addIdentity(input: IdentityInput): ArmObject;
  addFederatedCredential(input: FederatedCredentialInput): ArmObject;
  removeFederatedCredential(id: string): void;
  fault(rule: FaultRule): FaultHandle;
  /** Every request that mentions this subscription fails with `status` (default 500), forever. */
  failSubscription(subscriptionId: string, status?: number): FaultHandle;
  clearFaults(): void;
  stop(): Promise<void>;
}

const RG_API_MARKER = '/providers/microsoft.resourcegraph/resources';

export async function startArmFake(options: ArmFakeOptions = {}): Promise<ArmFake> {
  const { key, cert, agent } = testCertificate();
  const state: ArmFakeState = {
    subscriptions: [],
    clusters: [],
    roleAssignments: [],
    roleDefinitions: [],
    roleEligibilityScheduleInstances: [],
    denyAssignments: [],
    managementGroups: {},
    identities: [],
    federatedCredentials: [],
  };
  const fakeOptions = {
    pageSize: 100,
    resourceGraphPageSize: 1000,
    tenantId: '00000000-0000-4000-8000-00000000aaaa',
    ...options,
  };
  const log: RecordedRequest[] = [];
  const faults: Array<FaultRule & { hits: number; removed: boolean }> = [];

  const requests: RequestLog = {
    log,
    count: (route, subscriptionId) =>
      log.filter(
        (r) =>
          r.route === route &&
          (subscriptionId === undefined || r.subscriptionId === subscriptionId.toLowerCase()),
      ).length,
    total: () => log.length,
    reset: () => void log.splice(0, log.length),
  };

  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let record: RecordedRequest | undefined;
      try {
        record = handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        send(
          res,
          500,
          armError('InternalServerError', `fake ARM failed: ${(error as Error).message}`),
        );
      }
      if (record) {
        record.status = res.statusCode;
        log.push(record);
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): RecordedRequest {
    // Not `new URL(req.url, base)`: it would read a path starting `//` as a host name.
    const rawUrl = req.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const path = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
    const url = {
      search: queryStart < 0 ? '' : rawUrl.slice(queryStart),
      searchParams: new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1)),
    };
    const query = Object.fromEntries(url.searchParams.entries());
    const lower = path.toLowerCase();
    const method = (req.method ?? 'GET').toUpperCase();
    let body: unknown;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const route = routeOf(method, lower, body);
    const record: RecordedRequest = {
      method,
      path,
      query,
      route,
      subscriptionId: subscriptionInPath(lower),
      status: 0,
      body,
    };

    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/i.exec(auth)?.[1];
    if (
      !token ||
      (fakeOptions.expectedToken !== undefined && token !== fakeOptions.expectedToken)
    ) {
      send(
        res,
        401,
        armError(
          'AuthenticationFailed',
          'Authentication failed. The Authorization header is missing or not a bearer token.',
        ),
      );
      return record;
    }
    if (path.includes('//')) {
      send(
        res,
        400,
        armError('InvalidRequestUri', `The request URI '${path}' has an empty path segment.`),
      );
      return record;
    }
    if (!query['api-version']) {
      send(
        res,
        400,
        armError(
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        ),
      );
      return record;
    }
    const fault = faults.find(
      (f) =>
        !f.removed &&
        (f.times === undefined || f.hits < f.times) &&
        f.match.test(`${method} ${path}${url.search}`),
    );
    if (fault) {
      fault.hits++;
      const headers: Record<string, string> = {};
      if (fault.status === 429 || fault.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(fault.retryAfterSeconds ?? 0);
      const code =
        fault.code ??
        (fault.status === 429
          ? 'TooManyRequests'
          : fault.status === 404
            ? 'NotFound'
            : 'InternalServerError');
      send(
        res,
        fault.status,
        armError(code, fault.message ?? `injected fault ${fault.status}`),
        headers,
      );
      return record;
    }

    const pageBase = `${endpoint}${path}`;
    switch (route) {
      case 'subscriptions.list':
        sendPage(res, state.subscriptions.map(subscriptionResource), pageBase, query);
        break;
      case 'subscriptions.get': {
        const found = state.subscriptions.find(
          (s) => s.subscriptionId.toLowerCase() === record.subscriptionId,
        );
        if (found) send(res, 200, subscriptionResource(found));
        else
          send(
            res,
            404,
            armError(
              'SubscriptionNotFound',
              `The subscription '${record.subscriptionId}' could not be found.`,
            ),
          );
        break;
      }
      case 'managedClusters.list':
      case 'managedClusters.listByResourceGroup': {
        if (!knownSubscription(res, record.subscriptionId)) break;
        const prefix = lower.replace(
          /\/providers\/microsoft\.containerservice\/managedclusters$/,
          '/',
        );
        sendPage(
          res,
          state.clusters.filter((c) => String(c.id).toLowerCase().startsWith(prefix)),
          pageBase,
          query,
        );
        break;
      }
      case 'managedClusters.get': {
        const found = state.clusters.find((c) => String(c.id).toLowerCase() === lower);
        if (found) send(res, 200, found);
        else send(res, 404, armError('ResourceNotFound', `The Resource '${path}' was not found.`));
        break;
      }
      case 'roleAssignments.listForSubscription':
      case 'roleAssignments.listForScope': {
        if (record.subscriptionId && !knownSubscription(res, record.subscriptionId)) break;
        const scope =
          lower.replace(/\/providers\/microsoft\.authorization\/roleassignments$/, '') || '/';
        sendPage(res, assignmentsFor(scope, query['$filter']), pageBase, query);
        break;
      }
      case 'roleEligibilityScheduleInstances.listForScope': {
        if (record.subscriptionId && !knownSubscription(res, record.subscriptionId)) break;
        const scope =
          lower.replace(
            /\/providers\/microsoft\.authorization\/roleeligibilityscheduleinstances$/,
            '',
          ) || '/';
        sendPage(
          res,
          assignmentsFor(scope, query['$filter'], state.roleEligibilityScheduleInstances),
          pageBase,
          query,
        );
        break;
      }
      case 'denyAssignments.listForSubscription': {
        if (!knownSubscription(res, record.subscriptionId)) break;
        const scope = lower.replace(/\/providers\/microsoft\.authorization\/denyassignments$/, '');
        sendPage(
          res,
          assignmentsFor(scope, query['$filter'], state.denyAssignments),
          pageBase,
          query,
        );
        break;
      }
      case 'roleDefinitions.get': {
        const guid = lower.split('/').pop() ?? '';
        const found = state.roleDefinitions.find(
          (d) => String(d.name ?? String(d.id).split('/').pop()).toLowerCase() === guid,
        );
        if (found) send(res, 200, found);
        else
          send(
            res,
            404,
            armError(
              'RoleDefinitionDoesNotExist',
              "The specified role definition with ID '" + guid + "' does not exist.",
            ),
          );
        break;
      }
      case 'roleDefinitions.list': {
        const scope =
          lower.replace(/\/providers\/microsoft\.authorization\/roledefinitions$/, '') || '/';
        sendPage(res, definitionsFor(scope, query['$filter']), pageBase, query);
        break;
      }
      case 'resourceGraph.clusters':
      case 'resourceGraph.roleAssignments':
      case 'resourceGraph.subscriptions':
        resourceGraph(res, route, body as ArmObject);
        break;
      case 'identities.listBySubscription':
        if (!knownSubscription(res, record.subscriptionId)) break;
        sendPage(
          res,
          state.identities.filter((i) =>
            String(i.id).toLowerCase().startsWith(`/subscriptions/${record.subscriptionId}/`),
          ),
          pageBase,
          query,
        );
        break;
      case 'federatedCredentials.list': {
        const identityId = lower.replace(/\/federatedidentitycredentials$/, '');
        if (!state.identities.some((i) => String(i.id).toLowerCase() === identityId)) {
          send(
            res,
            404,
            armError('ResourceNotFound', `The Resource '${identityId}' was not found.`),
          );
          break;
        }
        sendPage(
          res,
          state.federatedCredentials.filter((c) =>
            String(c.id).toLowerCase().startsWith(`${identityId}/federatedidentitycredentials/`),
          ),
          pageBase,
          query,
        );
        break;
      }
      case 'resourceGraph.other':
        send(
          res,
          400,
          armError('BadRequest', 'the ARM fake does not understand this Resource Graph query'),
        );
        break;
      default:
        send(res, 404, armError('NotFound', `no route for ${method} ${path} in the ARM fake`));
    }
    return record;
  }

  function knownSubscription(res: ServerResponse, subscriptionId: string | undefined): boolean {
    if (
      subscriptionId &&
      state.subscriptions.some((s) => s.subscriptionId.toLowerCase() === subscriptionId)
    )
      return true;
    send(
      res,
      404,
      armError('SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`),
    );
    return false;
  }

  function subscriptionResource(s: FakeSubscription): ArmObject {
    return {
      id: `/subscriptions/${s.subscriptionId}`,
      subscriptionId: s.subscriptionId,
      tenantId: s.tenantId ?? fakeOptions.tenantId,
      displayName: s.displayName ?? `subscription ${s.subscriptionId}`,
      state: s.state ?? 'Enabled',
      authorizationSource: 'RoleBased',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
    };
  }

  /** Management groups that contain the subscription (ungoverned groups contain everything). */
  function managementGroupsOf(subscriptionId: string): Set<string> {
    const sub = subscriptionId.toLowerCase();
    const groups = new Set<string>();
    for (const a of state.roleAssignments) {
      const mg = managementGroupOfScope(scopeOf(a));
      if (mg && containsSubscription(mg, sub)) groups.add(mg);
    }
    for (const [mg, subs] of Object.entries(state.managementGroups)) {
      if (subs.some((s) => s.toLowerCase() === sub)) groups.add(mg.toLowerCase());
    }
    return groups;
  }

  function containsSubscription(managementGroup: string, subscriptionId: string): boolean {
    const entry = Object.entries(state.managementGroups).find(
      ([name]) => name.toLowerCase() === managementGroup,
    );
    return !entry || entry[1].some((s) => s.toLowerCase() === subscriptionId);
  }

  /**
   * ARM's "list role assignments for a scope": everything at, above (management groups that
   * contain the subscription, the root) and below the scope; `atScope()` drops the ones below;
   * `principalId eq '…'` keeps one principal.
   */
  function assignmentsFor(
    scope: string,
    filter: string | undefined,
    listed: ArmObject[] = state.roleAssignments,
  ): ArmObject[] {
    const sub = subscriptionInPath(scope);
    const atScopeOnly = /atscope\(\)/i.test(filter ?? '');
    const principal = /principalId\s+eq\s+'([^']+)'/i.exec(filter ?? '')?.[1]?.toLowerCase();
    return listed.filter((a) => {
      const s = scopeOf(a);
      let applies: boolean;
      if (s === '/' || s === '') applies = true;
      else if (managementGroupOfScope(s)) {
        const mg = managementGroupOfScope(s)!;
        applies = scope.startsWith('/providers/microsoft.management/managementgroups/')
          ? scope === s || scope.startsWith(`${s}/`)
          : sub !== undefined && containsSubscription(mg, sub);
      } else {
        const above = scope === s || scope.startsWith(`${s}/`);
        const below = s.startsWith(`${scope}/`);
        applies = above || (!atScopeOnly && below);
      }
      if (!applies) return false;
      return (
        principal === undefined ||
        String(a.properties?.principalId ?? '').toLowerCase() === principal
      );
    });
  }

  function definitionsFor(scope: string, filter: string | undefined): ArmObject[] {
    const customOnly = /type\s+eq\s+'CustomRole'/i.test(filter ?? '');
    const roleName = /roleName\s+eq\s+'([^']+)'/i.exec(filter ?? '')?.[1]?.toLowerCase();
    return state.roleDefinitions.filter((d) => {
      if (customOnly && d.properties?.type !== 'CustomRole') return false;
      if (roleName !== undefined && String(d.properties?.roleName ?? '').toLowerCase() !== roleName)
        return false;
      const assignable: string[] = d.properties?.assignableScopes ?? ['/'];
      // Definitions available at a scope: assignable there or at one of its ancestors.
      return assignable.some((a) => {
        const s = a.toLowerCase().replace(/\/+$/, '') || '/';
        if (s === '/') return true;
        if (managementGroupOfScope(s)) {
          const sub = subscriptionInPath(scope);
          return sub !== undefined
            ? containsSubscription(managementGroupOfScope(s)!, sub)
            : scope === s;
        }
        return scope === s || scope.startsWith(`${s}/`);
      });
    });
  }

  /**
   * Resource Graph: recognises the queries the adapter sends by the table and type they name,
   * and answers with rows as objects (`resultFormat: objectArray`), paged with `$skipToken`.
   */
  function resourceGraph(res: ServerResponse, route: ArmRoute, body: ArmObject): void {
    const subs: string[] | undefined = Array.isArray(body.subscriptions)
      ? body.subscriptions.map((s: string) => s.toLowerCase())
      : undefined;
    const inScope = (sub: string | undefined) =>
      subs === undefined || (sub !== undefined && subs.includes(sub));
    const opts: ArmObject = body.options ?? {};
    let rows: ArmObject[];
    if (route === 'resourceGraph.clusters') {
      rows = state.clusters
        .filter((c) => inScope(subscriptionInPath(String(c.id).toLowerCase())))
        .map((c) => ({
          ...c,
          type: 'microsoft.containerservice/managedclusters',
          ...graphColumns(String(c.id)),
        }));
    } else if (route === 'resourceGraph.roleAssignments') {
      const filter = String(opts.authorizationScopeFilter ?? 'AtScopeAndBelow');
      const withAbove = filter === 'AtScopeAboveAndBelow' || filter === 'AtScopeAndAbove';
      rows = state.roleAssignments
        .filter((a) => {
          const s = scopeOf(a);
          const sub = subscriptionInPath(s);
          if (sub) return inScope(sub);
          if (!withAbove) return false;
          if (s === '/' || s === '') return true;
          const mg = managementGroupOfScope(s);
          return (
            mg !== undefined &&
            (subs === undefined || subs.some((x) => containsSubscription(mg, x)))
          );
        })
        .map((a) => ({
          ...a,
          type: 'microsoft.authorization/roleassignments',
          ...graphColumns(scopeOf(a)),
        }));
    } else {
      rows = state.subscriptions
        .filter((s) => inScope(s.subscriptionId.toLowerCase()))
        .map((s) => ({
          id: `/subscriptions/${s.subscriptionId}`,
          name: s.subscriptionId,
          type: 'microsoft.resources/subscriptions',
          subscriptionId: s.subscriptionId,
          tenantId: s.tenantId ?? fakeOptions.tenantId,
          properties: {
            // Nearest first; every subscription sits under the tenant root group (named after the tenant).
            managementGroupAncestorsChain: [
              ...[...managementGroupsOf(s.subscriptionId)].map((name) => ({
                name,
                displayName: name,
              })),
              { name: s.tenantId ?? fakeOptions.tenantId, displayName: 'Tenant Root Group' },
            ],
          },
        }));
    }
    let offset = 0;
    if (opts.$skipToken) {
      const decoded = JSON.parse(
        Buffer.from(String(opts.$skipToken), 'base64url').toString('utf8'),
      ) as { offset: number; query: string };
      if (decoded.query !== body.query) {
        send(res, 400, armError('BadRequest', 'the $skipToken belongs to another query'));
        return;
      }
      offset = decoded.offset;
    } else if (typeof opts.$skip === 'number') {
      offset = opts.$skip;
    }
    const top = Math.min(
      typeof opts.$top === 'number' ? opts.$top : 100,
      fakeOptions.resourceGraphPageSize,
    );
    const data = rows.slice(offset, offset + top);
    const next =
      offset + top < rows.length
        ? Buffer.from(JSON.stringify({ offset: offset + top, query: body.query })).toString(
            'base64url',
          )
        : undefined;
    send(res, 200, {
      totalRecords: rows.length,
      count: data.length,
      resultTruncated: 'false',
      ...(next ? { $skipToken: next } : {}),
      data,
      facets: [],
    });
  }

  function graphColumns(resourceId: string): ArmObject {
    const lower = resourceId.toLowerCase();
    return {
      subscriptionId: subscriptionInPath(lower) ?? '',
      resourceGroup: /\/resourcegroups\/([^/]+)/.exec(lower)?.[1] ?? '',
      tenantId: fakeOptions.tenantId,
    };
  }

  function sendPage(
    res: ServerResponse,
    items: ArmObject[],
    base: string,
    query: Record<string, string>,
  ): void {
    const offset = Number(query.$skipToken ?? 0) || 0;
    const size = Math.max(1, fakeOptions.pageSize);
    const value = items.slice(offset, offset + size);
    const body: ArmObject = { value };
    if (offset + size < items.length) {
      const next = new URLSearchParams({ ...query, $skipToken: String(offset + size) });
      body.nextLink = `${base}?${next.toString()}`;
    }
    send(res, 200, body);
  }

  const httpServer = server;
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const endpoint = `https://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

  function findIndexById(list: ArmObject[], id: string): number {
    return list.findIndex((x) => String(x.id).toLowerCase() === id.toLowerCase());
  }

  const fake: ArmFake = {
    endpoint,
    agent,
    state,
    requests,
    options: fakeOptions,
    addSubscription(subscriptionId, displayName) {
      const sub: FakeSubscription = { subscriptionId, displayName, state: 'Enabled' };
      state.subscriptions.push(sub);
      return sub;
    },
    addCluster(input) {
      const cluster = 'id' in input ? input : armCluster(input as ClusterInput);
      state.clusters.push(cluster);
      return cluster;
    },
    setCluster(id, update) {
      const index = findIndexById(state.clusters, id);
      if (index < 0) throw new Error(`ARM fake: no cluster ${id}`);
      if (typeof update === 'function') update(state.clusters[index]);
      else state.clusters[index] = update;
      return state.clusters[index];
    },
    removeCluster(id) {
      const index = findIndexById(state.clusters, id);
      if (index >= 0) state.clusters.splice(index, 1);
    },
    addRoleAssignment(input) {
      const assignment =
        'properties' in input ? input : armRoleAssignment(input as RoleAssignmentInput);
      state.roleAssignments.push(assignment);
      return assignment;
    },
    removeRoleAssignment(id) {
      const index = findIndexById(state.roleAssignments, id);
      if (index >= 0) state.roleAssignments.splice(index, 1);
    },
    addEligibility(input) {
      const assignment = armRoleAssignment(input);
      const eligibility = {
        ...assignment,
        id: assignment.id.replace(
          /roleAssignments\/([^/]+)$/,
          'roleEligibilityScheduleInstances/$1',
        ),
        type: 'Microsoft.Authorization/roleEligibilityScheduleInstances',
        properties: { ...assignment.properties, status: 'Provisioned', memberType: 'Direct' },
      };
      state.roleEligibilityScheduleInstances.push(eligibility);
      return eligibility;
    },
    addDenyAssignment(input) {
      const deny = 'properties' in input ? input : armDenyAssignment(input as DenyAssignmentInput);
      state.denyAssignments.push(deny);
      return deny;
    },
    addRoleDefinition(input) {
      const definition = 'properties' in input ? input : armCustomRole(input as CustomRoleInput);
      state.roleDefinitions.push(definition);
      return definition;
    },
    addIdentity(input) {
      const id = `/subscriptions/${input.subscriptionId}/resourcegroups/${input.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${input.name}`;
      const identity: ArmObject = {
        id,
        name: input.name,
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        location: 'westeurope',
        properties: {
          tenantId: fakeOptions.tenantId,
          principalId: input.principalId ?? deterministicGuid(`${id}/principal`),
          clientId: deterministicGuid(`${id}/client`),
        },
      };
      state.identities.push(identity);
      return identity;
    },
    addFederatedCredential(input) {
      const credential: ArmObject = {
        id: `${input.identityId}/federatedIdentityCredentials/${input.name}`,
        name: input.name,
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials',
        properties: {
          issuer: input.issuer,
          subject: input.subject,
          audiences: input.audiences ?? ['api://AzureADTokenExchange'],
        },
      };
      state.federatedCredentials.push(credential);
      return credential;
    },
    removeFederatedCredential(id) {
      const index = findIndexById(state.federatedCredentials, id);
      if (index >= 0) state.federatedCredentials.splice(index, 1);
    },
    fault(rule) {
      const entry = { ...rule, hits: 0, removed: false };
      faults.push(entry);
      return {
        get hits() {
          return entry.hits;
        },
        remove: () => void (entry.removed = true),
      };
    },
    failSubscription(subscriptionId, status = 500) {
      return fake.fault({
        match: new RegExp(`/subscriptions/${escapeRegExp(subscriptionId)}(/|$|\\?)`, 'i'),
        status,
        code: 'SubscriptionFault',
        message: `injected permanent failure of subscription ${subscriptionId}`,
      });
    },
    clearFaults() {
      faults.splice(0, faults.length);
    },
    stop() {
      return new Promise<void>((resolve, reject) => {
        httpServer.closeAllConnections();
        httpServer.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
  return fake;
}

function routeOf(method: string, lower: string, body: unknown): ArmRoute {
  if (method === 'POST' && lower === RG_API_MARKER) {
    const query = String((body as ArmObject | undefined)?.query ?? '').toLowerCase();
    if (query.includes('microsoft.containerservice/managedclusters'))
      return 'resourceGraph.clusters';
    if (
      query.includes('authorizationresources') &&
      query.includes('microsoft.authorization/roleassignments')
    )
      return 'resourceGraph.roleAssignments';
    if (query.includes('resourcecontainers') && query.includes('microsoft.resources/subscriptions'))
      return 'resourceGraph.subscriptions';
    return 'resourceGraph.other';
  }
  if (method !== 'GET') return 'unknown';
  if (lower === '/subscriptions') return 'subscriptions.list';
  if (/^\/subscriptions\/[^/]+$/.test(lower)) return 'subscriptions.get';
  if (
    /^\/subscriptions\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters$/.test(lower)
  )
    return 'managedClusters.list';
  if (
    /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters$/.test(
      lower,
    )
  )
    return 'managedClusters.listByResourceGroup';
  if (
    /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.containerservice\/managedclusters\/[^/]+$/.test(
      lower,
    )
  )
    return 'managedClusters.get';
  if (/^\/subscriptions\/[^/]+\/providers\/microsoft\.authorization\/roleassignments$/.test(lower))
    return 'roleAssignments.listForSubscription';
  if (/\/providers\/microsoft\.authorization\/roleassignments$/.test(lower))
    return 'roleAssignments.listForScope';
  if (/\/providers\/microsoft\.authorization\/roleeligibilityscheduleinstances$/.test(lower))
    return 'roleEligibilityScheduleInstances.listForScope';
  if (/^\/subscriptions\/[^/]+\/providers\/microsoft\.authorization\/denyassignments$/.test(lower))
    return 'denyAssignments.listForSubscription';
  if (/\/providers\/microsoft\.authorization\/roledefinitions\/[^/]+$/.test(lower))
    return 'roleDefinitions.get';
  if (/\/providers\/microsoft\.authorization\/roledefinitions$/.test(lower))
    return 'roleDefinitions.list';
  if (
    /^\/subscriptions\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities$/.test(
      lower,
    )
  )
    return 'identities.listBySubscription';
  if (
    /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+\/federatedidentitycredentials$/.test(
      lower,
    )
  )
    return 'federatedCredentials.list';
  return 'unknown';
}

function subscriptionInPath(lowerPath: string): string | undefined {
  return /^\/subscriptions\/([^/?]+)/.exec(lowerPath)?.[1];
}

function scopeOf(assignment: ArmObject): string {
  return (
    String(assignment.properties?.scope ?? '')
      .toLowerCase()
      .replace(/\/+$/, '') || '/'
  );
}

function managementGroupOfScope(lowerScope: string): string | undefined {
  return /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/.exec(lowerScope)?.[1];
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function armError(code: string, message: string): ArmObject {
  return { error: { code, message } };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-ms-request-id': randomUUID(),
    ...headers,
  });
  res.end(text);
}

/** A managed cluster in ARM REST shape, with a typical hardened configuration unless overridden. */
export function armCluster(input: ClusterInput): ArmObject {
  const id = `/subscriptions/${input.subscriptionId}/resourceGroups/${input.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${input.name}`;
  const kubeletObjectId = deterministicGuid(`${id}/kubelet`);
  return {
    id,
    name: input.name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: input.location ?? 'westeurope',
    identity:
      input.identity === undefined
        ? {
            type: 'SystemAssigned',
            principalId: deterministicGuid(`${id}/identity`),
            tenantId: '00000000-0000-4000-8000-00000000aaaa',
          }
        : input.identity,
    sku: { name: 'Base', tier: 'Standard' },
    properties: {
      provisioningState: 'Succeeded',
      kubernetesVersion: '1.31.2',
      dnsPrefix: input.name,
      enableRBAC: true,
      disableLocalAccounts: true,
      aadProfile: {
        managed: true,
        enableAzureRBAC: true,
        adminGroupObjectIDs: [deterministicGuid(`${id}/admins`)],
      },
      oidcIssuerProfile: {
        enabled: true,
        issuerURL: `https://westeurope.oic.prod-aks.azure.com/00000000-0000-4000-8000-00000000aaaa/${deterministicGuid(`${id}/issuer`)}/`,
      },
      securityProfile: {
        workloadIdentity: { enabled: true },
        defender: { securityMonitoring: { enabled: true } },
      },
      apiServerAccessProfile: { enablePrivateCluster: true },
      addonProfiles: { azurepolicy: { enabled: true, config: null } },
      identityProfile: {
        kubeletidentity: {
          resourceId: `/subscriptions/${input.subscriptionId}/resourcegroups/MC_${input.resourceGroup}_${input.name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${input.name}-agentpool`,
          clientId: deterministicGuid(`${id}/kubelet-client`),
          objectId: kubeletObjectId,
        },
      },
      ...input.properties,
    },
  };
}

/** A role assignment in ARM REST shape. */
export function armRoleAssignment(input: RoleAssignmentInput): ArmObject {
  const name =
    input.name ??
    deterministicGuid(`${input.scope}|${input.principalId}|${input.roleDefinitionId}`);
  const scope = input.scope;
  let roleDefinitionId = input.roleDefinitionId;
  if (!roleDefinitionId.includes('/')) {
    // ARM writes the role definition id in the form of the subscription the assignment lives
    // in, or provider-level for management-group and root assignments.
    const sub = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
    roleDefinitionId = `${sub ? `/subscriptions/${sub}` : ''}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionId}`;
  }
  return {
    id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId,
      principalId: input.principalId,
      principalType: input.principalType ?? 'User',
      scope,
      ...(input.condition ? { condition: input.condition, conditionVersion: '2.0' } : {}),
      createdOn: '2026-01-01T00:00:00.0000000Z',
      updatedOn: '2026-01-01T00:00:00.0000000Z',
    },
  };
}

/** A deny assignment in ARM REST shape. */
export function armDenyAssignment(input: DenyAssignmentInput): ArmObject {
  const name = input.name ?? deterministicGuid(`deny|${input.scope}|${input.actions.join(',')}`);
  const principal = (p: string | { id: string; type: string }) =>
    typeof p === 'string' ? { id: p, type: 'User' } : p;
  return {
    id: `${input.scope === '/' ? '' : input.scope}/providers/Microsoft.Authorization/denyAssignments/${name}`,
    name,
    type: 'Microsoft.Authorization/denyAssignments',
    properties: {
      denyAssignmentName: input.denyAssignmentName ?? `deny ${name}`,
      description: 'created by a deployment stack',
      permissions: [
        {
          actions: input.actions,
          notActions: input.notActions ?? [],
          dataActions: [],
          notDataActions: [],
        },
      ],
      scope: input.scope,
      doNotApplyToChildScopes: input.doNotApplyToChildScopes ?? false,
      principals: (
        input.principals ?? [{ id: '00000000-0000-0000-0000-000000000000', type: 'SystemDefined' }]
      ).map(principal),
      excludePrincipals: (input.excludePrincipals ?? []).map(principal),
      isSystemProtected: true,
    },
  };
}

/** A custom role definition in ARM REST shape. */
export function armCustomRole(input: CustomRoleInput): ArmObject {
  const guid = input.guid ?? deterministicGuid(`role|${input.roleName}`);
  const at = input.definedAt ?? input.assignableScopes[0] ?? '/';
  const prefix = /^\/subscriptions\/[^/]+/i.exec(at)?.[0] ?? '';
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    name: guid,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: input.roleName,
      type: 'CustomRole',
      description: input.description ?? `custom role ${input.roleName}`,
      assignableScopes: input.assignableScopes,
      permissions: [
        {
          actions: input.actions ?? [],
          notActions: input.notActions ?? [],
          dataActions: input.dataActions ?? [],
          notDataActions: input.notDataActions ?? [],
        },
      ],
    },
  };
}

/** A stable guid derived from a label, so fixtures are reproducible. */
export function deterministicGuid(label: string): string {
  // FNV-1a over the label, stretched to 128 bits; not cryptographic, only stable.
  const words: number[] = [];
  for (let round = 0; round < 4; round++) {
    let hash = 0x811c9dc5 ^ round;
    for (let i = 0; i < label.length; i++) {
      hash ^= label.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    words.push(hash >>> 0);
  }
  const hex = words.map((w) => w.toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Empties the fake between tests: state, paging options, faults and the request log. */
export function resetArmFake(fake: ArmFake): void {
  fake.state.subscriptions.splice(0);
  fake.state.clusters.splice(0);
  fake.state.roleAssignments.splice(0);
  fake.state.roleDefinitions.splice(0);
  fake.state.roleEligibilityScheduleInstances.splice(0);
  fake.state.denyAssignments.splice(0);
  fake.state.identities.splice(0);
  fake.state.federatedCredentials.splice(0);
  for (const key of Object.keys(fake.state.managementGroups))
    delete fake.state.managementGroups[key];
  fake.options.pageSize = 100;
  fake.options.resourceGraphPageSize = 1000;
  fake.clearFaults();
  fake.requests.reset();
}

/**
 * A fake started once for the test file and emptied before each test, then given `setup`.
 * Returns its accessor (the fake exists only once `beforeAll` has run).
 */
export function useArmFake(
  setup: (fake: ArmFake) => void = () => undefined,
  options: ArmFakeOptions = {},
): () => ArmFake {
  let fake: ArmFake | undefined;
  beforeAll(async () => {
    fake = await startArmFake(options);
  });
  afterAll(async () => {
    await fake?.stop();
  });
  beforeEach(() => {
    resetArmFake(fake!);
    setup(fake!);
  });
  return () => fake!;
}
