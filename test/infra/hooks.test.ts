/**
 * The azd hook scripts (infra/scripts/*.sh) run for real under /bin/sh with `az`, `azd` and
 * `sleep` stubbed on PATH: each stub records its arguments and answers from a small table the
 * test gives (first entry whose `match` is contained in the argument line wins; default: exit
 * 0, no output). `azd env set K V` is recorded as the environment the next provision sees.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Answer {
  match: string;
  stdout?: string;
  code?: number;
}

interface HookRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Every stubbed command line, e.g. `az keyvault list-deleted …`. */
  calls: string[];
  /** `azd env set` values, in order (last wins). */
  envSet: Record<string, string>;
  /** Contents of `@file` bodies passed to `az rest`, in order. */
  bodies: string[];
}

const STUB = `#!/usr/bin/env node
const { appendFileSync, readFileSync } = require('node:fs');
const path = require('node:path');
const name = path.basename(process.argv[1]);
const args = process.argv.slice(2);
const dir = process.env.HOOK_STUB_DIR;
const line = [name, ...args].join(' ');
appendFileSync(path.join(dir, 'calls.log'), JSON.stringify(line) + '\\n');
for (const a of args) if (a.startsWith('@')) appendFileSync(path.join(dir, 'bodies.log'), JSON.stringify(readFileSync(a.slice(1), 'utf8')) + '\\n');
const answers = JSON.parse(readFileSync(path.join(dir, 'answers.json'), 'utf8'));
const answer = answers.find((a) => line.includes(a.match));
if (answer && answer.stdout) process.stdout.write(answer.stdout + '\\n');
process.exit(answer && answer.code ? answer.code : 0);
`;

function lines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string);
  } catch {
    return [];
  }
}

async function runHook(
  script: string,
  env: Record<string, string>,
  answers: Answer[] = [],
): Promise<HookRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aks-auditor-hook-'));
  try {
    for (const name of ['az', 'azd', 'sleep']) {
      writeFileSync(join(dir, name), STUB);
      chmodSync(join(dir, name), 0o755);
    }
    writeFileSync(join(dir, 'answers.json'), JSON.stringify(answers));
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          '/bin/sh',
          [join(ROOT, 'infra', 'scripts', script)],
          {
            env: {
              PATH: `${dir}:${process.env.PATH ?? ''}`,
              HOOK_STUB_DIR: dir,
              HOME: dir,
              ...env,
            },
            timeout: 30_000,
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      },
    );
    const calls = lines(join(dir, 'calls.log'));
    const envSet: Record<string, string> = {};
    for (const call of calls) {
      const m = /^azd env set (\S+) ?(.*)$/.exec(call);
      if (m) envSet[m[1]] = m[2];
    }
    return { ...result, calls, envSet, bodies: lines(join(dir, 'bodies.log')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SUB_A = '11111111-1111-1111-1111-111111111111';
const SUB_B = '22222222-2222-2222-2222-222222222222';
const FOREIGN_TOPIC = `/subscriptions/${SUB_A}/resourceGroups/rg-other-tool/providers/Microsoft.EventGrid/systemTopics/other-tool-topic`;
const base = {
  AZURE_ENV_NAME: 'prod',
  AZURE_LOCATION: 'swedencentral',
  AUDITED_SUBSCRIPTION_IDS: `${SUB_A},${SUB_B}`,
};

describe('preprovision.sh', () => {
  it('stops before anything when authentication is on without a client id, naming the setting and the parameter', async () => {
    const run = await runHook('preprovision.sh', {
      ...base,
      ENABLE_APP_SERVICE_AUTH: 'true',
      AUTH_CLIENT_ID: ' ',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/AUTH_CLIENT_ID \(Bicep parameter authClientId\) is empty/);
    expect(run.calls).toEqual([]);
  });

  it('lets authentication with a client id through', async () => {
    const run = await runHook('preprovision.sh', {
      ...base,
      ENABLE_APP_SERVICE_AUTH: 'true',
      AUTH_CLIENT_ID: '0a0a0a0a-0000-4000-8000-000000000001',
    });
    expect(run.code).toBe(0);
  });

  it('recovers the soft-deleted Key Vault of this environment (found by its azd-env-name tag and location)', async () => {
    const run = await runHook('preprovision.sh', base, [
      { match: 'keyvault list-deleted', stdout: 'kv-abc123' },
    ]);
    expect(run.code).toBe(0);
    expect(run.envSet.KEY_VAULT_CREATE_MODE).toBe('recover');
    const query = run.calls.find((c) => c.includes('keyvault list-deleted')) ?? '';
    expect(query).toContain(`"azd-env-name"=='prod'`);
    expect(query).toContain(`properties.location=='swedencentral'`);
    expect(run.stdout).toContain('kv-abc123');
  });

  it('creates the vault normally when none is soft-deleted', async () => {
    expect((await runHook('preprovision.sh', base)).envSet.KEY_VAULT_CREATE_MODE).toBe('default');
  });

  it("attaches to another tool's system topic, but not to its own (also for an environment name with _ . ( ))", async () => {
    const ours = `/subscriptions/${SUB_B}/resourceGroups/rg-my_env.1-arm-events/providers/Microsoft.EventGrid/systemTopics/evgt-my-env-1--arm`;
    const run = await runHook('preprovision.sh', { ...base, AZURE_ENV_NAME: 'My_env.1(' }, [
      { match: `system-topic list --subscription ${SUB_A}`, stdout: FOREIGN_TOPIC },
      { match: `system-topic list --subscription ${SUB_B}`, stdout: ours },
    ]);
    expect(run.code).toBe(0);
    expect(run.envSet.EXISTING_SYSTEM_TOPICS).toBe(`${SUB_A}=${FOREIGN_TOPIC}`);
  });

  it('keeps DEPLOY_EVENT_SUBSCRIPTIONS=true when every audited subscription already has the event subscription (a pipeline run is one provision)', async () => {
    const run = await runHook('preprovision.sh', base, [
      { match: 'system-topic list', stdout: FOREIGN_TOPIC },
      {
        match: 'event-subscription show',
        stdout: `${FOREIGN_TOPIC}/eventSubscriptions/aks-identity-auditor`,
      },
    ]);
    expect(run.envSet.DEPLOY_EVENT_SUBSCRIPTIONS).toBe('true');
  });

  it('turns DEPLOY_EVENT_SUBSCRIPTIONS off when one subscription lacks it, even if an earlier run left it on (its new reader role is assigned in the second pass)', async () => {
    const run = await runHook('preprovision.sh', { ...base, DEPLOY_EVENT_SUBSCRIPTIONS: 'true' }, [
      { match: `system-topic list --subscription ${SUB_A}`, stdout: FOREIGN_TOPIC },
      { match: 'event-subscription show', code: 3 },
    ]);
    expect(run.envSet.DEPLOY_EVENT_SUBSCRIPTIONS).toBe('false');
  });
});

describe('postprovision.sh (Teams webhook into Key Vault, once)', () => {
  const SIG = 'sig=TopSecretSignature123';
  const URL = `https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&${SIG}`;
  const vault = { KEY_VAULT_NAME: 'kv-abc123' };
  const vaultId =
    '/subscriptions/s/resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/kv-abc123';
  const showVault = { match: 'keyvault show', stdout: vaultId };

  it('writes a URL given by the pipeline environment through ARM, never on a command line, and turns the reference on', async () => {
    const run = await runHook('postprovision.sh', { ...vault, TEAMS_WEBHOOK_URL: URL }, [
      showVault,
    ]);
    expect(run.code).toBe(0);
    const put = run.calls.find((c) => c.startsWith('az rest --method put')) ?? '';
    expect(put).toContain(
      `https://management.azure.com${vaultId}/secrets/teams-webhook-url?api-version=2023-07-01`,
    );
    expect(run.calls.join('\n')).not.toContain('TopSecretSignature123');
    expect(run.stdout + run.stderr).not.toContain('TopSecretSignature123');
    expect(JSON.parse(run.bodies[0])).toEqual({
      properties: { value: URL, contentType: 'Teams Workflows webhook URL' },
    });
    expect(run.envSet.TEAMS_WEBHOOK_CONFIGURED).toBe('true');
  });

  it('moves a URL kept in the azd environment file into the vault and removes it from the file', async () => {
    const run = await runHook('postprovision.sh', vault, [
      showVault,
      { match: 'env get-value TEAMS_WEBHOOK_URL', stdout: URL },
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.bodies[0]).properties.value).toBe(URL);
    expect(run.envSet.TEAMS_WEBHOOK_URL).toBe('');
    expect(run.envSet.TEAMS_WEBHOOK_CONFIGURED).toBe('true');
  });

  it('does not ask again when the secret is already in the vault', async () => {
    const run = await runHook('postprovision.sh', vault, [
      showVault,
      { match: 'rest --method get', stdout: `${vaultId}/secrets/teams-webhook-url` },
    ]);
    expect(run.code).toBe(0);
    expect(run.calls.some((c) => c.includes('--method put'))).toBe(false);
    expect(run.envSet.TEAMS_WEBHOOK_CONFIGURED).toBe('true');
  });

  it('without a terminal and without a URL it writes nothing and leaves Teams off', async () => {
    const run = await runHook('postprovision.sh', vault, [
      showVault,
      { match: 'rest --method get', code: 3 },
    ]);
    expect(run.code).toBe(0);
    expect(run.calls.some((c) => c.includes('--method put'))).toBe(false);
    expect(run.envSet.TEAMS_WEBHOOK_CONFIGURED).toBeUndefined();
  });

  it('refuses a URL that is not https, without echoing it', async () => {
    const run = await runHook(
      'postprovision.sh',
      { ...vault, TEAMS_WEBHOOK_URL: URL.replace('https:', 'http:') },
      [showVault],
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/must start with https:\/\/ \(value not shown: it is a secret\)/);
    expect(run.stderr).not.toContain('TopSecretSignature123');
  });
});

describe('enable-event-subscriptions.sh (postdeploy)', () => {
  it('does nothing once the event subscriptions are on', async () => {
    const run = await runHook('enable-event-subscriptions.sh', {
      DEPLOY_EVENT_SUBSCRIPTIONS: 'true',
    });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual([]);
  });

  it('adds the dead-letter identity to an existing topic (keeping its system identity), then provisions once more', async () => {
    const identity =
      '/subscriptions/s/resourceGroups/rg-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-eg-abc';
    const run = await runHook(
      'enable-event-subscriptions.sh',
      { EXISTING_SYSTEM_TOPICS: `${SUB_A}=${FOREIGN_TOPIC}`, EVENT_GRID_IDENTITY_ID: identity },
      [{ match: 'rest --method get', stdout: 'SystemAssigned' }],
    );
    expect(run.code).toBe(0);
    const patch = run.calls.find((c) => c.includes('--method patch')) ?? '';
    expect(patch).toContain(`https://management.azure.com${FOREIGN_TOPIC}?api-version=2022-06-15`);
    expect(patch).toContain(
      `{"identity":{"type":"SystemAssigned,UserAssigned","userAssignedIdentities":{"${identity}":{}}}}`,
    );
    expect(run.envSet.DEPLOY_EVENT_SUBSCRIPTIONS).toBe('true');
    expect(run.calls.filter((c) => c === 'azd provision --no-prompt')).toHaveLength(1);
  });

  it('retries a failing provision a bounded number of times (the host indexes new functions, new roles propagate), then fails naming what to do', async () => {
    const run = await runHook('enable-event-subscriptions.sh', {}, [
      { match: 'azd provision', code: 1 },
    ]);
    expect(run.code).toBe(1);
    expect(run.calls.filter((c) => c === 'azd provision --no-prompt')).toHaveLength(4);
    expect(run.calls.filter((c) => c === 'sleep 30')).toHaveLength(3);
    expect(run.stderr).toMatch(/Run 'azd provision' again/);
  });
});
