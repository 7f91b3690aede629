/**
 * A local HTTPS fake of the parts of Microsoft Graph (v1.0) the auditor reads, so the real
 * client (`@azure/core-rest-pipeline` with its bearer-token, retry and throttling policies) is
 * exercised end to end without a tenant:
 *
 * - `POST /v1.0/directoryObjects/getByIds` (at most 1,000 ids; ids it does not know are left out);
 * - `GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user` (`$select`, `$top`, `$count`
 *   with `ConsistencyLevel: eventual`, paged with `@odata.nextLink`);
 * - `GET /v1.0/applications?$filter=federatedIdentityCredentials/any(f:f/issuer eq '…')`
 *   (an advanced query: refused without `ConsistencyLevel: eventual` and `$count=true`, as Graph does);
 * - `GET /v1.0/servicePrincipals(appId='…')`.
 *
 * Every request must carry a bearer token. Application permissions are modelled: a route whose
 * permission the fake's token lacks answers 403 `Authorization_RequestDenied`. Faults (429 with
 * Retry-After, 5xx) are injected per path pattern; requests are counted per route.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { createServer } from 'https';
import type { Agent } from 'https';
import type { AddressInfo } from 'net';
import { testCertificate } from './tls';

export type GraphObject = Record<string, any>;

export type GraphPermission = 'User.Read.All' | 'GroupMember.Read.All' | 'Application.Read.All';
export const ALL_GRAPH_PERMISSIONS: readonly GraphPermission[] = [
  'User.Read.All',
  'GroupMember.Read.All',
  'Application.Read.All',
];

export type GraphRoute =
  'getByIds' | 'transitiveMembers' | 'applications' | 'servicePrincipalByAppId' | 'unknown';

export interface GraphFakeState {
  users: GraphObject[];
  /** Groups; `members` holds direct member ids (users or groups), expanded transitively on read. */
  groups: Array<GraphObject & { members?: string[] }>;
  servicePrincipals: GraphObject[];
  /** Applications with `federatedIdentityCredentials: [{ name, issuer, subject, audiences }]`. */
  applications: GraphObject[];
}

export interface GraphRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  route: GraphRoute;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface GraphFault {
  match: RegExp;
  status: number;
  times?: number;
  retryAfterSeconds?: number;
}

export interface GraphFake {
  /** `https://127.0.0.1:PORT`: the client's Graph endpoint. */
  endpoint: string;
  agent: Agent;
  state: GraphFakeState;
  /** The application permissions the caller's token carries (default: all the auditor needs). */
  permissions: Set<GraphPermission>;
  /** Items per page of list responses (the request's `$top` is honoured below it). Default 100. */
  pageSize: number;
  requests: GraphRequest[];
  count(route: GraphRoute): number;
  fault(rule: GraphFault): { readonly hits: number };
  reset(): void;
  stop(): Promise<void>;
}

const PERMISSION_OF: Record<Exclude<GraphRoute, 'unknown'>, GraphPermission> = {
  getByIds: 'User.Read.All',
  transitiveMembers: 'GroupMember.Read.All',
  applications: 'Application.Read.All',
  servicePrincipalByAppId: 'Application.Read.All',
};

export async function startGraphFake(): Promise<GraphFake> {
  const { key, cert, agent } = testCertificate();
  const state: GraphFakeState = { users: [], groups: [], servicePrincipals: [], applications: [] };
  const requests: GraphRequest[] = [];
  const faults: Array<GraphFault & { hits: number }> = [];
  const fake = {} as GraphFake;

  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = handle(req, res, Buffer.concat(chunks).toString('utf8'));
      record.status = res.statusCode;
      requests.push(record);
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, rawBody: string): GraphRequest {
    const url = new URL(req.url ?? '/', 'https://graph.invalid');
    const path = decodeURIComponent(url.pathname);
    const query = Object.fromEntries(url.searchParams.entries());
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routeOf(method, path);
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = rawBody;
    }
    const record: GraphRequest = {
      method,
      path,
      query,
      route,
      status: 0,
      headers: req.headers,
      body,
    };

    if (!/^Bearer .+/i.test(req.headers.authorization ?? '')) {
      graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
      return record;
    }
    const fault = faults.find(
      (f) => (f.times === undefined || f.hits < f.times) && f.match.test(`${method} ${req.url}`),
    );
    if (fault) {
      fault.hits++;
      const headers: Record<string, string> = {};
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfterSeconds ?? 0);
      graphError(
        res,
        fault.status,
        fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
        `injected fault ${fault.status}`,
        headers,
      );
      return record;
    }
    if (route === 'unknown') {
      graphError(res, 400, 'BadRequest', `the Graph fake has no route for ${method} ${path}`);
      return record;
    }
    if (!fake.permissions.has(PERMISSION_OF[route])) {
      graphError(
        res,
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
      return record;
    }
    switch (route) {
      case 'getByIds':
        getByIds(res, body, query.$select);
        break;
      case 'transitiveMembers':
        transitiveMembers(req, res, path, query);
        break;
      case 'applications':
        applications(req, res, query);
        break;
      case 'servicePrincipalByAppId': {
        const appId = /appId='([^']+)'/i.exec(path)?.[1]?.toLowerCase();
        const found = state.servicePrincipals.find(
          (sp) => String(sp.appId).toLowerCase() === appId,
        );
        if (found) send(res, 200, select(found, query.$select));
        else
          graphError(res, 404, 'Request_ResourceNotFound', `Resource '${appId}' does not exist.`);
        break;
      }
    }
    return record;
  }

  function everyObject(): GraphObject[] {
    return [
      ...state.users.map((u) => ({ '@odata.type': '#microsoft.graph.user', ...u })),
      ...state.groups.map(({ members: _members, ...g }) => ({
        '@odata.type': '#microsoft.graph.group',
        ...g,
      })),
      ...state.servicePrincipals.map((sp) => ({
        '@odata.type': '#microsoft.graph.servicePrincipal',
        ...sp,
      })),
    ];
  }

  function getByIds(res: ServerResponse, body: unknown, $select: string | undefined): void {
    const ids = (body as { ids?: unknown } | undefined)?.ids;
    if (!Array.isArray(ids) || ids.length === 0)
      return graphError(res, 400, 'Request_BadRequest', 'ids is required');
    if (ids.length > 1000)
      return graphError(res, 400, 'Request_BadRequest', 'ids must have at most 1000 entries');
    const wanted = new Set(ids.map((id) => String(id).toLowerCase()));
    // Like Graph v1.0: without $select, users come back with the default property set only (no
    // userType, accountEnabled); with it, every object with the selected properties it has.
    const value = everyObject()
      .filter((o) => wanted.has(String(o.id).toLowerCase()))
      .map((o) =>
        $select
          ? select(o, $select)
          : o['@odata.type'] === '#microsoft.graph.user'
            ? pick(o, ['@odata.type', 'id', 'displayName', 'userPrincipalName', 'mail'])
            : o,
      );
    send(res, 200, {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#directoryObjects',
      value,
    });
  }

  function transitiveUsers(groupId: string): GraphObject[] {
    const users = new Map<string, GraphObject>();
    const seen = new Set<string>();
    const pending = [groupId.toLowerCase()];
    // Indexed per request (the state may change between requests): the bench holds 10,000 users.
    // The first object of an id wins, as a search of the list would find it.
    const groupsById = new Map(
      [...state.groups].reverse().map((g) => [String(g.id).toLowerCase(), g]),
    );
    const usersById = new Map(
      [...state.users].reverse().map((u) => [String(u.id).toLowerCase(), u]),
    );
    while (pending.length > 0) {
      const id = pending.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const group = groupsById.get(id);
      for (const member of group?.members ?? []) {
        const key = member.toLowerCase();
        const user = usersById.get(key);
        if (user) users.set(key, user);
        else pending.push(key);
      }
    }
    return [...users.values()];
  }

  function transitiveMembers(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: Record<string, string>,
  ): void {
    const groupId = /^\/v1\.0\/groups\/([^/]+)\//i.exec(path)![1];
    if (!state.groups.some((g) => String(g.id).toLowerCase() === groupId.toLowerCase())) {
      return graphError(
        res,
        404,
        'Request_ResourceNotFound',
        `Resource '${groupId}' does not exist.`,
      );
    }
    if (query.$count === 'true' && req.headers.consistencylevel !== 'eventual') {
      return graphError(
        res,
        400,
        'Request_BadRequest',
        '$count requires the ConsistencyLevel: eventual header',
      );
    }
    const users = transitiveUsers(groupId).map((u) =>
      select({ '@odata.type': '#microsoft.graph.user', ...u }, query.$select),
    );
    sendPage(res, users, path, query, query.$count === 'true' ? users.length : undefined);
  }

  function applications(
    req: IncomingMessage,
    res: ServerResponse,
    query: Record<string, string>,
  ): void {
    const issuer = /federatedIdentityCredentials\/any\(f:f\/issuer eq '((?:[^']|'')*)'\)/i
      .exec(query.$filter ?? '')?.[1]
      ?.replace(/''/g, "'");
    if (issuer === undefined)
      return graphError(res, 400, 'Request_UnsupportedQuery', 'Unsupported query.');
    if (req.headers.consistencylevel !== 'eventual' || query.$count !== 'true') {
      return graphError(
        res,
        400,
        'Request_UnsupportedQuery',
        'Filter on federatedIdentityCredentials requires ConsistencyLevel: eventual and $count=true.',
      );
    }
    // Graph compares the issuer exactly as stored.
    const apps = state.applications
      .filter((a) =>
        (a.federatedIdentityCredentials ?? []).some((f: GraphObject) => f.issuer === issuer),
      )
      .map((a) => select(a, query.$select));
    sendPage(res, apps, '/v1.0/applications', query, apps.length);
  }

  function sendPage(
    res: ServerResponse,
    items: GraphObject[],
    path: string,
    query: Record<string, string>,
    count: number | undefined,
  ): void {
    const offset = Number(query.$skiptoken ?? 0) || 0;
    const top = Math.min(Number(query.$top ?? fake.pageSize) || fake.pageSize, fake.pageSize);
    const value = items.slice(offset, offset + top);
    const body: GraphObject = {};
    if (count !== undefined) body['@odata.count'] = count;
    body.value = value;
    if (offset + top < items.length) {
      const next = new URLSearchParams({ ...query, $skiptoken: String(offset + top) });
      body['@odata.nextLink'] = `${fake.endpoint}${path}?${next.toString()}`;
    }
    send(res, 200, body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(fake, {
    endpoint,
    agent,
    state,
    permissions: new Set<GraphPermission>(ALL_GRAPH_PERMISSIONS),
    pageSize: 100,
    requests,
    count: (route: GraphRoute) => requests.filter((r) => r.route === route).length,
    fault(rule: GraphFault) {
      const entry = { ...rule, hits: 0 };
      faults.push(entry);
      return {
        get hits() {
          return entry.hits;
        },
      };
    },
    reset() {
      state.users.splice(0);
      state.groups.splice(0);
      state.servicePrincipals.splice(0);
      state.applications.splice(0);
      requests.splice(0);
      faults.splice(0);
      fake.permissions = new Set(ALL_GRAPH_PERMISSIONS);
      fake.pageSize = 100;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  } satisfies Omit<GraphFake, never>);
  return fake;
}

function routeOf(method: string, path: string): GraphRoute {
  if (method === 'POST' && /^\/v1\.0\/directoryObjects\/getByIds$/i.test(path)) return 'getByIds';
  if (method !== 'GET') return 'unknown';
  if (/^\/v1\.0\/groups\/[^/]+\/transitiveMembers\/microsoft\.graph\.user$/i.test(path))
    return 'transitiveMembers';
  if (/^\/v1\.0\/applications$/i.test(path)) return 'applications';
  if (/^\/v1\.0\/servicePrincipals\(appId='[^']+'\)$/i.test(path)) return 'servicePrincipalByAppId';
  return 'unknown';
}

function pick(o: GraphObject, keys: string[]): GraphObject {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** `$select` like Graph: only the listed properties (and `@odata.type`, `id`). */
function select(o: GraphObject, $select: string | undefined): GraphObject {
  if (!$select) return o;
  return pick(o, ['@odata.type', 'id', ...$select.split(',').map((k) => k.trim())]);
}

function graphError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  send(
    res,
    status,
    {
      error: {
        code,
        message,
        innerError: { 'request-id': '00000000-0000-4000-8000-000000000000' },
      },
    },
    headers,
  );
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; odata.metadata=minimal',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
