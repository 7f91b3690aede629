import { boxTable, formatTable, visibleWidth, wrap } from '../../src/cli/formats/table';
import { formatCatalogueTable } from '../../src/cli/formats/catalogue';
import { ANSI, CATALOGUE, cluster, finding, sampleReport, stripAnsi } from './fixtures';

const widest = (text: string) =>
  Math.max(
    ...stripAnsi(text)
      .split('\n')
      .map((line) => [...line].length),
  );

describe('table format', () => {
  it('keeps every line within 100 columns with long names, ids and scopes', () => {
    const text = formatTable(sampleReport(), { color: false });
    expect(widest(text)).toBeLessThanOrEqual(100);
  });

  it('keeps every line within 100 columns with colour on', () => {
    expect(widest(formatTable(sampleReport(), { color: true }))).toBeLessThanOrEqual(100);
  });

  it('fits a narrower terminal when asked', () => {
    expect(widest(formatTable(sampleReport(), { color: false, width: 72 }))).toBeLessThanOrEqual(
      72,
    );
  });

  it('never goes below 60 columns of layout', () => {
    expect(widest(formatTable(sampleReport(), { color: false, width: 20 }))).toBeLessThanOrEqual(
      60,
    );
  });

  it('writes no ANSI codes without colour', () => {
    expect(formatTable(sampleReport(), { color: false })).not.toMatch(ANSI);
  });

  it('writes ANSI codes with colour', () => {
    expect(formatTable(sampleReport(), { color: true })).toMatch(ANSI);
  });

  it('does not truncate long words: the full resource group survives wrapping', () => {
    const text = stripAnsi(formatTable(sampleReport(), { color: false }));
    const joined = text.replace(/[│\s]+/g, '');
    expect(joined).toContain(
      'rg-platform-shared-services-production-westeurope-0001-with-a-very-long-name',
    );
    expect(text).not.toContain('…');
  });

  it('starts with a summary line and ends with the final summary', () => {
    const lines = formatTable(sampleReport(), { color: false }).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AKS identity audit — 3 clusters from a snapshot/);
    expect(
      lines.some((l) => l.startsWith('Summary: 3 clusters — 1 pass, 2 fail, 0 could not')),
    ).toBe(true);
    expect(lines[lines.length - 1]).toBe(
      'Failing findings by severity: critical 1 · high 1 · medium 0 · low 1 · info 0',
    );
  });

  it('shows each cluster with status and score', () => {
    const text = formatTable(sampleReport(), { color: false });
    expect(text).toMatch(/FAIL {2}aks-platform/);
    expect(text).toMatch(/PASS {2}aks-dev · score 100\/100/);
  });

  it('lists failing and error findings but not passing ones', () => {
    const text = stripAnsi(formatTable(sampleReport(), { color: false }));
    expect(text).toContain('local-accounts-disabled');
    expect(text).toContain('Not evaluated: the role assignments');
    const prodSection = text.split('PASS  aks-dev')[0];
    expect(prodSection).not.toContain('defender-enabled');
  });

  it('orders failures worst first and errors after failures', () => {
    const text = formatTable(sampleReport(), { color: false });
    const critical = text.indexOf('admin-credential-access');
    const high = text.indexOf('local-accounts-disabled');
    const error = text.indexOf('Not evaluated');
    expect(critical).toBeLessThan(high);
    expect(high).toBeLessThan(error);
  });

  it('lists the principals behind an access finding', () => {
    const text = formatTable(sampleReport(), { color: false }).replace(/[│\s]+/g, '');
    // By name, with the id beside it (docs/access.md "Names").
    expect(text).toContain('DaveJones(dave@contoso.example)·Contributorat');
    expect(text).toContain('Useraaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee');
  });

  it('summarises principals beyond the limit', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({
      principalId: `p-${i}`,
      principalType: 'Group',
      roleName: 'Owner',
      roleDefinitionId: 'x',
      scope: '/',
      capabilities: ['admin-credential' as const],
    }));
    const report = sampleReport();
    report.clusters = [
      cluster('aks', 'rg', 'fail', [
        finding('admin-credential-access', 'fail', 'critical', { principals: many }),
      ]),
    ];
    expect(formatTable(report, { color: false, maxPrincipals: 3 })).toContain('+5 more');
  });

  it('says when every check of a cluster passes', () => {
    expect(formatTable(sampleReport(), { color: false })).toContain(
      'All 4 checks pass or do not apply (3 pass, 1 not applicable).',
    );
  });

  it('handles an estate without clusters', () => {
    const report = sampleReport();
    report.clusters = [];
    report.summary = {
      clusters: 0,
      failing: 0,
      findingsBySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
    };
    expect(formatTable(report, { color: false })).toContain('No clusters found.');
  });

  it('shows regressions when the report carries them', () => {
    const report = sampleReport();
    report.clusters[0].regressions = [
      {
        kind: 'check-failed',
        checkId: 'local-accounts-disabled',
        before: 'pass',
        after: 'fail',
        severity: 'high',
      },
    ];
    expect(formatTable(report, { color: false })).toContain(
      'Regression check-failed: local-accounts-disabled, pass → fail [high]',
    );
  });
});

describe('wrap', () => {
  it('wraps on spaces', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
  });

  it('breaks long words after a slash', () => {
    expect(wrap('/subscriptions/abc/resourceGroups/rg', 20)).toEqual([
      '/subscriptions/abc/',
      'resourceGroups/rg',
    ]);
  });

  it('hard-breaks words without break characters', () => {
    expect(wrap('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('keeps explicit line breaks', () => {
    expect(wrap('one\ntwo', 10)).toEqual(['one', 'two']);
  });

  it('never returns a line longer than the width', () => {
    const text = 'x'.repeat(50) + ' a-b-c-d-e-f-g-h-i-j-k-l-m-n ' + '/a/b/c/d/e/f/g/h/i/j/k/l/m';
    for (const line of wrap(text, 9)) expect(line.length).toBeLessThanOrEqual(9);
  });
});

describe('catalogue table', () => {
  it('lists every check with severity and category within 100 columns', () => {
    const text = formatCatalogueTable(CATALOGUE, { color: false });
    expect(widest(text)).toBeLessThanOrEqual(100);
    for (const check of CATALOGUE) expect(text).toContain(check.id);
    expect(text).not.toMatch(ANSI);
  });
});

describe('boxTable', () => {
  it('draws borders, a header and one block per row', () => {
    expect(boxTable(['A', 'B'], [[['x'], ['y', 'z']]], [5, 4]).split('\n')).toEqual([
      '┌─────┬────┐',
      '│ A   │ B  │',
      '├─────┼────┤',
      '│ x   │ y  │',
      '│     │ z  │',
      '└─────┴────┘',
    ]);
  });

  it('pads by visible width, ignoring colour codes', () => {
    const lines = boxTable(['\u001b[1mA\u001b[22m'], [[['\u001b[31mred\u001b[39m']]], [7]).split(
      '\n',
    );
    for (const line of lines) expect(visibleWidth(line)).toBe(9);
  });

  it('renders many long cells quickly (no per-character re-measuring)', () => {
    const cell = Array.from({ length: 400 }, (_, i) => `line ${i} `.padEnd(50, 'x'));
    const lines = boxTable(
      ['H'],
      Array.from({ length: 50 }, () => [cell]),
      [54],
    ).split('\n');
    expect(lines).toHaveLength(2 + 1 + 50 * 401);
  });
});
