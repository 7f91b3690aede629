/**
 * Not going blind (docs/events.md): dead-lettered events read back from the blob container and
 * processed by the delivery run, counted in /api/health; the last event per watched subscription
 * in /api/health; the nightly digest naming a silent subscription. The real runtime on Azurite
 * (tables, queues and blobs), the Functions handlers called as the host calls them (test mode).
 */
import type { Timer } from '@azure/functions';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { readFileSync } from 'fs';
import { join } from 'path';
import { deliverAlerts } from '../../src/functions/deliverAlerts';
import { health } from '../../src/functions/health';
import { nightlyAudit } from '../../src/functions/nightlyAudit';
import { startAzuriteBlob, type TestAzuriteBlob } from '../helpers/azurite';
import {
  bodyOf,
  httpRequest,
  NONPROD_SUB,
  PROD_SUB,
  SAMPLE_EVENTS,
  startTestRuntime,
  testContext,
  type TestRuntime,
} from '../helpers/runtime';

const CONTAINER = 'eventgrid-deadletter';
let blob: TestAzuriteBlob;
let t: TestRuntime;
let container: ContainerClient;
const printed: string[] = [];

beforeAll(async () => {
  blob = await startAzuriteBlob();
  t = await startTestRuntime({
    blobEndpoint: blob.blobEndpoint,
    settings: { AUDIT_DEAD_LETTER_CONTAINER: CONTAINER },
    runtimeOptions: {
      consoleAlerts: true,
      consoleStream: { write: (c: string) => printed.push(c) },
    },
  });
  await t.runtime.auditNow({ notify: false });
  const connection = `${t.azurite.connectionString}BlobEndpoint=${blob.blobEndpoint};`;
  container = BlobServiceClient.fromConnectionString(connection).getContainerClient(CONTAINER);
});
afterAll(async () => {
  await t?.close();
  await blob?.stop();
});

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

async function healthBody(): Promise<{ status: number; body: Record<string, any> }> {
  const response = await health(httpRequest({ path: 'health' }), testContext('health').context);
  return { status: response.status ?? 200, body: bodyOf(response) };
}

/** The sample admin-credential event (CloudEvents) as Event Grid dead-letters it (Event Grid schema). */
function deadLettered(id: string): Record<string, unknown> {
  const [event] = JSON.parse(
    readFileSync(join(SAMPLE_EVENTS, 'admin-credential.json'), 'utf8'),
  ) as Array<Record<string, any>>;
  return {
    id,
    eventType: event.type,
    subject: event.subject,
    eventTime: event.time,
    topic: event.source,
    data: event.data,
    dataVersion: '2',
    metadataVersion: '1',
    deadLetterReason: 'MaxDeliveryAttemptsExceeded',
    deliveryAttempts: 30,
    lastDeliveryOutcome: 'TimedOut',
    publishTime: event.time,
    lastDeliveryAttemptTime: '2026-11-23T09:52:44.000Z',
  };
}

async function upload(name: string, text: string): Promise<void> {
  await container.createIfNotExists();
  await container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
}

describe('before anything arrived', () => {
  it('health lists every watched subscription with no event yet (not silent: no event was ever received here) and no dead letters', async () => {
    const { status, body } = await healthBody();
    expect(status).toBe(200);
    expect(body.events).toEqual({
      silentAfterHours: 24,
      subscriptions: [
        { subscriptionId: PROD_SUB, lastEventAt: null, silent: false },
        { subscriptionId: NONPROD_SUB, lastEventAt: null, silent: false },
      ],
    });
    // The container does not exist yet (Event Grid creates blobs, not containers).
    expect(body.deadLetters).toMatchObject({ ok: true, configured: true, blobs: 0, pending: 0 });
  });
});

describe('dead letters', () => {
  const ID = 'dead-lettered-admin-fetch-1';

  it('are counted as pending, then processed by the delivery run: the page they carried is written and sent once', async () => {
    await upload('arm-events/auditor/2026/11/23/09/one.json', JSON.stringify([deadLettered(ID)]));
    await upload('arm-events/auditor/2026/11/23/09/broken.json', '{"truncated": ');
    expect((await healthBody()).body.deadLetters).toMatchObject({ blobs: 2, pending: 2 });

    await deliverAlerts(timer, testContext('deliverAlerts').context);

    const pages = (await t.runtime.store.listAlerts({})).filter((a) =>
      a.alert.dedupeKey.endsWith(`|admin-credential-retrieved|${ID}`),
    );
    expect(pages).toHaveLength(1);
    expect(pages[0].state).toBe('sent');
    expect(printed.join('').split(ID).length - 1).toBeGreaterThan(0);

    const { status, body } = await healthBody();
    // The broken one needs a person: counted, and the status says so.
    expect(status).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.deadLetters).toMatchObject({
      ok: false,
      blobs: 2,
      pending: 0,
      processed: 2,
      withErrors: 1,
    });
    const metadata = (
      await container.getBlobClient('arm-events/auditor/2026/11/23/09/broken.json').getProperties()
    ).metadata!;
    expect(decodeURIComponent(metadata.auditorerror)).toMatch(/not JSON/);
  });

  it('a processed blob is not processed again, and its event redelivered is a duplicate', async () => {
    const before = printed.join('');
    expect(await t.runtime.processDeadLetters()).toEqual({
      processed: 0,
      withErrors: 0,
      events: { evaluated: 0, ignored: 0, duplicate: 0, rejected: 0 },
    });
    await upload('arm-events/auditor/2026/11/23/10/again.json', JSON.stringify([deadLettered(ID)]));
    expect(await t.runtime.processDeadLetters()).toMatchObject({
      processed: 1,
      withErrors: 0,
      events: { duplicate: 1 },
    });
    await t.runtime.deliverAlerts();
    expect(printed.join('')).toBe(before);
  });
});

describe('the last event per subscription', () => {
  it('health shows when the production subscription last sent an event; the other is now silent', async () => {
    const { body } = await healthBody();
    const [prod, nonprod] = body.events.subscriptions as Array<Record<string, unknown>>;
    expect(prod).toMatchObject({ subscriptionId: PROD_SUB, silent: false });
    expect(Date.now() - Date.parse(String(prod.lastEventAt))).toBeLessThan(5 * 60_000);
    // Events do arrive here, so one subscription that never sent any is silent.
    expect(nonprod).toEqual({ subscriptionId: NONPROD_SUB, lastEventAt: null, silent: true });
  });

  it('the nightly digest names the silent subscription, once per night', async () => {
    printed.length = 0;
    await nightlyAudit(timer, testContext('nightlyAudit').context);
    const digest = printed.join('');
    expect(digest).toContain(`No ARM event from subscription ${NONPROD_SUB} for 24 hours`);
    expect(digest).not.toContain(`No ARM event from subscription ${PROD_SUB}`);
    const rows = (await t.runtime.store.listAlerts({})).filter(
      (a) => a.alert.kind === 'event-subscription-silent',
    );
    expect(rows.map((r) => [r.alert.subscriptionId, r.state])).toEqual([[NONPROD_SUB, 'sent']]);

    printed.length = 0;
    await nightlyAudit(timer, testContext('nightlyAudit').context);
    expect(printed.join('')).not.toContain('No ARM event from subscription');
  });
});
