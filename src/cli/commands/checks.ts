/** `checks [--format table|json|markdown]`: the check catalogue with severities and remediation. */
import { Option, type Command } from 'commander';
import { catalogueRemediation, CHECKS } from '../../core/checks';
import {
  formatCatalogueJson,
  formatCatalogueTable,
  formatCheckReference,
  type CheckMeta,
} from '../formats';
import type { CommandContext } from '../main';

export const CATALOGUE_FORMATS = ['table', 'json', 'markdown'] as const;

/** The catalogue as the formats need it, remediation rendered as a template. */
export function checkCatalogue(): CheckMeta[] {
  return CHECKS.map((check) => {
    let remediation: string;
    try {
      remediation = catalogueRemediation(check);
    } catch {
      // A remediation that needs data the placeholder lacks still gets a row in the catalogue.
      remediation = '';
    }
    return {
      id: check.id,
      title: check.title,
      severity: check.severity,
      category: check.category,
      rationale: check.rationale,
      remediation,
      references: [...check.references],
      failsWhen: check.failsWhen,
      bicep: check.infrastructureAsCode?.bicep,
      terraform: check.infrastructureAsCode?.terraform,
    };
  });
}

export function checksCommand(
  options: { format: (typeof CATALOGUE_FORMATS)[number] },
  ctx: CommandContext,
): number {
  const catalogue = checkCatalogue();
  const text =
    options.format === 'json'
      ? formatCatalogueJson(catalogue)
      : options.format === 'markdown'
        ? formatCheckReference(catalogue)
        : formatCatalogueTable(catalogue, { color: ctx.colorStdout, width: ctx.tableWidth });
  ctx.stdout.write(text);
  return 0;
}

export function registerChecks(program: Command, ctx: CommandContext): void {
  program
    .command('checks')
    .description(
      'list the check catalogue with severities (json adds rationale, remediation and references; markdown is the reference in docs/checks.md)',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(CATALOGUE_FORMATS).default('table'),
    )
    .action((options: { format: (typeof CATALOGUE_FORMATS)[number] }) => {
      ctx.setExitCode(checksCommand(options, ctx));
    });
}
