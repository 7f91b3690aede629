import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { evaluateEstate } from '../src/core/evaluate';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotSource, readSnapshot } from '../src/adapters/snapshotSource';
import { BUILTIN_ROLE_GUIDS, builtinRoleByGuid } from '../src/core/builtinRoles';
import { InputError } from '../src/core/errors';
import type { Estate } from '../src/core/model';
import { scopeKind } from '../src/core/scope';

const SUB_A = '00000000-0000-4000-a000-00000000000a';
const SUB_B = '00000000-0000-4000-a000-00000000000b';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';
const CUSTOM = '00000000-0000-4000-f000-000000000001';

function clusterId(sub: string, rg: string, name: string): string {
  return `/subscriptions/${sub}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

function azCluster(
  sub: string,
  rg: string,
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: clusterId(sub, rg, name),
    name,
    resourceGroup: rg,
    location: 'westeurope',
    provisioningState: 'Succeeded',
    disableLocalAccounts: true,
    ...extra,
  };
}

function azAssignment(n: number, scope: string, role = CONTRIBUTOR): Record<string, unknown> {
  const name = `00000000-0000-4000-9000-${n.toString().padStart(12, '0')}`;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    principalId: '00000000-0000-4000-c000-000000000001',
    principalType: 'Group',
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${role}`,
    roleDefinitionName: 'Contributor',
    scope,
  };
}

function azDefinition(guid = CUSTOM): Record<string, unknown> {
  return {
    id: `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    name: guid,
    roleName: 'Contoso Operator',
    roleType: 'CustomRole',
    permissions: [
      {
        actions: ['Microsoft.ContainerService/*'],
        notActions: [],
        dataActions: [],
        notDataActions: [],
      },
    ],
    assignableScopes: [`/subscriptions/${SUB_A}`],
  };
}

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'snapshot-source-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh folder with the given files; a value that is not a string is written as JSON. */
async function folder(files: Record<string, unknown>): Promise<string> {
  counter += 1;
  const dir = join(root, `case-${counter}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(
      join(dir, name),
      typeof content === 'string' || Buffer.isBuffer(content)
        ? content
        : JSON.stringify(content, null, 2),
    );
  }
  return dir;
}

const CLUSTERS = [
  azCluster(SUB_A, 'rg-a', 'aks-a1'),
  azCluster(SUB_A.toUpperCase(), 'rg-a', 'aks-a2'),
  azCluster(SUB_B, 'rg-b', 'aks-b1'),
];
const ASSIGNMENTS = [
  azAssignment(1, `/subscriptions/${SUB_A}/resourceGroups/rg-a`),
  azAssignment(2, `/subscriptions/${SUB_B}`),
  azAssignment(3, '/providers/Microsoft.Management/managementGroups/mg-root', CUSTOM),
];

function validFiles(): Record<string, unknown> {
  return {
    'clusters.json': CLUSTERS,
    'role-assignments.json': ASSIGNMENTS,
    'role-definitions.json': [azDefinition()],
  };
}

async function inputError(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).not.toContain('\n');
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('readSnapshot', () => {
  it('reads and normalises the three files', async () => {
    const dir = await folder(validFiles());
    const estate = await readSnapshot(dir);
    expect(estate.source).toBe('snapshot');
    expect(estate.failures).toEqual([]);
    expect(estate.clusters.map((c) => c.name)).toEqual(['aks-a1', 'aks-a2', 'aks-b1']);
    expect(estate.clusters[1].subscriptionId).toBe(SUB_A);
    expect(estate.roleAssignments.map((a) => a.roleDefinitionGuid)).toEqual([
      CONTRIBUTOR,
      CONTRIBUTOR,
      CUSTOM,
    ]);
    expect(estate.roleDefinitions.map((d) => d.guid)).toEqual([CUSTOM]);
  });

  it('leaves the listing subscription of every assignment unknown', async () => {
    const estate = await readSnapshot(await folder(validFiles()));
    for (const a of estate.roleAssignments) expect(a.listedInSubscriptionId).toBeUndefined();
  });

  it('names principals from principals.json: the directory wins, fills an unknown type, and omits no one silently', async () => {
    const DAVE = '00000000-0000-4000-b000-000000000004';
    const assignments = [
      {
        ...azAssignment(1, `/subscriptions/${SUB_A}/resourceGroups/rg-a`),
        principalId: DAVE,
        principalType: undefined,
        principalName: 'dave@contoso.example',
      },
      azAssignment(2, `/subscriptions/${SUB_B}`),
    ];
    const principals = [
      {
        '@odata.type': '#microsoft.graph.user',
        id: DAVE,
        displayName: 'Dave Jones',
        userPrincipalName: 'dave@contoso.example',
      },
    ];
    const estate = await readSnapshot(
      await folder({
        'clusters.json': CLUSTERS,
        'role-assignments.json': assignments,
        'principals.json': principals,
      }),
    );
    expect(estate.directory).toEqual({
      source: 'principals.json',
      complete: true,
      principals: [
        {
          id: DAVE,
          principalType: 'User',
          displayName: 'Dave Jones',
          userPrincipalName: 'dave@contoso.example',
        },
      ],
    });
    expect(estate.roleAssignments[0]).toMatchObject({
      principalType: 'User',
      displayName: 'Dave Jones',
      userPrincipalName: 'dave@contoso.example',
    });
    // principals.json lists every principal the estate names (docs/contracts.md): the group it omits is deleted.
    expect(estate.roleAssignments[1]).toMatchObject({ principalType: 'Group', deleted: true });
  });

  it('names principals.json and the entry it cannot read', async () => {
    const error = await inputError(
      readSnapshot(
        await folder({
          ...validFiles(),
          'principals.json': [{ id: 'x' }, { displayName: 'no id' }],
        }),
      ),
    );
    expect(error.message).toMatch(/principals\.json\[1\]: entry has no "id"$/);
    const notJson = await inputError(
      readSnapshot(await folder({ ...validFiles(), 'principals.json': '{' })),
    );
    expect(notJson.message).toMatch(/principals\.json: not valid JSON/);
  });

  it('without principals.json the estate has no directory and names only from the export', async () => {
    const estate = await readSnapshot(await folder(validFiles()));
    expect(estate.directory).toBeUndefined();
    expect(estate.roleAssignments.some((a) => a.deleted)).toBe(false);
  });

  it('accepts a folder without role-definitions.json', async () => {
    const { 'role-definitions.json': _omitted, ...files } = validFiles();
    const estate = await readSnapshot(await folder(files));
    expect(estate.roleDefinitions).toEqual([]);
    expect(estate.clusters).toHaveLength(3);
  });

  it('accepts empty arrays', async () => {
    const estate = await readSnapshot(
      await folder({ 'clusters.json': [], 'role-assignments.json': [] }),
    );
    expect(estate).toEqual({
      source: 'snapshot',
      clusters: [],
      roleAssignments: [],
      roleDefinitions: [],
      failures: [],
    });
  });

  it('an empty role-assignments.json next to clusters means "not known": access checks error, not "nobody" holds access', async () => {
    const dir = await folder({ ...validFiles(), 'role-assignments.json': [] });
    const estate = await readSnapshot(dir);
    expect(estate.failures).toEqual([
      {
        subscriptionId: '*',
        part: 'roleAssignments',
        message: expect.stringMatching(
          /role-assignments\.json is empty while clusters\.json lists 3 cluster\(s\)/,
        ),
      },
    ]);
    const postures = evaluateEstate(estate, { now: new Date('2026-11-26T00:00:00.000Z') });
    for (const posture of postures) {
      const access = posture.findings.filter(
        (f) =>
          f.checkId === 'admin-credential-access' || f.checkId === 'privileged-access-via-groups',
      );
      expect(access.map((f) => f.status)).toEqual(['error', 'error']);
    }
  });

  it('accepts ARM REST and SDK shaped entries in the same files', async () => {
    const arm = {
      id: clusterId(SUB_B, 'rg-b', 'aks-arm'),
      name: 'aks-arm',
      properties: { enableRBAC: true, aadProfile: { managed: true, enableAzureRBAC: true } },
    };
    const armAssignment = {
      id: `/subscriptions/${SUB_B}/providers/Microsoft.Authorization/roleAssignments/x`,
      properties: {
        principalId: 'p',
        principalType: 'User',
        roleDefinitionId: CONTRIBUTOR,
        scope: `/subscriptions/${SUB_B}`,
      },
    };
    const estate = await readSnapshot(
      await folder({
        'clusters.json': [...CLUSTERS, arm],
        'role-assignments.json': [armAssignment],
      }),
    );
    expect(estate.clusters[3].aadProfile).toEqual({ managed: true, enableAzureRbac: true });
    expect(estate.roleAssignments[0].principalType).toBe('User');
  });

  it('accepts an ARM list response ({ "value": [...] }) without a next page', async () => {
    const estate = await readSnapshot(
      await folder({
        'clusters.json': { value: CLUSTERS },
        'role-assignments.json': { value: ASSIGNMENTS, nextLink: null },
      }),
    );
    expect(estate.clusters).toHaveLength(3);
    expect(estate.roleAssignments).toHaveLength(3);
  });

  it('keeps an assignment listed twice once (same id, any case)', async () => {
    const twice = { ...ASSIGNMENTS[0], id: (ASSIGNMENTS[0].id as string).toUpperCase() };
    const estate = await readSnapshot(
      await folder({ 'clusters.json': CLUSTERS, 'role-assignments.json': [...ASSIGNMENTS, twice] }),
    );
    expect(estate.roleAssignments).toHaveLength(3);
  });

  it('reads files with a UTF-8 byte order mark', async () => {
    const files = validFiles();
    const dir = await folder({ ...files, 'clusters.json': `\uFEFF${JSON.stringify(CLUSTERS)}` });
    expect((await readSnapshot(dir)).clusters).toHaveLength(3);
  });

  it('reads UTF-16LE files (PowerShell 5 redirection)', async () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(JSON.stringify(CLUSTERS), 'utf16le'),
    ]);
    const dir = await folder({ ...validFiles(), 'clusters.json': utf16 });
    expect((await readSnapshot(dir)).clusters.map((c) => c.name)).toEqual([
      'aks-a1',
      'aks-a2',
      'aks-b1',
    ]);
  });

  it('reads UTF-16BE files', async () => {
    const le = Buffer.from(JSON.stringify(CLUSTERS), 'utf16le');
    le.swap16();
    const dir = await folder({
      ...validFiles(),
      'clusters.json': Buffer.concat([Buffer.from([0xfe, 0xff]), le]),
    });
    expect((await readSnapshot(dir)).clusters).toHaveLength(3);
  });

  describe('errors name the file and the problem on one line', () => {
    it('missing clusters.json', async () => {
      const { 'clusters.json': _omitted, ...files } = validFiles();
      const dir = await folder(files);
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'clusters.json')}: file not found (export it with: az aks list -o json > clusters.json)`,
      );
    });

    it('missing role-assignments.json', async () => {
      const { 'role-assignments.json': _omitted, ...files } = validFiles();
      const dir = await folder(files);
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toContain(`${join(dir, 'role-assignments.json')}: file not found`);
      expect(error.message).toContain('az role assignment list --all --include-inherited -o json');
    });

    it('a missing directory', async () => {
      const error = await inputError(readSnapshot(join(root, 'does-not-exist')));
      expect(error.message).toMatch(
        /clusters\.json: file not found|role-assignments\.json: file not found/,
      );
    });

    it('clusters.json that is a directory', async () => {
      const dir = await folder({ 'role-assignments.json': [] });
      await mkdir(join(dir, 'clusters.json'));
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'clusters.json')}: is a directory, expected a JSON file`,
      );
    });

    it.each([
      ['truncated JSON', '[{"id": "x"'],
      ['an empty file', ''],
      ['trailing garbage', '[]\n]'],
      ['a table instead of JSON', 'Name    ResourceGroup\n------  -------------\naks-a1  rg-a\n'],
      ['YAML', '- id: x\n  name: y\n'],
    ])('clusters.json with %s', async (_what, content) => {
      const dir = await folder({ ...validFiles(), 'clusters.json': content });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toMatch(
        new RegExp(`^${escape(join(dir, 'clusters.json'))}: not valid JSON \\(.+\\)$`),
      );
    });

    it('a long parser message stays short', async () => {
      const dir = await folder({
        ...validFiles(),
        'role-assignments.json': `[${'x'.repeat(5000)}`,
      });
      const error = await inputError(readSnapshot(dir));
      expect(error.message.length).toBeLessThan(join(dir, 'role-assignments.json').length + 200);
    });

    it('role-definitions.json that is not JSON (optional, but broken)', async () => {
      const dir = await folder({ ...validFiles(), 'role-definitions.json': '{ oops' });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toContain(`${join(dir, 'role-definitions.json')}: not valid JSON (`);
    });

    it.each([
      ['an object', { id: 'x' }, 'an object'],
      ['null', null, 'null'],
      ['a number', 3, 'a number'],
      ['a string', 'clusters', 'a string'],
    ])('clusters.json whose top level is %s', async (_what, content, got) => {
      const dir = await folder({ ...validFiles(), 'clusters.json': JSON.stringify(content) });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'clusters.json')}: expected a JSON array of managed clusters, got ${got}`,
      );
    });

    it('role-assignments.json whose top level is not an array', async () => {
      const dir = await folder({
        ...validFiles(),
        'role-assignments.json': { roleAssignments: [] },
      });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'role-assignments.json')}: expected a JSON array of role assignments, got an object`,
      );
    });

    it('role-definitions.json whose top level is not an array', async () => {
      const dir = await folder({ ...validFiles(), 'role-definitions.json': true });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'role-definitions.json')}: expected a JSON array of role definitions, got a boolean`,
      );
    });

    it('one page of a longer ARM listing', async () => {
      const dir = await folder({
        ...validFiles(),
        'clusters.json': { value: CLUSTERS, nextLink: 'https://management.azure.com/next' },
      });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'clusters.json')}: is one page of a longer ARM listing ("nextLink" is set); export every page`,
      );
    });

    it('a cluster entry without an id', async () => {
      const { id: _omitted, ...noId } = CLUSTERS[1];
      const dir = await folder({ ...validFiles(), 'clusters.json': [CLUSTERS[0], noId] });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(`${join(dir, 'clusters.json')}[1]: entry has no "id"`);
    });

    it('a cluster entry that is not an object', async () => {
      const dir = await folder({ ...validFiles(), 'clusters.json': [CLUSTERS[0], null] });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toMatch(
        new RegExp(`^${escape(join(dir, 'clusters.json'))}\\[1\\]: entry has no "id"`),
      );
    });

    it('a role assignment entry without an id', async () => {
      const { id: _omitted, ...noId } = ASSIGNMENTS[2];
      const dir = await folder({
        ...validFiles(),
        'role-assignments.json': [ASSIGNMENTS[0], ASSIGNMENTS[1], noId],
      });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(`${join(dir, 'role-assignments.json')}[2]: entry has no "id"`);
    });

    it('a role definition entry without an id', async () => {
      const { id: _omitted, ...noId } = azDefinition();
      const dir = await folder({ ...validFiles(), 'role-definitions.json': [noId] });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(`${join(dir, 'role-definitions.json')}[0]: entry has no "id"`);
    });

    it('a field of the wrong kind names the entry and the field', async () => {
      const dir = await folder({
        ...validFiles(),
        'clusters.json': [
          azCluster(SUB_A, 'rg-a', 'aks-a1', { disableLocalAccounts: 'sometimes' }),
        ],
      });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'clusters.json')}[0]: "disableLocalAccounts" is "sometimes", expected true or false`,
      );
    });

    it('the same cluster twice', async () => {
      const dir = await folder({
        ...validFiles(),
        'clusters.json': [
          ...CLUSTERS,
          { ...CLUSTERS[0], id: (CLUSTERS[0].id as string).toUpperCase() },
        ],
      });
      const error = await inputError(readSnapshot(dir));
      expect(error.message).toBe(
        `${join(dir, 'clusters.json')}[3]: duplicate cluster id, already at [0]`,
      );
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('SnapshotSource', () => {
  it('is a snapshot source', () => {
    expect(new SnapshotSource(root).kind).toBe('snapshot');
  });

  it('watches the lower-cased subscriptions of its clusters, once each', async () => {
    const source = new SnapshotSource(await folder(validFiles()));
    expect(await source.watchedSubscriptions()).toEqual([SUB_A, SUB_B]);
  });

  it('reads every cluster without a filter', async () => {
    const estate = await new SnapshotSource(await folder(validFiles())).readEstate();
    expect(estate.clusters).toHaveLength(3);
  });

  it('filters clusters by subscription, case-insensitively, and keeps every assignment', async () => {
    const source = new SnapshotSource(await folder(validFiles()));
    const estate = await source.readEstate({ subscriptionIds: [SUB_A.toUpperCase()] });
    expect(estate.clusters.map((c) => c.name)).toEqual(['aks-a1', 'aks-a2']);
    expect(estate.roleAssignments).toHaveLength(3);
    expect(estate.roleDefinitions).toHaveLength(1);
  });

  it('returns no clusters for an empty subscription list or an unknown subscription', async () => {
    const source = new SnapshotSource(await folder(validFiles()));
    expect((await source.readEstate({ subscriptionIds: [] })).clusters).toEqual([]);
    expect(
      (await source.readEstate({ subscriptionIds: ['00000000-0000-4000-a000-0000000000ee'] }))
        .clusters,
    ).toEqual([]);
  });

  it('reads the folder again on each call, so edits between audits are seen', async () => {
    const dir = await folder(validFiles());
    const source = new SnapshotSource(dir);
    const before = await source.readEstate();
    expect(before.clusters[0].disableLocalAccounts).toBe(true);

    const edited = JSON.parse(await readFile(join(dir, 'clusters.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    edited[0].disableLocalAccounts = false;
    await writeFile(join(dir, 'clusters.json'), JSON.stringify(edited));

    const after = await source.readEstate();
    expect(after.clusters[0].disableLocalAccounts).toBe(false);
  });

  it('throws InputError from readEstate and watchedSubscriptions when a file is broken', async () => {
    const source = new SnapshotSource(await folder({ ...validFiles(), 'clusters.json': 'nope' }));
    await inputError(source.readEstate());
    await inputError(source.watchedSubscriptions());
  });

  it('is healthy when the exports read as an audit reads them, and says how much they hold', async () => {
    const dir = await folder(validFiles());
    const estate = await new SnapshotSource(dir).readEstate();
    expect(await new SnapshotSource(dir).health()).toEqual({
      ok: true,
      detail: `snapshot directory ${dir}: ${estate.clusters.length} cluster(s), ${estate.roleAssignments.length} role assignment(s)`,
    });
  });

  it('is unhealthy, naming the file, when a required export is missing (an audit of it would fail)', async () => {
    const dir = await folder({ 'role-assignments.json': [] });
    const health = await new SnapshotSource(dir).health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('clusters.json: file not found');
  });

  it('is unhealthy, naming the file, when an export is truncated', async () => {
    const whole = JSON.stringify(validFiles()['clusters.json']);
    const dir = await folder({
      ...validFiles(),
      'clusters.json': whole.slice(0, Math.floor(whole.length / 2)),
    });
    const health = await new SnapshotSource(dir).health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/clusters\.json: not valid JSON/);
  });

  it('is unhealthy when the folder does not exist', async () => {
    const dir = join(root, 'nowhere');
    const health = await new SnapshotSource(dir).health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain(`snapshot directory ${dir} cannot be audited`);
  });
});

// ---------------------------------------------------------------------------------------------
// The bundled sample estate
// ---------------------------------------------------------------------------------------------

describe('samples/estate', () => {
  const SAMPLE = join(__dirname, '..', 'samples', 'estate');
  const ALLOWED_BUILTINS = new Set<string>([
    BUILTIN_ROLE_GUIDS.owner,
    BUILTIN_ROLE_GUIDS.contributor,
    BUILTIN_ROLE_GUIDS.reader,
    BUILTIN_ROLE_GUIDS.aksClusterAdminRole,
    BUILTIN_ROLE_GUIDS.aksClusterUserRole,
    BUILTIN_ROLE_GUIDS.aksRbacClusterAdmin,
    BUILTIN_ROLE_GUIDS.aksRbacReader,
    '4633458b-17de-408a-b874-0445c86b69e6', // Key Vault Secrets User (the federated payments identity)
    BUILTIN_ROLE_GUIDS.roleBasedAccessControlAdministrator, // Grace Lee, constrained delegation
    '7f951dda-4ed3-4680-a7ca-43fe172d538d', // AcrPull, the one role Grace's condition lets her assign
    '00000000-0000-0000-0000-000000000000', // Everyone, in the deny assignment
    BUILTIN_ROLE_GUIDS.aksRbacWriter, // the payments deploy pipeline, through Kubernetes RBAC
    BUILTIN_ROLE_GUIDS.virtualMachineContributor, // node patching at a node resource group
  ]);
  let estate: Estate;

  beforeAll(async () => {
    estate = await new SnapshotSource(SAMPLE).readEstate();
  });

  const cluster = (name: string) => {
    const found = estate.clusters.find((c) => c.name === name);
    if (!found) throw new Error(`sample cluster ${name} is missing`);
    return found;
  };

  it('loads at least six clusters across two subscriptions', async () => {
    expect(estate.clusters.length).toBeGreaterThanOrEqual(6);
    expect(await new SnapshotSource(SAMPLE).watchedSubscriptions()).toHaveLength(2);
    expect(estate.clusters.every((c) => !c.incomplete)).toBe(true);
  });

  it('references only the documented built-in roles or roles it defines', () => {
    const custom = new Set(estate.roleDefinitions.map((d) => d.guid));
    for (const a of estate.roleAssignments) {
      expect([
        a.roleDefinitionName,
        ALLOWED_BUILTINS.has(a.roleDefinitionGuid) || custom.has(a.roleDefinitionGuid),
      ]).toEqual([a.roleDefinitionName, true]);
    }
  });

  it('names built-in roles as Azure does and custom roles as they are defined', () => {
    const custom = new Map(estate.roleDefinitions.map((d) => [d.guid, d.roleName]));
    for (const a of estate.roleAssignments) {
      const expected =
        builtinRoleByGuid(a.roleDefinitionGuid)?.roleName ?? custom.get(a.roleDefinitionGuid);
      expect(a.roleDefinitionName).toBe(expected);
    }
  });

  it('defines only custom roles, every one of them assigned', () => {
    const assigned = new Set(estate.roleAssignments.map((a) => a.roleDefinitionGuid));
    for (const d of estate.roleDefinitions) {
      expect(d.roleType).toBe('CustomRole');
      expect(assigned.has(d.guid)).toBe(true);
    }
  });

  it('has assignments at management-group, subscription, resource-group and cluster scopes', () => {
    const kinds = new Set(estate.roleAssignments.map((a) => scopeKind(a.scope)));
    expect([...kinds].sort()).toEqual([
      'managementGroup',
      'resource',
      'resourceGroup',
      'subscription',
    ]);
    const clusterIds = new Set(estate.clusters.map((c) => c.id.toLowerCase()));
    expect(estate.roleAssignments.some((a) => clusterIds.has(a.scope.toLowerCase()))).toBe(true);
  });

  it('assigns roles to users, groups and service principals', () => {
    expect(new Set(estate.roleAssignments.map((a) => a.principalType))).toEqual(
      new Set(['User', 'Group', 'ServicePrincipal']),
    );
  });

  it('has the rg-prod / rg-prod2 naming trap', () => {
    const groups = estate.clusters.map((c) => c.resourceGroup);
    expect(groups).toEqual(expect.arrayContaining(['rg-prod', 'rg-prod2']));
    expect(estate.roleAssignments.some((a) => /\/resourceGroups\/rg-prod$/i.test(a.scope))).toBe(
      true,
    );
  });

  it('(a) has a fully hardened cluster', () => {
    const c = cluster('aks-payments-prod');
    // Every path to cluster-admin over it is held by one of its admin groups or their members:
    // grp-aks-admins, grp-payments-sre (Fiona, the eligible Owner, is a member) and the platform
    // team, whose management-group Owner grant reaches every cluster.
    expect(c.aadProfile).toEqual({
      managed: true,
      enableAzureRbac: true,
      adminGroupObjectIds: [
        '00000000-0000-4000-c000-000000000008',
        '00000000-0000-4000-c000-000000000004',
        '00000000-0000-4000-c000-000000000001',
      ],
    });
    expect(c).toMatchObject({
      disableLocalAccounts: true,
      enableRbac: true,
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      defenderSecurityMonitoringEnabled: true,
    });
    expect(c.identity?.type).toBe('UserAssigned');
    expect(c.identity?.userAssignedIdentities).toHaveLength(1);
    expect(c.apiServerAccess?.enablePrivateCluster).toBe(true);
    expect(c.addons.azurepolicy?.enabled).toBe(true);
    expect(c.addons.azurekeyvaultsecretsprovider).toMatchObject({
      enabled: true,
      config: { enableSecretRotation: 'true' },
    });
    expect(c.podIdentityEnabled).not.toBe(true);
  });

  it('(b) has a legacy service principal cluster with non-managed Entra integration', () => {
    const c = cluster('aks-legacy-batch');
    expect(c.identity).toBeNull();
    expect(c.servicePrincipalClientId).toMatch(/^00000000-0000-4000-d100-/);
    expect(c.aadProfile?.managed).toBe(false);
  });

  it('(c) has local accounts enabled and a User as Contributor at its resource group', () => {
    const c = cluster('aks-checkout-prod');
    expect(c.disableLocalAccounts).toBe(false);
    const rgScope =
      `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`.toLowerCase();
    expect(
      estate.roleAssignments.some(
        (a) =>
          a.scope.toLowerCase() === rgScope &&
          a.principalType === 'User' &&
          a.roleDefinitionGuid === BUILTIN_ROLE_GUIDS.contributor,
      ),
    ).toBe(true);
  });

  it('(d) has a wildcard custom role assigned at a cluster resource group', () => {
    const c = cluster('aks-search-prod2');
    const rgScope =
      `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`.toLowerCase();
    const wildcard = new Set(
      estate.roleDefinitions
        .filter((d) =>
          d.permissions.some((p) => p.actions.includes('Microsoft.ContainerService/*')),
        )
        .map((d) => d.guid),
    );
    expect(
      estate.roleAssignments.some(
        (a) => a.scope.toLowerCase() === rgScope && wildcard.has(a.roleDefinitionGuid),
      ),
    ).toBe(true);
  });

  it('(e) has a kubelet identity holding Contributor at the subscription', () => {
    const c = cluster('aks-dev-shared');
    const kubelet = c.kubeletIdentity?.objectId;
    expect(kubelet).toBeDefined();
    expect(
      estate.roleAssignments.some(
        (a) =>
          a.principalId === kubelet &&
          a.roleDefinitionGuid === BUILTIN_ROLE_GUIDS.contributor &&
          a.scope.toLowerCase() === `/subscriptions/${c.subscriptionId}`,
      ),
    ).toBe(true);
  });

  it('(f) has pod identity enabled and an API server open to 0.0.0.0/0', () => {
    const c = cluster('aks-sandbox-pods');
    expect(c.podIdentityEnabled).toBe(true);
    expect(c.apiServerAccess?.enablePrivateCluster).not.toBe(true);
    expect(c.apiServerAccess?.authorizedIpRanges).toContain('0.0.0.0/0');
  });

  it('uses only obviously fake guids besides built-in role ids, and carries no secrets', async () => {
    for (const file of [
      'clusters.json',
      'role-assignments.json',
      'role-definitions.json',
      'principals.json',
    ]) {
      const text = await readFile(join(SAMPLE, file), 'utf8');
      const guids =
        text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
      for (const guid of guids) {
        expect([
          file,
          guid,
          guid.startsWith('00000000-0000-4000-') || ALLOWED_BUILTINS.has(guid.toLowerCase()),
        ]).toEqual([file, guid, true]);
      }
      const secrets = [
        ...text.matchAll(/"(\w*(?:secret|password|key)\w*)"\s*:\s*("[^"]*"|[^,\n}]+)/gi),
      ]
        .filter(
          ([, key]) =>
            !/^(enableSecretRotation|logAnalyticsWorkspaceResourceI[dD]|azureKeyVaultKms|azureKeyvaultSecretsProvider)$/.test(
              key,
            ),
        )
        .filter(([, , value]) => value.trim() !== 'null');
      expect(secrets.map(([match]) => `${file}: ${match}`)).toEqual([]);
    }
  });
});
