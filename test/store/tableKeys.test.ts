import {
  alertRowKey,
  chunkProperty,
  clusterPartitionKey,
  decodeClusterPartitionKey,
  decodeCursor,
  decodeKeyPart,
  decodePayload,
  encodeCursor,
  encodeKeyPart,
  encodePayload,
  eventPartitionKey,
  historyKeyPrefix,
  historyRowKey,
  historyTimeOf,
  isValidKey,
  joinChunks,
  layoutPayload,
  MAX_KEY_LENGTH,
  splitString,
} from '../../src/adapters/tableKeys';

const ODD_IDS = [
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod',
  "/subscriptions/x/resourceGroups/O'Brien (prod)/providers/Microsoft.ContainerService/managedClusters/a#b?c",
  '/subscriptions/x/resourceGroups/rg-ünïcødé-日本/providers/Microsoft.ContainerService/managedClusters/aks\\back',
  '/subscriptions/x/resourceGroups/rg\u0001ctl/providers/p/managedClusters/emoji-😀',
];

describe('key encoding', () => {
  it.each(ODD_IDS)('round-trips and yields a valid key: %s', (id) => {
    const key = clusterPartitionKey(id);
    expect(isValidKey(key)).toBe(true);
    expect(decodeClusterPartitionKey(key)).toBe(id.toLowerCase());
    expect(decodeKeyPart(encodeKeyPart(id))).toBe(id);
  });

  it('maps resourcegroups/resourceGroups and a trailing slash to one partition', () => {
    const id = ODD_IDS[0];
    expect(clusterPartitionKey(id.replace('resourceGroups', 'resourcegroups'))).toBe(
      clusterPartitionKey(id),
    );
    expect(clusterPartitionKey(`${id}/`)).toBe(clusterPartitionKey(id));
  });

  it('never maps two different ids to one key', () => {
    const keys = new Set(ODD_IDS.map(clusterPartitionKey));
    expect(keys.size).toBe(ODD_IDS.length);
  });

  it('uses a digest for ids too long for a key, still valid and distinct', () => {
    const long = `/subscriptions/x/resourceGroups/${'r'.repeat(600)}/providers/p/managedClusters/a`;
    const key = clusterPartitionKey(long);
    expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
    expect(isValidKey(key)).toBe(true);
    expect(key.startsWith('.')).toBe(true);
    expect(decodeClusterPartitionKey(key)).toBeUndefined();
    expect(clusterPartitionKey(`${long}b`)).not.toBe(key);
    const alert = alertRowKey(`${long}|admin-credential-access|someone`);
    expect(alert.startsWith('alert-.')).toBe(true);
    expect(alert < 'alert.').toBe(true);
  });

  it('refuses to decode what is not an encoding', () => {
    expect(decodeKeyPart('a/b')).toBeUndefined();
    expect(decodeKeyPart('.abc')).toBeUndefined();
  });

  it('alert row keys sort inside the alert range', () => {
    const key = alertRowKey('/subscriptions/x|check|principal');
    expect(key >= 'alert-' && key < 'alert.').toBe(true);
  });

  it('event partitions are UTC days', () => {
    expect(eventPartitionKey(new Date('2026-11-22T23:59:59.999Z'))).toBe('20261122');
  });
});

describe('history row keys', () => {
  it('sort newest first', () => {
    const times = [
      '2020-01-01T00:00:00.000Z',
      '2026-11-22T02:00:00.000Z',
      '2026-11-22T02:00:00.001Z',
      '1970-01-01T00:00:00.000Z',
    ].map((t) => new Date(t));
    const keys = times.map((t) => historyRowKey(t));
    const sorted = [...keys].sort();
    expect(sorted.map((k) => historyTimeOf(k)!.toISOString())).toEqual([
      '2026-11-22T02:00:00.001Z',
      '2026-11-22T02:00:00.000Z',
      '2020-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    ]);
    expect(keys.every((k) => isValidKey(k) && k >= 'history-' && k < 'history.')).toBe(true);
  });

  it('two rows in the same millisecond get different keys', () => {
    const at = new Date('2026-11-22T02:00:00.000Z');
    expect(historyRowKey(at)).not.toBe(historyRowKey(at));
    expect(historyKeyPrefix(at) < historyRowKey(at)).toBe(true);
  });

  it('refuses an invalid date', () => {
    expect(() => historyRowKey(new Date('nope'))).toThrow(RangeError);
  });
});

describe('chunking', () => {
  it('splits and joins exactly, any length', () => {
    for (const length of [0, 1, 29_999, 30_000, 30_001, 95_000]) {
      const value = 'x'.repeat(length);
      const props = chunkProperty('findings', value);
      expect(props.findings_count).toBe(Math.ceil(length / 30_000));
      expect(joinChunks(props, 'findings')).toBe(value);
    }
  });

  it('never splits a surrogate pair', () => {
    const value = `${'a'.repeat(9)}😀${'b'.repeat(5)}😀`;
    const pieces = splitString(value, 10);
    expect(pieces.join('')).toBe(value);
    for (const piece of pieces) expect(() => encodeURIComponent(piece)).not.toThrow();
  });

  it('refuses to join a value with a piece missing (never truncates)', () => {
    const props = chunkProperty('p', 'y'.repeat(70_000));
    delete props.p_1;
    expect(() => joinChunks(props, 'p')).toThrow(/missing piece 1/);
  });

  it('lays a payload out over a main row and part rows', () => {
    const layout = layoutPayload('z'.repeat(30_000 * 30 + 5));
    expect(layout.main).toHaveLength(12);
    expect(layout.parts.map((p) => p.length)).toEqual([15, 4]);
  });

  it('gzip payloads round-trip', () => {
    const json = JSON.stringify({ a: 'é'.repeat(1000) });
    expect(decodePayload(encodePayload(json, 'gzip-base64'), 'gzip-base64')).toBe(json);
    expect(decodePayload(json, 'json')).toBe(json);
    expect(() => decodePayload(json, 'rot13')).toThrow(/unknown/);
  });
});

describe('continuation tokens', () => {
  it('round-trip for their own kind of query only', () => {
    const token = encodeCursor({
      kind: 'postures',
      nextPartitionKey: '1!8!abc',
      nextRowKey: '1!12!cG9zdHVyZQ--',
    });
    expect(decodeCursor(token, 'postures')).toEqual({
      kind: 'postures',
      nextPartitionKey: '1!8!abc',
      nextRowKey: '1!12!cG9zdHVyZQ--',
    });
    expect(decodeCursor(token, 'history:x')).toBeUndefined();
  });

  it.each([
    '',
    'not a token',
    '%%%',
    Buffer.from('not json').toString('base64url'),
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from(JSON.stringify({ k: 'postures' })).toString('base64url'),
    Buffer.from(JSON.stringify({ k: 'postures', p: 'a\nb' })).toString('base64url'),
    Buffer.from(JSON.stringify({ k: 'postures', p: 'ok', r: 42 })).toString('base64url'),
    'A'.repeat(5000),
  ])('rejects %p', (token) => {
    expect(decodeCursor(token, 'postures')).toBeUndefined();
  });
});
