/** The `checks` command's output: the check catalogue as a table or as JSON. */
import { createColors } from 'picocolors';
import type { CheckMeta } from './common';
import { boxTable, DEFAULT_TABLE_WIDTH, wrap } from './table';

export function formatCatalogueTable(catalogue: readonly CheckMeta[], options: { color: boolean; width?: number }): string {
  // The id column alone is 40 wide: below 90 columns the titles would have no room.
  const width = Math.max(90, options.width ?? DEFAULT_TABLE_WIDTH);
  const c = createColors(options.color);
  const columns = [40, 10, 15];
  columns.push(width - columns.reduce((a, b) => a + b, 0) - 5);
  const rows = catalogue.map((check) => [check.id, check.severity, check.category, check.title].map((text, i) => wrap(text, columns[i] - 2)));
  const table = boxTable(['Check', 'Severity', 'Category', 'Title'].map((h) => c.bold(h)), rows, columns);
  return `${table}\n${catalogue.length} checks. \`checks --format json\` adds rationale, remediation and references.\n`;
}

export function formatCatalogueJson(catalogue: readonly CheckMeta[]): string {
  const checks = catalogue.map((check) => ({
    id: check.id,
    title: check.title,
    severity: check.severity,
    category: check.category,
    rationale: check.rationale,
    remediation: check.remediation,
    references: [...check.references],
  }));
  return `${JSON.stringify({ checks }, null, 2)}\n`;
}
