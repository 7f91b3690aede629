/**
 * A local HTTPS stand-in for a Teams Workflows webhook ("When a Teams webhook request is
 * received"). Its URL looks like the real one, with a random `sig` in the query; a request to
 * another path or with another signature is refused like the service does. The body must be a
 * `message` with exactly one attachment of contentType `application/vnd.microsoft.card.adaptive`
 * whose content is an `AdaptiveCard` with a `body` array (400 otherwise). Accepted cards are
 * recorded. Responses can be scripted (e.g. 429 with Retry-After, then 202; or 503 forever).
 */
import { randomBytes } from 'crypto';
import type { IncomingMessage, ServerResponse } from 'http';
import { createServer } from 'https';
import type { AddressInfo } from 'net';
import { testCertificate } from './tls';

export interface ScriptedResponse {
  status: number;
  /** Sent verbatim as the Retry-After header (seconds or an HTTP date). */
  retryAfter?: string;
  body?: string;
}

export interface TeamsWebhookFake {
  /** The full webhook URL, signature included: a secret in real life. */
  url: string;
  host: string;
  /** The signature part of the URL, so tests can assert it never leaks. */
  signature: string;
  /** Adaptive Cards (the attachment `content`) of accepted posts, in order. */
  received: any[];
  /** Every request's status, in order. */
  statuses: number[];
  /** Answer the next requests with these, in order, then go back to 202. */
  script(responses: ScriptedResponse[]): void;
  /** Answer every request with this until `reset()`. */
  always(response: ScriptedResponse): void;
  /** Never answer (the service hanging) until `reset()`; `hanging` counts the requests left open. */
  hang(): void;
  hanging: number;
  reset(): void;
  stop(): Promise<void>;
}

const WORKFLOW_PATH = '/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke';

export async function startTeamsWebhookFake(): Promise<TeamsWebhookFake> {
  const { key, cert } = testCertificate();
  const signature = randomBytes(24).toString('base64url');
  const received: any[] = [];
  const statuses: number[] = [];
  let scripted: ScriptedResponse[] = [];
  let forever: ScriptedResponse | undefined;
  let hangs = false;
  const held: ServerResponse[] = [];

  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });

  function answer(res: ServerResponse, response: ScriptedResponse) {
    statuses.push(response.status);
    const body = response.body ?? '';
    res.writeHead(response.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(response.retryAfter !== undefined ? { 'retry-after': response.retryAfter } : {}),
    });
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse, text: string) {
    const url = new URL(req.url ?? '/', 'https://fake');
    if (req.method !== 'POST' || url.pathname !== WORKFLOW_PATH) {
      return answer(res, {
        status: 404,
        body: JSON.stringify({
          error: { code: 'TriggerNotFound', message: 'No such workflow trigger.' },
        }),
      });
    }
    if (url.searchParams.get('sig') !== signature) {
      return answer(res, {
        status: 401,
        body: JSON.stringify({
          error: {
            code: 'DirectApiAuthorizationRequired',
            message: 'The request must be authenticated.',
          },
        }),
      });
    }
    const problem = validatePayload(text);
    if (problem)
      return answer(res, {
        status: 400,
        body: JSON.stringify({ error: { code: 'InvalidRequestContent', message: problem } }),
      });
    if (hangs) {
      held.push(res);
      return;
    }
    const response = scripted.shift() ?? forever ?? { status: 202 };
    if (response.status >= 200 && response.status < 300)
      received.push(JSON.parse(text).attachments[0].content);
    answer(res, response);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `https://${host}${WORKFLOW_PATH}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${signature}`,
    host,
    signature,
    received,
    statuses,
    script(responses) {
      scripted = [...responses];
    },
    always(response) {
      forever = response;
    },
    hang() {
      hangs = true;
    },
    get hanging() {
      return held.filter((res) => !res.destroyed && !res.writableEnded).length;
    },
    reset() {
      scripted = [];
      forever = undefined;
      hangs = false;
      for (const res of held.splice(0)) res.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Workflows trigger's expectations of the body, or the reason it is refused. */
function validatePayload(text: string): string | undefined {
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    return 'body is not JSON';
  }
  if (json?.type !== 'message') return "type must be 'message'";
  if (!Array.isArray(json.attachments) || json.attachments.length !== 1)
    return 'exactly one attachment expected';
  const [attachment] = json.attachments;
  if (attachment?.contentType !== 'application/vnd.microsoft.card.adaptive')
    return 'attachment contentType must be application/vnd.microsoft.card.adaptive';
  const card = attachment.content;
  if (card?.type !== 'AdaptiveCard') return "attachment content type must be 'AdaptiveCard'";
  if (typeof card.version !== 'string') return 'AdaptiveCard version missing';
  if (!Array.isArray(card.body)) return 'AdaptiveCard body must be an array';
  return undefined;
}
