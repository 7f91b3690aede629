import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HOST_SETTING_NAMES,
  loadSettings,
  parseSchedule,
  parseSubscriptionIds,
  SECRET_SETTING_NAMES,
  SETTING_NAMES,
} from '../src/config';
import { InputError } from '../src/core/errors';

const SUB_A = '0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0';
const SUB_B = '11111111-2222-3333-4444-555555555555';
const STORAGE_KEY = 'c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=';
const WEBHOOK_SIG = 'sig=TopSecretSignature123';

/** The InputError message loadSettings throws for `env`. */
function failure(env: Record<string, string>): string {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('loadSettings accepted the settings');
}

const email = {
  ALERT_EMAIL_ENDPOINT: 'https://acs-audit.europe.communication.azure.com',
  ALERT_EMAIL_SENDER: 'DoNotReply@contoso.azurecomm.net',
  ALERT_EMAIL_TO: 'oncall@contoso.com',
};

describe('loadSettings defaults', () => {
  const settings = loadSettings({});

  it.each([
    ['subscriptionIds', []],
    ['snapshotDir', undefined],
    ['sourceMode', 'arm'],
    ['schedule', '0 0 2 * * *'],
    ['storage', { kind: 'embedded' }],
    ['dataDir', '.data'],
    ['historyDays', 400],
    ['publicBaseUrl', undefined],
    ['port', 7071],
    ['managedIdentityClientId', undefined],
    ['runningInAzure', false],
  ])('%s defaults to %j', (key, value) => {
    expect(settings[key as keyof typeof settings]).toEqual(value);
  });

  it('alerts default to high with no channel', () => {
    expect(settings.alerts).toEqual({
      minSeverity: 'high',
      email: undefined,
      teamsWebhookUrl: undefined,
    });
  });

  it('treats empty and blank values as unset', () => {
    expect(loadSettings({ PORT: '', AUDIT_SCHEDULE: '   ', ALERT_MIN_SEVERITY: '' }).port).toBe(
      7071,
    );
  });
});

describe('AUDIT_SUBSCRIPTION_IDS', () => {
  it('splits, trims, lower-cases and de-duplicates', () => {
    expect(
      loadSettings({ AUDIT_SUBSCRIPTION_IDS: ` ${SUB_A} , ${SUB_B},${SUB_A.toLowerCase()},` })
        .subscriptionIds,
    ).toEqual([SUB_A.toLowerCase(), SUB_B]);
  });

  it('names the setting and the bad id', () => {
    expect(failure({ AUDIT_SUBSCRIPTION_IDS: `${SUB_A},prod-sub` })).toMatch(
      /^AUDIT_SUBSCRIPTION_IDS: 'prod-sub' is not a subscription id/,
    );
  });

  it('names a flag when parsing one', () => {
    expect(() => parseSubscriptionIds('nope', '--subscription')).toThrow(/^--subscription: 'nope'/);
  });
});

describe('AUDIT_SNAPSHOT_DIR and AUDIT_SOURCE_MODE', () => {
  it('reads the snapshot directory', () => {
    expect(loadSettings({ AUDIT_SNAPSHOT_DIR: 'exports/prod' }).snapshotDir).toBe('exports/prod');
  });

  it('accepts resourceGraph in any case', () => {
    expect(loadSettings({ AUDIT_SOURCE_MODE: 'resourcegraph' }).sourceMode).toBe('resourceGraph');
  });

  it('rejects an unknown mode', () => {
    expect(failure({ AUDIT_SOURCE_MODE: 'graph' })).toBe(
      "AUDIT_SOURCE_MODE: 'graph' is not one of arm, resourceGraph",
    );
  });
});

describe('AUDIT_DIRECTORY', () => {
  it('is none locally and graph in Azure unless set', () => {
    expect(loadSettings({}).directory).toBe('none');
    expect(
      loadSettings({ WEBSITE_INSTANCE_ID: 'i', AUDIT_STORAGE: 'UseDevelopmentStorage=true' })
        .directory,
    ).toBe('graph');
    expect(
      loadSettings({
        WEBSITE_INSTANCE_ID: 'i',
        AUDIT_STORAGE: 'UseDevelopmentStorage=true',
        AUDIT_DIRECTORY: 'none',
      }).directory,
    ).toBe('none');
    expect(loadSettings({ AUDIT_DIRECTORY: 'Graph' }).directory).toBe('graph');
  });

  it('rejects anything else, naming the setting', () => {
    expect(failure({ AUDIT_DIRECTORY: 'ldap' })).toBe(
      "AUDIT_DIRECTORY: 'ldap' is not one of graph, none",
    );
  });
});

describe('AUDIT_SCHEDULE', () => {
  it.each(['0 0 2 * * *', '0 */5 * * * *', '0 30 9 * * 1-5', '0 0 2 * * MON'])(
    'accepts %s',
    (schedule) => {
      expect(loadSettings({ AUDIT_SCHEDULE: schedule }).schedule).toBe(schedule);
    },
  );

  it('normalises spacing', () => {
    expect(parseSchedule('0  0 2 * *   *')).toBe('0 0 2 * * *');
  });

  it.each([
    ['0 2 * * *', /has 5 field\(s\); an NCRONTAB expression has six/],
    ['0 0 2 * * * 2030', /has 7 field\(s\)/],
    ['0 0 25 * * *', /is not a valid NCRONTAB expression \(Invalid value for hour: 25\)/],
    ['nightly', /has 1 field\(s\)/],
  ])('rejects %s naming the setting', (schedule, message) => {
    const text = failure({ AUDIT_SCHEDULE: schedule });
    expect(text.startsWith('AUDIT_SCHEDULE: ')).toBe(true);
    expect(text).toMatch(message);
  });
});

describe('AUDIT_STORAGE', () => {
  it('accepts an account key connection string', () => {
    const connectionString = `DefaultEndpointsProtocol=https;AccountName=staudit;AccountKey=${STORAGE_KEY};EndpointSuffix=core.windows.net`;
    expect(loadSettings({ AUDIT_STORAGE: connectionString }).storage).toEqual({
      kind: 'connectionString',
      connectionString,
    });
  });

  it('accepts the development storage shortcut', () => {
    expect(loadSettings({ AUDIT_STORAGE: 'UseDevelopmentStorage=true' }).storage.kind).toBe(
      'connectionString',
    );
  });

  it('accepts a SAS connection string', () => {
    expect(
      loadSettings({
        AUDIT_STORAGE:
          'TableEndpoint=https://x.table.core.windows.net/;SharedAccessSignature=sv=2022&sig=abc',
      }).storage.kind,
    ).toBe('connectionString');
  });

  it('rejects a malformed connection string without echoing it', () => {
    const text = failure({ AUDIT_STORAGE: `AccountName=staudit;Key=${STORAGE_KEY}` });
    expect(text).toMatch(/^AUDIT_STORAGE: not a storage connection string/);
    expect(text).not.toContain(STORAGE_KEY);
    expect(text).not.toContain('staudit');
  });

  it('rejects a connection string together with the identity form', () => {
    expect(
      failure({
        AUDIT_STORAGE: 'UseDevelopmentStorage=true',
        AUDIT_STORAGE__tableServiceUri: 'https://x.table.core.windows.net',
      }),
    ).toMatch(/^AUDIT_STORAGE: set either/);
  });

  it('reads the identity-based form', () => {
    expect(
      loadSettings({
        AUDIT_STORAGE__tableServiceUri: 'https://staudit.table.core.windows.net/',
        AUDIT_STORAGE__queueServiceUri: 'https://staudit.queue.core.windows.net',
        AUDIT_STORAGE__credential: 'ManagedIdentity',
        AUDIT_STORAGE__clientId: SUB_A,
      }).storage,
    ).toEqual({
      kind: 'identity',
      tableServiceUri: 'https://staudit.table.core.windows.net',
      queueServiceUri: 'https://staudit.queue.core.windows.net',
      credential: 'managedidentity',
      clientId: SUB_A.toLowerCase(),
    });
  });

  it('requires the table service URI for the identity form', () => {
    expect(failure({ AUDIT_STORAGE__credential: 'managedidentity' })).toMatch(
      /^AUDIT_STORAGE__tableServiceUri: required/,
    );
  });

  it('rejects a table service URI that is not https', () => {
    expect(
      failure({ AUDIT_STORAGE__tableServiceUri: 'http://staudit.table.core.windows.net' }),
    ).toMatch(/^AUDIT_STORAGE__tableServiceUri: .* must be an https:\/\/ URL/);
  });

  it('rejects a queue service URI that is not a URL', () => {
    expect(
      failure({
        AUDIT_STORAGE__tableServiceUri: 'https://t.example',
        AUDIT_STORAGE__queueServiceUri: 'queue',
      }),
    ).toMatch(/^AUDIT_STORAGE__queueServiceUri: 'queue' is not an absolute URL/);
  });

  it('rejects an unknown credential kind', () => {
    expect(
      failure({
        AUDIT_STORAGE__tableServiceUri: 'https://t.example',
        AUDIT_STORAGE__credential: 'clientsecret',
      }),
    ).toMatch(/^AUDIT_STORAGE__credential: 'clientsecret' is not supported/);
  });

  it('rejects a client id that is not a GUID', () => {
    expect(
      failure({
        AUDIT_STORAGE__tableServiceUri: 'https://t.example',
        AUDIT_STORAGE__clientId: 'me',
      }),
    ).toMatch(/^AUDIT_STORAGE__clientId: 'me'/);
  });

  it('is required in Azure', () => {
    expect(failure({ WEBSITE_INSTANCE_ID: 'abc' })).toMatch(/^AUDIT_STORAGE: required in Azure/);
  });

  it('knows it runs in Azure', () => {
    expect(
      loadSettings({ WEBSITE_INSTANCE_ID: 'abc', AUDIT_STORAGE: 'UseDevelopmentStorage=true' })
        .runningInAzure,
    ).toBe(true);
  });

  it('refuses a snapshot directory in Azure', () => {
    expect(
      failure({
        WEBSITE_INSTANCE_ID: 'abc',
        AUDIT_STORAGE: 'UseDevelopmentStorage=true',
        AUDIT_SNAPSHOT_DIR: 'x',
      }),
    ).toMatch(/^AUDIT_SNAPSHOT_DIR: not supported in Azure/);
  });
});

describe('AUDIT_DATA_DIR, AUDIT_HISTORY_DAYS, AUDIT_PUBLIC_BASE_URL, PORT, AZURE_CLIENT_ID', () => {
  it('reads the data directory', () => {
    expect(loadSettings({ AUDIT_DATA_DIR: '/var/lib/auditor' }).dataDir).toBe('/var/lib/auditor');
  });

  it.each([['0'], ['-1'], ['12.5'], ['forever']])('rejects history days %s', (value) => {
    expect(failure({ AUDIT_HISTORY_DAYS: value })).toBe(
      `AUDIT_HISTORY_DAYS: '${value}' is not a whole number from 1 to 36500`,
    );
  });

  it('reads history days', () => {
    expect(loadSettings({ AUDIT_HISTORY_DAYS: '30' }).historyDays).toBe(30);
  });

  it('strips the trailing slash of the public base URL', () => {
    expect(
      loadSettings({ AUDIT_PUBLIC_BASE_URL: 'https://auditor.contoso.com/' }).publicBaseUrl,
    ).toBe('https://auditor.contoso.com');
  });

  it('allows http for localhost only', () => {
    expect(loadSettings({ AUDIT_PUBLIC_BASE_URL: 'http://localhost:7071' }).publicBaseUrl).toBe(
      'http://localhost:7071',
    );
    expect(failure({ AUDIT_PUBLIC_BASE_URL: 'http://auditor.contoso.com' })).toMatch(
      /^AUDIT_PUBLIC_BASE_URL: .* must be an https:\/\/ URL/,
    );
  });

  it.each([['0'], ['65536'], ['http'], ['70 71']])('rejects port %s', (value) => {
    expect(failure({ PORT: value })).toBe(`PORT: '${value}' is not a whole number from 1 to 65535`);
  });

  it('reads the port', () => {
    expect(loadSettings({ PORT: '8080' }).port).toBe(8080);
  });

  it('reads and validates the managed identity client id', () => {
    expect(loadSettings({ AZURE_CLIENT_ID: SUB_A }).managedIdentityClientId).toBe(
      SUB_A.toLowerCase(),
    );
    expect(failure({ AZURE_CLIENT_ID: 'my-identity' })).toMatch(
      /^AZURE_CLIENT_ID: 'my-identity' is not a client id/,
    );
  });
});

describe('ALERT_MIN_SEVERITY', () => {
  it.each(['critical', 'high', 'medium', 'low', 'info', 'HIGH'])('accepts %s', (value) => {
    expect(loadSettings({ ALERT_MIN_SEVERITY: value }).alerts.minSeverity).toBe(
      value.toLowerCase(),
    );
  });

  it('rejects anything else', () => {
    expect(failure({ ALERT_MIN_SEVERITY: 'urgent' })).toBe(
      "ALERT_MIN_SEVERITY: 'urgent' is not a severity (one of critical, high, medium, low, info)",
    );
  });
});

describe('email alerts', () => {
  it('reads the endpoint form with sender and recipients', () => {
    expect(
      loadSettings({ ...email, ALERT_EMAIL_TO: 'a@contoso.com, b@contoso.com ,a@contoso.com' })
        .alerts.email,
    ).toEqual({
      kind: 'endpoint',
      endpoint: 'https://acs-audit.europe.communication.azure.com/',
      sender: 'DoNotReply@contoso.azurecomm.net',
      recipients: ['a@contoso.com', 'b@contoso.com'],
    });
  });

  it('reads the connection string form', () => {
    const connection = `endpoint=https://acs.communication.azure.com/;accesskey=${STORAGE_KEY}`;
    const settings = loadSettings({
      ...email,
      ALERT_EMAIL_ENDPOINT: '',
      ALERT_EMAIL_CONNECTION: connection,
    });
    expect(settings.alerts.email).toMatchObject({
      kind: 'connectionString',
      connectionString: connection,
    });
  });

  it('rejects a malformed connection string without echoing it', () => {
    const text = failure({
      ...email,
      ALERT_EMAIL_ENDPOINT: '',
      ALERT_EMAIL_CONNECTION: `endpoint=acs;key=${STORAGE_KEY}`,
    });
    expect(text).toMatch(
      /^ALERT_EMAIL_CONNECTION: not an Azure Communication Services connection string/,
    );
    expect(text).not.toContain(STORAGE_KEY);
  });

  it('rejects both forms at once', () => {
    expect(
      failure({ ...email, ALERT_EMAIL_CONNECTION: `endpoint=https://a/;accesskey=${STORAGE_KEY}` }),
    ).toMatch(/^ALERT_EMAIL_CONNECTION: set either/);
  });

  it('requires the sender', () => {
    expect(failure({ ...email, ALERT_EMAIL_SENDER: '' })).toMatch(
      /^ALERT_EMAIL_SENDER: required when email alerts are configured/,
    );
  });

  it('validates the sender', () => {
    expect(failure({ ...email, ALERT_EMAIL_SENDER: 'noreply' })).toBe(
      "ALERT_EMAIL_SENDER: 'noreply' is not an email address",
    );
  });

  it('requires recipients', () => {
    expect(failure({ ...email, ALERT_EMAIL_TO: '' })).toMatch(/^ALERT_EMAIL_TO: required/);
  });

  it('validates every recipient', () => {
    expect(failure({ ...email, ALERT_EMAIL_TO: 'a@contoso.com;b@contoso.com' })).toMatch(
      /^ALERT_EMAIL_TO: 'a@contoso.com;b@contoso.com' is not an email address/,
    );
    expect(failure({ ...email, ALERT_EMAIL_TO: 'a@contoso.com, bob' })).toBe(
      "ALERT_EMAIL_TO: 'bob' is not an email address",
    );
  });

  it('rejects a non-https endpoint', () => {
    expect(failure({ ...email, ALERT_EMAIL_ENDPOINT: 'http://acs.example' })).toMatch(
      /^ALERT_EMAIL_ENDPOINT: .* must be an https:\/\/ URL/,
    );
  });

  it('rejects a sender without an email channel', () => {
    expect(failure({ ALERT_EMAIL_SENDER: 'a@contoso.com' })).toMatch(
      /^ALERT_EMAIL_SENDER: set, but email is not configured/,
    );
  });
});

describe('ALERT_TEAMS_WEBHOOK_URL', () => {
  const webhook = `https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&${WEBHOOK_SIG}`;

  it('reads an https webhook', () => {
    expect(loadSettings({ ALERT_TEAMS_WEBHOOK_URL: webhook }).alerts.teamsWebhookUrl).toBe(webhook);
  });

  it('rejects http without echoing the URL', () => {
    const text = failure({ ALERT_TEAMS_WEBHOOK_URL: webhook.replace('https:', 'http:') });
    expect(text).toMatch(
      /^ALERT_TEAMS_WEBHOOK_URL: must be an https:\/\/ URL \(value not shown: it is a secret\)$/,
    );
    expect(text).not.toContain('TopSecretSignature123');
  });

  it('rejects a non-URL without echoing it', () => {
    const text = failure({ ALERT_TEAMS_WEBHOOK_URL: 'TopSecretSignature123' });
    expect(text).toMatch(/^ALERT_TEAMS_WEBHOOK_URL: is not an absolute URL/);
    expect(text).not.toContain('TopSecretSignature123');
  });
});

describe('AUDIT_DEAD_LETTER_CONTAINER and AUDIT_STORAGE__blobServiceUri (Event Grid dead letters)', () => {
  it('reads the container and the identity-based blob endpoint', () => {
    const settings = loadSettings({
      AUDIT_STORAGE__tableServiceUri: 'https://staudit.table.core.windows.net/',
      AUDIT_STORAGE__blobServiceUri: 'https://staudit.blob.core.windows.net/',
      AUDIT_DEAD_LETTER_CONTAINER: 'eventgrid-deadletter',
    });
    expect(settings.deadLetterContainer).toBe('eventgrid-deadletter');
    expect(settings.storage).toMatchObject({
      kind: 'identity',
      blobServiceUri: 'https://staudit.blob.core.windows.net',
    });
  });

  it('is unset by default', () => {
    expect(loadSettings({}).deadLetterContainer).toBeUndefined();
  });

  it.each(['EventGrid', 'ab', 'dead--letter', '-deadletter', 'dead_letter'])(
    'refuses %j, naming the setting',
    (value) => {
      expect(failure({ AUDIT_DEAD_LETTER_CONTAINER: value })).toBe(
        `AUDIT_DEAD_LETTER_CONTAINER: '${value}' is not a blob container name (3-63 lower-case letters, digits and single hyphens)`,
      );
    },
  );

  it('refuses a blob endpoint that is not a URL', () => {
    expect(
      failure({
        AUDIT_STORAGE__tableServiceUri: 'https://a.table.core.windows.net',
        AUDIT_STORAGE__blobServiceUri: 'blob',
      }),
    ).toMatch(/^AUDIT_STORAGE__blobServiceUri: /);
  });
});

describe("onChannelProblem: 'disable' (the Functions app and the local host)", () => {
  const disable = { onChannelProblem: 'disable' } as const;
  const unresolved =
    '@Microsoft.KeyVault(SecretUri=https://kv-audit.vault.azure.net/secrets/teams-webhook-url)';

  it('an unresolved Key Vault reference disables Teams only, naming the setting', () => {
    const settings = loadSettings({ ...email, ALERT_TEAMS_WEBHOOK_URL: unresolved }, {}, disable);
    expect(settings.alerts.teamsWebhookUrl).toBeUndefined();
    expect(settings.alerts.email).toMatchObject({
      kind: 'endpoint',
      recipients: ['oncall@contoso.com'],
    });
    expect(settings.disabled).toEqual([
      {
        disables: 'teams',
        setting: 'ALERT_TEAMS_WEBHOOK_URL',
        message: expect.stringMatching(
          /^ALERT_TEAMS_WEBHOOK_URL: unresolved Key Vault reference \(App Service could not read the secret/,
        ),
      },
    ]);
  });

  it.each([
    [{ ...email, ALERT_EMAIL_TO: 'bob' }, 'email', 'ALERT_EMAIL_TO'],
    [{ ...email, ALERT_EMAIL_SENDER: '' }, 'email', 'ALERT_EMAIL_SENDER'],
    [
      { ...email, ALERT_EMAIL_CONNECTION: `endpoint=https://a/;accesskey=${STORAGE_KEY}` },
      'email',
      'ALERT_EMAIL_CONNECTION',
    ],
    [{ ALERT_EMAIL_SENDER: 'a@contoso.com' }, 'email', 'ALERT_EMAIL_SENDER'],
    [
      { ALERT_EMAIL_ENDPOINT: unresolved.replace('teams-webhook-url', 'acs') },
      'email',
      'ALERT_EMAIL_ENDPOINT',
    ],
    [
      { ALERT_TEAMS_WEBHOOK_URL: `http://hooks.example/x?${WEBHOOK_SIG}` },
      'teams',
      'ALERT_TEAMS_WEBHOOK_URL',
    ],
    [{ AUDIT_PUBLIC_BASE_URL: 'ftp://auditor.example' }, 'links', 'AUDIT_PUBLIC_BASE_URL'],
  ])('%j disables %s (%s) and nothing else', (env, disables, setting) => {
    const settings = loadSettings(env, {}, disable);
    expect(settings.disabled).toEqual([
      { disables, setting, message: expect.stringMatching(new RegExp(`^${setting}: `)) },
    ]);
    expect(settings.disabled[0].message).not.toContain(STORAGE_KEY);
    expect(settings.disabled[0].message).not.toContain('TopSecretSignature123');
    expect(settings.schedule).toBe('0 0 2 * * *');
  });

  it.each([
    [{ AUDIT_SCHEDULE: 'nightly' }, /^AUDIT_SCHEDULE: /],
    [{ AUDIT_SUBSCRIPTION_IDS: 'prod' }, /^AUDIT_SUBSCRIPTION_IDS: /],
    [
      { AUDIT_STORAGE: '@Microsoft.KeyVault(VaultName=kv;SecretName=storage)' },
      /^AUDIT_STORAGE: unresolved Key Vault reference/,
    ],
    [{ ALERT_MIN_SEVERITY: 'urgent' }, /^ALERT_MIN_SEVERITY: /],
    [{ AUDIT_HISTORY_DAYS: '0' }, /^AUDIT_HISTORY_DAYS: /],
  ])('%j still stops start-up: nothing can work without it', (env, message) => {
    expect(() => loadSettings(env, {}, disable)).toThrow(message);
  });

  it('is empty when every setting is fine', () => {
    expect(loadSettings({ ...email }, {}, disable).disabled).toEqual([]);
  });

  it('without it (the CLI) a channel problem throws like any other, naming the setting', () => {
    expect(failure({ ALERT_TEAMS_WEBHOOK_URL: unresolved })).toMatch(
      /^ALERT_TEAMS_WEBHOOK_URL: unresolved Key Vault reference/,
    );
  });
});

describe('overrides', () => {
  it('win over the environment', () => {
    expect(
      loadSettings(
        { AUDIT_SNAPSHOT_DIR: 'a', PORT: '1' },
        { AUDIT_SNAPSHOT_DIR: 'b', PORT: undefined },
      ).snapshotDir,
    ).toBe('b');
    expect(loadSettings({ PORT: '1' }, { PORT: undefined }).port).toBe(1);
  });

  it('are validated like the environment', () => {
    expect(() => loadSettings({}, { PORT: 'x' })).toThrow(/^PORT: 'x'/);
  });
});

describe('local.settings.sample.json', () => {
  const sample = JSON.parse(
    readFileSync(join(__dirname, '..', 'local.settings.sample.json'), 'utf8'),
  ) as {
    IsEncrypted: boolean;
    Values: Record<string, string>;
  };

  it('is an unencrypted Functions settings file for the node worker', () => {
    expect(sample.IsEncrypted).toBe(false);
    expect(sample.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(sample.Values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
  });

  it('lists every setting loadSettings reads', () => {
    for (const name of SETTING_NAMES) expect(Object.keys(sample.Values)).toContain(name);
  });

  it('lists nothing loadSettings does not read, besides the host settings', () => {
    const known = new Set<string>([...SETTING_NAMES, ...HOST_SETTING_NAMES]);
    expect(Object.keys(sample.Values).filter((name) => !known.has(name))).toEqual([]);
  });

  it('loads without error', () => {
    expect(() => loadSettings(sample.Values)).not.toThrow();
  });

  it('carries no secret', () => {
    // AUDIT_STORAGE points `func start` at the local Azurite through its documented shortcut,
    // which names no key; every other secret setting is empty.
    for (const name of SECRET_SETTING_NAMES) {
      if (name === 'AUDIT_STORAGE') expect(sample.Values[name]).toBe('UseDevelopmentStorage=true');
      else expect(sample.Values[name]).toBe('');
    }
  });

  it('every setting the module reads is declared (no stray env reads)', () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const read = [...source.matchAll(/read\('([A-Za-z_]+)'\)/g)].map((m) => m[1]);
    expect(new Set(read)).toEqual(new Set(SETTING_NAMES));
  });
});

describe('host.json', () => {
  const host = JSON.parse(readFileSync(join(__dirname, '..', 'host.json'), 'utf8'));

  it('uses the v4 extension bundle', () => {
    expect(host.version).toBe('2.0');
    expect(host.extensionBundle).toEqual({
      id: 'Microsoft.Azure.Functions.ExtensionBundle',
      version: '[4.*, 5.0.0)',
    });
  });

  it('sets a default log level', () => {
    expect(host.logging.logLevel.default).toBe('Information');
  });
});
