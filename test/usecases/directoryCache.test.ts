/**
 * The directory cache across runs: the sample estate (without principals.json) named by the real
 * Graph client against the HTTPS fake of Microsoft Graph, through the `directory` table in a
 * real Azurite. Request counts say when Graph is asked: a second run within the TTL asks
 * nothing; after the TTL, or for an entry that is stale, unreadable or stamped in the future,
 * Graph is asked again. A cache that cannot be read never hides a principal.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryTable } from '../../src/adapters/directoryTable';
import { GraphDirectory } from '../../src/adapters/graphDirectory';
import { SnapshotSource } from '../../src/adapters/snapshotSource';
import { keyFor } from '../../src/adapters/tableKeys';
import type { Estate } from '../../src/core/model';
import type { DirectoryCache } from '../../src/core/ports';
import { withDirectory } from '../../src/usecases/directory';
import { cachedDirectory } from '../../src/usecases/directoryCache';
import { staticTestCredential } from '../fakes/credential';
import { startGraphFake, type GraphFake, type GraphObject } from '../fakes/graph';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'estate');
const MINUTE = 60_000;
const TTL = 60 * MINUTE;
const ERIN = '00000000-0000-4000-b000-000000000005';
const ALICE = '00000000-0000-4000-b000-000000000001';
const BOB = '00000000-0000-4000-b000-000000000002';
const AKS_ADMINS = '00000000-0000-4000-c000-000000000008';

let azurite: TestAzurite;
let graph: GraphFake;
let dir: string;
beforeAll(async () => {
  [azurite, graph] = await Promise.all([startAzurite(), startGraphFake()]);
  // The sample without principals.json: names come from Graph only.
  dir = mkdtempSync(join(tmpdir(), 'aia-directory-cache-'));
  for (const file of ['clusters.json', 'role-assignments.json', 'role-definitions.json'])
    cpSync(join(SAMPLE, file), join(dir, file));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([azurite?.stop(), graph?.stop()]);
});

/** The fake directory holds the sample's principals (the ones principals.json leaves out are deleted). */
beforeEach(() => {
  graph.reset();
  const principals = JSON.parse(
    readFileSync(join(SAMPLE, 'principals.json'), 'utf8'),
  ) as GraphObject[];
  const byId = new Map(principals.map((p) => [String(p.id), p]));
  for (const { '@odata.type': type, ...p } of byId.values()) {
    if (type === '#microsoft.graph.user') graph.state.users.push(p);
    else if (type === '#microsoft.graph.group') graph.state.groups.push(p);
    else graph.state.servicePrincipals.push(p);
  }
});

async function cacheTable(): Promise<DirectoryTable> {
  return DirectoryTable.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('dir'),
  });
}

/** One run as a new process would make it: a fresh Graph client and decorator over the same table. */
async function run(
  cache: DirectoryCache,
  clock: SteppedClock,
  logs: string[] = [],
  ttlMs = TTL,
): Promise<Estate> {
  const graphDirectory = new GraphDirectory({
    credential: staticTestCredential(),
    endpoint: graph.endpoint,
    agent: graph.agent,
    retry: { maxRetries: 0 },
  });
  const directory = cachedDirectory(graphDirectory, {
    cache,
    ttlMs,
    clock,
    log: (l) => logs.push(l),
  });
  return withDirectory(new SnapshotSource(dir), directory, (l) => logs.push(l)).readEstate();
}

function askedIds(): string[] {
  return graph.requests
    .filter((r) => r.route === 'getByIds')
    .flatMap((r) => (r.body as { ids: string[] }).ids);
}

describe('directory cache (Table Storage, TTL)', () => {
  it('a second run within the TTL asks Graph nothing and names the estate the same; after the TTL it asks again', async () => {
    const cache = await cacheTable();
    const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));

    const logs: string[] = [];
    const first = await run(cache, clock, logs);
    expect(first.failures).toEqual([]);
    expect(logs).toEqual([]);
    const groupsListed = graph.count('transitiveMembers');
    expect(graph.count('getByIds')).toBe(1);
    expect(groupsListed).toBeGreaterThan(0);
    // Names, a deleted principal and the users behind a privileged group, with their flags.
    expect(first.roleAssignments.some((a) => a.deleted === true)).toBe(true);
    expect(first.directory?.principals.find((p) => p.id === AKS_ADMINS)?.members).toEqual([ERIN]);

    graph.requests.splice(0);
    clock.advance(TTL - MINUTE);
    const second = await run(cache, clock);
    expect(graph.requests).toEqual([]);
    expect(second).toEqual(first);

    // Past the TTL: every id and every group is read from Graph again.
    clock.advance(2 * MINUTE);
    const third = await run(cache, clock);
    expect(graph.count('getByIds')).toBe(1);
    expect(graph.count('transitiveMembers')).toBe(groupsListed);
    expect(third).toEqual(first);
  });

  it('a membership change shows once the TTL has passed (re-read), not before', async () => {
    const cache = await cacheTable();
    const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));
    await run(cache, clock);
    graph.state.groups.find((g) => g.id === AKS_ADMINS)!.members!.push(ALICE);

    clock.advance(10 * MINUTE);
    const within = await run(cache, clock);
    expect(within.directory?.principals.find((p) => p.id === AKS_ADMINS)?.members).toEqual([ERIN]);

    clock.advance(TTL);
    const after = await run(cache, clock);
    expect(new Set(after.directory?.principals.find((p) => p.id === AKS_ADMINS)?.members)).toEqual(
      new Set([ERIN, ALICE]),
    );
  });

  it('asks Graph again only for the entries that are unreadable or stamped in the future', async () => {
    const cache = await cacheTable();
    const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));
    const first = await run(cache, clock);
    graph.requests.splice(0);

    // A principal row that no longer decodes, one stamped an hour ahead, a group row cut short.
    await cache.table.updateEntity(
      { partitionKey: 'principal', rowKey: keyFor('', ALICE), data: '{"id": "0000' },
      'Merge',
    );
    await cache.table.updateEntity(
      {
        partitionKey: 'principal',
        rowKey: keyFor('', BOB),
        readAt: new Date(clock.now().getTime() + TTL),
      },
      'Merge',
    );
    await cache.table.updateEntity(
      { partitionKey: 'members', rowKey: keyFor('', AKS_ADMINS), users_count: 7 },
      'Merge',
    );

    clock.advance(MINUTE);
    const second = await run(cache, clock);
    expect(new Set(askedIds())).toEqual(new Set([ALICE, BOB]));
    const membersAsked = graph.requests.filter((r) => r.route === 'transitiveMembers');
    expect(membersAsked.map((r) => r.path)).toEqual([
      expect.stringContaining(`/groups/${AKS_ADMINS}/`),
    ]);
    expect(second).toEqual(first);
  });

  it('a cache that cannot be read or written is skipped with one log line: Graph answers, nothing is hidden', async () => {
    const cache = await cacheTable();
    await cache.table.deleteTable();
    const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));
    const logs: string[] = [];
    const estate = await run(cache, clock, logs);
    expect(estate.failures).toEqual([]);
    expect(graph.count('getByIds')).toBe(1);
    expect(estate.directory?.principals.find((p) => p.id === AKS_ADMINS)?.members).toEqual([ERIN]);
    const cacheLines = logs.filter((l) => l.startsWith('directory cache:'));
    expect(cacheLines).toEqual([
      expect.stringMatching(
        /^directory cache: could not read cached principals .*asking Microsoft Graph$/,
      ),
      expect.stringMatching(
        /^directory cache: could not store principals .*used without being kept$/,
      ),
      expect.stringMatching(/^directory cache: could not read cached group members /),
      expect.stringMatching(/^directory cache: could not store group members /),
    ]);
  });

  it('stores nothing Graph refused: the failure stays, and the next run asks Graph again', async () => {
    const cache = await cacheTable();
    const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));
    graph.permissions.delete('User.Read.All');
    const refused = await run(cache, clock);
    expect(refused.failures.map((f) => f.part)).toEqual(['directory']);
    expect(refused.directory).toBeUndefined();

    graph.permissions.add('User.Read.All');
    graph.requests.splice(0);
    clock.advance(MINUTE);
    const next = await run(cache, clock);
    expect(graph.count('getByIds')).toBe(1);
    expect(next.failures).toEqual([]);
    expect(next.roleAssignments.find((a) => a.principalId === ALICE)?.displayName).toBe(
      'Alice Smith',
    );
  });

  it('with a TTL of 0 every run asks Graph', async () => {
    const cache = await cacheTable();
    const clock = new SteppedClock(new Date('2026-11-26T02:00:00.000Z'));
    await run(cache, clock, [], 0);
    await run(cache, clock, [], 0);
    expect(graph.count('getByIds')).toBe(2);
  });
});
