/**
 * Secrets in settings never reach the Functions log or an HTTP answer: a storage SAS whose
 * requests fail (here: an http endpoint the SDK refuses to send a SAS to, and one nobody listens
 * on) is logged with its signature redacted, through the real runtime built from app settings.
 */
import { listClusters } from '../../src/functions/listClusters';
import { health } from '../../src/functions/health';
import { redactingErrors } from '../../src/functions/registry';
import { setRuntime } from '../../src/runtime';
import { bodyOf, httpRequest, testContext } from '../helpers/runtime';

const SIGNATURE = 'c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ%3D%3D';
const SAS_CONNECTION = `TableEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;SharedAccessSignature=sv=2022-11-02&ss=tq&srt=sco&sp=rwdlacu&se=2030-01-01T00:00:00Z&sig=${SIGNATURE}`;

const saved = { ...process.env };

beforeEach(() => {
  setRuntime(undefined);
  for (const name of Object.keys(process.env))
    if (name.startsWith('AUDIT_')) delete process.env[name];
  process.env.AUDIT_STORAGE = SAS_CONNECTION;
});
afterEach(() => {
  process.env = { ...saved };
  setRuntime(undefined);
});

it.each([
  ['listClusters', listClusters],
  ['health', health],
])('%s: the log and the answer carry no SAS signature', async (name, handler) => {
  const { context, logs } = testContext(name);
  const response = await handler(httpRequest({ path: name }), context);
  expect(response.status).toBeGreaterThanOrEqual(500);
  const logged = logs.map((l) => l.message).join('\n');
  // The failure is logged (the SDK's message names the URL it could not reach) …
  expect(logged).toMatch(/sig=\[redacted\]/);
  // … but never the signature, in the log or in the answer.
  expect(logged).not.toContain(SIGNATURE);
  expect(JSON.stringify(bodyOf(response))).not.toContain(SIGNATURE);
});

it('a trigger error is redacted before the Functions host logs it (message and stack)', async () => {
  const handler = redactingErrors(async () => {
    throw new Error(`could not reach https://acct.queue.core.windows.net/q?sv=1&sig=${SIGNATURE}`);
  });
  const error = (await handler().catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(Error);
  expect(error.message).toBe(
    'could not reach https://acct.queue.core.windows.net/q?sv=1&sig=[redacted]',
  );
  expect(error.stack).not.toContain(SIGNATURE);
});
