/**
 * `exemptions list|add|revoke|export|import` (docs/contracts.md "Exemptions"): accepted risk kept
 * in the same store the auditor records into (the embedded Azurite by default).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { lazyAzureCredential, openStorage } from '../../composition';
import { loadSettings } from '../../config';
import { CHECKS } from '../../core/checks';
import { InputError } from '../../core/errors';
import { MG_UNVERIFIED_NOTE } from '../../core/exemptions';
import {
  addExemption,
  exportExemptions,
  importExemptions,
  listExemptions,
  revokeExemption,
  type ExemptionDeps,
  type ListedExemption,
} from '../../usecases/exemptions';
import type { CommandContext } from '../main';

/** Opens the configured store for one command; tests replace it to point at their Azurite. */
export type OpenExemptions = (
  ctx: CommandContext,
) => Promise<{ deps: ExemptionDeps; close(): Promise<void> }>;

export const openConfiguredExemptions: OpenExemptions = async (ctx) => {
  const settings = loadSettings(ctx.env);
  const storage = await openStorage(settings, { credential: lazyAzureCredential(settings) });
  return {
    deps: { store: storage.exemptions, clock: ctx.clock, checkIds: CHECKS.map((c) => c.id) },
    close: () => storage.close(),
  };
};

/** Who is making a change from the command line (recorded as createdBy / revokedBy). */
function actor(ctx: CommandContext): string {
  return ctx.env.AUDIT_ACTOR || ctx.env.USER || ctx.env.USERNAME || 'command line';
}

async function withExemptions<T>(
  ctx: CommandContext,
  open: OpenExemptions,
  work: (deps: ExemptionDeps) => Promise<T>,
): Promise<T> {
  const { deps, close } = await open(ctx);
  try {
    return await work(deps);
  } finally {
    await close();
  }
}

function listTable(rows: ListedExemption[]): string {
  if (rows.length === 0) return 'No exemptions.\n';
  const columns = ['id', 'check', 'state', 'expires', 'owner', 'principals', 'scope'];
  const cells = rows.map((e) => [
    e.id,
    e.checkId,
    e.state,
    e.expiresOn.slice(0, 10),
    e.owner,
    e.principalIds?.join(',') ?? 'all',
    e.managementGroupUnverified ? `${e.scope} (not verified: ${MG_UNVERIFIED_NOTE})` : e.scope,
  ]);
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  return `${[line(columns), ...cells.map(line)].join('\n')}\n`;
}

export function registerExemptions(
  program: Command,
  ctx: CommandContext,
  open: OpenExemptions = openConfiguredExemptions,
): void {
  const command = program
    .command('exemptions')
    .description('accepted risk: list, add, revoke, export and import exemptions');

  command
    .command('list')
    .description('list active exemptions (--all adds revoked and expired ones)')
    .option('--cluster <id>', 'only exemptions covering this cluster')
    .option('--check <id>', 'only exemptions of this check')
    .option('--expiring-within <days>', 'only active exemptions expiring within DAYS')
    .option('--all', 'include revoked and expired exemptions')
    .addOption(
      new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(
      async (options: {
        cluster?: string;
        check?: string;
        expiringWithin?: string;
        all?: boolean;
        format: 'table' | 'json';
      }) => {
        let days: number | undefined;
        if (options.expiringWithin !== undefined) {
          days = Number(options.expiringWithin);
          if (!/^\d+$/.test(options.expiringWithin) || days > 365)
            throw new InputError('--expiring-within: must be a whole number of days from 0 to 365');
        }
        const rows = await withExemptions(ctx, open, (deps) =>
          listExemptions(deps, {
            clusterId: options.cluster,
            checkId: options.check,
            expiringWithinDays: days,
            all: options.all,
          }),
        );
        ctx.stdout.write(
          options.format === 'json'
            ? `${JSON.stringify({ exemptions: rows }, null, 2)}\n`
            : listTable(rows),
        );
      },
    );

  command
    .command('add')
    .description("accept one check's failure for a scope until a date")
    .requiredOption('--check <id>', 'the check id')
    .requiredOption(
      '--scope <resourceId>',
      'a cluster, resource group, subscription or management group id',
    )
    .option('--principal <objectId...>', 'only these principals (repeatable)')
    .requiredOption('--reason <text>', 'why the risk is accepted')
    .requiredOption('--owner <upn>', 'who answers for it (mail or UPN)')
    .requiredOption('--expires <isoDate>', 'when it stops applying (at most 365 days ahead)')
    .option('--ticket <text>', 'a change or risk ticket')
    .option('--id <id>', 'the exemption id (default: generated)')
    .action(
      async (options: {
        check: string;
        scope: string;
        principal?: string[];
        reason: string;
        owner: string;
        expires: string;
        ticket?: string;
        id?: string;
      }) => {
        const input = {
          id: options.id ?? `${options.check}-${randomBytes(3).toString('hex')}`,
          checkId: options.check,
          scope: options.scope,
          principalIds: options.principal,
          reason: options.reason,
          owner: options.owner,
          ticket: options.ticket,
          expiresOn: options.expires,
        };
        const created = await withExemptions(ctx, open, (deps) =>
          addExemption(deps, input, actor(ctx)),
        );
        ctx.stdout.write(
          `exemption ${created.id} created: ${created.checkId} at ${created.scope} until ${created.expiresOn}\n`,
        );
      },
    );

  command
    .command('revoke <id>')
    .description('revoke an exemption (it stays in history)')
    .option('--reason <text>', 'why')
    .action(async (id: string, options: { reason?: string }) => {
      const revoked = await withExemptions(ctx, open, (deps) =>
        revokeExemption(deps, id, actor(ctx), options.reason),
      );
      ctx.stdout.write(`exemption ${revoked.id} revoked at ${revoked.revokedAt}\n`);
    });

  command
    .command('export')
    .description('write every exemption as YAML (re-imports unchanged)')
    .option('--output <file>', 'write to FILE instead of stdout')
    .action(async (options: { output?: string }) => {
      const text = await withExemptions(ctx, open, (deps) => exportExemptions(deps));
      if (options.output === undefined) {
        ctx.stdout.write(text);
        return;
      }
      try {
        await writeFile(resolve(ctx.cwd, options.output), text, 'utf8');
      } catch (error) {
        throw new InputError(
          `--output ${options.output}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
    });

  command
    .command('import <file>')
    .description('create or update exemptions from a reviewed YAML or JSON file, idempotent by id')
    .option('--dry-run', 'show what would change and write nothing')
    .action(async (file: string, options: { dryRun?: boolean }) => {
      let text: string;
      try {
        text = await readFile(resolve(ctx.cwd, file), 'utf8');
      } catch (error) {
        throw new InputError(
          `${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
      const plan = await withExemptions(ctx, open, (deps) =>
        importExemptions(deps, text, { where: file, by: actor(ctx), dryRun: options.dryRun }),
      );
      const lines = [
        ...plan.created.map((id) => `create ${id}`),
        ...plan.updated.map((id) => `update ${id}`),
        ...plan.unchanged.map((id) => `unchanged ${id}`),
        `${plan.created.length} to create, ${plan.updated.length} to update, ${plan.unchanged.length} unchanged${options.dryRun ? ' (dry run: nothing written)' : ''}`,
      ];
      ctx.stdout.write(`${lines.join('\n')}\n`);
    });
}
