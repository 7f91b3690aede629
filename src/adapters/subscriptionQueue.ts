/**
 * The fan-out queue over Azure Storage Queues (Azurite locally). Messages are base64-encoded
 * JSON because that is what the Functions queue trigger decodes by default.
 */
import type { TokenCredential } from '@azure/core-auth';
import { QueueClient, QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { subscriptionMessage, type SubscriptionQueue } from '../usecases/fanOut';

export type QueueConnection =
  { connectionString: string } | { queueServiceUri: string; credential: TokenCredential };

export class StorageSubscriptionQueue implements SubscriptionQueue {
  private constructor(private readonly client: QueueClient) {}

  static async create(
    connection: QueueConnection,
    queueName: string,
    options: StoragePipelineOptions = {},
  ): Promise<StorageSubscriptionQueue> {
    const service =
      'connectionString' in connection
        ? QueueServiceClient.fromConnectionString(connection.connectionString, options)
        : new QueueServiceClient(connection.queueServiceUri, connection.credential, options);
    const client = service.getQueueClient(queueName);
    await client.createIfNotExists();
    return new StorageSubscriptionQueue(client);
  }

  async enqueue(subscriptionIds: string[]): Promise<void> {
    for (const subscriptionId of subscriptionIds) {
      await this.client.sendMessage(
        Buffer.from(subscriptionMessage(subscriptionId), 'utf8').toString('base64'),
      );
    }
  }

  /** Read (and delete) up to `max` messages: for the local host's consumer and for tests. */
  async receive(max = 32): Promise<string[]> {
    const response = await this.client.receiveMessages({
      numberOfMessages: Math.min(max, 32),
      visibilityTimeout: 60,
    });
    const bodies: string[] = [];
    for (const message of response.receivedMessageItems) {
      bodies.push(Buffer.from(message.messageText, 'base64').toString('utf8'));
      await this.client.deleteMessage(message.messageId, message.popReceipt);
    }
    return bodies;
  }
}
