/**
 * `event` with `AUDIT_STORAGE` in a real process of its own: nothing but the work keeps the
 * process alive (no embedded Azurite, no server), so the command must finish its work — record,
 * write the page, send it — and print its result before it exits.
 */
import { execFile } from 'child_process';
import { join, resolve } from 'path';
import { TableStore } from '../../src/adapters/tableStore';
import { startAzurite, type TestAzurite } from '../helpers/azurite';

const REPO = resolve(__dirname, '..', '..');
const CHECKOUT =
  '/subscriptions/00000000-0000-4000-a000-000000000001/resourcegroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-checkout-prod';

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite?.stop());

/** The CLI from its sources in a child process (asynchronously: this process serves its Azurite). */
function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(REPO, 'test', 'helpers', 'runCli.js'), ...args],
      { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 90_000 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('event with AUDIT_STORAGE', () => {
  it('finishes its work: the admin-credential page is stored and sent, and the result printed', async () => {
    const { code, stdout, stderr } = await runCli(
      ['event', 'samples/events/admin-credential.json'],
      {
        AUDIT_STORAGE: azurite.connectionString,
        AUDIT_SNAPSHOT_DIR: join(REPO, 'samples', 'estate'),
      },
    );
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const printed = JSON.parse(stdout);
    expect(printed.events).toEqual([
      expect.objectContaining({
        outcome: 'evaluated',
        signals: [expect.objectContaining({ signal: 'admin-credential-retrieved' })],
      }),
    ]);
    expect(stderr).toContain('=== ALERT ===');

    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
    });
    const stored = await store.listAlerts({});
    expect(stored).toEqual([
      expect.objectContaining({
        state: 'sent',
        channels: expect.objectContaining({ console: 'sent' }),
        alert: expect.objectContaining({ kind: 'admin-credential-retrieved', clusterId: CHECKOUT }),
      }),
    ]);
    expect(await store.isEventProcessed(printed.events[0].id, new Date())).toBe(true);
  });
});
