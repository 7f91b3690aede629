/**
 * One embedded Azurite per data folder, with real processes (docs/storage.md "Embedded store"):
 * the first process runs it and records pid and endpoints in the folder's lock file, the next
 * one connects to it; the owner saves on SIGTERM/SIGINT; a process still connected takes over
 * on the same ports when the owner goes; a stale lock (dead pid, nothing answering) is replaced.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createInterface } from 'readline';
import { startEmbeddedAzurite } from '../../src/adapters/embeddedAzurite';
import { LOCK_FILE_NAME } from '../../src/adapters/embeddedStoreLock';

const REPO = join(__dirname, '..', '..');
// Each child process loads the TypeScript sources, the SDK and Azurite: on a busy machine that
// alone can take tens of seconds, so the waits here are generous (they bound a hang, not speed).
const PATIENCE_MS = 120_000;
jest.setTimeout(4 * PATIENCE_MS);

interface Message {
  event: string;
  [key: string]: any;
}

class StoreProcess {
  private readonly lines: Message[] = [];
  private waiting: Array<(message: Message) => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line) as Message;
      const next = this.waiting.shift();
      if (next) next(message);
      else this.lines.push(message);
    });
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  next(): Promise<Message> {
    const queued = this.lines.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from process ${this.pid}; stderr: ${this.stderr}`)),
        PATIENCE_MS,
      );
      this.waiting.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  }

  async ask(command: string): Promise<Message> {
    this.child.stdin.write(`${command}\n`);
    const answer = await this.next();
    if (answer.event === 'error') throw new Error(`process ${this.pid}: ${answer.message}`);
    return answer;
  }
}

const running: StoreProcess[] = [];
const dirs: string[] = [];

async function start(dataDir: string): Promise<{ process: StoreProcess; ready: Message }> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(REPO, 'test', 'helpers', 'registerTs.js'),
      join(REPO, 'test', 'helpers', 'embeddedStoreProcess.ts'),
      dataDir,
    ],
    {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const started = new StoreProcess(child);
  running.push(started);
  const ready = await started.next();
  expect(ready.event).toBe('ready');
  return { process: started, ready };
}

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aia-embedded-'));
  dirs.push(dir);
  return dir;
}

const lockOf = (dataDir: string) =>
  JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')) as {
    pid: number;
    tableEndpoint?: string;
  };

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

afterAll(async () => {
  for (const p of running)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it('two processes share one Azurite; when the owner stops (SIGTERM) the other takes over on the same ports with every write', async () => {
  const dataDir = tempDataDir();
  const a = await start(dataDir);
  expect(a.ready).toMatchObject({ role: 'owner', ownerPid: a.process.pid });
  expect(lockOf(dataDir)).toMatchObject({
    pid: a.process.pid,
    tableEndpoint: a.ready.tableEndpoint,
  });

  const b = await start(dataDir);
  expect(b.ready).toMatchObject({
    role: 'client',
    ownerPid: a.process.pid,
    tableEndpoint: a.ready.tableEndpoint,
  });

  // A write by either is seen by the other: one store.
  await b.process.ask('put shared fromB');
  expect(await a.process.ask('get shared fromB')).toEqual({ event: 'got', found: true });
  await a.process.ask('put shared fromA');
  expect(await b.process.ask('get shared fromA')).toEqual({ event: 'got', found: true });

  // The owner is stopped by a signal: it saves, releases the lock and exits by that signal.
  a.process.child.kill('SIGTERM');
  expect(await a.process.exited).toEqual({ code: null, signal: 'SIGTERM' });

  // B takes over on the same endpoint, from the saved files: both writes are there.
  await until(async () => (await b.process.ask('role')).role === 'owner', 'the client took over');
  expect(lockOf(dataDir)).toMatchObject({
    pid: b.process.pid,
    tableEndpoint: a.ready.tableEndpoint,
  });
  expect(await b.process.ask('get shared fromA')).toEqual({ event: 'got', found: true });
  expect(await b.process.ask('get shared fromB')).toEqual({ event: 'got', found: true });

  await b.process.ask('stop');
  expect(await b.process.exited).toEqual({ code: 0, signal: null });
  expect(() => lockOf(dataDir)).toThrow(/ENOENT/);
});

it('SIGINT to a lone owner saves what was written within the 5 s autosave window', async () => {
  const dataDir = tempDataDir();
  const first = await start(dataDir);
  await first.process.ask('put saved justNow');
  first.process.child.kill('SIGINT');
  expect(await first.process.exited).toEqual({ code: null, signal: 'SIGINT' });

  const second = await start(dataDir);
  // The next owner listens where the last one did, so old connection strings keep working.
  expect(second.ready).toMatchObject({ role: 'owner', tableEndpoint: first.ready.tableEndpoint });
  expect(await second.process.ask('get saved justNow')).toEqual({ event: 'got', found: true });
  await second.process.ask('stop');
});

it('a stale lock left by a killed owner (SIGKILL) is detected and replaced', async () => {
  const dataDir = tempDataDir();
  const killed = await start(dataDir);
  killed.process.child.kill('SIGKILL');
  await killed.process.exited;
  expect(lockOf(dataDir).pid).toBe(killed.process.pid);

  const next = await start(dataDir);
  expect(next.ready).toMatchObject({ role: 'owner', ownerPid: next.process.pid });
  expect(lockOf(dataDir).pid).toBe(next.process.pid);
  await next.process.ask('put after restart');
  expect(await next.process.ask('get after restart')).toEqual({ event: 'got', found: true });
  await next.process.ask('stop');
});

it('a lock whose live process does not answer at its endpoints is replaced', async () => {
  const dataDir = tempDataDir();
  // This test process is alive, but nothing listens on port 1 (a reused pid, or an owner that hung up).
  writeFileSync(
    join(dataDir, LOCK_FILE_NAME),
    JSON.stringify({
      pid: process.pid,
      startedAt: '2026-01-01T00:00:00.000Z',
      tableEndpoint: 'http://127.0.0.1:1/devstoreaccount1',
      queueEndpoint: 'http://127.0.0.1:1/devstoreaccount1',
    }),
  );
  const next = await startEmbeddedAzurite({ dataDir });
  try {
    expect(next.role()).toBe('owner');
    expect(lockOf(dataDir)).toMatchObject({ pid: process.pid, tableEndpoint: next.tableEndpoint });
  } finally {
    await next.stop();
  }
});

it('within one process, a second open of the same folder connects to the first', async () => {
  const dataDir = tempDataDir();
  const first = await startEmbeddedAzurite({ dataDir });
  const second = await startEmbeddedAzurite({ dataDir });
  try {
    expect(first.role()).toBe('owner');
    expect(second.role()).toBe('client');
    expect(second.tableEndpoint).toBe(first.tableEndpoint);
  } finally {
    await second.stop();
    await first.stop();
  }
});
