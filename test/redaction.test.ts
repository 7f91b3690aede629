import { REDACTED, redactSecrets } from '../src/core/redaction';

/** A made-up signature: shaped like a real one (base64, percent-encoded), valid nowhere. */
const SIG = 'AbCdEf0123456789%2BxYz%2FqQ%3D';
const KEY = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy+/==';

function expectRedacted(text: string, ...secrets: string[]): string {
  const out = redactSecrets(text);
  for (const secret of secrets) expect(out).not.toContain(secret);
  expect(out).toContain(REDACTED);
  return out;
}

describe('SAS signatures', () => {
  it.each([
    [
      'a query parameter after ?',
      `https://acct.table.core.windows.net/Tables?sig=${SIG}&se=2030-01-01`,
    ],
    [
      'a query parameter after &',
      `https://acct.table.core.windows.net/Tables?sv=2022-11-02&sig=${SIG}&se=2030`,
    ],
    [
      'JSON-escaped & (\\u0026)',
      String.raw`{"url":"https://x.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sv=1.0\u0026sig=${SIG}"}`,
    ],
    ['HTML-escaped & (&amp;)', `<a href="https://x.logic.azure.com/invoke?sv=1.0&amp;sig=${SIG}">`],
    [
      'percent-encoded (%26sig%3D)',
      `target=https%3A%2F%2Fx.logic.azure.com%2Finvoke%3Fsv%3D1.0%26sig%3D${SIG}%26sp%3Drun`,
    ],
    [
      'double percent-encoded (%2526sig%253D)',
      `next=https%253A%252F%252Fx%252Finvoke%253Fsv%253D1.0%2526sig%253D${SIG}`,
    ],
    ['upper case', `https://acct.queue.core.windows.net/q?SV=1&SIG=${SIG}`],
    ['a bare token at the start', `sig=${SIG}&sv=2022`],
  ])('%s', (_name, text) => {
    const out = expectRedacted(text, SIG, 'AbCdEf0123456789');
    expect(out).toMatch(/sig(=|%3D|%253D)\[redacted\]/i);
  });

  it('keeps the parameters after the signature', () => {
    expect(redactSecrets(`https://a/b?sv=1&sig=${SIG}&se=2030-01-01`)).toBe(
      `https://a/b?sv=1&sig=${REDACTED}&se=2030-01-01`,
    );
    expect(redactSecrets(`u%3Fsig%3D${SIG}%26sp%3Drun`)).toBe(`u%3Fsig%3D${REDACTED}%26sp%3Drun`);
  });

  it('a connection string SAS goes whole, up to the next ;', () => {
    const text = `TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=t&srt=sco&sp=rwdlacu&se=2030-01-01&sig=${SIG};QueueEndpoint=https://q/`;
    const out = expectRedacted(text, SIG, 'sp=rwdlacu');
    expect(out).toBe(
      `TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=${REDACTED};QueueEndpoint=https://q/`,
    );
  });
});

describe('keys in connection strings', () => {
  it.each([
    [
      'AccountKey',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
    ],
    ['ACS accesskey', `endpoint=https://acs.communication.azure.com/;accesskey=${KEY}`],
    [
      'SharedAccessKey',
      `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${KEY}`,
    ],
    ['Password', `Server=tcp:x;User ID=u;Password=${KEY};`],
    ['with spaces around =', `AccountName=acct; AccountKey = ${KEY} ;`],
  ])('%s', (_name, text) => {
    expectRedacted(text, KEY, KEY.slice(0, 20));
  });

  it('keeps the names that are no secret', () => {
    expect(
      redactSecrets(`AccountName=acct;AccountKey=${KEY};EndpointSuffix=core.windows.net`),
    ).toBe(`AccountName=acct;AccountKey=${REDACTED};EndpointSuffix=core.windows.net`);
    expect(redactSecrets('SharedAccessKeyName=send;')).toBe('SharedAccessKeyName=send;');
  });
});

describe('function keys and bearer tokens', () => {
  it.each([
    ['code= query', `POST http://localhost:7071/api/clusters?code=${KEY}`, KEY],
    [
      'code= after &',
      `https://app.azurewebsites.net/runtime/webhooks/eventgrid?functionName=armEvents&code=${SIG}`,
      SIG,
    ],
    ['x-functions-key header', `headers: { "x-functions-key": "${SIG}" }`, SIG],
    ['x-functions-key: value', `x-functions-key: ${SIG}`, SIG],
    [
      'bearer token',
      'Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl',
      'eyJ0eXAiOiJKV1Qi',
    ],
  ])('%s', (_name, text, secret) => {
    expectRedacted(text, secret);
  });

  it('the word code in prose is left alone', () => {
    expect(redactSecrets('request failed with code=ECONNREFUSED (exit code 2)')).toBe(
      'request failed with code=ECONNREFUSED (exit code 2)',
    );
  });
});

describe('known secrets', () => {
  it('a configured webhook URL is cut out wherever it appears, and its signature too', () => {
    const url = `https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=${SIG}`;
    const escaped = url.replace('&', '\\u0026');
    const out = redactSecrets(`POST ${url} failed: ${escaped}`, [url]);
    expect(out).not.toContain(SIG);
    expect(out).toBe(`POST ${REDACTED} failed: ${escaped.replace(SIG, REDACTED)}`);
  });

  it('short or missing known values change nothing', () => {
    expect(redactSecrets('a b c', ['a', undefined, ''])).toBe('a b c');
  });

  it('text without secrets is returned unchanged', () => {
    const text =
      'Table Storage unreachable: connect ECONNREFUSED 127.0.0.1:10002 (table auditposture)';
    expect(redactSecrets(text)).toBe(text);
  });
});
