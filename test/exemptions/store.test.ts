/**
 * Exemptions stored in Table Storage (a real Azurite) through the use cases every door calls:
 * create, refuse, revoke, history, two writers racing, YAML export → import round trip.
 */
import { parse } from 'yaml';
import { ExemptionTable } from '../../src/adapters/exemptionTable';
import { CHECKS } from '../../src/core/checks';
import { InputError } from '../../src/core/errors';
import {
  addExemption,
  exportExemptions,
  importExemptions,
  listExemptions,
  recordExpiries,
  revokeExemption,
  type ExemptionDeps,
} from '../../src/usecases/exemptions';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { SteppedClock } from '../helpers/clock';

const SUB = '00000000-0000-4000-a000-000000000001';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
const CLUSTER = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-prod`;
const BREAKGLASS = '11111111-1111-4111-8111-111111111111';
const DAY = 24 * 3600 * 1000;

let azurite: TestAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(() => azurite?.stop());

async function setup(): Promise<{
  deps: ExemptionDeps;
  clock: SteppedClock;
  table: ExemptionTable;
}> {
  const clock = new SteppedClock(new Date('2026-11-26T12:00:00.000Z'));
  const table = await ExemptionTable.create({
    connectionString: azurite.connectionString,
    allowInsecureConnection: true,
    tablePrefix: uniqueTablePrefix('ex'),
  });
  return { deps: { store: table, clock, checkIds: CHECKS.map((c) => c.id) }, clock, table };
}

const breakglass = (overrides: Record<string, unknown> = {}) => ({
  id: 'breakglass-owner',
  checkId: 'privileged-access-via-groups',
  scope: RG,
  principalIds: [BREAKGLASS],
  reason: 'Break-glass account, reviewed quarterly',
  owner: 'platform-team@contoso.example',
  ticket: 'SEC-1234',
  expiresOn: '2027-03-31T00:00:00Z',
  ...overrides,
});

describe('exemptions in Table Storage', () => {
  it('a listing for a cluster marks a management-group exemption it cannot verify (no ancestry in the store)', async () => {
    const { deps } = await setup();
    await addExemption(deps, breakglass(), 'alice@contoso.example');
    await addExemption(
      deps,
      breakglass({
        id: 'platform-wide',
        scope: '/providers/Microsoft.Management/managementGroups/platform',
      }),
      'alice@contoso.example',
    );
    const listed = await listExemptions(deps, { clusterId: CLUSTER });
    expect(listed.map((e) => [e.id, e.managementGroupUnverified])).toEqual([
      ['breakglass-owner', undefined],
      ['platform-wide', true],
    ]);
    // Without a cluster there is nothing to verify.
    expect((await listExemptions(deps)).some((e) => e.managementGroupUnverified)).toBe(false);
  });

  it('creates with who and when, lists the active ones, refuses a duplicate id and keeps the first', async () => {
    const { deps, table } = await setup();
    const created = await addExemption(deps, breakglass(), 'alice@contoso.example');
    expect(created).toMatchObject({
      id: 'breakglass-owner',
      createdBy: 'alice@contoso.example',
      createdAt: '2026-11-26T12:00:00.000Z',
      expiresOn: '2027-03-31T00:00:00.000Z',
    });
    await expect(
      addExemption(deps, breakglass({ reason: 'another' }), 'bob@contoso.example'),
    ).rejects.toThrow('breakglass-owner');
    expect((await table.get('breakglass-owner'))!.reason).toBe(
      'Break-glass account, reviewed quarterly',
    );
    expect(
      (await listExemptions(deps, { clusterId: CLUSTER })).map((e) => [e.id, e.state]),
    ).toEqual([['breakglass-owner', 'active']]);
    expect(
      await listExemptions(deps, { clusterId: CLUSTER.replace('rg-prod', 'rg-other') }),
    ).toEqual([]);
    expect(await listExemptions(deps, { checkId: 'cluster-admin-paths' })).toEqual([]);
    expect((await table.history('breakglass-owner')).map((h) => [h.action, h.by])).toEqual([
      ['created', 'alice@contoso.example'],
    ]);
  });

  it('refuses bad input with one message naming the field and writes nothing', async () => {
    const { deps, table } = await setup();
    for (const [input, field] of [
      [breakglass({ checkId: 'nope' }), 'checkId'],
      [breakglass({ scope: 'rg-prod' }), 'scope'],
      [breakglass({ reason: '' }), 'reason'],
      [breakglass({ owner: undefined }), 'owner'],
      [breakglass({ expiresOn: '2026-01-01T00:00:00Z' }), 'expiresOn'],
      [breakglass({ expiresOn: '2028-01-01T00:00:00Z' }), 'expiresOn'],
    ] as const) {
      const error = await addExemption(deps, input, 'alice@contoso.example').catch((e: Error) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toContain(field);
    }
    expect(await table.list()).toEqual([]);
  });

  it('revokes once, with who, when and why; revoked ones stay readable with --all', async () => {
    const { deps, clock, table } = await setup();
    await addExemption(deps, breakglass(), 'alice@contoso.example');
    clock.advance(DAY);
    const revoked = await revokeExemption(
      deps,
      'breakglass-owner',
      'bob@contoso.example',
      'account removed',
    );
    expect(revoked).toMatchObject({
      revokedAt: '2026-11-27T12:00:00.000Z',
      revokedBy: 'bob@contoso.example',
      revokeReason: 'account removed',
    });
    await expect(
      revokeExemption(deps, 'breakglass-owner', 'carol@contoso.example'),
    ).rejects.toThrow(/already revoked .* by bob@contoso.example/);
    await expect(revokeExemption(deps, 'no-such', 'carol@contoso.example')).rejects.toThrow(
      /no exemption/,
    );
    expect(await listExemptions(deps)).toEqual([]);
    expect((await listExemptions(deps, { all: true })).map((e) => e.state)).toEqual(['revoked']);
    expect((await table.history('breakglass-owner')).map((h) => h.action)).toEqual([
      'created',
      'revoked',
    ]);
  });

  it('two writers racing on one exemption: exactly one revoke wins, history has one revoke', async () => {
    const { deps, table } = await setup();
    await addExemption(deps, breakglass(), 'alice@contoso.example');
    const results = await Promise.allSettled([
      revokeExemption(deps, 'breakglass-owner', 'bob@contoso.example'),
      revokeExemption(deps, 'breakglass-owner', 'carol@contoso.example'),
      revokeExemption(deps, 'breakglass-owner', 'dan@contoso.example'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      (await table.history('breakglass-owner')).filter((h) => h.action === 'revoked'),
    ).toHaveLength(1);
    const creators = await Promise.allSettled([
      addExemption(deps, breakglass({ id: 'raced' }), 'bob@contoso.example'),
      addExemption(deps, breakglass({ id: 'raced' }), 'carol@contoso.example'),
    ]);
    expect(creators.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await table.history('raced')).map((h) => h.action)).toEqual(['created']);
  });

  it('records an expiry once, and lists what expires within N days', async () => {
    const { deps, clock, table } = await setup();
    await addExemption(
      deps,
      breakglass({ id: 'soon', expiresOn: '2026-12-05T00:00:00Z' }),
      'alice@contoso.example',
    );
    await addExemption(deps, breakglass({ id: 'later' }), 'alice@contoso.example');
    expect((await listExemptions(deps, { expiringWithinDays: 14 })).map((e) => e.id)).toEqual([
      'soon',
    ]);
    clock.advance(10 * DAY);
    expect(await recordExpiries(deps)).toEqual(['soon']);
    expect(await recordExpiries(deps)).toEqual([]);
    expect((await table.history('soon')).map((h) => [h.action, h.by])).toEqual([
      ['created', 'alice@contoso.example'],
      ['expired', 'auditor'],
    ]);
    expect((await listExemptions(deps, { all: true })).map((e) => [e.id, e.state])).toEqual([
      ['later', 'active'],
      ['soon', 'expired'],
    ]);
  });

  it('an exported file re-imports as a no-op, expired entries included; --dry-run shows the diff and writes nothing', async () => {
    const { deps, clock } = await setup();
    await addExemption(
      deps,
      breakglass({ id: 'expiring', expiresOn: '2026-12-01T00:00:00Z' }),
      'alice@contoso.example',
    );
    await addExemption(deps, breakglass(), 'alice@contoso.example');
    clock.advance(30 * DAY);
    const exported = await exportExemptions(deps);
    expect(
      (parse(exported) as { exemptions: { id: string }[] }).exemptions.map((e) => e.id),
    ).toEqual(['breakglass-owner', 'expiring']);
    expect(await importExemptions(deps, exported, { where: 'exemptions.yaml', by: 'ci' })).toEqual({
      created: [],
      updated: [],
      unchanged: ['breakglass-owner', 'expiring'],
    });

    const edited = exported
      .replace(
        'reason: Break-glass account, reviewed quarterly',
        'reason: Break-glass, reviewed monthly',
      )
      .replace(
        /^exemptions:\n/,
        `exemptions:\n  - id: new-one\n    checkId: local-accounts-disabled\n    scope: ${CLUSTER}\n    reason: Migration window\n    owner: platform-team@contoso.example\n    expiresOn: 2027-01-31T00:00:00Z\n`,
      );
    const plan = await importExemptions(deps, edited, {
      where: 'exemptions.yaml',
      by: 'ci',
      dryRun: true,
    });
    expect(plan).toEqual({
      created: ['new-one'],
      updated: ['breakglass-owner'],
      unchanged: ['expiring'],
    });
    expect((await listExemptions(deps, { all: true })).map((e) => e.id)).toEqual([
      'breakglass-owner',
      'expiring',
    ]);
    await importExemptions(deps, edited, { where: 'exemptions.yaml', by: 'ci' });
    expect((await listExemptions(deps, { all: true })).map((e) => [e.id, e.reason])).toEqual([
      ['breakglass-owner', 'Break-glass, reviewed monthly'],
      ['expiring', 'Break-glass account, reviewed quarterly'],
      ['new-one', 'Migration window'],
    ]);
  });

  it('a file with one invalid entry is refused whole, naming the entry and field', async () => {
    const { deps, table } = await setup();
    const file = `exemptions:\n  - id: good\n    checkId: local-accounts-disabled\n    scope: ${CLUSTER}\n    reason: ok\n    owner: a@contoso.example\n    expiresOn: 2027-01-31T00:00:00Z\n  - id: bad\n    checkId: local-accounts-disabled\n    scope: ${CLUSTER}\n    reason: ok\n    owner: a@contoso.example\n    expiresOn: 2025-01-31T00:00:00Z\n`;
    await expect(importExemptions(deps, file, { where: 'x.yaml', by: 'ci' })).rejects.toThrow(
      'x.yaml entry 2 "bad": expiresOn is in the past',
    );
    await expect(
      importExemptions(
        deps,
        file.replace('id: bad', 'id: good').replace('2025-01-31', '2027-01-30'),
        { where: 'x.yaml', by: 'ci' },
      ),
    ).rejects.toThrow('duplicated');
    await expect(
      importExemptions(deps, 'exemptions: {', { where: 'x.yaml', by: 'ci' }),
    ).rejects.toThrow('x.yaml: not YAML or JSON');
    await expect(importExemptions(deps, '[]', { where: 'x.yaml', by: 'ci' })).rejects.toThrow(
      '"exemptions" list',
    );
    expect(await table.list()).toEqual([]);
  });
});
