/**
 * `audit [--snapshot DIR | --subscription ID …] [--format …] [--output FILE] [--fail-on SEVERITY]
 * [--store] [--notify]`: read the estate, evaluate it (the `runAudit` use case), print or write
 * the report, and turn `--fail-on` into the exit code.
 */
import {
  alertChannels,
  lazyAzureCredential,
  liveEstateSource,
  openStorage,
  selectEstate,
} from '../../composition';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import {
  loadSettings,
  parseSubscriptionIds,
  type SettingOverrides,
  type Settings,
} from '../../config';
import { SnapshotSource } from '../../adapters/snapshotSource';
import { InputError } from '../../core/errors';
import { SEVERITIES, type ClusterPosture, type Report, type Severity } from '../../core/model';
import {
  mappedEstateSource,
  type EstateSource,
  type ExemptionStore,
  type Notifier,
  type PostureStore,
} from '../../core/ports';
import { CHECKS } from '../../core/checks';
import { exemptionState, validateExemption, type Exemption } from '../../core/exemptions';
import { activeExemptions, parseExemptionsFile } from '../../usecases/exemptions';
import { failOnReason, nothingReadReason } from '../../core/gate';
import { runAudit } from '../../usecases/audit';
import { formatReport, REPORT_FORMATS, type ReportFormat } from '../formats';
import type { SarifArtifact } from '../formats/sarif';
import type { CommandContext } from '../main';
import { checkCatalogue } from './checks';

export interface AuditCommandOptions {
  snapshot?: string;
  /** As given: repeated and/or comma-separated. */
  subscription?: string[];
  format: ReportFormat;
  output?: string;
  failOn?: Severity;
  store?: boolean;
  notify?: boolean;
  /** An exemptions file (YAML or JSON) applied without a store (stateless CI). */
  exemptions?: string;
}

/** Builds estate sources; tests replace `azure` so they need no Azure. */
export interface SourceFactory {
  snapshot(dir: string): EstateSource;
  azure(options: { subscriptionIds: string[]; settings: Settings }): EstateSource;
}

/** What `--store` / `--notify` need: the posture store and (for --notify) the alert channels. */
export interface AuditPersistence {
  store: PostureStore;
  /** The stored exemptions, applied when no `--exemptions` file is given. */
  exemptions?: ExemptionStore;
  notifiers?: Notifier[];
  close(): Promise<void>;
}

/**
 * The wiring point for `--store` / `--notify`: given the settings, open the posture store
 * (Table Storage or the embedded Azurite) and, when `notify`, the configured notifiers.
 * `runAudit` then records each posture (regressions decided by the store) and delivers the
 * pending alerts; the report carries `regressions` and `alerts`.
 */
export type OpenPersistence = (
  settings: Settings,
  wants: { notify: boolean; consoleStream?: { write(chunk: string): unknown } },
) => Promise<AuditPersistence>;

/** The store the CLI records into: the same storage the local host uses (embedded Azurite by default). */
export const openConfiguredPersistence: OpenPersistence = async (settings, wants) => {
  const credential = lazyAzureCredential(settings);
  const storage = await openStorage(settings, { credential });
  try {
    const notifiers = wants.notify
      ? alertChannels(settings, { credential, console: true, consoleStream: wants.consoleStream })
      : undefined;
    return {
      store: storage.store,
      exemptions: storage.exemptions,
      notifiers,
      close: () => storage.close(),
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
};

export interface AuditCommandDeps {
  sources: SourceFactory;
  openPersistence: OpenPersistence;
}

export const defaultSourceFactory: SourceFactory = {
  snapshot: (dir) => new SnapshotSource(dir),
  azure: ({ subscriptionIds, settings }) => {
    // The Azure SDK is loaded on demand inside: only live audits need it.
    return liveEstateSource(settings, {
      credential: lazyAzureCredential(settings)(),
      subscriptionIds,
    });
  },
};

export const defaultAuditDeps: AuditCommandDeps = {
  sources: defaultSourceFactory,
  openPersistence: openConfiguredPersistence,
};

export const BUNDLED_SAMPLE_NOTICE =
  'auditing the bundled sample estate (no subscriptions configured)';

/**
 * `--snapshot` / `--subscription` as the settings they override (flags win over settings; a
 * `--subscription` also sets any configured snapshot aside). The selection itself is the one
 * the local host and the Functions app use (`selectEstate`).
 */
export function sourceOverrides(
  options: Pick<AuditCommandOptions, 'snapshot' | 'subscription'>,
  ctx: Pick<CommandContext, 'cwd'>,
): SettingOverrides {
  if (options.snapshot !== undefined && options.subscription !== undefined) {
    throw new InputError('audit: --snapshot and --subscription cannot be combined');
  }
  if (options.subscription !== undefined) {
    const subscriptionIds = parseSubscriptionIds(options.subscription.join(','), '--subscription');
    if (subscriptionIds.length === 0)
      throw new InputError('--subscription: no subscription id given');
    return { AUDIT_SUBSCRIPTION_IDS: subscriptionIds.join(','), AUDIT_SNAPSHOT_DIR: '' };
  }
  return options.snapshot !== undefined
    ? { AUDIT_SNAPSHOT_DIR: resolve(ctx.cwd, options.snapshot) }
    : {};
}

export async function auditCommand(
  options: AuditCommandOptions,
  ctx: CommandContext,
  deps: AuditCommandDeps = defaultAuditDeps,
): Promise<number> {
  const settings = loadSettings(ctx.env, sourceOverrides(options, ctx));
  const selection = selectEstate(settings, ctx);
  if (selection.kind === 'snapshot' && selection.bundledSample) ctx.warn(BUNDLED_SAMPLE_NOTICE);

  const source =
    selection.kind === 'snapshot'
      ? deps.sources.snapshot(selection.dir)
      : deps.sources.azure({ subscriptionIds: selection.subscriptionIds, settings });
  const wantsStore = Boolean(options.store || options.notify);
  // --notify delivers the alerts the store's outbox holds, so it implies --store.
  const persistence = wantsStore
    ? await deps.openPersistence(settings, {
        notify: Boolean(options.notify),
        consoleStream: ctx.stderr,
      })
    : undefined;

  let report: Report;
  try {
    ctx.progress(
      selection.kind === 'snapshot'
        ? `reading the estate from ${selection.dir}…`
        : `reading ${selection.subscriptionIds.length} subscription(s) from Azure…`,
    );
    const result = await runAudit({
      source: withProgress(
        source,
        ctx,
        selection.kind === 'azure' ? selection.subscriptionIds : [],
      ),
      clock: ctx.clock,
      store: persistence?.store,
      notifiers: options.notify ? persistence?.notifiers : undefined,
      minAlertSeverity: settings.alerts.minSeverity,
      linkBase: settings.publicBaseUrl,
      approvedAdmins: settings.approvedAdmins,
      log: (line) => ctx.warn(`warning: ${line}`),
      exemptions: async () => {
        if (options.exemptions !== undefined)
          return exemptionsFromFile(resolve(ctx.cwd, options.exemptions), options.exemptions, ctx);
        return persistence?.exemptions
          ? activeExemptions({ store: persistence.exemptions, clock: ctx.clock })
          : [];
      },
    });
    report = result.report;
  } finally {
    await persistence?.close();
  }
  ctx.progress(`evaluated ${report.summary.clusters} cluster(s)`);

  const locate =
    selection.kind === 'snapshot' ? await snapshotLocator(selection.dir, ctx.cwd) : undefined;
  const text = formatReport(report, options.format, {
    // A file never gets colour codes, whatever the terminal.
    color: options.output === undefined && ctx.colorStdout,
    width: options.output === undefined ? ctx.tableWidth : undefined,
    catalogue: checkCatalogue(),
    toolVersion: ctx.packageVersion,
    informationUri: ctx.informationUri,
    locate,
  });

  if (options.output !== undefined) {
    const target = resolve(ctx.cwd, options.output);
    try {
      await writeFile(target, text, 'utf8');
    } catch (error) {
      throw new InputError(
        `--output ${options.output}: cannot write the report (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    ctx.progress(`report written to ${target}`);
  } else {
    ctx.stdout.write(text);
  }
  if (options.failOn === undefined) return 0;
  const tripped = failOnReason(report, options.failOn);
  if (tripped === undefined) return 0;
  ctx.warn(tripped);
  return 1;
}

/**
 * The exemptions of a reviewed file, for `audit --exemptions`: refused whole when an entry is
 * invalid; an expired entry is named on stderr and no longer applies (its finding counts again).
 */
async function exemptionsFromFile(
  path: string,
  label: string,
  ctx: CommandContext,
): Promise<Exemption[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `--exemptions ${label}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const now = ctx.clock.now();
  const checkIds = CHECKS.map((check) => check.id);
  const entries = parseExemptionsFile(text, label).map((entry, i) =>
    validateExemption(entry, { now, checkIds, allowPastExpiry: true }, `${label} entry ${i + 1}`),
  );
  for (const exemption of entries) {
    const state = exemptionState(exemption, now);
    if (state !== 'active')
      ctx.warn(
        `exemption ${exemption.id} ${state === 'expired' ? `expired at ${exemption.expiresOn}` : 'is revoked'}: its findings count again`,
      );
  }
  return entries.filter((e) => exemptionState(e, now) === 'active');
}

/**
 * Progress lines around the (possibly long) read of the estate, and the first gate: a live read
 * of `subscriptionIds` that read nothing stops here (exit 2 with what to do), before anything is
 * evaluated or stored.
 */
function withProgress(
  source: EstateSource,
  ctx: CommandContext,
  subscriptionIds: readonly string[],
): EstateSource {
  return mappedEstateSource(source, (estate) => {
    const nothing = nothingReadReason(estate, subscriptionIds);
    if (nothing !== undefined) throw new InputError(nothing);
    ctx.progress(
      `read ${estate.clusters.length} cluster(s) and ${estate.roleAssignments.length} role assignment(s); evaluating…`,
    );
    return estate;
  });
}

/**
 * SARIF locations for a snapshot: the exported clusters.json, relative to the working directory
 * (the repository root in CI), and the line where each cluster's id appears in it.
 */
export async function snapshotLocator(
  dir: string,
  cwd: string,
): Promise<((cluster: ClusterPosture) => SarifArtifact | undefined) | undefined> {
  const file = join(dir, 'clusters.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const rel = relative(cwd, file);
  const uri =
    rel.startsWith('..') || isAbsolute(rel) ? pathToFileURL(file).href : rel.split(sep).join('/');
  return (cluster) => {
    const at = text.indexOf(JSON.stringify(cluster.id));
    return { uri, line: at === -1 ? 1 : text.slice(0, at).split('\n').length };
  };
}

export function registerAudit(
  program: Command,
  ctx: CommandContext,
  deps: AuditCommandDeps = defaultAuditDeps,
): void {
  program
    .command('audit')
    .description('evaluate the estate and print the report (read-only unless --store/--notify)')
    .option('--snapshot <dir>', 'read the estate from az CLI exports in DIR')
    .option(
      '--subscription <id...>',
      'audit these subscriptions live (repeatable or comma-separated)',
    )
    .addOption(
      new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('table'),
    )
    .option('--output <file>', 'write the report to FILE instead of stdout')
    .addOption(
      new Option(
        '--fail-on <severity>',
        'exit 1 when a failing or unevaluated finding at or above SEVERITY exists, or part of the estate could not be read',
      ).choices(SEVERITIES),
    )
    .option('--store', 'record posture and history; report regressions against the stored posture')
    .option('--notify', 'also send alerts for regressions (implies --store)')
    .option(
      '--exemptions <file>',
      'apply the exemptions of FILE (YAML or JSON, as `exemptions export` writes) instead of the stored ones',
    )
    .action(async (options: AuditCommandOptions) => {
      ctx.setExitCode(await auditCommand(options, ctx, deps));
    });
}
