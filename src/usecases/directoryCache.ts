/**
 * Microsoft Graph's answers kept across runs (docs/storage.md, `directory` table): the nightly
 * audit's per-subscription runs and the events between them ask Graph only for what the cache
 * does not hold fresh, i.e. read within the TTL (`AUDIT_DIRECTORY_CACHE_MINUTES`).
 *
 * Fail closed: an entry older than the TTL, stamped in the future, or that does not decode is
 * not used: the id is asked of Graph again. A cache that cannot be read is skipped (everything
 * asked of Graph) and one that cannot be written only loses the saving, each said once in the
 * log; what Graph cannot answer stays a `directory` failure of the estate (`usecases/directory`).
 * A cached answer never stands in for one Graph refused: only successful reads are stored.
 */
import type { CachedPrincipal, Clock, DirectoryCache, TransitiveUsers } from '../core/ports';
import type { DirectoryPrincipal } from '../core/model';
import { principalKey } from '../core/principals';
import type { LiveDirectory } from './directory';

export interface DirectoryCacheOptions {
  cache: DirectoryCache;
  /** How long an answer is reused; 0 = never (every run asks Graph). */
  ttlMs: number;
  clock: Clock;
  log?: (line: string) => void;
}

/** The directory, answering from the cache what was read within the TTL. */
export function cachedDirectory(
  directory: LiveDirectory,
  options: DirectoryCacheOptions,
): LiveDirectory {
  if (options.ttlMs <= 0) return directory;
  const { cache, clock, ttlMs } = options;
  const said = new Set<string>();
  const logOnce = (what: string, error: unknown, consequence: string) => {
    if (said.has(what)) return;
    said.add(what);
    options.log?.(
      `directory cache: could not ${what} (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); ${consequence}`,
    );
  };
  const asking = `asking ${directory.name}`;
  const notKept = `${directory.name}'s answers are used without being kept`;
  /** Entries read in [now − TTL, now]: one stamped later than now is not trusted. */
  const fresh = (readAt: Date, now: Date) =>
    readAt.getTime() <= now.getTime() && now.getTime() - readAt.getTime() < ttlMs;

  const lookup = async (ids: readonly string[]): Promise<DirectoryPrincipal[]> => {
    const now = clock.now();
    const since = new Date(now.getTime() - ttlMs);
    const wanted = new Map<string, string>();
    for (const id of ids) if (id.trim() !== '') wanted.set(principalKey(id), id.trim());
    const answered = new Map<string, CachedPrincipal>();
    try {
      for (const entry of await cache.principals([...wanted.values()], since)) {
        const key = principalKey(entry.id);
        if (wanted.has(key) && fresh(entry.readAt, now)) answered.set(key, entry);
      }
    } catch (error) {
      logOnce('read cached principals', error, asking);
    }
    const missing = [...wanted].filter(([key]) => !answered.has(key)).map(([, id]) => id);
    if (missing.length > 0) {
      // Throws when Graph cannot answer: nothing is stored, the caller reports the failure.
      const found = await directory.lookup(missing);
      const byKey = new Map(found.map((p) => [principalKey(p.id), p]));
      const read: CachedPrincipal[] = missing.map((id) => {
        const principal = byKey.get(principalKey(id));
        return principal ? { id, principal, readAt: now } : { id, readAt: now };
      });
      for (const entry of read) answered.set(principalKey(entry.id), entry);
      try {
        await cache.savePrincipals(read);
      } catch (error) {
        logOnce('store principals', error, notKept);
      }
    }
    // In the order asked, whichever answered: a run from the cache reads like one from Graph.
    return [...wanted.keys()].flatMap((key) => {
      const principal = answered.get(key)?.principal;
      return principal ? [principal] : [];
    });
  };

  if (!directory.transitiveUsers) return { name: directory.name, lookup };
  const listMembers = directory.transitiveUsers.bind(directory);
  const transitiveUsers = async (groupId: string): Promise<TransitiveUsers> => {
    const now = clock.now();
    try {
      const cached = await cache.groupUsers(groupId, new Date(now.getTime() - ttlMs));
      if (cached && fresh(cached.readAt, now)) return cached.listing;
    } catch (error) {
      logOnce('read cached group members', error, asking);
    }
    const listing = await listMembers(groupId);
    try {
      await cache.saveGroupUsers({ groupId, listing, readAt: now });
    } catch (error) {
      logOnce('store group members', error, notKept);
    }
    return listing;
  };
  return { name: directory.name, lookup, transitiveUsers };
}
