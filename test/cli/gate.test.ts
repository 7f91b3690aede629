/**
 * The command-line gate fails closed (docs/contracts.md, exit codes), end to end: the real CLI,
 * the real ArmEstateSource and Azure SDK clients against the local HTTPS fake of ARM, and a real
 * `ChainedTokenCredential` (DefaultAzureCredential's base) whose only source has no credential.
 */
import { ChainedTokenCredential, CredentialUnavailableError } from '@azure/identity';
import type { TokenCredential } from '@azure/core-auth';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArmEstateSource } from '../../src/adapters/armSource';
import { TableStore } from '../../src/adapters/tableStore';
import { BUILTIN_ROLE_GUIDS } from '../../src/core/builtinRoles';
import { useArmFake } from '../fakes/arm';
import { staticTestCredential, STATIC_TEST_TOKEN } from '../fakes/credential';
import { startAzurite, uniqueTablePrefix, type TestAzurite } from '../helpers/azurite';
import { recordingSources, run } from './harness';

const SUB_A = '11111111-1111-4111-8111-111111111111';
const SUB_B = '22222222-2222-4222-8222-222222222222';
const ROOT = join(__dirname, '..', '..');

const arm = useArmFake(
  (fake) => {
    fake.addSubscription(SUB_A, 'prod');
    fake.addSubscription(SUB_B, 'dev');
    fake.addCluster({ subscriptionId: SUB_A, resourceGroup: 'rg-a', name: 'aks-a' });
    fake.addCluster({ subscriptionId: SUB_B, resourceGroup: 'rg-b', name: 'aks-b' });
    for (const sub of [SUB_A, SUB_B]) {
      fake.addRoleAssignment({
        scope: `/subscriptions/${sub}`,
        roleDefinitionId: BUILTIN_ROLE_GUIDS.reader,
        principalId: '33333333-3333-4333-8333-333333333333',
        principalType: 'Group',
      });
    }
  },
  { expectedToken: STATIC_TEST_TOKEN },
);

/** What DefaultAzureCredential is on a laptop without `az login` and without AZURE_* settings. */
function noCredential(): TokenCredential {
  return new ChainedTokenCredential({
    getToken: async () => {
      throw new CredentialUnavailableError(
        'EnvironmentCredential is unavailable. No underlying credential could be used.',
      );
    },
  });
}

function liveAudit(args: string[], credential: TokenCredential = staticTestCredential()) {
  const sources = {
    ...recordingSources(),
    azure: ({ subscriptionIds }: { subscriptionIds: string[] }) =>
      new ArmEstateSource({
        credential,
        subscriptionIds,
        endpoint: arm().endpoint,
        clientOptions: {
          agent: arm().agent,
          retry: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 2 },
        },
      }),
  };
  return run(['audit', ...args], { auditDeps: { sources } });
}

describe('audit --subscription with no credential', () => {
  it.each([[[]], [['--fail-on', 'high']], [['--format', 'sarif']]])(
    'exits 2 with one actionable line and no report (%j)',
    async (extra) => {
      const { code, stdout, stderr } = await liveAudit(
        ['--subscription', SUB_A, ...extra],
        noCredential(),
      );
      expect(code).toBe(2);
      expect(stdout.text).toBe('');
      expect(stderr.lines).toHaveLength(1);
      expect(stderr.lines[0]).toMatch(
        new RegExp(
          `^aks-identity-auditor: nothing could be read from subscription ${SUB_A}: managed clusters could not be listed: no Azure credential could get a token: run \`az login\``,
        ),
      );
      expect(stderr.lines[0]).toContain('AZURE_CLIENT_ID');
      expect(stderr.lines[0]).not.toContain(STATIC_TEST_TOKEN);
    },
  );

  it('says "any of the N subscriptions" when several were asked for', async () => {
    const { code, stderr } = await liveAudit(
      ['--subscription', `${SUB_A},${SUB_B}`],
      noCredential(),
    );
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('nothing could be read from any of the 2 subscriptions: ');
  });

  it('a 403 on every subscription says which role is missing', async () => {
    arm().failSubscription(SUB_A, 403);
    const { code, stderr } = await liveAudit(['--subscription', SUB_A]);
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toContain('HTTP 403');
    expect(stderr.lines[0]).toContain('needs Reader on the subscription');
  });
});

describe('a partial read', () => {
  it('lists each failure on stderr and in the report; the clusters read are evaluated', async () => {
    arm().failSubscription(SUB_B, 500);
    const { code, stdout, stderr } = await liveAudit([
      '--subscription',
      `${SUB_A},${SUB_B}`,
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.text);
    expect(report.clusters.map((c: { name: string }) => c.name)).toEqual(['aks-a']);
    const failures = report.failures as { subscriptionId: string; part: string; message: string }[];
    expect(failures.slice(0, 2)).toEqual([
      { subscriptionId: SUB_B, part: 'clusters', message: expect.stringContaining('HTTP 500') },
      {
        subscriptionId: SUB_B,
        part: 'roleAssignments',
        message: expect.stringContaining('HTTP 500'),
      },
    ]);
    expect(failures.every((f) => f.subscriptionId === SUB_B)).toBe(true);
    // Each failure once on stderr, and nothing else there.
    expect(stderr.lines).toHaveLength(failures.length);
    failures.forEach((f, i) => expect(stderr.lines[i]).toContain(f.message));
  });

  it('trips --fail-on whatever the findings, naming what could not be read', async () => {
    arm().failSubscription(SUB_B, 500);
    const { code, stderr } = await liveAudit([
      '--subscription',
      `${SUB_A},${SUB_B}`,
      '--format',
      'json',
      '--fail-on',
      'critical',
    ]);
    expect(code).toBe(1);
    expect(stderr.lines.at(-1)).toMatch(
      new RegExp(
        `^--fail-on critical: \\d+ parts of the estate could not be read \\(clusters of subscription ${SUB_B}, roleAssignments of subscription ${SUB_B}`,
      ),
    );
  });

  it('marks the SARIF run unsuccessful, with a notification per failure', async () => {
    arm().failSubscription(SUB_B, 500);
    const { stdout } = await liveAudit([
      '--subscription',
      `${SUB_A},${SUB_B}`,
      '--format',
      'sarif',
    ]);
    const invocation = JSON.parse(stdout.text).runs[0].invocations[0];
    expect(invocation.executionSuccessful).toBe(false);
    const report = JSON.parse(
      (await liveAudit(['--subscription', `${SUB_A},${SUB_B}`, '--format', 'json'])).stdout.text,
    );
    expect(
      invocation.toolExecutionNotifications.map(
        (n: { level: string; properties: { part: string } }) => [n.level, n.properties.part],
      ),
    ).toEqual(report.failures.map((f: { part: string }) => ['error', f.part]));
    expect(invocation.toolExecutionNotifications[0].message.text).toContain(
      `Could not read clusters of subscription ${SUB_B}`,
    );
  });

  it('a complete read is a successful SARIF run', async () => {
    const { code, stdout } = await liveAudit([
      '--subscription',
      `${SUB_A},${SUB_B}`,
      '--format',
      'sarif',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.text).runs[0].invocations[0]).toEqual({
      executionSuccessful: true,
      endTimeUtc: expect.any(String),
    });
  });

  it('zero clusters read successfully is an answer, not a failure', async () => {
    arm().state.clusters.splice(0);
    const { code, stdout, stderr } = await liveAudit([
      '--subscription',
      SUB_A,
      '--format',
      'json',
      '--fail-on',
      'info',
    ]);
    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    expect(JSON.parse(stdout.text)).toMatchObject({ clusters: [], failures: [] });
  });
});

describe('--fail-on counts error findings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aia-gate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * The sample's hardened cluster (every check passes) with one more grant over it: a custom role
   * that was not exported (no role-definitions.json), so `custom-role-wildcards` (medium) is
   * `error` and nothing fails.
   */
  function hardenedWithUnexportedRole(): string {
    const estate = join(dir, 'estate');
    mkdirSync(estate);
    const sample = (file: string) =>
      JSON.parse(readFileSync(join(ROOT, 'samples', 'estate', file), 'utf8'));
    const clusters = sample('clusters.json').filter(
      (c: { name: string }) => c.name === 'aks-payments-prod',
    );
    const scope =
      '/subscriptions/00000000-0000-4000-a000-000000000001/resourceGroups/rg-payments-prod';
    const assignments = [
      ...sample('role-assignments.json'),
      {
        id: `${scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-9000-0000000000f1`,
        principalId: '00000000-0000-4000-c000-000000000004',
        principalName: 'grp-payments-sre',
        principalType: 'Group',
        roleDefinitionId:
          '/subscriptions/00000000-0000-4000-a000-000000000001/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-f000-0000000000ff',
        roleDefinitionName: 'Contoso Payments Operator',
        scope,
      },
    ];
    writeFileSync(
      join(estate, 'federated-credentials.json'),
      readFileSync(join(ROOT, 'samples', 'estate', 'federated-credentials.json')),
    );
    writeFileSync(join(estate, 'clusters.json'), JSON.stringify(clusters));
    writeFileSync(join(estate, 'role-assignments.json'), JSON.stringify(assignments));
    return estate;
  }

  it('an error at or above the threshold exits 1 and names the finding', async () => {
    const estate = hardenedWithUnexportedRole();
    const { code, stdout, stderr } = await run(
      ['audit', '--snapshot', estate, '--format', 'json', '--fail-on', 'medium'],
      { cwd: ROOT },
    );
    const findings = JSON.parse(stdout.text).clusters[0].findings as {
      checkId: string;
      status: string;
    }[];
    expect(findings.filter((f) => f.status !== 'pass' && f.status !== 'not-applicable')).toEqual([
      expect.objectContaining({ checkId: 'custom-role-wildcards', status: 'error' }),
    ]);
    expect(code).toBe(1);
    expect(stderr.lines).toEqual([
      '--fail-on medium: 1 finding at or above medium: aks-payments-prod custom-role-wildcards (medium, error: not evaluated)',
    ]);
  });

  it('an error below the threshold does not trip it', async () => {
    const { code, stderr } = await run(
      [
        'audit',
        '--snapshot',
        hardenedWithUnexportedRole(),
        '--format',
        'json',
        '--fail-on',
        'high',
      ],
      { cwd: ROOT },
    );
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
  });
});

/**
 * A documented promise (docs/contracts.md, docs/storage.md): when a later run cannot list a
 * subscription's clusters, the clusters the store already knows there turn `error` — never a
 * stale `pass` — and nothing pages or clears. The real CLI with `--store` and the real TableStore
 * on Azurite.
 */
describe('audit --store with a subscription that cannot be listed', () => {
  let azurite: TestAzurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  interface ReportCluster {
    name: string;
    status: string;
    findings: { checkId: string; status: string; detail?: string }[];
    regressions?: unknown[];
  }

  it('a subscription that cannot be listed turns its stored clusters error, not a stale pass, and pages nobody', async () => {
    const store = await TableStore.create({
      connectionString: azurite.connectionString,
      allowInsecureConnection: true,
      tablePrefix: uniqueTablePrefix('unr'),
    });
    const sources = {
      ...recordingSources(),
      azure: ({ subscriptionIds }: { subscriptionIds: string[] }) =>
        new ArmEstateSource({
          credential: staticTestCredential(),
          subscriptionIds,
          endpoint: arm().endpoint,
          clientOptions: { agent: arm().agent, retry: { maxRetries: 0 } },
        }),
    };
    const audit = async () => {
      const result = await run(
        ['audit', '--subscription', `${SUB_A},${SUB_B}`, '--format', 'json', '--store'],
        {
          auditDeps: {
            sources,
            openPersistence: async () => ({ store, close: async () => undefined }),
          },
        },
      );
      return { ...result, report: JSON.parse(result.stdout.text) as { clusters: ReportCluster[] } };
    };

    const first = await audit();
    expect(first.code).toBe(0);
    const before = first.report.clusters.find((c) => c.name === 'aks-b') as ReportCluster;
    const passedBefore = before.findings.filter((f) => f.status === 'pass').map((f) => f.checkId);
    expect(passedBefore.length).toBeGreaterThan(5);

    arm().failSubscription(SUB_B, 500);
    const second = await audit();
    const after = second.report.clusters.find((c) => c.name === 'aks-b');
    expect(after).toBeDefined();
    expect(after?.status).toBe('error');
    // Every check that passed before is now `error`, none kept as a stale pass.
    expect(after?.findings.filter((f) => f.status === 'pass')).toEqual([]);
    for (const checkId of passedBefore)
      expect(after?.findings.find((f) => f.checkId === checkId)?.status).toBe('error');
    expect(
      after?.findings.some((f) => f.status === 'error' && /could not be read/.test(f.detail ?? '')),
    ).toBe(true);
    expect(after?.regressions ?? []).toEqual([]);
    const stored = await store.getPosture(
      `/subscriptions/${SUB_B}/resourceGroups/rg-b/providers/Microsoft.ContainerService/managedClusters/aks-b`,
    );
    expect(stored?.status).toBe('error');
    // The readable subscription is evaluated as usual.
    const readable = second.report.clusters.find((c) => c.name === 'aks-a') as ReportCluster;
    expect(readable.findings.filter((f) => f.status === 'pass').length).toBeGreaterThan(5);
    expect(await store.listAlerts({})).toEqual([]);
  });
});
