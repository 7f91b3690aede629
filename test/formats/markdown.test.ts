import { code, escapeText, formatMarkdown } from '../../src/cli/formats/markdown';
import { GROUP_ID, reportWithGroupMembers, reportWithRegressions, sampleReport } from './fixtures';

/** Splits a GFM table row into cells the way GitHub does: on `|` not preceded by a backslash. */
const cells = (row: string) =>
  row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/);

describe('markdown format', () => {
  it('starts with a title and a summary table by severity', () => {
    const text = formatMarkdown(sampleReport());
    expect(text.startsWith('# AKS identity audit\n')).toBe(true);
    expect(text).toContain('| critical | 1 |');
    expect(text).toContain('| info | 0 |');
  });

  it('has one summary row per cluster with the same number of cells as the header', () => {
    const lines = formatMarkdown(sampleReport()).split('\n');
    const header = lines.findIndex((l) => l.startsWith('| Cluster |'));
    const width = cells(lines[header]).length;
    const rows = lines.slice(header + 2, header + 5);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(cells(row)).toHaveLength(width);
  });

  it('escapes a pipe in cluster names and details so cells do not split', () => {
    const lines = formatMarkdown(sampleReport()).split('\n');
    const row = lines.find((l) => l.includes('aks\\|pipe'));
    expect(row).toBeDefined();
    expect(cells(row as string)).toHaveLength(7);
    const detailRow = lines.find((l) => l.includes('Defender \\| security'));
    expect(cells(detailRow as string)).toHaveLength(4);
  });

  it('escapes HTML in estate text', () => {
    const text = formatMarkdown(sampleReport());
    expect(text).toContain('## aks\\|pipe&lt;b&gt;: **fail**');
    expect(text).toContain('| [aks\\|pipe&lt;b&gt;](#cluster-3-aks-pipe-b) |');
    // Only code spans (the resource id), where HTML is not interpreted, keep the raw text.
    expect(
      text
        .split('\n')
        .filter((l) => l.includes('<b>'))
        .every((l) => /`[^`]*<b>[^`]*`/.test(l)),
    ).toBe(true);
  });

  it('has a section per cluster with its failing and error findings', () => {
    const text = formatMarkdown(sampleReport());
    expect(text.match(/^## /gm)).toHaveLength(3);
    expect(text).toContain('| **critical** | `admin-credential-access` |');
    expect(text).toContain(
      '| **medium** · not evaluated | `control-plane-identity-least-privilege` | the role assignments of subscription could not be read: 403 AuthorizationFailed |  |',
    );
  });

  it('puts each line of a multi-line fix in its own code span', () => {
    const report = sampleReport();
    report.clusters[2].findings[3].remediation = 'az one --x\naz two | tee';
    expect(formatMarkdown(report)).toContain('| `az one --x`<br>`az two \\| tee` |');
  });

  it('counts clusters and findings in the words of the table', () => {
    const text = formatMarkdown(sampleReport());
    expect(text).toContain('3 clusters: 1 passing, 2 failing, 0 not fully evaluated.');
    expect(text).toContain('2 failing, 1 not evaluated, 1 passing, 0 not applicable.');
    expect(text).not.toContain('Regressions:');
  });

  it("puts a cluster's regressions before its findings and counts them all in the summary", () => {
    const report = reportWithRegressions();
    const text = formatMarkdown(report);
    expect(text).toContain('Regressions: 3 regressions on 2 clusters.');
    const section = text.split('## aks-dev')[0];
    const heading = section.indexOf('**2 regressions since the previous audit**');
    expect(heading).toBeGreaterThan(0);
    expect(heading).toBeLessThan(section.indexOf('| Severity | Check |'));
    expect(section.indexOf('- high check-failed `defender-enabled`')).toBeLessThan(
      section.indexOf('| Severity | Check |'),
    );
  });

  it('lists principals of failing access findings', () => {
    expect(formatMarkdown(sampleReport())).toContain(
      '| Dave Jones (dave@contoso.example) | `aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee` | User | Contributor |',
    );
  });

  it('folds passing checks away', () => {
    expect(formatMarkdown(sampleReport())).toContain(
      '<details><summary>Passing or not applicable (4)</summary>',
    );
  });

  it('links each summary row to a unique anchor', () => {
    const text = formatMarkdown(sampleReport());
    const anchors = [...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
    expect(new Set(anchors).size).toBe(3);
    for (const a of anchors) expect(text).toContain(`](#${a})`);
  });

  it('says so when there are no clusters', () => {
    const report = sampleReport();
    report.clusters = [];
    expect(formatMarkdown(report)).toContain('No clusters found.');
  });
});

describe('markdown: the people behind the groups', () => {
  it('lists the members of each group holding the access once, flagged, beside their ids', () => {
    const text = formatMarkdown(reportWithGroupMembers());
    const line = `- Members of grp-sre · Group ${GROUP_ID}: 1500 members: Frank Okafor (frank@fabrikam.example) \\[guest\\] · User u-1; Grace Lee \\[disabled\\] · User u-2 and 1498 more`;
    expect(text.split('\n').filter((l) => l.startsWith('- Members of'))).toEqual([line]);
  });

  it('flags a directly assigned guest or disabled user in the principals table', () => {
    expect(formatMarkdown(reportWithGroupMembers())).toContain(
      '| Hana Ito \\[guest, disabled\\] | `u-3` | User | Owner |',
    );
  });
});

describe('markdown escaping', () => {
  it.each([
    ['a|b', 'a\\|b'],
    ['<script>', '&lt;script&gt;'],
    ['a & b', 'a &amp; b'],
    ['line\nbreak', 'line<br>break'],
    ['*bold* _it_', '\\*bold\\* \\_it\\_'],
    ['back\\slash', 'back\\\\slash'],
  ])('escapes %j', (input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });

  it('fences code containing backticks with a longer fence', () => {
    expect(code('a`b')).toBe('``a`b``');
  });

  it('escapes pipes inside code spans', () => {
    expect(code('x | y')).toBe('`x \\| y`');
  });

  it('flattens newlines inside code spans', () => {
    expect(code('a\nb')).toBe('`a b`');
  });
});
