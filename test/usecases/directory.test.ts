import { SnapshotSource } from '../../src/adapters/snapshotSource';
import type { DirectoryPrincipal } from '../../src/core/model';
import type { PrincipalDirectory } from '../../src/core/ports';
import { withDirectory } from '../../src/usecases/directory';
import { join } from 'node:path';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'estate');
const ALICE = '00000000-0000-4000-b000-000000000001';

/**
 * A directory that knows a fixed set of principals and records what it was asked: the port's
 * contract (answer for every id asked; absent = deleted) without any network. The Graph adapter
 * is tested against its HTTPS fake.
 */
class FixedDirectory implements PrincipalDirectory {
  readonly name = 'Test directory';
  readonly asked: string[][] = [];
  constructor(
    private readonly known: DirectoryPrincipal[],
    private readonly failure?: Error,
  ) {}
  async lookup(ids: readonly string[]): Promise<DirectoryPrincipal[]> {
    this.asked.push([...ids]);
    if (this.failure) throw this.failure;
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    return this.known.filter((p) => wanted.has(p.id.toLowerCase()));
  }
}

let dir: string;
beforeEach(() => {
  // The sample without principals.json: names come from the directory port only.
  dir = mkdtempSync(join(tmpdir(), 'aia-directory-'));
  for (const file of ['clusters.json', 'role-assignments.json', 'role-definitions.json'])
    cpSync(join(SAMPLE, file), join(dir, file));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('withDirectory', () => {
  it('asks once for every principal the estate names and applies the answers', async () => {
    const directory = new FixedDirectory([
      {
        id: ALICE,
        principalType: 'User',
        displayName: 'Alice Smith',
        userPrincipalName: 'alice@contoso.example',
      },
    ]);
    const estate = await withDirectory(new SnapshotSource(dir), directory).readEstate();
    expect(directory.asked).toHaveLength(1);
    expect(new Set(directory.asked[0]).size).toBe(directory.asked[0].length);
    expect(directory.asked[0]).toEqual(
      expect.arrayContaining(estate.roleAssignments.map((a) => a.principalId)),
    );
    const alice = estate.roleAssignments.find((a) => a.principalId === ALICE)!;
    expect(alice).toMatchObject({
      displayName: 'Alice Smith',
      userPrincipalName: 'alice@contoso.example',
    });
    expect(alice.deleted).toBeUndefined();
    // The directory answers for every id: the ones it did not return are deleted.
    expect(
      estate.roleAssignments
        .filter((a) => a.principalId !== ALICE)
        .every((a) => a.deleted === true),
    ).toBe(true);
    expect(estate.directory?.source).toBe('Test directory');
  });

  it('a directory that cannot be read is a directory failure; names stay those of the export', async () => {
    const estate = await withDirectory(
      new SnapshotSource(dir),
      new FixedDirectory([], new Error('403 Authorization_RequestDenied')),
    ).readEstate();
    expect(estate.failures).toEqual([
      {
        subscriptionId: '*',
        part: 'directory',
        message: 'Test directory could not be read: 403 Authorization_RequestDenied',
      },
    ]);
    expect(estate.directory).toBeUndefined();
    expect(estate.roleAssignments.find((a) => a.principalId === ALICE)).toMatchObject({
      userPrincipalName: 'alice@contoso.example',
    });
    expect(estate.roleAssignments.some((a) => a.deleted)).toBe(false);
  });

  it('leaves an estate that brings its own directory data (principals.json) alone', async () => {
    const directory = new FixedDirectory([]);
    const estate = await withDirectory(new SnapshotSource(SAMPLE), directory).readEstate();
    expect(directory.asked).toEqual([]);
    expect(estate.directory?.source).toBe('principals.json');
  });
});
