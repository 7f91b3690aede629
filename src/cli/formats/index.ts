/**
 * The report formats: pure functions from a `Report` to the text the CLI prints or writes.
 * No I/O and no environment here; the CLI decides colour and width and passes them in.
 */
import type { Report } from '../../core/model';
import type { CheckMeta } from './common';
import { formatJson } from './json';
import { formatMarkdown } from './markdown';
import { formatSarif, type SarifArtifact } from './sarif';
import { formatTable } from './table';

export const REPORT_FORMATS = ['table', 'json', 'markdown', 'sarif'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface FormatOptions {
  /** ANSI colour (table only). */
  color: boolean;
  /** Terminal columns (table only). */
  width?: number;
  /** The check catalogue (SARIF rules). */
  catalogue: readonly CheckMeta[];
  toolVersion: string;
  informationUri?: string;
  locate?: (cluster: Report['clusters'][number]) => SarifArtifact | undefined;
}

export function formatReport(report: Report, format: ReportFormat, options: FormatOptions): string {
  switch (format) {
    case 'table':
      return formatTable(report, { color: options.color, width: options.width });
    case 'json':
      return formatJson(report);
    case 'markdown':
      return formatMarkdown(report);
    case 'sarif':
      return formatSarif(report, options);
  }
}

export type { CheckMeta } from './common';
export { formatCatalogueJson, formatCatalogueTable, formatCheckReference } from './catalogue';
export { formatJson, formatMarkdown, formatSarif, formatTable };
