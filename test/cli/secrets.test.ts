/**
 * CLI stderr never shows a secret from a setting: a storage SAS the SDK echoes in its error
 * (connection string or identity endpoint URL) comes out with the signature redacted, with and
 * without DEBUG's stack trace.
 */
import { run } from './harness';

const SIGNATURE = 'c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ%3D%3D';

it.each([
  [
    'a connection string SAS',
    {
      AUDIT_STORAGE: `TableEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;SharedAccessSignature=sv=2022-11-02&ss=tq&sp=rwdlacu&sig=${SIGNATURE}`,
    },
  ],
  [
    'a SAS in the table endpoint URL',
    {
      AUDIT_STORAGE__tableServiceUri: `http://127.0.0.1:9/devstoreaccount1?sv=2022-11-02&sig=${SIGNATURE}`,
    },
  ],
])('audit --store with %s: one redacted error line, exit 2', async (_name, settings) => {
  for (const debug of [undefined, '1']) {
    const { code, stderr } = await run(['audit', '--store'], {
      env: { ...settings, DEBUG: debug },
    });
    expect(code).toBe(2);
    expect(stderr.text).not.toContain(SIGNATURE);
    expect(stderr.lines.some((line) => line.startsWith('aks-identity-auditor: '))).toBe(true);
  }
});

it('the SDK message that used to carry the signature is shown, redacted', async () => {
  const { stderr } = await run(['audit', '--store'], {
    env: {
      AUDIT_STORAGE: `TableEndpoint=http://127.0.0.1:9/devstoreaccount1;SharedAccessSignature=sv=2022-11-02&sig=${SIGNATURE}`,
    },
  });
  expect(stderr.text).toMatch(/sig=\[redacted\]/);
});
