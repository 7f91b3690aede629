import { boxTable, fixLines, formatTable, visibleWidth, wrap } from '../../src/cli/formats/table';
import { formatCatalogueTable } from '../../src/cli/formats/catalogue';
import {
  ANSI,
  CATALOGUE,
  cluster,
  finding,
  GROUP_ID,
  reportWithGroupMembers,
  reportWithRegressions,
  sampleReport,
  stripAnsi,
} from './fixtures';

const widest = (text: string) =>
  Math.max(
    ...stripAnsi(text)
      .split('\n')
      .map((line) => [...line].length),
  );

/**
 * Widest line, leaving out fix-command lines that hold a single shell word longer than the
 * layout (such a word is never broken: it must paste whole).
 */
const widestBesideLongWords = (text: string, width: number) =>
  Math.max(
    ...stripAnsi(text)
      .split('\n')
      .filter((line) => !(line.length > width && /^ {10,}("[^"]*"|'[^']*'|\S+)( \\)?$/.test(line)))
      .map((line) => [...line].length),
  );

/** The fix block of a table printed for one cluster, continuation lines joined back. */
function fixCommands(text: string): string[] {
  const lines = stripAnsi(text).split('\n');
  const start = lines.findIndex((line) => line.includes('Fix (each command whole'));
  if (start < 0) return [];
  const commands: string[] = [];
  let current = '';
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('          ')) {
      if (/^ {6}\[\d+\]/.test(line)) continue;
      break;
    }
    const body = line.trim();
    current = current ? `${current} ${body}` : body;
    if (body.endsWith(' \\')) current = current.slice(0, -2);
    else {
      commands.push(current);
      current = '';
    }
  }
  return commands;
}

describe('table format', () => {
  it('keeps every line within 100 columns with long names, ids and scopes', () => {
    const text = formatTable(sampleReport(), { color: false });
    expect(widest(text)).toBeLessThanOrEqual(100);
  });

  it('keeps every line within 100 columns with colour on', () => {
    expect(widest(formatTable(sampleReport(), { color: true }))).toBeLessThanOrEqual(100);
  });

  it('fits a narrower terminal when asked, but for a fix word longer than the line', () => {
    const text = formatTable(sampleReport(), { color: false, width: 72 });
    expect(widestBesideLongWords(text, 72)).toBeLessThanOrEqual(72);
    // The long resource group of the fix is one word, printed whole on its own line.
    expect(stripAnsi(text).split('\n')).toContain(
      '            rg-platform-shared-services-production-westeurope-0001-with-a-very-long-name \\',
    );
  });

  it('gives the finding more room on a narrow terminal, the check column less', () => {
    const header = (width: number) =>
      stripAnsi(formatTable(sampleReport(), { color: false, width }))
        .split('\n')
        .find((line) => line.startsWith('│ Severity'))!
        .split('│')
        .map((cell) => cell.length);
    expect(header(100)).toEqual([0, 11, 28, 57, 0]);
    expect(header(72)).toEqual([0, 11, 20, 37, 0]);
    expect(header(60)).toEqual([0, 11, 16, 29, 0]);
  });

  it('never goes below 60 columns of layout', () => {
    expect(
      widestBesideLongWords(formatTable(sampleReport(), { color: false, width: 20 }), 60),
    ).toBeLessThanOrEqual(60);
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
    expect(lines).toContain('Summary: 3 clusters: 1 passing, 2 failing, 0 not fully evaluated.');
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
      'All 4 checks pass or do not apply (3 passing, 1 not applicable).',
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

  it("prints a cluster's regressions before its findings, and counts them in the summary", () => {
    const report = reportWithRegressions();
    const text = stripAnsi(formatTable(report, { color: false }));
    const section = text.split('PASS  aks-dev')[0];
    expect(section.indexOf('2 regressions since the previous audit:')).toBeGreaterThan(0);
    expect(section.indexOf('2 regressions since the previous audit:')).toBeLessThan(
      section.indexOf('┌'),
    );
    expect(section.indexOf('Regression check-failed: defender-enabled')).toBeLessThan(
      section.indexOf('┌'),
    );
    // The total is the JSON report's: every clusters[].regressions entry.
    expect(text).toContain('Regressions: 3 regressions on 2 clusters.');
  });

  it('leaves the regressions line out when there are none', () => {
    expect(formatTable(sampleReport(), { color: false })).not.toContain('Regressions:');
  });

  it("shows an error row's check severity and 'not evaluated'", () => {
    const text = stripAnsi(formatTable(sampleReport(), { color: false }));
    const lines = text.split('\n');
    const row = lines.findIndex((line) => line.includes('control-plane-identity-'));
    expect(lines[row]).toMatch(/^│ medium {4}│ control-plane-identity-/);
    expect(lines[row + 1]).toMatch(/^│ not {7}│/);
    expect(lines[row + 2]).toMatch(/^│ evaluated │/);
    expect(lines[row]).toContain('Not evaluated: the role assignments');
  });

  it('prints every fix below the table, whole, numbered from its row', () => {
    const report = sampleReport();
    const text = formatTable(report, { color: false });
    const section = stripAnsi(text).split('PASS  aks-dev')[0];
    const shown = ['admin-credential-access', 'local-accounts-disabled'];
    expect(fixCommands(section)).toEqual(
      shown.map((id) => report.clusters[0].findings.find((f) => f.checkId === id)!.remediation),
    );
    // The rows point at their fix; no fix text inside the box.
    expect(section).toContain('Fix: [1] below');
    expect(section).toContain('Fix: [2] below');
    expect(section).toMatch(/ {6}\[1\] admin-credential-access\n/);
    const box = section.slice(section.indexOf('┌'), section.lastIndexOf('┘'));
    expect(box).not.toContain('az aks');
    // An error finding has nothing to fix yet: no number for it.
    expect(section).not.toContain('Fix: [3]');
  });

  it('never breaks a fix inside a word, at any width', () => {
    const remediation =
      'az role assignment delete --assignee 0a1b2c3d-0000-4000-8000-000000000001 --role "Azure Kubernetes Service Cluster Admin Role" --scope /subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-prod';
    for (const width of [60, 72, 100, 140]) {
      const report = sampleReport();
      report.clusters = [
        cluster('aks', 'rg', 'fail', [
          finding('admin-credential-access', 'fail', 'critical', { remediation }),
        ]),
      ];
      const text = formatTable(report, { color: false, width });
      expect(fixCommands(text)).toEqual([remediation]);
      expect(widestBesideLongWords(text, width)).toBeLessThanOrEqual(width);
    }
  });
});

describe('table: the people behind the groups', () => {
  const flat = () =>
    stripAnsi(formatTable(reportWithGroupMembers(), { color: false })).replace(/[│\s]+/g, ' ');

  it('names the members of a group holding the access, beside their ids, with guest and disabled flags', () => {
    expect(flat()).toContain(
      `• Members of grp-sre · Group ${GROUP_ID}: 1500 members: Frank Okafor (frank@fabrikam.example) [guest] · User u-1; Grace Lee [disabled] · User u-2 and 1498 more`,
    );
  });

  it('lists a group once however many grants it holds, even when the detail names it', () => {
    expect(flat().split('Members of grp-sre').length).toBe(2);
  });

  it('flags a directly assigned guest or disabled user', () => {
    expect(flat()).toContain('• Hana Ito [guest, disabled] · Owner at rg-dev · User u-3');
  });
});

describe('fixLines', () => {
  it('keeps a short command on one line', () => {
    expect(fixLines('az aks update -g rg -n aks --disable-local-accounts', 80)).toEqual([
      'az aks update -g rg -n aks --disable-local-accounts',
    ]);
  });

  it('wraps between words with a continuation and an indent', () => {
    expect(fixLines('az aks update -g rg-prod -n aks-prod --disable-local-accounts', 30)).toEqual([
      'az aks update -g rg-prod \\',
      '  -n aks-prod \\',
      '  --disable-local-accounts',
    ]);
  });

  it('never splits a quoted argument, even at its spaces', () => {
    const lines = fixLines(
      "az role assignment delete --role 'Azure Kubernetes Service Cluster Admin Role'",
      30,
    );
    expect(lines).toContain("  'Azure Kubernetes Service Cluster Admin Role'");
    expect(lines.every((line, i) => i === lines.length - 1 || line.endsWith(' \\'))).toBe(true);
  });

  it('keeps double-quoted text with escaped quotes whole', () => {
    expect(fixLines('echo "a \\" b" c', 8)).toEqual(['echo \\', '  "a \\" b" \\', '  c']);
  });

  it('keeps a word longer than the line whole on its own line', () => {
    const id = `/subscriptions/${'0'.repeat(36)}/resourceGroups/${'r'.repeat(60)}`;
    expect(fixLines(`az role assignment delete --scope ${id}`, 40)).toEqual([
      'az role assignment delete --scope \\',
      `  ${id}`,
    ]);
  });

  it('puts a trailing comment on its own line above its command', () => {
    expect(
      fixLines('az role assignment delete --ids x   # if this grant is not intended', 80),
    ).toEqual(['# if this grant is not intended', 'az role assignment delete --ids x']);
  });

  it('keeps a # inside a word or quotes', () => {
    expect(fixLines("kubectl get cm 'a # b' x#y", 80)).toEqual(["kubectl get cm 'a # b' x#y"]);
  });

  it('keeps each line of a multi-line remediation apart', () => {
    expect(fixLines('az one\naz two', 80)).toEqual(['az one', 'az two']);
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
