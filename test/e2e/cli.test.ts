/**
 * The CLI's `serve` and `event` commands end to end: the real runtime on the embedded Azurite
 * (on disk, in a temporary AUDIT_DATA_DIR, as `npm start` runs it), the bundled sample estate
 * or a temporary copy of it, and real HTTP to the local host.
 *
 * `serve` waits for SIGINT/SIGTERM when run from the command line; here it is started through
 * `serveCommand` with `untilListening`, which hands back the URL and a stop function.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { Readable } from 'stream';
import { serveCommand } from '../../src/cli/commands/serve';
import { main, type CommandContext } from '../../src/cli/main';
import { findPackageRoot } from '../../src/config';
import { Capture } from '../cli/harness';
import { REGISTERED_FUNCTIONS } from '../helpers/functionNames';

const REPO = resolve(__dirname, '..', '..');
const SAMPLE_CLUSTERS = 7;
const PAYMENTS_PATH =
  '/api/clusters/00000000-0000-4000-a000-000000000001/rg-payments-prod/aks-payments-prod';
const CHECKOUT_ID =
  '/subscriptions/00000000-0000-4000-a000-000000000001/resourcegroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-checkout-prod';

const temporary: string[] = [];
function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aia-e2e-${label}-`));
  temporary.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A CommandContext as `main` builds it, with captured streams. */
function commandContext(
  env: Record<string, string>,
  stdout = new Capture(),
  stderr = new Capture(),
): CommandContext {
  return {
    stdout,
    stderr,
    stdin: Readable.from([]),
    env,
    cwd: REPO,
    clock: { now: () => new Date() },
    packageRoot: findPackageRoot(REPO),
    packageVersion: '0.0.0-test',
    warn: (line) => stderr.write(`${line}\n`),
    progress: () => undefined,
    colorStdout: false,
    tableWidth: 100,
    setExitCode: () => undefined,
  };
}

interface Served {
  url: string;
  stop: () => Promise<void>;
  stderr: Capture;
}

/** Starts `serve` on a free port and resolves once it listens. */
async function serve(env: Record<string, string>): Promise<Served> {
  const stderr = new Capture();
  let served: { url: string; stop: () => Promise<void> } | undefined;
  const code = await serveCommand(
    {
      port: 0,
      untilListening: (url, stop) => {
        served = { url, stop };
      },
    },
    commandContext(env, new Capture(), stderr),
  );
  expect(code).toBe(0);
  if (!served) throw new Error(`serve returned without listening:\n${stderr.text}`);
  return { ...served, stderr };
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

describe('serve', () => {
  const running: Served[] = [];
  afterAll(async () => {
    for (const s of running) await s.stop();
  });

  it('serves the bundled sample estate over HTTP, and the posture survives a restart on the same data dir', async () => {
    const dataDir = tempDir('serve');
    const env = { AUDIT_DATA_DIR: dataDir };

    const first = await serve(env);
    running.push(first);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.stderr.text).toContain('bundled sample estate');
    expect(first.stderr.text).toContain(`listening on ${first.url}/api`);
    // The baseline pages nobody: no alert on the console.
    expect(first.stderr.text).not.toContain('=== ALERT ===');

    const health = await getJson(`${first.url}/api/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');

    const list = await getJson(`${first.url}/api/clusters`);
    expect(list.status).toBe(200);
    expect(list.body.clusters).toHaveLength(SAMPLE_CLUSTERS);
    const before = await getJson(`${first.url}${PAYMENTS_PATH}`);
    expect(before.status).toBe(200);
    expect(before.body.status).toBe('pass');

    await first.stop();
    running.pop();
    await expect(fetch(`${first.url}/api/health`)).rejects.toThrow();

    // Same data dir: Azurite reloads what it kept on disk; the start-up audit finds no change.
    const second = await serve(env);
    running.push(second);
    const again = await getJson(`${second.url}/api/clusters`);
    expect(again.body.clusters).toHaveLength(SAMPLE_CLUSTERS);
    for (const row of again.body.clusters) {
      const [, , sub, , rg, , , , name] = String(row.id).split('/');
      const history = await getJson(`${second.url}/api/clusters/${sub}/${rg}/${name}/history`);
      expect(history.status).toBe(200);
      expect(history.body.history).toHaveLength(1);
    }
    // The latest posture is the restart's evaluation; the history still holds only the baseline.
    const after = await getJson(`${second.url}${PAYMENTS_PATH}`);
    expect(after.body.evaluatedAt >= before.body.evaluatedAt).toBe(true);
    expect(after.body.status).toBe('pass');
    const paymentsHistory = await getJson(`${second.url}${PAYMENTS_PATH}/history`);
    expect(paymentsHistory.body.history.map((h: any) => h.evaluatedAt)).toEqual([
      before.body.evaluatedAt,
    ]);
    expect(second.stderr.text).not.toContain('=== ALERT ===');

    await second.stop();
    running.pop();
  });
});

describe('event', () => {
  function snapshotCopy(): string {
    const dir = tempDir('snapshot');
    cpSync(join(REPO, 'samples', 'estate'), dir, { recursive: true });
    return dir;
  }

  async function run(argv: string[], env: Record<string, string>, stdin: string[] = []) {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(argv, {
      stdout,
      stderr,
      stdin: Readable.from(stdin),
      env,
      cwd: REPO,
      clock: { now: () => new Date() },
    });
    return { code, stdout, stderr };
  }

  it('processes a sample event against a snapshot and prints { events } per docs/contracts.md', async () => {
    const snapshot = snapshotCopy();
    const { code, stdout, stderr } = await run(
      ['event', 'samples/events/cluster-write.json', '--snapshot', snapshot],
      { AUDIT_DATA_DIR: tempDir('event') },
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout.text);
    expect(Object.keys(out)).toEqual(['events']);
    expect(out.events).toHaveLength(1);
    const [event] = out.events;
    expect(Object.keys(event).sort()).toEqual(
      [
        'clusters',
        'id',
        'operationName',
        'outcome',
        'reason',
        'regressions',
        'signals',
        'subject',
        'type',
      ].sort(),
    );
    expect(event).toMatchObject({
      id: '00000000-0000-4000-8000-0000000e0002',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      operationName: 'Microsoft.ContainerService/managedClusters/write',
      outcome: 'evaluated',
      clusters: [
        '/subscriptions/00000000-0000-4000-a000-000000000001/resourcegroups/rg-payments-prod/providers/Microsoft.ContainerService/managedClusters/aks-payments-prod',
      ],
      signals: [],
      regressions: [],
    });
  });

  it('records with --store semantics: a change to the snapshot between two events is a regression', async () => {
    const snapshot = snapshotCopy();
    const env = { AUDIT_DATA_DIR: tempDir('event-regression') };
    const first = await run(
      ['event', 'samples/events/cluster-write.json', '--snapshot', snapshot],
      env,
    );
    expect(first.code).toBe(0);

    const clustersFile = join(snapshot, 'clusters.json');
    const clusters = JSON.parse(readFileSync(clustersFile, 'utf8'));
    clusters.find((c: any) => c.name === 'aks-payments-prod').disableLocalAccounts = false;
    writeFileSync(clustersFile, JSON.stringify(clusters, null, 2));

    const event = JSON.parse(
      readFileSync(join(REPO, 'samples', 'events', 'cluster-write.json'), 'utf8'),
    );
    event[0].id = '00000000-0000-4000-8000-0000000e0099';
    const second = await run(['event', '-', '--snapshot', snapshot], env, [JSON.stringify(event)]);
    expect(second.code).toBe(0);
    const [result] = JSON.parse(second.stdout.text).events;
    expect(result.outcome).toBe('evaluated');
    expect(result.regressions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'check-failed',
          checkId: 'local-accounts-disabled',
          before: 'pass',
          after: 'fail',
        }),
      ]),
    );
    // The console channel prints the page on the CLI's stderr, never on stdout.
    expect(second.stderr.text).toContain('=== ALERT ===');
    expect(second.stderr.text).toContain('aks-payments-prod');

    // The same delivery again: already processed.
    const third = await run(['event', '-', '--snapshot', snapshot], env, [JSON.stringify(event)]);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout.text).events[0].outcome).toBe('duplicate');
    expect(third.stderr.text).not.toContain('=== ALERT ===');
  });

  it('reads - from stdin (a CloudEvents admin-credential fetch pages on stderr)', async () => {
    const snapshot = snapshotCopy();
    const text = readFileSync(join(REPO, 'samples', 'events', 'admin-credential.json'), 'utf8');
    const { code, stdout, stderr } = await run(
      ['event', '-', '--snapshot', snapshot],
      { AUDIT_DATA_DIR: tempDir('event-stdin') },
      [text],
    );
    expect(code).toBe(0);
    const [event] = JSON.parse(stdout.text).events;
    expect(event.outcome).toBe('evaluated');
    expect(event.operationName).toBe(
      'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
    );
    expect(event.clusters).toEqual([CHECKOUT_ID]);
    expect(event.signals).toEqual([
      expect.objectContaining({
        signal: 'admin-credential-retrieved',
        clusterId: CHECKOUT_ID,
        caller: expect.objectContaining({ ipAddress: expect.any(String) }),
      }),
    ]);
    expect(stderr.text).toContain('=== ALERT ===');
  });

  it('a malformed file exits 2 with one stderr line naming the file', async () => {
    const dir = tempDir('malformed');
    const file = join(dir, 'broken-event.json');
    writeFileSync(file, '[{"id": "x", "eventType": ');
    const { code, stdout, stderr } = await run(['event', file, '--snapshot', snapshotCopy()], {
      AUDIT_DATA_DIR: tempDir('event-bad'),
    });
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('broken-event.json');
    expect(stderr.lines[0]).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('a missing file exits 2 with one stderr line naming the file', async () => {
    const { code, stderr } = await run(['event', 'no-such-event.json'], {
      AUDIT_DATA_DIR: tempDir('event-missing'),
    });
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('no-such-event.json');
  });
});

describe('@azure/functions registration', () => {
  /** Function names @azure/functions says it skipped registering ("test mode": no Functions host). */
  function skippedRegistrations(load: () => void): { skipped: string[]; warnings: string[] } {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      jest.isolateModules(load);
      const warnings = warn.mock.calls.map((call) => String(call[0]));
      const skipped = warnings
        .map((w) => /register function "([^"]+)"/.exec(w)?.[1])
        .filter((n): n is string => n !== undefined);
      return { skipped: skipped.sort(), warnings };
    } finally {
      warn.mockRestore();
    }
  }

  it('the local host and `serve` load the HTTP functions without registering anything (no "test mode" warnings)', () => {
    const { warnings } = skippedRegistrations(() => {
      require('../../src/host/localHost');
      require('../../src/cli/commands/serve');
    });
    expect(warnings).toEqual([]);
  });

  it('the Functions entry point still registers every function', () => {
    const { skipped } = skippedRegistrations(() => require('../../src/functions/index'));
    expect(skipped).toEqual([...REGISTERED_FUNCTIONS]);
  });
});
