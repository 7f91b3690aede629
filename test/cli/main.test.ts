import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKS } from '../../src/core/checks';
import { ANSI, cluster, fakeEstate, memorySource, recordingSources, run, SUB } from './harness';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aia-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const audit = (args: string[], options: Parameters<typeof run>[1] = {}) => {
  const sources = recordingSources();
  return run(['audit', ...args], { ...options, auditDeps: { sources, ...options.auditDeps } }).then(
    (result) => ({ ...result, sources }),
  );
};

describe('usage errors exit 2 with exactly one line on stderr', () => {
  it.each([
    [[], /^aks-identity-auditor: missing command/],
    [['audti'], /^aks-identity-auditor: unknown command 'audti' \(Did you mean audit\?\)$/],
    [
      ['audit', '--frmat', 'json'],
      /^aks-identity-auditor: unknown option '--frmat' \(Did you mean --format\?\)$/,
    ],
    [
      ['audit', '--format', 'xml'],
      /^aks-identity-auditor: option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, json, markdown, sarif\.$/,
    ],
    [
      ['audit', '--fail-on', 'urgent'],
      /argument 'urgent' is invalid\. Allowed choices are critical, high, medium, low, info\.$/,
    ],
    [['audit', '--output'], /^aks-identity-auditor: option '--output <file>' argument missing$/],
    [['audit', 'extra'], /too many arguments/],
    [['checks', '--format', 'sarif'], /Allowed choices are table, json, markdown\.$/],
    [
      ['serve', '--port', 'http'],
      /^aks-identity-auditor: option '--port <port>' argument 'http' is invalid\. expected a port number from 1 to 65535\.$/,
    ],
    [['event'], /missing required argument 'file'/],
  ])('%j', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.lines[0]).toMatch(message);
    expect(stdout.text).toBe('');
  });

  it('--snapshot and --subscription together', async () => {
    const { code, stderr } = await audit(['--snapshot', 'x', '--subscription', SUB]);
    expect(code).toBe(2);
    expect(stderr.lines).toEqual([
      'aks-identity-auditor: audit: --snapshot and --subscription cannot be combined',
    ]);
  });

  it('a malformed --subscription names the flag', async () => {
    const { code, stderr } = await audit(['--subscription', 'prod']);
    expect(code).toBe(2);
    expect(stderr.lines).toEqual([
      "aks-identity-auditor: --subscription: 'prod' is not a subscription id (expected a GUID such as 00000000-0000-0000-0000-000000000000)",
    ]);
  });

  it('a malformed setting names the setting', async () => {
    const { code, stderr } = await audit(['--snapshot', 'x'], {
      env: { ALERT_MIN_SEVERITY: 'urgent' },
    });
    expect(code).toBe(2);
    expect(stderr.lines).toEqual([
      "aks-identity-auditor: ALERT_MIN_SEVERITY: 'urgent' is not a severity (one of critical, high, medium, low, info)",
    ]);
  });

  it('a secret setting is not echoed', async () => {
    const { code, stderr } = await audit([], {
      env: { ALERT_TEAMS_WEBHOOK_URL: 'http://hooks.example/sig=SECRET' },
    });
    expect(code).toBe(2);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.text).not.toContain('SECRET');
  });
});

describe('help and version exit 0', () => {
  it('--help prints usage on stdout', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout.text).toContain('Usage: aks-identity-auditor');
    for (const command of ['audit', 'checks', 'serve', 'event'])
      expect(stdout.text).toContain(command);
    expect(stderr.text).toBe('');
  });

  it('audit --help lists the options', async () => {
    const { code, stdout } = await run(['audit', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--snapshot',
      '--subscription',
      '--format',
      '--output',
      '--fail-on',
      '--store',
      '--notify',
    ])
      expect(stdout.text).toContain(flag);
  });

  it('help audit', async () => {
    const { code, stdout } = await run(['help', 'audit']);
    expect(code).toBe(0);
    expect(stdout.text).toContain('--fail-on');
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout.text.trim()).toBe(
      JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version,
    );
  });
});

describe('checks', () => {
  it('lists every check of the catalogue as a table', async () => {
    const { code, stdout } = await run(['checks']);
    expect(code).toBe(0);
    const flat = stdout.text.replace(/[│\s]+/g, '');
    for (const check of CHECKS) expect(flat).toContain(check.id);
    for (const line of stdout.text.split('\n')) expect([...line].length).toBeLessThanOrEqual(100);
    expect(stdout.text).not.toMatch(ANSI);
  });

  it('--format json adds rationale, remediation templates and references', async () => {
    const { code, stdout } = await run(['checks', '--format', 'json']);
    expect(code).toBe(0);
    const { checks } = JSON.parse(stdout.text);
    expect(checks.map((c: { id: string }) => c.id)).toEqual(CHECKS.map((c) => c.id));
    for (const check of checks) {
      expect(check.rationale).toBeTruthy();
      expect(typeof check.remediation).toBe('string');
      expect(Array.isArray(check.references)).toBe(true);
    }
    const local = checks.find((c: { id: string }) => c.id === 'local-accounts-disabled');
    expect(local.remediation).toContain('<cluster-name>');
  });

  it('colours the table on a TTY only', async () => {
    expect((await run(['checks'], { stdoutTTY: true })).stdout.text).toMatch(ANSI);
    expect(
      (await run(['checks'], { stdoutTTY: true, env: { NO_COLOR: '1' } })).stdout.text,
    ).not.toMatch(ANSI);
  });
});

describe('audit', () => {
  it('prints the JSON report with every check once per cluster', async () => {
    const { code, stdout, stderr } = await audit(['--snapshot', 'exports', '--format', 'json']);
    expect(code).toBe(0);
    expect(stderr.text).toBe('');
    const report = JSON.parse(stdout.text);
    expect(report.clusters).toHaveLength(2);
    for (const c of report.clusters) {
      expect(c.findings.map((f: { checkId: string }) => f.checkId).sort()).toEqual(
        CHECKS.map((check) => check.id).sort(),
      );
    }
  });

  it('resolves --snapshot against the working directory', async () => {
    const { sources } = await audit(['--snapshot', 'exports', '--format', 'json'], { cwd: dir });
    expect(sources.calls).toEqual([`snapshot:${join(dir, 'exports')}`]);
  });

  it('--subscription audits those subscriptions live, lower-cased', async () => {
    const other = '11111111-2222-3333-4444-555555555555';
    const { code, sources, stdout } = await audit([
      '--subscription',
      SUB.toUpperCase(),
      `${other},${SUB}`,
      '--format',
      'json',
    ]);
    expect(code).toBe(0);
    expect(sources.calls).toEqual([`azure:${SUB},${other}`]);
    expect(JSON.parse(stdout.text).source).toBe('azure');
  });

  it('AUDIT_SUBSCRIPTION_IDS selects the live source', async () => {
    const { sources } = await audit(['--format', 'json'], { env: { AUDIT_SUBSCRIPTION_IDS: SUB } });
    expect(sources.calls).toEqual([`azure:${SUB}`]);
  });

  it('AUDIT_SNAPSHOT_DIR selects a snapshot, and a flag wins over it', async () => {
    expect(
      (await audit(['--format', 'json'], { env: { AUDIT_SNAPSHOT_DIR: '/exports' } })).sources
        .calls,
    ).toEqual(['snapshot:/exports']);
    expect(
      (
        await audit(['--subscription', SUB, '--format', 'json'], {
          env: { AUDIT_SNAPSHOT_DIR: '/exports' },
        })
      ).sources.calls,
    ).toEqual([`azure:${SUB}`]);
  });

  it('without snapshot or subscriptions audits the bundled sample and says so on stderr', async () => {
    const { code, sources, stderr, stdout } = await audit(['--format', 'json']);
    expect(code).toBe(0);
    expect(sources.calls).toEqual([`snapshot:${join(__dirname, '..', '..', 'samples', 'estate')}`]);
    expect(stderr.lines).toEqual([
      'auditing the bundled sample estate (no subscriptions configured)',
    ]);
    expect(() => JSON.parse(stdout.text)).not.toThrow();
  });

  describe('--fail-on', () => {
    it.each([
      ['critical', 0],
      ['high', 1],
      ['medium', 1],
      ['low', 1],
      ['info', 1],
    ])('%s exits %d when the worst failure is high', async (severity, expected) => {
      const { code } = await audit(['--snapshot', 'x', '--format', 'json', '--fail-on', severity]);
      expect(code).toBe(expected);
    });

    it('exits 0 without --fail-on even with failures', async () => {
      expect((await audit(['--snapshot', 'x'])).code).toBe(0);
    });

    it('exits 0 when nothing fails', async () => {
      const sources = {
        ...recordingSources(),
        snapshot: () => memorySource(fakeEstate([cluster('aks-good')])),
      };
      const { code, stdout } = await run(
        ['audit', '--snapshot', 'x', '--format', 'json', '--fail-on', 'info'],
        { auditDeps: { sources } },
      );
      // Nothing fails and nothing is unevaluated: `--fail-on` counts both.
      expect(
        JSON.parse(stdout.text).clusters[0].findings.filter(
          (f: { status: string }) => f.status === 'fail' || f.status === 'error',
        ),
      ).toEqual([]);
      expect(code).toBe(0);
    });
  });

  describe('--output', () => {
    it('writes the report to the file and nothing to stdout', async () => {
      const file = join(dir, 'report.json');
      const { code, stdout } = await audit([
        '--snapshot',
        'x',
        '--format',
        'json',
        '--output',
        file,
      ]);
      expect(code).toBe(0);
      expect(stdout.text).toBe('');
      expect(JSON.parse(readFileSync(file, 'utf8')).schemaVersion).toBe(1);
    });

    it('resolves a relative file against the working directory', async () => {
      await audit(['--snapshot', 'x', '--format', 'markdown', '--output', 'report.md'], {
        cwd: dir,
      });
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^# AKS identity audit/);
    });

    it('never writes colour codes to a file, even from a terminal', async () => {
      const file = join(dir, 'report.txt');
      await audit(['--snapshot', 'x', '--output', file], { stdoutTTY: true });
      expect(readFileSync(file, 'utf8')).not.toMatch(ANSI);
    });

    it('a file that cannot be written exits 2 with one line naming it', async () => {
      const file = join(dir, 'missing', 'report.json');
      const { code, stderr } = await audit(['--snapshot', 'x', '--output', file]);
      expect(code).toBe(2);
      expect(stderr.lines).toEqual([
        `aks-identity-auditor: --output ${file}: cannot write the report (ENOENT)`,
      ]);
      expect(existsSync(file)).toBe(false);
    });

    it('still applies --fail-on', async () => {
      expect(
        (await audit(['--snapshot', 'x', '--output', join(dir, 'r.json'), '--fail-on', 'high']))
          .code,
      ).toBe(1);
    });
  });

  describe('colour and progress', () => {
    it('colours the table only on a TTY without NO_COLOR', async () => {
      expect((await audit(['--snapshot', 'x'], { stdoutTTY: true })).stdout.text).toMatch(ANSI);
      expect(
        (await audit(['--snapshot', 'x'], { stdoutTTY: true, env: { NO_COLOR: '1' } })).stdout.text,
      ).not.toMatch(ANSI);
      expect((await audit(['--snapshot', 'x'])).stdout.text).not.toMatch(ANSI);
    });

    it('keeps the table within 100 columns', async () => {
      for (const line of (await audit(['--snapshot', 'x'])).stdout.text.split('\n'))
        expect([...line].length).toBeLessThanOrEqual(100);
    });

    it('shows progress on stderr only when stderr is a TTY', async () => {
      const tty = await audit(['--snapshot', 'x', '--format', 'json'], { stderrTTY: true });
      expect(tty.stderr.text).toContain('read 2 cluster(s)');
      expect(() => JSON.parse(tty.stdout.text)).not.toThrow();
      const piped = await audit(['--snapshot', 'x', '--format', 'json']);
      expect(piped.stderr.text).toBe('');
    });
  });

  it('--store passes the opened store to the audit and closes it', async () => {
    const events: string[] = [];
    const store = {
      recordEvaluation: async () => ({ baseline: true, regressions: [], alerts: [] }),
      knownClusterIds: async () => [],
    } as unknown as import('../../src/core/ports').PostureStore;
    const { code, stdout } = await audit(['--snapshot', 'x', '--format', 'json', '--store'], {
      auditDeps: {
        openPersistence: async (_settings, wants) => {
          events.push(`open notify=${wants.notify}`);
          return { store, close: async () => void events.push('close') };
        },
      },
    });
    expect(code).toBe(0);
    expect(events).toEqual(['open notify=false', 'close']);
    expect(JSON.parse(stdout.text).clusters[0].regressions).toEqual([]);
  });

  it('an unexpected error exits 2 with its message only', async () => {
    const failing = {
      ...recordingSources(),
      snapshot: () => ({
        ...memorySource(fakeEstate()),
        readEstate: async () => Promise.reject(new Error('socket hang up')),
      }),
    };
    const { code, stderr } = await run(['audit', '--snapshot', 'x'], {
      auditDeps: { sources: failing },
    });
    expect(code).toBe(2);
    expect(stderr.lines).toEqual(['aks-identity-auditor: socket hang up']);
  });

  it('DEBUG adds the stack of an unexpected error', async () => {
    const failing = {
      ...recordingSources(),
      snapshot: () => ({
        ...memorySource(fakeEstate()),
        readEstate: async () => Promise.reject(new Error('socket hang up')),
      }),
    };
    const { code, stderr } = await run(['audit', '--snapshot', 'x'], {
      auditDeps: { sources: failing },
      env: { DEBUG: '1' },
    });
    expect(code).toBe(2);
    expect(stderr.lines[0]).toBe('aks-identity-auditor: socket hang up');
    expect(stderr.text).toMatch(/\n\s+at /);
  });
});
