/**
 * Sending is the local host's own loop (docs/architecture.md "Persistence and alerting"): the
 * Event Grid webhook answers once the outbox rows are stored, whatever Teams does, and a pending
 * alert is attempted when it is due — with or without further traffic. Real runtime on Azurite,
 * the sample estate, the Teams Workflows fake over HTTPS, real HTTP to the host.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { startLocalHost, type LocalHost } from '../../src/host/localHost';
import { startTeamsWebhookFake, type TeamsWebhookFake } from '../fakes/teamsWebhook';
import { testCertificate } from '../fakes/tls';
import { SteppedClock } from '../helpers/clock';
import { SAMPLE_EVENTS, startTestRuntime, type TestRuntime } from '../helpers/runtime';

let teams: TeamsWebhookFake;
let t: TestRuntime;
let host: LocalHost;
const clock = new SteppedClock(Date.parse('2026-11-22T10:00:00.000Z'));

beforeAll(async () => {
  teams = await startTeamsWebhookFake();
  t = await startTestRuntime({
    settings: { ALERT_TEAMS_WEBHOOK_URL: teams.url, ALERT_MIN_SEVERITY: 'high' },
    runtimeOptions: { clock, agent: testCertificate().agent },
  });
  await t.runtime.auditNow({ notify: false });
  host = await startLocalHost({
    runtime: t.runtime,
    port: 0,
    log: () => undefined,
    deliveryIntervalMs: 50,
  });
});
afterAll(async () => {
  teams?.reset();
  await host?.close();
  await t?.close();
  await teams?.stop();
});

function sampleEvent(name: string, id: string): unknown[] {
  const [event] = JSON.parse(readFileSync(join(SAMPLE_EVENTS, name), 'utf8')) as Array<
    Record<string, unknown>
  >;
  return [{ ...event, id }];
}

async function post(events: unknown[]): Promise<{ status: number; body: any }> {
  const response = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=armEvents`, {
    method: 'POST',
    headers: {
      'content-type': 'application/cloudevents-batch+json',
      'aeg-event-type': 'Notification',
    },
    body: JSON.stringify(events),
  });
  return { status: response.status, body: await response.json() };
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 25));
}

const pagesOf = async (id: string) =>
  (await t.runtime.store.listAlerts({})).filter((a) =>
    a.alert.dedupeKey.endsWith(id.toLowerCase()),
  );

describe('the delivery loop of the local host', () => {
  it('the webhook answers while Teams hangs: the page is stored pending, and delivered once Teams answers again', async () => {
    teams.hang();
    const id = 'deliv000-0000-4000-8000-000000000001';
    const { status, body } = await post(sampleEvent('admin-credential.json', id));
    expect(status).toBe(200);
    expect(body.events).toEqual([expect.objectContaining({ id, outcome: 'evaluated' })]);
    // Answered with the page stored and not yet delivered: no attempt has been recorded.
    const [stored] = await pagesOf(id);
    expect(stored).toMatchObject({ state: 'pending', attempts: 0 });
    await until(() => teams.hanging > 0);
    expect(teams.hanging).toBe(1);

    // Teams comes back (the hanging call is cut): the loop's call goes through.
    teams.reset();
    await until(async () => (await pagesOf(id))[0]?.state === 'sent');
    expect(teams.received).toHaveLength(1);
    expect((await pagesOf(id))[0]).toMatchObject({ state: 'sent', channels: { teams: 'sent' } });
  });

  it('a page that failed once is retried when due with no further event', async () => {
    teams.received.length = 0;
    // Refused once (a final answer: the channel does not retry it itself).
    teams.script([{ status: 403 }]);
    const id = 'deliv000-0000-4000-8000-000000000002';
    expect((await post(sampleEvent('admin-credential.json', id))).status).toBe(200);
    await until(async () => (await pagesOf(id))[0]?.attempts === 1);
    expect((await pagesOf(id))[0]).toMatchObject({ state: 'pending', attempts: 1 });
    expect(teams.received).toHaveLength(0);
    clock.advance(61_000);
    await until(async () => (await pagesOf(id))[0]?.state === 'sent');
    expect(teams.received).toHaveLength(1);
    expect((await pagesOf(id))[0]).toMatchObject({ state: 'sent', attempts: 2 });
  });
});
