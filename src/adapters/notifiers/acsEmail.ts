/**
 * Email through Azure Communication Services, with the real `EmailClient`: `beginSend` queues
 * the message (202 + operation-location), `pollUntilDone` waits for `Succeeded`.
 *
 * Two ways in: a connection string (`endpoint=https://…;accesskey=…`, HMAC-signed requests), or
 * an endpoint plus a TokenCredential (managed identity in Azure; no key to rotate or leak). The
 * access key and tokens never appear in errors or logs: errors name the endpoint's host, the
 * HTTP status and the service's error code.
 */
import {
  EmailClient,
  type EmailClientOptions,
  type EmailMessage,
} from '@azure/communication-email';
import type { TokenCredential } from '@azure/core-auth';
import type { Agent } from 'https';
import { renderAlerts } from '../../core/alertRendering';
import type { Alert } from '../../core/model';
import type { Notifier } from '../../core/ports';
import { redactSecrets } from '../../core/redaction';

export type AcsEmailConnection =
  { connectionString: string } | { endpoint: string; credential: TokenCredential };

export interface AcsEmailNotifierOptions {
  connection: AcsEmailConnection;
  /** A sender address of a domain connected to the Communication Services resource. */
  sender: string;
  recipients: string[];
  /** Tests: an agent trusting the local fake's certificate. */
  agent?: Agent;
  /** How often the send operation is polled. Default 2 s (the SDK's default); tests use a few ms. */
  pollIntervalMs?: number;
  /** Give up waiting for `Succeeded` after this long. Default 2 minutes. */
  timeoutMs?: number;
  /** Extra client/pipeline options (retry options, additional policies, …). */
  clientOptions?: EmailClientOptions;
}

/** The endpoint host of either form, for error messages; never the key. */
export function emailEndpointHost(connection: AcsEmailConnection): string {
  const endpoint =
    'connectionString' in connection
      ? /(?:^|;)\s*endpoint\s*=\s*([^;]+)/i.exec(connection.connectionString)?.[1]?.trim()
      : connection.endpoint;
  try {
    return endpoint ? new URL(endpoint).host : 'an unknown endpoint';
  } catch {
    return 'an unknown endpoint';
  }
}

interface RestErrorLike {
  name?: string;
  statusCode?: number;
  code?: string;
  message?: string;
}

export class AcsEmailNotifier implements Notifier {
  readonly channel = 'email' as const;
  private readonly client: EmailClient;
  private readonly host: string;

  constructor(private readonly options: AcsEmailNotifierOptions) {
    if (!options.sender)
      throw new Error('email: no sender address configured (ALERT_EMAIL_SENDER)');
    if (!options.recipients?.length)
      throw new Error('email: no recipient configured (ALERT_EMAIL_TO)');
    this.host = emailEndpointHost(options.connection);
    const clientOptions: EmailClientOptions = {
      ...options.clientOptions,
      ...(options.agent ? { agent: options.agent } : {}),
    };
    try {
      this.client =
        'connectionString' in options.connection
          ? new EmailClient(options.connection.connectionString, clientOptions)
          : new EmailClient(
              options.connection.endpoint,
              options.connection.credential,
              clientOptions,
            );
    } catch {
      // The SDK's parse error may quote the connection string; say what is wrong without it.
      throw new Error(
        'email: the Azure Communication Services connection is invalid (expected endpoint=https://…;accesskey=…; value not shown: it is a secret)',
      );
    }
  }

  async send(alerts: Alert[], options: { digest: boolean; signal?: AbortSignal }): Promise<void> {
    if (alerts.length === 0) return;
    const batches = options.digest ? [alerts] : alerts.map((a) => [a]);
    for (const batch of batches) await this.sendOne(batch, options.signal);
  }

  private async sendOne(alerts: Alert[], signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const rendered = renderAlerts(alerts);
    const message: EmailMessage = {
      senderAddress: this.options.sender,
      recipients: { to: this.options.recipients.map((address) => ({ address })) },
      content: { subject: rendered.subject, plainText: rendered.text, html: rendered.html },
    };
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000);
    // The repeatability id the SDK adds lets the service drop a repeat of an aborted send.
    const abortSignal = signal ? AbortSignal.any([timeout, signal]) : timeout;
    let status: string | undefined;
    let serviceError: { code?: string; message?: string } | undefined;
    try {
      const poller = await this.client.beginSend(message, {
        updateIntervalInMs: this.options.pollIntervalMs ?? 2_000,
        abortSignal,
      });
      const result = await poller.pollUntilDone({ abortSignal });
      status = result.status;
      serviceError = result.error ?? undefined;
    } catch (error) {
      throw new Error(this.describe(error));
    }
    if (status !== 'Succeeded') {
      throw new Error(
        `email: Azure Communication Services at host ${this.host} reported the send as ${status ?? 'unknown'}` +
          (serviceError?.code ? ` (${serviceError.code})` : ''),
      );
    }
  }

  /** One line: host, HTTP status, the service's error code; no key, token or request body. */
  private describe(error: unknown): string {
    const e = (error ?? {}) as RestErrorLike;
    const prefix = `email: Azure Communication Services at host ${this.host}`;
    if (e.name === 'AbortError')
      return `${prefix} did not confirm the send within ${this.options.timeoutMs ?? 120_000} ms`;
    if (typeof e.statusCode === 'number') {
      const meaning =
        e.statusCode === 401 || e.statusCode === 403
          ? "refused the credentials (check the access key, or the managed identity's role on the resource)"
          : e.statusCode === 429
            ? 'throttled the request and the retries ran out'
            : e.statusCode >= 500
              ? 'failed'
              : 'rejected the message';
      return `${prefix} ${meaning}: HTTP ${e.statusCode}${e.code ? ` ${oneLine(e.code)}` : ''}`;
    }
    // Not an HTTP answer: a network error, a token that could not be obtained, or a failed
    // operation reported by the poller. Its first line is enough and carries no secret.
    return `${prefix}: ${this.redact(oneLine(e.message ?? String(error))).slice(0, 300)}`;
  }

  /** Defence in depth: should any message ever echo the access key (or any other secret form), it is cut out. */
  private redact(text: string): string {
    const connection = this.options.connection;
    const key =
      'connectionString' in connection
        ? /(?:^|;)\s*accesskey\s*=\s*([^;]+)/i.exec(connection.connectionString)?.[1]?.trim()
        : undefined;
    return redactSecrets(text, [key]);
  }
}

function oneLine(text: string): string {
  return text.split(/\r?\n/)[0].trim();
}
