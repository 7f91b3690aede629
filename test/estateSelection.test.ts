/**
 * One estate-source selection for the Functions app, the local host and the CLI
 * (`selectEstate`); the CLI's flags reach it as setting overrides (`sourceOverrides`).
 */
import { join, resolve } from 'path';
import { sourceOverrides } from '../src/cli/commands/audit';
import { selectEstate } from '../src/composition';
import { loadSettings } from '../src/config';
import { InputError } from '../src/core/errors';
import { createEstateSource } from '../src/runtime';

const ROOT = '/opt/auditor';
const SUB_A = '00000000-0000-4000-a000-00000000000a';
const SUB_B = '00000000-0000-4000-a000-00000000000b';
const where = { packageRoot: ROOT, cwd: '/work/here' };

function select(
  env: Record<string, string>,
  flags: { snapshot?: string; subscription?: string[] } = {},
) {
  return selectEstate(loadSettings(env, sourceOverrides(flags, where)), where);
}

describe('selectEstate', () => {
  it('nothing configured: the bundled sample estate, marked so it is announced', () => {
    expect(select({})).toEqual({
      kind: 'snapshot',
      dir: join(ROOT, 'samples', 'estate'),
      bundledSample: true,
    });
  });

  it('AUDIT_SNAPSHOT_DIR: those exports, relative to the working directory', () => {
    expect(select({ AUDIT_SNAPSHOT_DIR: 'exports' })).toEqual({
      kind: 'snapshot',
      dir: resolve('/work/here', 'exports'),
      bundledSample: false,
    });
    expect(select({ AUDIT_SNAPSHOT_DIR: '/abs/exports' })).toEqual({
      kind: 'snapshot',
      dir: '/abs/exports',
      bundledSample: false,
    });
  });

  it('subscriptions configured: live Azure, those subscriptions', () => {
    expect(select({ AUDIT_SUBSCRIPTION_IDS: `${SUB_A},${SUB_B}` })).toEqual({
      kind: 'azure',
      subscriptionIds: [SUB_A, SUB_B],
    });
  });

  it('a snapshot setting wins over subscriptions', () => {
    expect(select({ AUDIT_SNAPSHOT_DIR: '/abs/exports', AUDIT_SUBSCRIPTION_IDS: SUB_A }).kind).toBe(
      'snapshot',
    );
  });

  it('in Azure: live, every readable subscription when none is configured', () => {
    expect(
      select({ WEBSITE_INSTANCE_ID: 'abc', AUDIT_STORAGE: 'UseDevelopmentStorage=true' }),
    ).toEqual({ kind: 'azure', subscriptionIds: [] });
  });
});

describe('CLI flags as setting overrides', () => {
  it('--snapshot wins over every setting, resolved against the working directory', () => {
    expect(
      select({ AUDIT_SUBSCRIPTION_IDS: SUB_A, AUDIT_SNAPSHOT_DIR: '/other' }, { snapshot: 'mine' }),
    ).toEqual({
      kind: 'snapshot',
      dir: resolve('/work/here', 'mine'),
      bundledSample: false,
    });
  });

  it('--subscription wins over settings, a configured snapshot included', () => {
    expect(
      select(
        { AUDIT_SNAPSHOT_DIR: '/abs/exports', AUDIT_SUBSCRIPTION_IDS: SUB_A },
        { subscription: [SUB_B.toUpperCase()] },
      ),
    ).toEqual({
      kind: 'azure',
      subscriptionIds: [SUB_B],
    });
    expect(select({}, { subscription: [`${SUB_A},${SUB_B}`, SUB_A] })).toEqual({
      kind: 'azure',
      subscriptionIds: [SUB_A, SUB_B],
    });
  });

  it('refuses --snapshot with --subscription, an empty --subscription, and a malformed id naming the flag', () => {
    expect(() => sourceOverrides({ snapshot: 'x', subscription: [SUB_A] }, where)).toThrow(
      /cannot be combined/,
    );
    expect(() => sourceOverrides({ subscription: [' , '] }, where)).toThrow(InputError);
    expect(() => sourceOverrides({ subscription: ['not-a-guid'] }, where)).toThrow(
      /--subscription/,
    );
  });
});

describe('the runtime builds what the selection says', () => {
  const options = { packageRoot: ROOT, credential: () => ({ getToken: async () => null }) };

  it('a snapshot: that folder, announced', () => {
    const { source, description } = createEstateSource(
      loadSettings({ AUDIT_SNAPSHOT_DIR: '/abs/exports' }),
      options,
    );
    expect(source.kind).toBe('snapshot');
    expect(description).toBe('auditing the exports in /abs/exports');
  });

  it('nothing configured: the bundled sample, announced with how to choose another', () => {
    const { source, description } = createEstateSource(loadSettings({}), options);
    expect(source.kind).toBe('snapshot');
    expect(description).toContain(join(ROOT, 'samples', 'estate'));
    expect(description).toMatch(/set AUDIT_SUBSCRIPTION_IDS or AUDIT_SNAPSHOT_DIR/);
  });

  it('subscriptions: live Azure', () => {
    const { source, description } = createEstateSource(
      loadSettings({ AUDIT_SUBSCRIPTION_IDS: SUB_A }),
      options,
    );
    expect(source.kind).not.toBe('snapshot');
    expect(description).toMatch(/^auditing live Azure: 1 subscription\(s\) \(arm mode/);
  });
});
