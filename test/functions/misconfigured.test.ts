/**
 * A missing or malformed app setting is the deployment's mistake: every route (health
 * included) answers 500 "Misconfigured" with a generic message, the log names the setting, and
 * loading the Functions entry point (start-up) fails with the same message.
 */
import { health } from '../../src/functions/health';
import { listClusters } from '../../src/functions/listClusters';
import { ConfigurationError } from '../../src/core/errors';
import { loadAppSettings, setRuntime } from '../../src/runtime';
import { errorOf, httpRequest, testContext } from '../helpers/runtime';

const saved = process.env.AUDIT_SCHEDULE;

beforeEach(() => {
  setRuntime(undefined);
  process.env.AUDIT_SCHEDULE = 'every night';
});
afterEach(() => {
  if (saved === undefined) delete process.env.AUDIT_SCHEDULE;
  else process.env.AUDIT_SCHEDULE = saved;
  setRuntime(undefined);
});

describe('a malformed app setting', () => {
  it('fails loadAppSettings with a ConfigurationError naming the setting', () => {
    expect(() => loadAppSettings()).toThrow(ConfigurationError);
    expect(() => loadAppSettings()).toThrow(/AUDIT_SCHEDULE/);
  });

  it.each([
    ['health', health],
    ['listClusters', listClusters],
  ])('%s answers 500 Misconfigured and logs the setting, not the caller', async (name, handler) => {
    const { context, logs } = testContext(name);
    const response = await handler(httpRequest({ method: 'GET', path: name }), context);
    expect(response.status).toBe(500);
    expect(errorOf(response).code).toBe('Misconfigured');
    expect(errorOf(response).message).not.toMatch(/AUDIT_SCHEDULE/);
    expect(logs.map((l) => l.message).join('\n')).toMatch(/AUDIT_SCHEDULE/);
  });

  it('fails loading the Functions entry point (start-up)', () => {
    jest.isolateModules(() => {
      expect(() => require('../../src/functions/index')).toThrow(/AUDIT_SCHEDULE/);
    });
  });
});
