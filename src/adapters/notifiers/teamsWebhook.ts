/**
 * Microsoft Teams through a Workflows webhook ("When a Teams webhook request is received"): one
 * POST of a `message` whose only attachment is the Adaptive Card.
 *
 * The webhook URL carries its own signature (`sig=` in the query): it is a secret. Nothing here
 * logs it or puts it in an error; errors name the host only.
 *
 * 429 and 5xx (and network failures) are retried a bounded number of times, waiting what
 * `Retry-After` asks (seconds or an HTTP date), capped; other 4xx are final at once: the same
 * card would be refused again.
 */
import { request as httpsRequest, type Agent } from 'https';
import { renderAdaptiveCard, teamsMessage } from '../../core/alertRendering';
import type { Alert } from '../../core/model';
import type { Notifier } from '../../core/ports';
import { redactSecrets } from '../../core/redaction';

export interface TeamsWebhookNotifierOptions {
  webhookUrl: string;
  /** Tests: an agent trusting the local fake's certificate. */
  agent?: Agent;
  /** Attempts per message, the first included. Default 4. */
  maxAttempts?: number;
  /** Longest wait between attempts, whatever Retry-After says. Default 60 s. */
  maxRetryWaitMs?: number;
  /** First back-off when the answer has no Retry-After (doubles each time). Default 2 s. */
  baseRetryWaitMs?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Injectable for tests, so no real waiting happens. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: the "now" an HTTP-date Retry-After is measured from. */
  now?: () => Date;
}

interface Answer {
  status: number;
  statusText: string;
  retryAfter?: string;
  body: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The host of a URL, for logs and errors; never the path or query (they hold the signature). */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host || 'an invalid URL';
  } catch {
    return 'an invalid URL';
  }
}

/**
 * Milliseconds to wait per a Retry-After value (delay-seconds or HTTP-date), or undefined when
 * absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

export class TeamsWebhookNotifier implements Notifier {
  readonly channel = 'teams' as const;
  private readonly url: URL;
  private readonly host: string;
  private readonly maxAttempts: number;
  private readonly maxRetryWaitMs: number;
  private readonly baseRetryWaitMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly options: TeamsWebhookNotifierOptions) {
    this.host = webhookHost(options.webhookUrl);
    let url: URL;
    try {
      url = new URL(options.webhookUrl);
    } catch {
      throw new Error(
        'teams: the webhook URL is not a valid URL (value not shown: it is a secret)',
      );
    }
    // The signature in the query must not travel in clear text.
    if (url.protocol !== 'https:')
      throw new Error(`teams: the webhook URL for host ${this.host} must use https`);
    this.url = url;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    this.baseRetryWaitMs = options.baseRetryWaitMs ?? 2_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? (() => new Date());
  }

  async send(alerts: Alert[], options: { digest: boolean; signal?: AbortSignal }): Promise<void> {
    if (alerts.length === 0) return;
    const batches = options.digest ? [alerts] : alerts.map((a) => [a]);
    for (const batch of batches)
      await this.post(JSON.stringify(teamsMessage(renderAdaptiveCard(batch))), options.signal);
  }

  private async post(body: string, signal: AbortSignal | undefined): Promise<void> {
    let lastProblem = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      // Aborted (the delivery run's timeout): no further request, not even after a wait.
      if (signal?.aborted)
        throw new Error(
          `teams: the webhook at host ${this.host} ${lastProblem || 'was not answered'}; aborted`,
        );
      let waitMs: number;
      try {
        const answer = await this.request(body, signal);
        if (answer.status >= 200 && answer.status < 300) return;
        lastProblem = `answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}${this.bodyHint(answer.body)}`;
        const retryable = answer.status === 429 || answer.status >= 500;
        if (!retryable) {
          throw new FinalTeamsError(
            `teams: the webhook at host ${this.host} ${lastProblem}; not retried`,
          );
        }
        const backoff = this.baseRetryWaitMs * 2 ** (attempt - 1);
        waitMs = parseRetryAfter(answer.retryAfter, this.now()) ?? backoff;
      } catch (error) {
        if (error instanceof FinalTeamsError) throw new Error(error.message);
        lastProblem = `could not be reached (${this.describeNetworkError(error)})`;
        waitMs = this.baseRetryWaitMs * 2 ** (attempt - 1);
      }
      if (attempt < this.maxAttempts) await this.sleep(Math.min(waitMs, this.maxRetryWaitMs));
    }
    throw new Error(
      `teams: the webhook at host ${this.host} ${lastProblem} after ${this.maxAttempts} attempt${this.maxAttempts === 1 ? '' : 's'}`,
    );
  }

  private request(body: string, signal: AbortSignal | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const req = httpsRequest(
        this.url,
        {
          method: 'POST',
          agent: this.options.agent,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          },
          timeout: this.timeoutMs,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            // Only the start of an error body is ever shown; do not buffer a huge one.
            if (size < 4096) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              retryAfter: headerValue(res.headers['retry-after']),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A short, single-line hint from an error body, with anything URL-like about the webhook removed. */
  private bodyHint(body: string): string {
    const redacted = this.redact(body).replace(/\s+/g, ' ').trim();
    return redacted ? `: ${redacted.slice(0, 200)}` : '';
  }

  private describeNetworkError(error: unknown): string {
    const e = error as NodeJS.ErrnoException;
    return this.redact(e?.code ? `${e.code}` : (e?.message ?? String(error))).slice(0, 200);
  }

  private redact(text: string): string {
    let out = text.split(this.options.webhookUrl).join('[webhook URL]');
    const pathAndQuery = `${this.url.pathname}${this.url.search}`;
    if (pathAndQuery.length > 1) out = out.split(pathAndQuery).join('[webhook path]');
    // Then every other form (`\u0026sig=`, `&amp;sig=`, percent-encoded) of the signature.
    return redactSecrets(out);
  }
}

class FinalTeamsError extends Error {}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
