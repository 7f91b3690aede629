/**
 * The lock file of an embedded store's data folder (`<dataDir>/azurite.lock.json`): which
 * process runs the one Azurite on that folder and where it listens, so every other process
 * (`npm start`, `audit --store`, `event`) connects to it instead of starting a second Azurite
 * on the same files (two would each autosave their own copy over the other's).
 *
 * The file is created exclusively (`wx`), so one process wins; it holds the owner's pid and,
 * once listening, the endpoints. A lock is stale when its pid is dead, when nothing answers on
 * its endpoints, or when it stayed "starting" too long; a stale lock is replaced under a
 * short-lived `…takeover` directory so that two processes finding it stale do not both
 * replace it.
 */
import {
  mkdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'fs';
import { request } from 'http';
import { join } from 'path';

export const LOCK_FILE_NAME = 'azurite.lock.json';

export interface LockContent {
  pid: number;
  /** When the owner created the lock (ISO). Identifies this lock among locks of a reused pid. */
  startedAt: string;
  /** Set once the owner listens. */
  tableEndpoint?: string;
  queueEndpoint?: string;
  /** The owner is saving and closing: wait, do not take over (the files are still being written). */
  closing?: boolean;
}

export type LockState =
  | { kind: 'free' }
  | { kind: 'live'; lock: LockContent & { tableEndpoint: string; queueEndpoint: string } }
  /** Held by a live process that is starting or closing: wait for it. */
  | { kind: 'busy'; lock: LockContent }
  | { kind: 'stale'; raw: string; why: string };

/**
 * How long a lock of a live process may stay unreadable or "starting" before it counts as stale
 * (its pid was reused by another program). Generous: a dead owner is caught by its pid at once.
 */
const STARTING_GRACE_MS = 120_000;
/** A takeover directory older than this was left by a process that died mid-takeover. */
const TAKEOVER_GRACE_MS = 10_000;

export function lockPath(dataDir: string): string {
  return join(dataDir, LOCK_FILE_NAME);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether anything answers HTTP at `endpoint` (any status counts); false on refusal or timeout. */
export function answers(endpoint: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    // No keep-alive agent: a pooled connection would hold the owner's close for its keep-alive time.
    const req = request(endpoint, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function readLock(path: string): { raw: string; lock?: LockContent; ageMs: number } | undefined {
  let raw: string;
  let ageMs: number;
  try {
    raw = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(raw) as Partial<LockContent>;
    if (typeof parsed.pid === 'number' && typeof parsed.startedAt === 'string')
      return { raw, lock: parsed as LockContent, ageMs };
  } catch {
    // Written half (the owner died between create and write): judged by its age below.
  }
  return { raw, ageMs };
}

/** The pid holding the lock of `dataDir` now, if any (no probing: cheap enough to poll). */
export function lockHolder(dataDir: string): number | undefined {
  return readLock(lockPath(dataDir))?.lock?.pid;
}

/** What the lock of `dataDir` says now. */
export async function inspectLock(dataDir: string): Promise<LockState> {
  const found = readLock(lockPath(dataDir));
  if (!found) return { kind: 'free' };
  const { raw, lock, ageMs } = found;
  if (!lock)
    return ageMs > STARTING_GRACE_MS
      ? { kind: 'stale', raw, why: 'unreadable lock' }
      : { kind: 'busy', lock: { pid: 0, startedAt: '' } };
  if (!isProcessAlive(lock.pid)) return { kind: 'stale', raw, why: `process ${lock.pid} is gone` };
  if (lock.closing) return { kind: 'busy', lock };
  if (!lock.tableEndpoint || !lock.queueEndpoint) {
    return ageMs > STARTING_GRACE_MS
      ? { kind: 'stale', raw, why: `process ${lock.pid} never finished starting` }
      : { kind: 'busy', lock };
  }
  const [table, queue] = await Promise.all([
    answers(lock.tableEndpoint),
    answers(lock.queueEndpoint),
  ]);
  if (!table || !queue)
    return {
      kind: 'stale',
      raw,
      why: `nothing answers at ${table ? lock.queueEndpoint : lock.tableEndpoint}`,
    };
  return {
    kind: 'live',
    lock: lock as LockContent & { tableEndpoint: string; queueEndpoint: string },
  };
}

/** Create the lock for this process; false when another process holds it. */
export function tryCreateLock(dataDir: string, content: LockContent): boolean {
  try {
    writeFileSync(lockPath(dataDir), JSON.stringify(content), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Replace the content of a lock this process holds (written whole, then renamed over it). */
export function updateLock(dataDir: string, content: LockContent): void {
  const path = lockPath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(content));
  renameSync(temporary, path);
}

/** Remove the lock if it is still the one this process holds. */
export function releaseLock(dataDir: string, own: LockContent): void {
  const found = readLock(lockPath(dataDir));
  if (found?.lock?.pid === own.pid && found.lock.startedAt === own.startedAt)
    unlinkQuietly(lockPath(dataDir));
}

/**
 * Remove a stale lock, unless it changed since it was judged stale (someone else replaced it
 * meanwhile). Returns false when another process is doing the same takeover right now.
 */
export function removeStaleLock(dataDir: string, staleRaw: string): boolean {
  const guard = `${lockPath(dataDir)}.takeover`;
  try {
    mkdirSync(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(guard).mtimeMs > TAKEOVER_GRACE_MS) rmdirSync(guard);
    } catch {
      // Gone meanwhile: the other takeover finished.
    }
    return false;
  }
  try {
    const current = readLock(lockPath(dataDir));
    if (current?.raw === staleRaw) unlinkQuietly(lockPath(dataDir));
    return true;
  } finally {
    rmdirSync(guard);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
