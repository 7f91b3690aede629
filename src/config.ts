/**
 * Settings (docs/contracts.md "Settings"): app settings in Azure, `local.settings.json` locally, the
 * environment for the CLI. This is the only module that reads `process.env`; everything else
 * receives a validated `Settings`. A missing or malformed setting throws an `InputError` naming
 * the setting and what is wrong; values that are secrets (connection strings, webhook URLs) are
 * never repeated in a message.
 *
 * Two kinds of setting (docs/contracts.md "Settings"): those nothing can work without (source,
 * schedule, storage, history, port, identity) always throw; an alert-channel setting
 * (`ALERT_EMAIL_*`, `ALERT_TEAMS_WEBHOOK_URL`) or `AUDIT_PUBLIC_BASE_URL` can instead only
 * disable what it configures (`onChannelProblem: 'disable'`, what the Functions app and the
 * local host use), so that one Key Vault reference App Service could not resolve does not stop
 * evaluation, the API and the other channels.
 */
import { parseSeverity as severityOf } from './core/report';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Cron } from 'croner';
import { InputError } from './core/errors';
import { SEVERITIES, type Severity } from './core/model';

/** Every setting this product reads. `local.settings.sample.json` lists exactly these. */
export const SETTING_NAMES = [
  'AUDIT_SUBSCRIPTION_IDS',
  'AUDIT_SNAPSHOT_DIR',
  'AUDIT_SOURCE_MODE',
  'AUDIT_DIRECTORY',
  'AUDIT_DIRECTORY_CACHE_MINUTES',
  'AUDIT_SCHEDULE',
  'AUDIT_STORAGE',
  'AUDIT_STORAGE__tableServiceUri',
  'AUDIT_STORAGE__queueServiceUri',
  'AUDIT_STORAGE__blobServiceUri',
  'AUDIT_STORAGE__credential',
  'AUDIT_STORAGE__clientId',
  'AUDIT_DATA_DIR',
  'AUDIT_DEAD_LETTER_CONTAINER',
  'AUDIT_HISTORY_DAYS',
  'AUDIT_PUBLIC_BASE_URL',
  'AUDIT_APPROVED_ADMINS',
  'ALERT_MIN_SEVERITY',
  'ALERT_EMAIL_CONNECTION',
  'ALERT_EMAIL_ENDPOINT',
  'ALERT_EMAIL_SENDER',
  'ALERT_EMAIL_TO',
  'ALERT_TEAMS_WEBHOOK_URL',
  'PORT',
  'AUDIT_LOCAL_KEY',
  'AZURE_CLIENT_ID',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/**
 * Settings the Functions host itself needs in `local.settings.json`; they are listed in the
 * sample but this product does not interpret them.
 */
export const HOST_SETTING_NAMES = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsStorage'] as const;

/** Settings whose value is a credential: never echoed, in messages or anywhere else. */
export const SECRET_SETTING_NAMES: readonly SettingName[] = [
  'AUDIT_STORAGE',
  'ALERT_EMAIL_CONNECTION',
  'ALERT_TEAMS_WEBHOOK_URL',
  'AUDIT_LOCAL_KEY',
];

export const DEFAULT_SCHEDULE = '0 0 2 * * *';
export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_PORT = 7071;
export const DEFAULT_HISTORY_DAYS = 400;
/** How long Microsoft Graph's answers are reused across runs (docs/storage.md `directory`). */
export const DEFAULT_DIRECTORY_CACHE_MINUTES = 60;
export const DEFAULT_ALERT_MIN_SEVERITY: Severity = 'high';

export type SourceMode = 'arm' | 'resourceGraph';
export const SOURCE_MODES: readonly SourceMode[] = ['arm', 'resourceGraph'];

/** Where names, group members and deleted principals come from when the estate is read live. */
export type DirectoryMode = 'graph' | 'none';
export const DIRECTORY_MODES: readonly DirectoryMode[] = ['graph', 'none'];

export type StorageSettings =
  /** Nothing configured: the embedded Azurite, keeping its data under `dataDir`. */
  | { kind: 'embedded' }
  | { kind: 'connectionString'; connectionString: string }
  /** Identity-based connection (the Functions `__tableServiceUri` convention). */
  | {
      kind: 'identity';
      tableServiceUri: string;
      queueServiceUri?: string;
      /** The blob endpoint (Event Grid dead letters, `AUDIT_DEAD_LETTER_CONTAINER`). */
      blobServiceUri?: string;
      credential?: 'managedidentity';
      /** Client id of the user-assigned managed identity used for storage. */
      clientId?: string;
    };

export type EmailSettings = (
  | { kind: 'connectionString'; connectionString: string }
  /** Endpoint + managed identity (no key in configuration). */
  | { kind: 'endpoint'; endpoint: string }
) & { sender: string; recipients: string[] };

export interface AlertSettings {
  minSeverity: Severity;
  email?: EmailSettings;
  teamsWebhookUrl?: string;
}

/** What a setting that could not be used switches off. */
export type DisabledFeature = 'email' | 'teams' | 'links';

/** A channel setting that could not be used (`onChannelProblem: 'disable'`). */
export interface DisabledSetting {
  disables: DisabledFeature;
  /** The setting at fault. */
  setting: SettingName;
  /** One line naming the setting and the problem; never the value of a secret. */
  message: string;
}

export interface LoadOptions {
  /**
   * `fail` (default: the CLI, where a person fixes it at once): a bad channel setting throws
   * like any other. `disable` (the long-running app): it disables only its channel, recorded
   * in `Settings.disabled`.
   */
  onChannelProblem?: 'fail' | 'disable';
}

export interface Settings {
  /** True inside an Azure Functions host in Azure (where the estate is always read live). */
  runningInAzure: boolean;
  /** Lower-cased subscription ids; empty = every subscription the identity can read. */
  subscriptionIds: string[];
  /**
   * `AUDIT_APPROVED_ADMINS`: lower-cased object ids of principals and groups approved to hold
   * cluster-admin paths (`cluster-admin-paths`), besides each cluster's admin groups.
   */
  approvedAdmins: string[];
  snapshotDir?: string;
  sourceMode: SourceMode;
  /** `graph`: Microsoft Graph for names, members, deleted principals and app registrations (live only). */
  directory: DirectoryMode;
  /** Minutes Graph's answers are reused across runs (the `directory` table); 0 = never. */
  directoryCacheMinutes: number;
  /** Six-field NCRONTAB (`{second} {minute} {hour} {day} {month} {day-of-week}`). */
  schedule: string;
  storage: StorageSettings;
  /** Where the embedded Azurite keeps its data. */
  dataDir: string;
  /**
   * The blob container Event Grid dead-letters undeliverable events to, in the `AUDIT_STORAGE`
   * account (docs/events.md "Not going blind"); unset = no dead letters to read.
   */
  deadLetterContainer?: string;
  historyDays: number;
  /** Base URL of the HTTP API for links in alerts, without a trailing slash. */
  publicBaseUrl?: string;
  alerts: AlertSettings;
  port: number;
  /** The local host's optional key (`x-functions-key` / `?code=`), as function keys are in Azure. */
  localKey?: string;
  /** Client id of the user-assigned managed identity DefaultAzureCredential should use. */
  managedIdentityClientId?: string;
  /** Channel settings that could not be used, and what each disables (empty when all are fine). */
  disabled: DisabledSetting[];
}

export type Environment = Record<string, string | undefined>;
/** Values that win over the environment (command-line flags); `undefined` leaves a setting alone. */
export type SettingOverrides = Partial<Record<SettingName, string | undefined>>;

/** The process environment. The one sanctioned `process.env` read of the code base. */
export function processEnvironment(): Environment {
  return process.env;
}

/**
 * The package root (package.json and samples/) found upwards from `start`: the repository when
 * running from src/ (tests) or dist/src/ (the built CLI). `start` itself when there is none, as
 * in a deployment that ships without the samples.
 */
export function findPackageRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'samples'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Deliberately permissive: one `@`, a dotted domain, nothing that separates addresses.
const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/;
/** App Service hands the reference text itself to the app when it cannot resolve it. */
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

export function loadSettings(
  env: Environment,
  overrides: SettingOverrides = {},
  options: LoadOptions = {},
): Settings {
  const read = (name: SettingName): string | undefined => {
    const raw = name in overrides && overrides[name] !== undefined ? overrides[name] : env[name];
    const trimmed = raw?.trim();
    // An empty value (as the sample file carries) means "not set".
    if (!trimmed) return undefined;
    if (KEY_VAULT_REFERENCE.test(trimmed)) {
      throw new InputError(
        `${name}: unresolved Key Vault reference (App Service could not read the secret with the app's identity: check the reference and the identity's Key Vault Secrets User role; App Service fetches it again on a configuration change or within 24 hours)`,
      );
    }
    return trimmed;
  };
  const disabled: DisabledSetting[] = [];
  /** A channel setting: parsed, or (in `disable` mode) recorded as disabling `disables`. */
  const channel = <T>(
    disables: DisabledFeature,
    fallbackSetting: SettingName,
    parse: () => T,
  ): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (options.onChannelProblem !== 'disable' || !(error instanceof InputError)) throw error;
      const named = /^([A-Za-z_]+):/.exec(error.message)?.[1];
      const setting = (SETTING_NAMES as readonly string[]).includes(named ?? '')
        ? (named as SettingName)
        : fallbackSetting;
      disabled.push({ disables, setting, message: error.message });
      return undefined;
    }
  };
  // The Functions host in Azure always sets WEBSITE_INSTANCE_ID; locally (func start, CLI) it is absent.
  const runningInAzure = Boolean(env.WEBSITE_INSTANCE_ID?.trim());

  const snapshotDir = read('AUDIT_SNAPSHOT_DIR');
  if (snapshotDir && runningInAzure) {
    throw new InputError(
      'AUDIT_SNAPSHOT_DIR: not supported in Azure, where the estate is always read live; remove the setting',
    );
  }
  const storage = parseStorage(read);
  if (storage.kind === 'embedded' && runningInAzure) {
    throw new InputError(
      'AUDIT_STORAGE: required in Azure (a connection string, or AUDIT_STORAGE__tableServiceUri for an identity-based connection)',
    );
  }

  return {
    runningInAzure,
    subscriptionIds: parseSubscriptionIds(
      read('AUDIT_SUBSCRIPTION_IDS') ?? '',
      'AUDIT_SUBSCRIPTION_IDS',
    ),
    approvedAdmins: parseGuidList(
      read('AUDIT_APPROVED_ADMINS') ?? '',
      'AUDIT_APPROVED_ADMINS',
      'an object id',
    ),
    snapshotDir,
    sourceMode: parseChoice('AUDIT_SOURCE_MODE', read('AUDIT_SOURCE_MODE'), SOURCE_MODES, 'arm'),
    directory: parseChoice(
      'AUDIT_DIRECTORY',
      read('AUDIT_DIRECTORY'),
      DIRECTORY_MODES,
      runningInAzure ? 'graph' : 'none',
    ),
    directoryCacheMinutes: parseInteger(
      'AUDIT_DIRECTORY_CACHE_MINUTES',
      read('AUDIT_DIRECTORY_CACHE_MINUTES'),
      DEFAULT_DIRECTORY_CACHE_MINUTES,
      0,
      7 * 24 * 60,
    ),
    schedule: parseSchedule(read('AUDIT_SCHEDULE') ?? DEFAULT_SCHEDULE),
    storage,
    dataDir: read('AUDIT_DATA_DIR') ?? DEFAULT_DATA_DIR,
    deadLetterContainer: parseContainerName(
      'AUDIT_DEAD_LETTER_CONTAINER',
      read('AUDIT_DEAD_LETTER_CONTAINER'),
    ),
    historyDays: parseInteger(
      'AUDIT_HISTORY_DAYS',
      read('AUDIT_HISTORY_DAYS'),
      DEFAULT_HISTORY_DAYS,
      1,
      36500,
    ),
    publicBaseUrl: channel('links', 'AUDIT_PUBLIC_BASE_URL', () =>
      parsePublicBaseUrl(read('AUDIT_PUBLIC_BASE_URL')),
    ),
    alerts: {
      minSeverity: parseSeverity(
        read('ALERT_MIN_SEVERITY') ?? DEFAULT_ALERT_MIN_SEVERITY,
        'ALERT_MIN_SEVERITY',
      ),
      email: channel('email', 'ALERT_EMAIL_TO', () => parseEmail(read)),
      teamsWebhookUrl: channel('teams', 'ALERT_TEAMS_WEBHOOK_URL', () =>
        parseTeamsWebhook(read('ALERT_TEAMS_WEBHOOK_URL')),
      ),
    },
    port: parseInteger('PORT', read('PORT'), DEFAULT_PORT, 1, 65535),
    localKey: read('AUDIT_LOCAL_KEY'),
    managedIdentityClientId: parseGuid('AZURE_CLIENT_ID', read('AZURE_CLIENT_ID')),
    disabled,
  };
}

/**
 * Comma-separated subscription ids → lower-cased GUIDs without duplicates. `name` is what the
 * message names: the setting, or a flag such as `--subscription`.
 */
export function parseSubscriptionIds(value: string, name: string): string[] {
  return parseGuidList(value, name, 'a subscription id');
}

/**
 * Comma-separated GUIDs → lower-cased, without duplicates; `what` names what one is in the
 * message (`a subscription id`, `an object id`).
 */
export function parseGuidList(value: string, name: string, what: string): string[] {
  const ids: string[] = [];
  for (const part of value.split(',')) {
    const id = part.trim();
    if (!id) continue;
    if (!GUID.test(id)) {
      throw new InputError(
        `${name}: '${id}' is not ${what} (expected a GUID such as 00000000-0000-0000-0000-000000000000)`,
      );
    }
    const lower = id.toLowerCase();
    if (!ids.includes(lower)) ids.push(lower);
  }
  return ids;
}

export function parseSeverity(value: string, name: string): Severity {
  const found = severityOf(value);
  if (!found)
    throw new InputError(`${name}: '${value}' is not a severity (one of ${SEVERITIES.join(', ')})`);
  return found;
}

/** Validates a six-field NCRONTAB expression, as the Azure Functions timer trigger reads it. */
export function parseSchedule(value: string, name = 'AUDIT_SCHEDULE'): string {
  const fields = value.split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    throw new InputError(
      `${name}: '${value}' has ${fields.length} field(s); an NCRONTAB expression has six: {second} {minute} {hour} {day} {month} {day-of-week}, e.g. ${DEFAULT_SCHEDULE}`,
    );
  }
  const normalised = fields.join(' ');
  try {
    new Cron(normalised, { paused: true });
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.replace(/^CronPattern:\s*/i, '') : String(error);
    throw new InputError(`${name}: '${value}' is not a valid NCRONTAB expression (${reason})`);
  }
  return normalised;
}

function parseChoice<T extends string>(
  name: SettingName,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!found) throw new InputError(`${name}: '${value}' is not one of ${choices.join(', ')}`);
  return found;
}

function parseInteger(
  name: SettingName,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(`${name}: '${value}' is not a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/** A blob container name: 3-63 lower-case letters, digits and single hyphens, starting and ending alphanumeric. */
function parseContainerName(name: SettingName, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(value)) {
    throw new InputError(
      `${name}: '${value}' is not a blob container name (3-63 lower-case letters, digits and single hyphens)`,
    );
  }
  return value;
}

function parseGuid(name: SettingName, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!GUID.test(value))
    throw new InputError(`${name}: '${value}' is not a client id (expected a GUID)`);
  return value.toLowerCase();
}

/** Parses an absolute URL; `secret` keeps the value out of the message. */
function parseUrl(
  name: SettingName,
  value: string,
  options: { secret: boolean; allowHttp?: 'loopback' | 'any' },
): URL {
  const shown = options.secret ? '' : ` '${value}'`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      `${name}:${shown} is not an absolute URL${options.secret ? ' (value not shown: it is a secret)' : ''}`,
    );
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const httpAllowed = options.allowHttp === 'any' || (options.allowHttp === 'loopback' && loopback);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpAllowed)) {
    throw new InputError(
      `${name}:${shown} must be an https:// URL${options.secret ? ' (value not shown: it is a secret)' : ''}`,
    );
  }
  return url;
}

function parsePublicBaseUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // Local runs link to http://localhost:7071.
  const url = parseUrl('AUDIT_PUBLIC_BASE_URL', value, { secret: false, allowHttp: 'loopback' });
  return url.toString().replace(/\/+$/, '');
}

function parseTeamsWebhook(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // The URL carries its signature in the query string: it is a secret.
  parseUrl('ALERT_TEAMS_WEBHOOK_URL', value, { secret: true });
  return value;
}

/** `key=value;key=value` → lower-cased keys; values keep any `=` they contain (base64 keys do). */
function connectionStringParts(value: string): Map<string, string> | undefined {
  const parts = new Map<string, string>();
  for (const segment of value.split(';')) {
    if (!segment.trim()) continue;
    const eq = segment.indexOf('=');
    if (eq <= 0) return undefined;
    parts.set(segment.slice(0, eq).trim().toLowerCase(), segment.slice(eq + 1).trim());
  }
  return parts.size > 0 ? parts : undefined;
}

type Reader = (name: SettingName) => string | undefined;

function parseStorage(read: Reader): StorageSettings {
  const connectionString = read('AUDIT_STORAGE');
  const tableServiceUri = read('AUDIT_STORAGE__tableServiceUri');
  const queueServiceUri = read('AUDIT_STORAGE__queueServiceUri');
  const blobServiceUri = read('AUDIT_STORAGE__blobServiceUri');
  const credential = read('AUDIT_STORAGE__credential');
  const clientId = read('AUDIT_STORAGE__clientId');
  const identityParts =
    tableServiceUri ?? queueServiceUri ?? blobServiceUri ?? credential ?? clientId;

  if (connectionString !== undefined) {
    if (identityParts !== undefined) {
      throw new InputError(
        'AUDIT_STORAGE: set either the connection string or the identity-based AUDIT_STORAGE__* settings, not both',
      );
    }
    const parts = connectionStringParts(connectionString);
    const usable =
      parts !== undefined &&
      ((parts.get('usedevelopmentstorage') ?? '').toLowerCase() === 'true' ||
        (parts.has('accountname') && parts.has('accountkey')) ||
        (parts.has('sharedaccesssignature') &&
          (parts.has('tableendpoint') || parts.has('accountname'))));
    if (!usable) {
      throw new InputError(
        'AUDIT_STORAGE: not a storage connection string (expected AccountName=…;AccountKey=…, TableEndpoint=…;SharedAccessSignature=…, or UseDevelopmentStorage=true; value not shown: it is a secret)',
      );
    }
    return { kind: 'connectionString', connectionString };
  }
  if (identityParts === undefined) return { kind: 'embedded' };
  if (tableServiceUri === undefined) {
    throw new InputError(
      'AUDIT_STORAGE__tableServiceUri: required for an identity-based storage connection (e.g. https://<account>.table.core.windows.net)',
    );
  }
  const table = parseUrl('AUDIT_STORAGE__tableServiceUri', tableServiceUri, {
    secret: false,
    allowHttp: 'loopback',
  });
  const queue =
    queueServiceUri === undefined
      ? undefined
      : parseUrl('AUDIT_STORAGE__queueServiceUri', queueServiceUri, {
          secret: false,
          allowHttp: 'loopback',
        });
  const blob =
    blobServiceUri === undefined
      ? undefined
      : parseUrl('AUDIT_STORAGE__blobServiceUri', blobServiceUri, {
          secret: false,
          allowHttp: 'loopback',
        });
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    throw new InputError(
      `AUDIT_STORAGE__credential: '${credential}' is not supported (the only value is managedidentity)`,
    );
  }
  return {
    kind: 'identity',
    tableServiceUri: table.toString().replace(/\/+$/, ''),
    ...(queue ? { queueServiceUri: queue.toString().replace(/\/+$/, '') } : {}),
    ...(blob ? { blobServiceUri: blob.toString().replace(/\/+$/, '') } : {}),
    ...(credential !== undefined ? { credential: 'managedidentity' as const } : {}),
    ...(clientId !== undefined ? { clientId: parseGuid('AUDIT_STORAGE__clientId', clientId) } : {}),
  };
}

function parseEmail(read: Reader): EmailSettings | undefined {
  const connection = read('ALERT_EMAIL_CONNECTION');
  const endpoint = read('ALERT_EMAIL_ENDPOINT');
  const sender = read('ALERT_EMAIL_SENDER');
  const to = read('ALERT_EMAIL_TO');
  if (connection === undefined && endpoint === undefined) {
    if (sender !== undefined || to !== undefined) {
      throw new InputError(
        `${sender !== undefined ? 'ALERT_EMAIL_SENDER' : 'ALERT_EMAIL_TO'}: set, but email is not configured (set ALERT_EMAIL_CONNECTION or ALERT_EMAIL_ENDPOINT)`,
      );
    }
    return undefined;
  }
  if (connection !== undefined && endpoint !== undefined) {
    throw new InputError(
      'ALERT_EMAIL_CONNECTION: set either ALERT_EMAIL_CONNECTION or ALERT_EMAIL_ENDPOINT, not both',
    );
  }
  let channel:
    { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };
  if (connection !== undefined) {
    const parts = connectionStringParts(connection);
    const endpointPart = parts?.get('endpoint');
    if (!parts || !endpointPart || !/^https:\/\//i.test(endpointPart) || !parts.get('accesskey')) {
      throw new InputError(
        'ALERT_EMAIL_CONNECTION: not an Azure Communication Services connection string (expected endpoint=https://…;accesskey=…; value not shown: it is a secret)',
      );
    }
    channel = { kind: 'connectionString', connectionString: connection };
  } else {
    const url = parseUrl('ALERT_EMAIL_ENDPOINT', endpoint as string, { secret: false });
    channel = { kind: 'endpoint', endpoint: url.toString() };
  }
  if (sender === undefined) {
    throw new InputError(
      'ALERT_EMAIL_SENDER: required when email alerts are configured (e.g. DoNotReply@<domain>.azurecomm.net)',
    );
  }
  if (!EMAIL.test(sender))
    throw new InputError(`ALERT_EMAIL_SENDER: '${sender}' is not an email address`);
  if (to === undefined) {
    throw new InputError(
      'ALERT_EMAIL_TO: required when email alerts are configured (comma-separated addresses)',
    );
  }
  const recipients: string[] = [];
  for (const part of to.split(',')) {
    const address = part.trim();
    if (!address) continue;
    if (!EMAIL.test(address))
      throw new InputError(`ALERT_EMAIL_TO: '${address}' is not an email address`);
    if (!recipients.includes(address)) recipients.push(address);
  }
  if (recipients.length === 0) throw new InputError('ALERT_EMAIL_TO: no address given');
  return { ...channel, sender, recipients };
}
