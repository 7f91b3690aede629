import { QueueClient } from '@azure/storage-queue';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startEmbeddedAzurite } from '../../src/adapters/embeddedAzurite';
import { TableStore } from '../../src/adapters/tableStore';
import { grant, posture } from './postures';

describe('embedded Azurite on disk', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aia-azurite-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps posture, history, alerts and queue messages across a restart', async () => {
    const first = await startEmbeddedAzurite({ dataDir });
    const p = posture({
      local: 'fail',
      principals: [grant('aaaaaaaa-0000-0000-0000-000000000001', ['admin-credential'])],
    });
    try {
      expect(first.tableEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      expect(first.queueEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      const store = await TableStore.create({
        connectionString: first.connectionString,
        allowInsecureConnection: true,
      });
      await store.recordEvaluation(posture());
      await store.recordEvaluation(p);
      const queue = new QueueClient(first.connectionString, 'audit-subscriptions');
      await queue.createIfNotExists();
      await queue.sendMessage(Buffer.from('{"subscriptionId":"x"}').toString('base64'));
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedAzurite({ dataDir });
    try {
      const store = await TableStore.create({
        connectionString: second.connectionString,
        allowInsecureConnection: true,
      });
      const stored = await store.getPosture(p.id);
      expect(stored).toEqual({ ...p, regressions: expect.any(Array) });
      expect(stored!.regressions).toHaveLength(2);
      expect((await store.getHistory(p.id, {})).items).toHaveLength(2);
      expect(await store.listAlerts({ state: 'pending' })).toHaveLength(2);
      // The restart remembers the regression: the same state again pages nobody.
      expect(
        (await store.recordEvaluation({ ...p, evaluatedAt: '2026-11-23T02:00:00.000Z' })).alerts,
      ).toEqual([]);
      const queue = new QueueClient(second.connectionString, 'audit-subscriptions');
      const received = await queue.receiveMessages({ numberOfMessages: 1 });
      expect(
        received.receivedMessageItems.map((m) => Buffer.from(m.messageText, 'base64').toString()),
      ).toEqual(['{"subscriptionId":"x"}']);
    } finally {
      await second.stop();
    }
  });

  it('stop is idempotent', async () => {
    const azurite = await startEmbeddedAzurite({ inMemory: true });
    await azurite.stop();
    await expect(azurite.stop()).resolves.toBeUndefined();
  });
});
