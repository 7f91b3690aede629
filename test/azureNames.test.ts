import {
  clusterIdFromSegments,
  describe as describeValue,
  parseClusterStatus,
  parseIsoTime,
  parsePageSize,
  parseSeverity,
  validateClusterName,
  validateResourceGroup,
  validateSubscriptionId,
} from '../src/core/azureNames';
import { InputError } from '../src/core/errors';

const SUB = '11111111-2222-3333-4444-555555555555';

describe('validateSubscriptionId', () => {
  it('accepts a GUID and lower-cases it', () => {
    expect(validateSubscriptionId(SUB.toUpperCase())).toBe(SUB);
  });
  it.each(['', 'not-a-guid', `${SUB}x`, `${SUB}/../x`, "1' or 1 eq 1"])('refuses %p', (value) => {
    expect(() => validateSubscriptionId(value)).toThrow(InputError);
  });
  it('names the parameter in the message', () => {
    expect(() => validateSubscriptionId('x', 'subscriptionId')).toThrow(
      /^subscriptionId must be a subscription GUID, got "x"$/,
    );
  });
});

describe('validateResourceGroup', () => {
  it.each(['rg-prod', 'RG_prod.1', 'rg(prod)', 'ресурсы', 'a'.repeat(90)])(
    'accepts %p',
    (value) => {
      expect(validateResourceGroup(value)).toBe(value);
    },
  );
  it.each(['', 'rg.', 'rg/other', 'rg?x', 'rg#x', "rg'", 'a'.repeat(91), 'rg prod', 'rg\u0000'])(
    'refuses %p',
    (value) => {
      expect(() => validateResourceGroup(value)).toThrow(InputError);
    },
  );
});

describe('validateClusterName', () => {
  it.each(['a', 'aks-prod', 'aks_prod_01', 'A1', 'a'.repeat(63)])('accepts %p', (value) => {
    expect(validateClusterName(value)).toBe(value);
  });
  it.each(['', '-aks', 'aks-', '_aks', 'aks.prod', 'a'.repeat(64), 'aks/x', '..'])(
    'refuses %p',
    (value) => {
      expect(() => validateClusterName(value)).toThrow(InputError);
    },
  );
});

describe('clusterIdFromSegments', () => {
  it('builds the managed cluster id', () => {
    expect(clusterIdFromSegments(SUB, 'rg-prod', 'aks-prod')).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod`,
    );
  });
  it('refuses a traversal attempt in any segment', () => {
    expect(() => clusterIdFromSegments(SUB, '..', 'aks')).toThrow(InputError); // ends in a period
    expect(() => clusterIdFromSegments(SUB, 'rg', '..')).toThrow(InputError);
    expect(() => clusterIdFromSegments('..', 'rg', 'aks')).toThrow(InputError);
  });
});

describe('query value parsers', () => {
  it('parses severities case-insensitively and refuses others', () => {
    expect(parseSeverity('HIGH', 'severity')).toBe('high');
    expect(() => parseSeverity("high' or '1", 'severity')).toThrow(
      /^severity must be one of critical, high, medium, low, info/,
    );
  });
  it('parses cluster statuses', () => {
    expect(parseClusterStatus('Fail', 'status')).toBe('fail');
    expect(() => parseClusterStatus('not-applicable', 'status')).toThrow(InputError);
  });
  it('parses page sizes within bounds', () => {
    expect(parsePageSize('50', 'pageSize')).toBe(50);
    for (const bad of ['0', '1001', '-1', '1e3', '10.5', 'x', '']) {
      expect(() => parsePageSize(bad, 'pageSize')).toThrow(InputError);
    }
  });
  it('parses ISO times and refuses everything else', () => {
    expect(parseIsoTime('2026-11-22T02:00:00Z', 'since').toISOString()).toBe(
      '2026-11-22T02:00:00.000Z',
    );
    expect(parseIsoTime('2026-11-22', 'since').toISOString()).toBe('2026-11-22T00:00:00.000Z');
    for (const bad of ['yesterday', '2026-13-45T00:00:00Z', '1700000000', "2026-11-22' or 1"]) {
      expect(() => parseIsoTime(bad, 'since')).toThrow(InputError);
    }
  });
  it('bounds and quotes values shown in messages', () => {
    expect(describeValue(undefined)).toBe('nothing');
    expect(describeValue('a\nb')).toBe('"a\\nb"');
    expect(describeValue('x'.repeat(200)).length).toBeLessThan(90);
  });
});
