/**
 * Microsoft Graph (v1.0), read with Azure's own HTTP pipeline (`@azure/core-rest-pipeline`:
 * bearer tokens from the app's credential, retries of 429 after `Retry-After` and of transient
 * 5xx) — the directory the auditor asks, when `AUDIT_DIRECTORY=graph`:
 *
 * - names and existence: `POST /directoryObjects/getByIds`, 1,000 ids per call, one call per
 *   batch, each id asked once per run (an id Graph does not return no longer exists: `deleted`);
 * - the users behind a group: `GET /groups/{id}/transitiveMembers/microsoft.graph.user`, one paged
 *   listing per group, `$select` only what findings show, bounded: a group of more than 1,000
 *   users is reported with its count and its first page;
 * - app registrations that trust an issuer: `GET /applications?$filter=federatedIdentityCredentials/any(…)`
 *   and each one's service principal (the object its role assignments name).
 *
 * A 403 means the app lacks a Graph application permission: a `GraphPermissionError` naming it,
 * which callers turn into "not known" with one log line.
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
} from '@azure/core-rest-pipeline';
import type { Agent } from 'https';
import { DependencyError } from '../core/errors';
import type { FederatedCredential } from '../core/federation';
import type { DirectoryPrincipal } from '../core/model';
import type {
  ApplicationCredentials,
  GroupMemberDirectory,
  PrincipalDirectory,
  TransitiveUsers,
} from '../core/ports';
import { principalKey } from '../core/principals';
import { mapLimit } from '../core/concurrency';

export const GRAPH_ENDPOINT = 'https://graph.microsoft.com';
/** `getByIds` takes at most 1,000 ids. */
export const GET_BY_IDS_BATCH = 1000;
/** Users listed per group before the listing stops at its first page (docs/access.md "Groups"). */
export const MEMBER_LIMIT = 1000;
const MEMBER_PAGE = 999;
// What findings show of a user. getByIds needs it too: without `$select`, Graph v1.0 returns
// users with a default property set that lacks userType and accountEnabled (a documented known
// issue of getByIds); properties a group or service principal lacks are simply absent.
const USER_SELECT = 'id,displayName,userPrincipalName,userType,accountEnabled';

export interface GraphDirectoryOptions {
  credential: TokenCredential;
  /** Default https://graph.microsoft.com (national clouds: theirs). */
  endpoint?: string;
  agent?: Agent;
  retry?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
  /** Requests in flight at once (member listings, service principals). Default 4. */
  concurrency?: number;
}

/** Graph refused for want of an application permission (403). */
export class GraphPermissionError extends DependencyError {
  constructor(
    readonly permission: string,
    what: string,
  ) {
    super(
      `Microsoft Graph refused to ${what} (403): grant the app the ${permission} application permission (see docs/deploy.md)`,
      'graph',
    );
    this.name = 'GraphPermissionError';
  }
}

type GraphObject = Record<string, unknown>;

const TYPES: Record<string, string> = {
  '#microsoft.graph.user': 'User',
  '#microsoft.graph.group': 'Group',
  '#microsoft.graph.serviceprincipal': 'ServicePrincipal',
  '#microsoft.graph.device': 'Device',
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A Graph directory object as the model holds it. */
export function principalOfGraph(o: GraphObject): DirectoryPrincipal | undefined {
  const id = text(o.id);
  if (!id) return undefined;
  const principal: DirectoryPrincipal = { id };
  const odataType = text(o['@odata.type']);
  if (odataType)
    principal.principalType =
      TYPES[odataType.toLowerCase()] ?? odataType.replace(/^#microsoft\.graph\./i, '');
  const displayName = text(o.displayName);
  if (displayName) principal.displayName = displayName;
  const upn = text(o.userPrincipalName);
  if (upn) principal.userPrincipalName = upn;
  const userType = text(o.userType);
  if (userType) principal.userType = userType;
  if (typeof o.accountEnabled === 'boolean') principal.accountEnabled = o.accountEnabled;
  return principal;
}

export class GraphDirectory
  implements PrincipalDirectory, GroupMemberDirectory, ApplicationCredentials
{
  readonly name = 'Microsoft Graph';
  private readonly endpoint: string;
  private readonly pipeline: Pipeline;
  private readonly client: HttpClient = createDefaultHttpClient();
  private readonly concurrency: number;

  constructor(options: GraphDirectoryOptions) {
    this.endpoint = (options.endpoint ?? GRAPH_ENDPOINT).replace(/\/+$/, '');
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.pipeline = createPipelineFromOptions({
      retryOptions: {
        maxRetries: options.retry?.maxRetries ?? 4,
        retryDelayInMs: options.retry?.retryDelayInMs ?? 1000,
        maxRetryDelayInMs: options.retry?.maxRetryDelayInMs ?? 30000,
      },
      ...(options.agent ? { agent: options.agent } : {}),
      userAgentOptions: { userAgentPrefix: 'aks-identity-auditor' },
    });
    this.pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({
        credential: options.credential,
        scopes: `${this.endpoint}/.default`,
      }),
    );
  }

  /** Every id asked, answered: the objects Graph returns; an id it leaves out no longer exists. */
  async lookup(ids: readonly string[]): Promise<DirectoryPrincipal[]> {
    const distinct = [...new Map(ids.map((id) => [principalKey(id), id.trim()])).values()].filter(
      (id) => id !== '',
    );
    const found: DirectoryPrincipal[] = [];
    for (let start = 0; start < distinct.length; start += GET_BY_IDS_BATCH) {
      const body = await this.send(
        'POST',
        `/v1.0/directoryObjects/getByIds?$select=${USER_SELECT}`,
        {
          body: { ids: distinct.slice(start, start + GET_BY_IDS_BATCH) },
          permission: 'User.Read.All, GroupMember.Read.All and Application.Read.All',
          what: 'resolve principal ids',
        },
      );
      for (const o of asArray(body.value)) {
        const principal = principalOfGraph(o);
        if (principal) found.push(principal);
      }
    }
    return found;
  }

  /** The users behind a group (nested groups included), bounded to its first page past 1,000. */
  async transitiveUsers(groupId: string): Promise<TransitiveUsers> {
    const path = `/v1.0/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=${USER_SELECT}&$top=${MEMBER_PAGE}&$count=true`;
    const users: DirectoryPrincipal[] = [];
    let count: number | undefined;
    let next: string | undefined = path;
    while (next) {
      const page: GraphObject = await this.send('GET', next, {
        eventual: true,
        permission: 'GroupMember.Read.All and User.Read.All',
        what: `list the members of group ${groupId}`,
      });
      if (typeof page['@odata.count'] === 'number') count ??= page['@odata.count'];
      for (const o of asArray(page.value)) {
        const principal = principalOfGraph({ '@odata.type': '#microsoft.graph.user', ...o });
        if (principal) users.push(principal);
      }
      next = text(page['@odata.nextLink']);
      // Bounded: a group larger than the limit is shown with its count and this first page.
      if (count !== undefined && count > MEMBER_LIMIT) break;
    }
    return { users, count: Math.max(count ?? 0, users.length), complete: next === undefined };
  }

  /** Federated credentials of the app registrations that trust one of these issuers (one query per issuer). */
  async credentialsForIssuers(issuers: readonly string[]): Promise<FederatedCredential[]> {
    const perIssuer = await mapLimit([...issuers], this.concurrency, (issuer) =>
      this.applicationsTrusting(issuer),
    );
    const apps = new Map<string, GraphObject>();
    for (const list of perIssuer) for (const app of list) apps.set(String(app.id), app);
    const servicePrincipals = await mapLimit([...apps.values()], this.concurrency, (app) =>
      this.servicePrincipalOf(String(app.appId ?? '')),
    );
    const credentials: FederatedCredential[] = [];
    [...apps.values()].forEach((app, i) => {
      const sp = servicePrincipals[i];
      for (const f of asArray(app.federatedIdentityCredentials)) {
        const issuer = text(f.issuer);
        const subject = text(f.subject);
        if (!issuer || !subject) continue;
        const name = text(f.name) ?? text(f.id) ?? subject;
        credentials.push({
          id: `applications/${String(app.id)}/federatedIdentityCredentials/${name}`,
          name,
          issuer,
          subject,
          ...(Array.isArray(f.audiences)
            ? { audiences: f.audiences.filter((a): a is string => typeof a === 'string') }
            : {}),
          identity: {
            kind: 'application',
            ...(text(app.appId) ? { appId: String(app.appId) } : {}),
            ...(text(app.displayName) ? { displayName: String(app.displayName) } : {}),
            ...(sp ? { principalId: sp } : {}),
          },
        });
      }
    });
    return credentials;
  }

  private async applicationsTrusting(issuer: string): Promise<GraphObject[]> {
    const filter = `federatedIdentityCredentials/any(f:f/issuer eq '${issuer.replace(/'/g, "''")}')`;
    const apps: GraphObject[] = [];
    let next: string | undefined =
      `/v1.0/applications?$filter=${encodeURIComponent(filter)}&$count=true&$select=id,appId,displayName,federatedIdentityCredentials`;
    while (next) {
      const page: GraphObject = await this.send('GET', next, {
        eventual: true,
        permission: 'Application.Read.All',
        what: 'list app registrations with federated credentials',
      });
      apps.push(...asArray(page.value));
      next = text(page['@odata.nextLink']);
    }
    return apps;
  }

  /** The object id of an application's service principal, or undefined when it has none. */
  private async servicePrincipalOf(appId: string): Promise<string | undefined> {
    if (!appId) return undefined;
    const body = await this.send(
      'GET',
      `/v1.0/servicePrincipals(appId='${encodeURIComponent(appId)}')?$select=id`,
      {
        permission: 'Application.Read.All',
        what: `read the service principal of app ${appId}`,
        missingOk: true,
      },
    );
    return text(body.id);
  }

  private async send(
    method: 'GET' | 'POST',
    pathOrUrl: string,
    options: {
      body?: unknown;
      eventual?: boolean;
      permission: string;
      what: string;
      missingOk?: boolean;
    },
  ): Promise<GraphObject> {
    // `@odata.nextLink` is absolute; only links to this endpoint are followed (the token goes with them).
    const url = pathOrUrl.startsWith('/') ? `${this.endpoint}${pathOrUrl}` : pathOrUrl;
    if (!url.startsWith(`${this.endpoint}/`))
      throw new DependencyError(
        `Microsoft Graph returned a link outside ${this.endpoint}`,
        'graph',
      );
    const headers = createHttpHeaders({ accept: 'application/json' });
    if (options.body !== undefined) headers.set('content-type', 'application/json');
    if (options.eventual) headers.set('ConsistencyLevel', 'eventual');
    const request = createPipelineRequest({
      url,
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    let response;
    try {
      response = await this.pipeline.sendRequest(this.client, request);
    } catch (error) {
      throw new DependencyError(
        `Microsoft Graph could not ${options.what}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        'graph',
      );
    }
    if (response.status === 403) throw new GraphPermissionError(options.permission, options.what);
    if (response.status === 404 && options.missingOk) return {};
    if (response.status < 200 || response.status >= 300) {
      throw new DependencyError(
        `Microsoft Graph could not ${options.what}: HTTP ${response.status} ${graphErrorCode(response.bodyAsText)}`.trim(),
        'graph',
      );
    }
    try {
      return JSON.parse(response.bodyAsText ?? '{}') as GraphObject;
    } catch {
      throw new DependencyError(
        `Microsoft Graph answered ${options.what} with a body that is not JSON`,
        'graph',
      );
    }
  }
}

function asArray(value: unknown): GraphObject[] {
  return Array.isArray(value)
    ? value.filter((v): v is GraphObject => typeof v === 'object' && v !== null)
    : [];
}

function graphErrorCode(body: string | null | undefined): string {
  try {
    const error = (JSON.parse(body ?? '') as { error?: { code?: string; message?: string } }).error;
    return [error?.code, error?.message].filter(Boolean).join(': ').slice(0, 300);
  } catch {
    return '';
  }
}
