/**
 * The blob container Event Grid dead-letters undeliverable events to (docs/events.md "Not going
 * blind"; the deployment names it `AUDIT_DEAD_LETTER_CONTAINER`). Blobs are never deleted here
 * (the storage lifecycle policy expires them): a processed blob carries the time it was
 * processed, and the reason when it could not be, in its metadata.
 */
import type { TokenCredential } from '@azure/core-auth';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { DependencyError } from '../core/errors';
import type { DeadLetterBlob, DeadLetterBox } from '../core/ports';
import { messageOf } from './tables/common';

export type BlobConnection =
  { connectionString: string } | { blobServiceUri: string; credential: TokenCredential };

/** Metadata names: lower-case letters only (valid C# identifiers, as blob metadata requires). */
const PROCESSED_AT = 'auditorprocessedat';
const ERROR = 'auditorerror';
/** Metadata values are HTTP header values: kept short and printable. */
const MAX_ERROR_CHARS = 500;

export class BlobDeadLetterBox implements DeadLetterBox {
  readonly description: string;

  private constructor(private readonly container: ContainerClient) {
    this.description = `blob container ${container.containerName} at ${new URL(container.url).host}`;
  }

  static create(connection: BlobConnection, containerName: string): BlobDeadLetterBox {
    const service =
      'connectionString' in connection
        ? BlobServiceClient.fromConnectionString(connection.connectionString)
        : new BlobServiceClient(connection.blobServiceUri, connection.credential);
    return new BlobDeadLetterBox(service.getContainerClient(containerName));
  }

  /** Every blob (none when the container does not exist yet: Event Grid creates no container). */
  async list(): Promise<DeadLetterBlob[]> {
    const blobs: DeadLetterBlob[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ includeMetadata: true })) {
        const entry: DeadLetterBlob = { name: blob.name };
        const processedAt = blob.metadata?.[PROCESSED_AT];
        if (processedAt) entry.processedAt = processedAt;
        const error = blob.metadata?.[ERROR];
        if (error) entry.error = decodeURIComponent(error);
        blobs.push(entry);
      }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return [];
      throw unavailable(error);
    }
    return blobs;
  }

  async read(name: string): Promise<string> {
    try {
      return (await this.container.getBlobClient(name).downloadToBuffer()).toString('utf8');
    } catch (error) {
      throw unavailable(error);
    }
  }

  async markProcessed(name: string, at: Date, error?: string): Promise<void> {
    const blob = this.container.getBlobClient(name);
    try {
      const { metadata } = await blob.getProperties();
      await blob.setMetadata({
        ...metadata,
        [PROCESSED_AT]: at.toISOString(),
        ...(error ? { [ERROR]: encodeURIComponent(error.slice(0, MAX_ERROR_CHARS)) } : {}),
      });
    } catch (e) {
      throw unavailable(e);
    }
  }
}

function unavailable(error: unknown): DependencyError {
  return new DependencyError(
    `the dead-letter container is unavailable: ${messageOf(error)}`,
    'storage',
  );
}
