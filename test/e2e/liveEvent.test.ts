/**
 * THE end-to-end test (issue 4 item 7): a user changes Azure, Event Grid tells the auditor, and
 * Teams is paged once — with real parts only:
 *
 *   - Azurite (in memory) as the posture store, reached through its connection string;
 *   - the HTTPS fake of ARM, read by the real Azure SDK clients (ArmEstateSource);
 *   - the HTTPS fake of a Teams Workflows webhook, reached by the real notifier;
 *   - the runtime built from settings exactly as `serve` builds it, behind the local
 *     Functions-compatible host, spoken to over real HTTP.
 *
 * No SDK is mocked and nothing here waits on a timer: every step is driven by an HTTP request
 * whose response comes after the work is done (the webhook answers after evaluation, recording
 * and alert delivery).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { loadSettings } from '../../src/config';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { startLocalHost, type LocalHost } from '../../src/host/localHost';
import { createRuntime, setRuntime, type Runtime } from '../../src/runtime';
import { startArmFake, type ArmFake } from '../fakes/arm';
import { STATIC_TEST_TOKEN, staticTestCredential } from '../fakes/credential';
import { startTeamsWebhookFake, type TeamsWebhookFake } from '../fakes/teamsWebhook';
import { startAzurite, type TestAzurite } from '../helpers/azurite';

const SUB_PROD = '5b1d2c3e-0000-4000-8000-00000000e2e1';
const SUB_DEV = '5b1d2c3e-0000-4000-8000-00000000e2e2';
/** Never configured: events naming it must be refused. */
const SUB_FOREIGN = '5b1d2c3e-0000-4000-8000-00000000e2e9';

const RG = 'rg-checkout';
const CLUSTER = 'aks-checkout';
const CLUSTER_ID = `/subscriptions/${SUB_PROD}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}`;
const DEV_CLUSTER_ID = `/subscriptions/${SUB_DEV}/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/aks-dev`;

const ADMIN_GROUP = '0a0a0a0a-0000-4000-8000-0000000000a1';
const PLATFORM_GROUP = '0a0a0a0a-0000-4000-8000-0000000000a2';
const PIPELINE_SP = '0d0d0d0d-0000-4000-8000-0000000000d1';
/** The user who is about to be made Contributor at the cluster's resource group. */
const NEW_USER = '0b0b0b0b-0000-4000-8000-0000000000b7';
/** Another user, made Owner of the cluster through the CloudEvents delivery. */
const SECOND_USER = '0b0b0b0b-0000-4000-8000-0000000000b8';
const NEW_ASSIGNMENT_NAME = '7e2e0000-0000-4000-8000-000000000001';
const SECOND_ASSIGNMENT_NAME = '7e2e0000-0000-4000-8000-000000000002';
/** A user made Owner of the cluster while ARM cannot list role assignments. */
const OUTAGE_USER = '0b0b0b0b-0000-4000-8000-0000000000b9';
const OUTAGE_ASSIGNMENT_NAME = '7e2e0000-0000-4000-8000-000000000003';

/** Who made the change, as ARM puts it in the event's claims. */
const CALLER = {
  upn: 'mallory@contoso.example',
  objectId: '0b0b0b0b-0000-4000-8000-0000000000ca',
  appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
  ip: '203.0.113.77',
};

let azurite: TestAzurite;
let arm: ArmFake;
let teams: TeamsWebhookFake;
let runtime: Runtime;
let host: LocalHost;
const logLines: string[] = [];
let now = new Date('2026-11-22T02:00:00.000Z');
const clock = { now: () => new Date(now) };

function advance(minutes: number): void {
  now = new Date(now.getTime() + minutes * 60_000);
}

beforeAll(async () => {
  azurite = await startAzurite();
  arm = await startArmFake({ expectedToken: STATIC_TEST_TOKEN });
  teams = await startTeamsWebhookFake();

  arm.addSubscription(SUB_PROD, 'production');
  arm.addSubscription(SUB_DEV, 'development');
  // The static admin kubeconfig still works on this cluster: local accounts are ENABLED, although
  // it is integrated with Entra ID (managed profile, Azure RBAC, an admin group).
  arm.addCluster({
    subscriptionId: SUB_PROD,
    resourceGroup: RG,
    name: CLUSTER,
    properties: {
      disableLocalAccounts: false,
      aadProfile: {
        managed: true,
        enableAzureRBAC: true,
        adminGroupObjectIDs: [ADMIN_GROUP],
        tenantId: '00000000-0000-4000-8000-00000000aaaa',
      },
    },
  });
  arm.addCluster({ subscriptionId: SUB_DEV, resourceGroup: 'rg-dev', name: 'aks-dev' });
  // The access that exists before anything happens: the baseline.
  arm.addRoleAssignment({
    scope: CLUSTER_ID,
    roleDefinitionId: BUILTIN_ROLE_GUIDS.aksRbacClusterAdmin,
    principalId: ADMIN_GROUP,
    principalType: 'Group',
  });
  arm.addRoleAssignment({
    scope: CLUSTER_ID,
    roleDefinitionId: BUILTIN_ROLE_GUIDS.aksRbacReader,
    principalId: PLATFORM_GROUP,
    principalType: 'Group',
  });
  arm.addRoleAssignment({
    scope: `/subscriptions/${SUB_PROD}/resourceGroups/${RG}`,
    roleDefinitionId: BUILTIN_ROLE_GUIDS.contributor,
    principalId: PIPELINE_SP,
    principalType: 'ServicePrincipal',
  });
  arm.addRoleAssignment({
    scope: `/subscriptions/${SUB_DEV}`,
    roleDefinitionId: BUILTIN_ROLE_GUIDS.reader,
    principalId: PLATFORM_GROUP,
    principalType: 'Group',
  });

  const settings = loadSettings({
    AUDIT_SUBSCRIPTION_IDS: `${SUB_PROD},${SUB_DEV}`,
    AUDIT_STORAGE: azurite.connectionString,
    ALERT_TEAMS_WEBHOOK_URL: teams.url,
    ALERT_MIN_SEVERITY: 'high',
  });
  runtime = await createRuntime(settings, {
    log: (line) => logLines.push(line),
    clock,
    credential: staticTestCredential(),
    armEndpoint: arm.endpoint,
    // The fakes share one self-signed certificate: this agent reaches ARM and Teams alike.
    agent: arm.agent,
    consoleAlerts: false,
  });
  setRuntime(runtime);
  host = await startLocalHost({ runtime, port: 0, log: (line) => logLines.push(line) });
});

afterAll(async () => {
  await host?.close();
  setRuntime(undefined);
  await runtime?.close();
  await teams?.stop();
  await arm?.stop();
  await azurite?.stop();
});

// --- HTTP helpers: real requests to the local host ---

/**
 * Sending is the host's own loop, woken when the webhook has stored the outbox rows: the webhook
 * answers before the card goes out. Waits (polling, no fixed sleep) until `n` cards arrived.
 */
async function cardsReceived(n: number): Promise<void> {
  const settled = async () =>
    teams.received.length >= n &&
    (await runtime.store.listAlerts({ state: 'pending' })).length === 0;
  for (let i = 0; i < 400 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 25));
  expect(teams.received).toHaveLength(n);
}

const WEBHOOK = '/runtime/webhooks/eventgrid?functionName=armEvents';

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${host.url}${path}`);
  return { status: response.status, body: await response.json() };
}

async function postEvents(
  events: unknown,
  headers: Record<string, string> = { 'aeg-event-type': 'Notification' },
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${host.url}${WEBHOOK}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(events),
  });
  return { status: response.status, body: await response.json() };
}

function clusterPath(id: string): string {
  const [, , sub, , rg, , , , name] = id.split('/');
  return `/api/clusters/${sub}/${rg}/${name}`;
}

// --- Events as ARM's system topic sends them ---

function armEventData(
  operationName: string,
  resourceUri: string,
  method: string,
  subscriptionId: string,
): Record<string, unknown> {
  return {
    authorization: {
      scope: resourceUri,
      action: operationName,
      evidence: {
        role: 'Owner',
        roleAssignmentScope: `/subscriptions/${subscriptionId}`,
        roleAssignmentId: '0e1f2a3b4c5d4e6f8a9b0c1d2e3f4a5b',
        roleDefinitionId: '8e3af657a8ff443ca75c2fe8c4bcb635',
        principalId: CALLER.objectId.replace(/-/g, ''),
        principalType: 'User',
      },
    },
    claims: {
      aud: 'https://management.core.windows.net/',
      appid: CALLER.appId,
      ipaddr: CALLER.ip,
      name: 'Mallory Operator',
      'http://schemas.microsoft.com/identity/claims/objectidentifier': CALLER.objectId,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': CALLER.upn,
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': CALLER.upn,
    },
    correlationId: 'c0ffee00-0000-4000-8000-0000000000e2',
    httpRequest: {
      clientRequestId: 'd00dfeed-0000-4000-8000-0000000000e2',
      clientIpAddress: CALLER.ip,
      method,
      url: `https://management.azure.com${resourceUri}?api-version=2022-04-01`,
    },
    resourceProvider: operationName.split('/')[0],
    resourceUri,
    operationName,
    status: 'Succeeded',
    subscriptionId,
    tenantId: '00000000-0000-4000-8000-00000000aaaa',
  };
}

function eventGridEvent(
  id: string,
  eventType: string,
  operationName: string,
  subject: string,
  method: string,
): Record<string, unknown> {
  const subscriptionId = subject.split('/')[2];
  return {
    id,
    subject,
    eventType,
    eventTime: now.toISOString(),
    topic: `/subscriptions/${subscriptionId}`,
    dataVersion: '2',
    metadataVersion: '1',
    data: armEventData(operationName, subject, method, subscriptionId),
  };
}

function cloudEvent(
  id: string,
  type: string,
  operationName: string,
  subject: string,
  method: string,
): Record<string, unknown> {
  const subscriptionId = subject.split('/')[2];
  return {
    id,
    source: `/subscriptions/${subscriptionId}`,
    subject,
    type,
    time: now.toISOString(),
    specversion: '1.0',
    data: armEventData(operationName, subject, method, subscriptionId),
  };
}

const ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';
const ADMIN_CREDENTIAL =
  'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action';

function cardText(card: unknown): string {
  return JSON.stringify(card);
}

const expectedCaller = {
  name: CALLER.upn,
  objectId: CALLER.objectId,
  appId: CALLER.appId,
  ipAddress: CALLER.ip,
};

describe('a live ARM change reaches Teams through the Event Grid webhook', () => {
  let baselineEvaluatedAt: string;
  let newAssignmentId: string;
  const grantEventId = 'e2e00000-0000-4000-8000-000000000001';

  it('the local host is up and healthy against Azurite and the ARM fake', async () => {
    const { status, body } = await getJson('/api/health');
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.source.kind).toBe('azure');
  });

  it('answers the Event Grid subscription validation handshake', async () => {
    const validation = JSON.parse(
      readFileSync(
        join(__dirname, '..', 'fixtures', 'events', 'eventgrid-subscription-validation.json'),
        'utf8',
      ),
    );
    const code = validation[0].data.validationCode;
    const { status, body } = await postEvents(validation, {
      'aeg-event-type': 'SubscriptionValidation',
    });
    expect(status).toBe(200);
    expect(body).toEqual({ validationResponse: code });
  });

  it('the baseline audit records both subscriptions and pages nobody', async () => {
    const report = await runtime.auditNow();
    expect(report.clusters.map((c) => c.id).sort()).toEqual([CLUSTER_ID, DEV_CLUSTER_ID].sort());
    expect(report.clusters.every((c) => (c.regressions ?? []).length === 0)).toBe(true);
    expect(teams.received).toHaveLength(0);
    expect(teams.statuses).toHaveLength(0);

    const { status, body } = await getJson(clusterPath(CLUSTER_ID));
    expect(status).toBe(200);
    baselineEvaluatedAt = body.evaluatedAt;
    expect(body.findings.find((f: any) => f.checkId === 'local-accounts-disabled').status).toBe(
      'fail',
    );
    expect(JSON.stringify(body)).not.toContain(NEW_USER);

    const regressions = await getJson('/api/regressions');
    expect(regressions.body.regressions).toEqual([]);
  });

  it('a new User Contributor at the resource group is evaluated, recorded and paged exactly once', async () => {
    advance(60);
    // The user's change in Azure…
    const assignment = arm.addRoleAssignment({
      scope: `/subscriptions/${SUB_PROD}/resourceGroups/${RG}`,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.contributor,
      principalId: NEW_USER,
      principalType: 'User',
      name: NEW_ASSIGNMENT_NAME,
    });
    newAssignmentId = assignment.id;
    // …and what Event Grid delivers for it (subjects arrive in either case of resourceGroups).
    const event = eventGridEvent(
      grantEventId,
      'Microsoft.Resources.ResourceWriteSuccess',
      ROLE_ASSIGNMENT_WRITE,
      newAssignmentId.replace('/resourceGroups/', '/resourcegroups/'),
      'PUT',
    );

    const { status, body } = await postEvents([event]);
    expect(status).toBe(200);
    expect(body.events).toHaveLength(1);
    const [result] = body.events;
    expect(result).toMatchObject({
      id: grantEventId,
      outcome: 'evaluated',
      operationName: ROLE_ASSIGNMENT_WRITE,
    });
    // Only the cluster under the assignment's scope: not the one in the other subscription.
    expect(result.clusters).toEqual([CLUSTER_ID]);
    const gained = result.regressions.filter((r: any) => r.kind === 'privilege-gained');
    expect(gained).toEqual([
      expect.objectContaining({
        clusterId: CLUSTER_ID,
        kind: 'privilege-gained',
        principalId: NEW_USER,
        severity: 'critical',
      }),
    ]);
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'privileged-role-granted',
        clusterId: CLUSTER_ID,
        caller: expectedCaller,
      }),
    ]);

    // The posture over HTTP: the new principal holds admin-credential through Contributor.
    const posture = await getJson(clusterPath(CLUSTER_ID));
    expect(posture.status).toBe(200);
    expect(posture.body.evaluatedAt > baselineEvaluatedAt).toBe(true);
    const holders = posture.body.findings.flatMap((f: any) => f.principals ?? []);
    const grant = holders.find((p: any) => p.principalId === NEW_USER);
    expect(grant).toMatchObject({ principalType: 'User', roleName: 'Contributor' });
    expect(grant.capabilities).toContain('admin-credential');

    const access = await getJson(`${clusterPath(CLUSTER_ID)}/access`);
    expect(access.body.localAccountsEnabled).toBe(true);
    expect(
      access.body.principals.find((p: any) => p.principalId === NEW_USER).capabilities,
    ).toContain('admin-credential');

    // History, newest first: the event's evaluation with its regression, then the baseline.
    const history = await getJson(`${clusterPath(CLUSTER_ID)}/history`);
    expect(history.status).toBe(200);
    expect(history.body.history).toHaveLength(2);
    const [latest, baseline] = history.body.history;
    expect(latest.evaluatedAt > baseline.evaluatedAt).toBe(true);
    expect(latest.sourceEventId).toBe(grantEventId);
    expect(latest.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'privilege-gained',
          principalId: NEW_USER,
          severity: 'critical',
        }),
      ]),
    );
    expect(baseline.regressions).toEqual([]);

    // Teams: exactly one card, naming the cluster, the principal and who granted it. (The user is
    // also a direct privileged user now — a medium check failure, below ALERT_MIN_SEVERITY=high.)
    await cardsReceived(1);
    const card = cardText(teams.received[0]);
    expect(card).toContain(CLUSTER);
    expect(card).toContain(NEW_USER);
    expect(card).toContain(CALLER.upn);

    // The regressions API shows it delivered to Teams.
    const regressions = await getJson('/api/regressions');
    expect(regressions.status).toBe(200);
    expect(regressions.body.regressions).toEqual([
      expect.objectContaining({
        clusterId: CLUSTER_ID,
        kind: 'privilege-gained',
        principalId: NEW_USER,
        severity: 'critical',
        delivery: expect.objectContaining({
          state: 'sent',
          channels: expect.objectContaining({ teams: 'sent' }),
        }),
      }),
    ]);
  });

  it('the same event delivered again is a duplicate and pages nobody', async () => {
    advance(1);
    const event = eventGridEvent(
      grantEventId,
      'Microsoft.Resources.ResourceWriteSuccess',
      ROLE_ASSIGNMENT_WRITE,
      newAssignmentId,
      'PUT',
    );
    const { status, body } = await postEvents([event]);
    expect(status).toBe(200);
    expect(body.events).toEqual([
      expect.objectContaining({
        id: grantEventId,
        outcome: 'duplicate',
        clusters: [],
        regressions: [],
        signals: [],
      }),
    ]);
    expect(teams.received).toHaveLength(1);
    const history = await getJson(`${clusterPath(CLUSTER_ID)}/history`);
    expect(history.body.history).toHaveLength(2);
  });

  it('a fetch of the cluster-admin kubeconfig pages at critical with who and from where', async () => {
    advance(5);
    const id = 'e2e00000-0000-4000-8000-000000000002';
    const event = eventGridEvent(
      id,
      'Microsoft.Resources.ResourceActionSuccess',
      ADMIN_CREDENTIAL,
      CLUSTER_ID,
      'POST',
    );
    const { status, body } = await postEvents([event]);
    expect(status).toBe(200);
    const [result] = body.events;
    expect(result).toMatchObject({
      id,
      outcome: 'evaluated',
      operationName: ADMIN_CREDENTIAL,
      clusters: [CLUSTER_ID],
      regressions: [],
    });
    expect(result.signals).toEqual([
      expect.objectContaining({
        signal: 'admin-credential-retrieved',
        clusterId: CLUSTER_ID,
        caller: expectedCaller,
        localAccountsEnabled: true,
      }),
    ]);

    await cardsReceived(2);
    const card = cardText(teams.received[1]);
    expect(card).toContain(CLUSTER);
    expect(card).toContain(CALLER.upn);
    expect(card).toContain(CALLER.ip);
    expect(card.toLowerCase()).toContain('critical');

    const regressions = await getJson('/api/regressions');
    const fetched = regressions.body.regressions.filter(
      (r: any) => r.kind === 'admin-credential-retrieved',
    );
    expect(fetched).toEqual([
      expect.objectContaining({
        clusterId: CLUSTER_ID,
        severity: 'critical',
        delivery: expect.objectContaining({ state: 'sent' }),
      }),
    ]);
  });

  it('a CloudEvents 1.0 delivery goes through the same webhook after the OPTIONS handshake', async () => {
    const handshake = await fetch(`${host.url}${WEBHOOK}`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
    await handshake.arrayBuffer();

    advance(5);
    const assignment = arm.addRoleAssignment({
      scope: CLUSTER_ID,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: SECOND_USER,
      principalType: 'User',
      name: SECOND_ASSIGNMENT_NAME,
    });
    const id = 'e2e00000-0000-4000-8000-000000000003';
    const event = cloudEvent(
      id,
      'Microsoft.Resources.ResourceWriteSuccess',
      ROLE_ASSIGNMENT_WRITE,
      assignment.id,
      'PUT',
    );
    const { status, body } = await postEvents([event], {
      'content-type': 'application/cloudevents-batch+json; charset=utf-8',
    });
    expect(status).toBe(200);
    const [result] = body.events;
    expect(result).toMatchObject({ id, outcome: 'evaluated', clusters: [CLUSTER_ID] });
    expect(result.regressions).toEqual([
      expect.objectContaining({ kind: 'privilege-gained', principalId: SECOND_USER }),
    ]);
    expect(result.signals).toEqual([
      expect.objectContaining({ signal: 'privileged-role-granted', caller: expectedCaller }),
    ]);

    await cardsReceived(3);
    expect(cardText(teams.received[2])).toContain(SECOND_USER);
  });

  it('refuses an event aimed at a subscription it does not watch, and pages nobody', async () => {
    const id = 'e2e00000-0000-4000-8000-000000000004';
    const foreign = `/subscriptions/${SUB_FOREIGN}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${CLUSTER}`;
    const { status, body } = await postEvents([
      eventGridEvent(
        id,
        'Microsoft.Resources.ResourceActionSuccess',
        ADMIN_CREDENTIAL,
        foreign,
        'POST',
      ),
    ]);
    expect(status).toBe(200);
    expect(body.events).toEqual([
      expect.objectContaining({ id, outcome: 'rejected', clusters: [] }),
    ]);
    expect(teams.received).toHaveLength(3);
  });

  it('an ARM outage answers 503 so Event Grid redelivers; the redelivery pages the grant once, the fetch page went out at once', async () => {
    advance(5);
    const assignment = arm.addRoleAssignment({
      scope: CLUSTER_ID,
      roleDefinitionId: BUILTIN_ROLE_GUIDS.owner,
      principalId: OUTAGE_USER,
      principalType: 'User',
      name: OUTAGE_ASSIGNMENT_NAME,
    });
    // Role assignments of the subscription cannot be listed, whatever the retries (Retry-After 0
    // makes the SDK's retries immediate).
    const outage = arm.fault({
      match: new RegExp(
        `/subscriptions/${SUB_PROD}/providers/Microsoft\\.Authorization/roleAssignments(\\?|$)`,
        'i',
      ),
      status: 503,
      retryAfterSeconds: 0,
    });
    const fetchId = 'e2e00000-0000-4000-8000-000000000005';
    const grantId = 'e2e00000-0000-4000-8000-000000000006';
    const batch = [
      eventGridEvent(
        fetchId,
        'Microsoft.Resources.ResourceActionSuccess',
        ADMIN_CREDENTIAL,
        CLUSTER_ID,
        'POST',
      ),
      eventGridEvent(
        grantId,
        'Microsoft.Resources.ResourceWriteSuccess',
        ROLE_ASSIGNMENT_WRITE,
        assignment.id,
        'PUT',
      ),
    ];

    const during = await postEvents(batch);
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe('DependencyUnavailable');
    expect(outage.hits).toBeGreaterThan(0);
    // The fetch pages now, not when the outage ends; the grant is not known yet.
    await cardsReceived(4);
    expect(cardText(teams.received[3])).toContain(CALLER.ip);
    expect(cardText(teams.received[3])).not.toContain(OUTAGE_USER);

    // ARM recovers; Event Grid redelivers the same batch.
    outage.remove();
    advance(1);
    const after = await postEvents(batch);
    expect(after.status).toBe(200);
    expect(after.body.events.map((e: any) => [e.id, e.outcome])).toEqual([
      [fetchId, 'evaluated'],
      [grantId, 'evaluated'],
    ]);
    expect(after.body.events[1].regressions).toEqual([
      expect.objectContaining({ kind: 'privilege-gained', principalId: OUTAGE_USER }),
    ]);
    // One card for the grant; none again for the fetch.
    await cardsReceived(5);
    expect(cardText(teams.received[4])).toContain(OUTAGE_USER);
  });

  it('never sent the webhook signature or the ARM token anywhere it could be seen', () => {
    const logs = logLines.join('\n');
    expect(logs).not.toContain(teams.signature);
    expect(logs).not.toContain(STATIC_TEST_TOKEN);
    for (const card of teams.received) expect(cardText(card)).not.toContain(teams.signature);
  });
});
