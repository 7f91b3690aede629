import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshot } from '../src/adapters/snapshotSource';
import { InputError } from '../src/core/errors';
import { normaliseDenyAssignment, normaliseEligibility } from '../src/core/normaliseGrants';

const shape = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'shapes', name), 'utf8'));
const SUB = '00000000-0000-4000-a000-00000000000a';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

describe('normaliseEligibility', () => {
  it('reads the ARM REST shape into an eligible assignment', () => {
    const [owner, uaa] = shape('arm-role-eligibility-instances.json').value;
    const a = normaliseEligibility(owner, 'x[0]', SUB.toUpperCase());
    expect(a).toMatchObject({
      eligible: true,
      scope: `/subscriptions/${SUB}`,
      principalId: '00000000-0000-4000-c000-0000000000e1',
      principalType: 'User',
      roleDefinitionGuid: OWNER,
      listedInSubscriptionId: SUB,
    });
    expect(a.condition).toBeUndefined();
    const b = normaliseEligibility(uaa, 'x[1]');
    expect(b).toMatchObject({
      eligible: true,
      scope: '/providers/Microsoft.Management/managementGroups/platform',
      conditionVersion: '2.0',
    });
    expect(b.condition).toContain('ForAnyOfAnyValues:GuidEquals');
    expect(b.listedInSubscriptionId).toBeUndefined();
  });

  it('reads the SDK shape (fields at the top level, dates as Date)', () => {
    const a = normaliseEligibility(
      {
        id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances/abc`,
        scope: `/subscriptions/${SUB}`,
        roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
        principalId: 'p',
        principalType: 'Group',
        startDateTime: new Date(0),
        conditionVersion: '2.0',
      },
      'sdk',
    );
    expect(a).toMatchObject({
      eligible: true,
      principalType: 'Group',
      roleDefinitionGuid: OWNER,
      conditionVersion: '2.0',
    });
  });

  it('names the entry when a field is missing', () => {
    expect(() =>
      normaliseEligibility({ id: 'x', properties: { scope: '/' } }, 'role-eligibility.json[3]'),
    ).toThrow(new InputError('role-eligibility.json[3]: entry has no "principalId"'));
  });
});

describe('normaliseDenyAssignment', () => {
  it('reads the ARM REST shape', () => {
    const deny = normaliseDenyAssignment(shape('arm-deny-assignments.json').value[0], 'd[0]', SUB);
    expect(deny).toEqual({
      id: `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Authorization/denyAssignments/3b0b3b0e-7c4a-4e2b-9f38-7d0f6f1e2a11`,
      name: 'Deny AKS credential listing to everyone but break-glass',
      scope: `/subscriptions/${SUB}/resourceGroups/rg-prod`,
      permissions: [
        {
          actions: [
            'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
            'Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action',
          ],
          notActions: [],
          dataActions: [],
          notDataActions: [],
        },
      ],
      principals: [{ id: '00000000-0000-0000-0000-000000000000', type: 'SystemDefined' }],
      excludePrincipals: [{ id: '00000000-0000-4000-c000-0000000000b6', type: 'User' }],
      doNotApplyToChildScopes: false,
      listedInSubscriptionId: SUB,
    });
  });

  it('reads the SDK shape, and takes the scope from the id when absent', () => {
    const deny = normaliseDenyAssignment(
      {
        id: `/subscriptions/${SUB}/providers/Microsoft.Authorization/denyAssignments/d1`,
        name: 'd1',
        permissions: [{ actions: ['*'] }],
        principals: [{ id: 'g1', type: 'Group' }],
        doNotApplyToChildScopes: true,
      },
      'sdk',
    );
    expect(deny).toMatchObject({
      scope: `/subscriptions/${SUB}`,
      name: 'd1',
      doNotApplyToChildScopes: true,
      excludePrincipals: [],
    });
    expect(deny.permissions[0]).toEqual({
      actions: ['*'],
      notActions: [],
      dataActions: [],
      notDataActions: [],
    });
  });

  it('names the entry and field of a malformed deny assignment', () => {
    expect(() => normaliseDenyAssignment({}, 'deny-assignments.json[0]')).toThrow(
      'deny-assignments.json[0]: entry has no "id"',
    );
    expect(() => normaliseDenyAssignment({ id: 'x' }, 'deny-assignments.json[1]')).toThrow(
      'deny-assignments.json[1]: entry has no "scope"',
    );
    expect(() =>
      normaliseDenyAssignment({ id: 'x', properties: { scope: '/', principals: [{}] } }, 'd[2]'),
    ).toThrow('d[2]: "principals[0]" has no "id"');
    expect(() =>
      normaliseDenyAssignment(
        { id: 'x', properties: { scope: '/', permissions: [{ actions: [1] }] } },
        'd[3]',
      ),
    ).toThrow('d[3]: "permissions[0].actions[0]" is not a string');
    expect(() =>
      normaliseDenyAssignment(
        { id: 'x', properties: { scope: '/', doNotApplyToChildScopes: 'yes' } },
        'd[4]',
      ),
    ).toThrow('d[4]: "doNotApplyToChildScopes" is not true or false');
    expect(() => normaliseDenyAssignment([], 'd[5]')).toThrow('d[5]: entry is not an object');
  });
});

describe('snapshot files role-eligibility.json and deny-assignments.json', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'snapshot-grants-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  let n = 0;
  async function folder(files: Record<string, unknown>): Promise<string> {
    const dir = join(root, String(++n));
    await (await import('node:fs/promises')).mkdir(dir);
    for (const [name, content] of Object.entries(files))
      await writeFile(
        join(dir, name),
        typeof content === 'string' ? content : JSON.stringify(content),
      );
    return dir;
  }
  const base = { 'clusters.json': [], 'role-assignments.json': [] };

  it('without the files: no eligibility, and deny assignments unknown (undefined)', async () => {
    const estate = await readSnapshot(await folder(base));
    expect(estate.roleAssignments).toEqual([]);
    expect(estate.denyAssignments).toBeUndefined();
  });

  it('the whole ARM response (value + no nextLink) and the bare array are both accepted', async () => {
    const response = shape('arm-role-eligibility-instances.json');
    for (const eligibility of [response, response.value]) {
      const estate = await readSnapshot(
        await folder({
          ...base,
          'role-eligibility.json': eligibility,
          'deny-assignments.json': shape('arm-deny-assignments.json'),
        }),
      );
      expect(estate.roleAssignments.map((a) => [a.principalId, a.eligible])).toEqual([
        ['00000000-0000-4000-c000-0000000000e1', true],
        ['00000000-0000-4000-c000-0000000000e2', true],
      ]);
      expect(estate.denyAssignments).toHaveLength(1);
    }
  });

  it('eligibilities sit beside the active assignments, repeated ids kept once', async () => {
    const active = {
      id: '/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a1',
      scope: '/subscriptions/s',
      principalId: 'p',
      principalType: 'User',
      roleDefinitionId: OWNER,
    };
    const eligible = shape('arm-role-eligibility-instances.json').value[0];
    const estate = await readSnapshot(
      await folder({
        ...base,
        'role-assignments.json': [active],
        'role-eligibility.json': [eligible, eligible],
      }),
    );
    expect(estate.roleAssignments.map((a) => a.eligible ?? false)).toEqual([false, true]);
  });

  it('an empty deny-assignments.json means "none", not "unknown"', async () => {
    const estate = await readSnapshot(
      await folder({ ...base, 'deny-assignments.json': { value: [] } }),
    );
    expect(estate.denyAssignments).toEqual([]);
  });

  it('a broken file is named with the entry', async () => {
    const dir = await folder({ ...base, 'deny-assignments.json': [{ id: 'x' }] });
    await expect(readSnapshot(dir)).rejects.toThrow(
      `${join(dir, 'deny-assignments.json')}[0]: entry has no "scope"`,
    );
    const dir2 = await folder({ ...base, 'role-eligibility.json': '{not json' });
    await expect(readSnapshot(dir2)).rejects.toThrow(
      `${join(dir2, 'role-eligibility.json')}: not valid JSON`,
    );
    const dir3 = await folder({
      ...base,
      'role-eligibility.json': { value: [], nextLink: 'https://management.azure.com/next' },
    });
    await expect(readSnapshot(dir3)).rejects.toThrow('one page of a longer ARM listing');
  });
});
