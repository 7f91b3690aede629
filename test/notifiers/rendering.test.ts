import {
  escapeHtml,
  renderAdaptiveCard,
  renderAlerts,
  renderHtml,
  renderSubject,
  renderText,
  teamsMessage,
} from '../../src/core/alertRendering';
import { clusterId, localAccountsAlert, SUB } from './alertFixture';
import type { Alert } from '../../src/core/model';

function privilegeAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    ...localAccountsAlert(),
    dedupeKey: `${clusterId('rg-prod', 'aks-prod').toLowerCase()}|admin-credential-access|11111111-1111-1111-1111-111111111111`,
    severity: 'high',
    kind: 'privilege-gained',
    checkId: 'admin-credential-access',
    title:
      'aks-prod: User 11111111-1111-1111-1111-111111111111 gained admin-credential over the cluster',
    before:
      'User 11111111-1111-1111-1111-111111111111 held no privileged capability over the cluster.',
    after:
      'User 11111111-1111-1111-1111-111111111111 now can fetch the static cluster-admin kubeconfig.',
    principal: {
      principalId: '11111111-1111-1111-1111-111111111111',
      principalType: 'User',
      displayName: 'Dave Jones',
      userPrincipalName: 'dave@contoso.example',
      roleName: 'Contributor',
      roleDefinitionId:
        '/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c',
      scope: `/subscriptions/${SUB}/resourceGroups/rg-prod`,
      capabilities: ['admin-credential', 'cluster-write'],
    },
    remediation: `az role assignment delete --assignee 11111111-1111-1111-1111-111111111111 --role Contributor --scope /subscriptions/${SUB}/resourceGroups/rg-prod\naz aks update --resource-group rg-prod --name aks-prod --disable-local-accounts`,
    ...overrides,
  };
}

function adminCredentialAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    ...localAccountsAlert(),
    dedupeKey: `${clusterId('rg-dev', 'aks-dev').toLowerCase()}|admin-credential-retrieved|evt-1`,
    clusterId: clusterId('rg-dev', 'aks-dev'),
    clusterName: 'aks-dev',
    resourceGroup: 'rg-dev',
    severity: 'critical',
    kind: 'admin-credential-retrieved',
    checkId: 'admin-credential-access',
    title: 'aks-dev: the static cluster-admin kubeconfig was fetched',
    before: 'Local accounts are enabled.',
    after: 'alice@contoso.com fetched the cluster-admin kubeconfig.',
    caller: {
      name: 'alice@contoso.com',
      objectId: '22222222-2222-2222-2222-222222222222',
      ipAddress: '203.0.113.7',
    },
    remediation: 'az aks update --resource-group rg-dev --name aks-dev --disable-local-accounts',
    link: 'https://auditor.example.net/api/dashboard/clusters/00000000-0000-0000-0000-000000000001/rg-dev/aks-dev',
    ...overrides,
  };
}

/** Every text a person sees in a card, in order. */
function cardTexts(node: unknown): string[] {
  const out: string[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      if ((n.type === 'TextRun' || n.type === 'TextBlock') && typeof n.text === 'string')
        out.push(n.text);
      Object.values(n).forEach(walk);
    }
  };
  walk(node);
  return out;
}

function findAll(node: unknown, predicate: (n: any) => boolean): any[] {
  const out: any[] = [];
  const walk = (n: any) => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') {
      if (predicate(n)) out.push(n);
      Object.values(n).forEach(walk);
    }
  };
  walk(node);
  return out;
}

describe('subject', () => {
  it('names severity, cluster and what happened for one alert', () => {
    expect(renderSubject([localAccountsAlert()])).toBe(
      '[CRITICAL] aks-prod: local accounts re-enabled',
    );
  });

  it('leads with the cluster name when the title does not', () => {
    expect(renderSubject([localAccountsAlert({ title: 'local accounts re-enabled' })])).toBe(
      '[CRITICAL] aks-prod: local accounts re-enabled',
    );
  });

  it('counts regressions and clusters for a digest', () => {
    expect(renderSubject([localAccountsAlert(), privilegeAlert(), adminCredentialAlert()])).toBe(
      'AKS identity digest: 3 alerts on 2 clusters',
    );
  });

  it('cannot be used to inject mail header lines', () => {
    const subject = renderSubject([
      localAccountsAlert({ title: 'aks-prod: x\r\nBcc: victim@example.com' }),
    ]);
    expect(subject).not.toMatch(/[\r\n]/);
  });
});

describe('plain text', () => {
  it('carries no control characters from data (no forged lines, no terminal escapes)', () => {
    const text = renderText([
      adminCredentialAlert({
        caller: { name: 'eve\u001b]0;pwned\u0007\nSeverity: info', ipAddress: '198.51.100.1' },
      }),
    ]);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).not.toMatch(/^Severity: info/m);
  });

  it('names the people behind a group that gained the access, in text, HTML and the card', () => {
    const group = privilegeAlert({
      principal: {
        ...privilegeAlert().principal!,
        principalId: '22222222-0000-4000-c000-000000000001',
        principalType: 'Group',
        displayName: 'grp-sre',
        userPrincipalName: undefined,
        members: {
          count: 1200,
          users: [
            { id: 'u-1', displayName: 'Frank', guest: true, enabled: true },
            { id: 'u-2', userPrincipalName: 'grace@contoso.example', guest: false, enabled: false },
          ],
        },
      },
    });
    const members =
      '1200 members: Frank [guest] · User u-1; grace@contoso.example [disabled] · User u-2 and 1198 more';
    expect(renderText([group])).toMatch(
      new RegExp(`\\nMembers: +${members.replace(/[[\]]/g, '\\$&')}\\n`),
    );
    expect(renderHtml([group])).toContain(
      '<th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;white-space:nowrap">Members</th>',
    );
    expect(cardTexts(renderAdaptiveCard([group]))).toContain(members);
    // A user holding the access directly has no members line.
    expect(renderText([privilegeAlert()])).not.toContain('Members:');
  });

  it('flags a guest or disabled user holding the access directly', () => {
    const guest = privilegeAlert({
      principal: { ...privilegeAlert().principal!, guest: true, enabled: false },
    });
    expect(renderText([guest])).toContain(
      'Who has the access: Dave Jones (dave@contoso.example) [guest, disabled] · Contributor at rg-prod',
    );
  });

  it('carries what changed, who, the fix and the link', () => {
    const text = renderText([privilegeAlert()]);
    expect(text).toContain(
      '[HIGH] aks-prod: User 11111111-1111-1111-1111-111111111111 gained admin-credential',
    );
    expect(text).toContain('Before:');
    expect(text).toContain('held no privileged capability');
    // The person by name, the id beside it (docs/access.md "Names").
    expect(text).toContain(
      'Who has the access: Dave Jones (dave@contoso.example) · Contributor at rg-prod · User 11111111-1111-1111-1111-111111111111 (admin-credential, cluster-write)',
    );
    expect(text).toContain(
      '    az role assignment delete --assignee 11111111-1111-1111-1111-111111111111',
    );
    expect(text).toContain(
      '    az aks update --resource-group rg-prod --name aks-prod --disable-local-accounts',
    );
    expect(text).toContain('Details: https://auditor.example.net/api/dashboard/clusters/');
  });

  it('names the caller and IP of an admin credential retrieval', () => {
    const text = renderText([adminCredentialAlert()]);
    expect(text).toContain('Caller:');
    expect(text).toContain(
      'alice@contoso.com (object id 22222222-2222-2222-2222-222222222222) from 203.0.113.7',
    );
  });

  it('lists a digest worst first, with counts', () => {
    const text = renderText([privilegeAlert(), localAccountsAlert(), adminCredentialAlert()]);
    expect(text.split('\n')[0]).toBe('AKS identity digest: 3 alerts on 2 clusters');
    // The severity counts in the words of the CLI's summary (core/countWords).
    expect(text.split('\n')[2]).toBe(
      'Alerts by severity: critical 2 · high 1 · medium 0 · low 0 · info 0',
    );
    expect(text.indexOf('[HIGH]')).toBeGreaterThan(text.lastIndexOf('[CRITICAL]'));
  });

  it('counts alerts, not regressions: a reminder or a real-time signal is an alert too', () => {
    const reminder: Alert = {
      ...localAccountsAlert(),
      kind: 'accepted-risk',
      dedupeKey: 'r',
    };
    expect(renderSubject([adminCredentialAlert(), reminder])).toBe(
      'AKS identity digest: 2 alerts on 2 clusters',
    );
    expect(renderSubject([])).toBe('AKS identity digest: no alerts');
  });
});

describe('HTML', () => {
  const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

  it('escapes every value that came from data', () => {
    const html = renderHtml([
      privilegeAlert({
        clusterName: hostile,
        title: `${hostile}: gained`,
        principal: {
          ...privilegeAlert().principal!,
          principalId: hostile,
          roleName: hostile,
          scope: hostile,
        },
        caller: { name: hostile, ipAddress: hostile },
        remediation: `az aks update --name ${hostile}`,
        before: hostile,
        after: hostile,
      }),
    ]);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;',
    );
  });

  it('renders the fix in a monospace block and the link as an anchor', () => {
    const html = renderHtml([localAccountsAlert()]);
    expect(html).toMatch(
      /<pre[^>]*monospace[^>]*>az aks update --resource-group rg-prod --name aks-prod --disable-local-accounts<\/pre>/,
    );
    expect(html).toContain(
      '<a href="https://auditor.example.net/api/dashboard/clusters/00000000-0000-0000-0000-000000000001/rg-prod/aks-prod">',
    );
  });

  it('never links a non-http URL', () => {
    const html = renderHtml([localAccountsAlert({ link: 'javascript:alert(1)' })]);
    expect(html).not.toContain('javascript:');
    expect(
      renderAdaptiveCard([localAccountsAlert({ link: 'javascript:alert(1)' })]).actions,
    ).toBeUndefined();
  });

  it('escapes the basics', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});

describe('Adaptive Card', () => {
  it('is an AdaptiveCard 1.4 with title, severity, cluster, change, who, fix and link', () => {
    const card = renderAdaptiveCard([privilegeAlert()]);
    expect(card.type).toBe('AdaptiveCard');
    expect(card.version).toBe('1.4');
    expect(Array.isArray(card.body)).toBe(true);
    const texts = cardTexts(card.body);
    expect(texts).toContain('HIGH ');
    expect(texts).toContain(
      'aks-prod: User 11111111-1111-1111-1111-111111111111 gained admin-credential over the cluster',
    );
    expect(texts.some((t) => t.startsWith('aks-prod (resource group rg-prod'))).toBe(true);
    expect(texts).toContain(
      'User 11111111-1111-1111-1111-111111111111 held no privileged capability over the cluster.',
    );
    expect(texts).toContain(
      'Dave Jones (dave@contoso.example) · Contributor at rg-prod · User 11111111-1111-1111-1111-111111111111 (admin-credential, cluster-write)',
    );
    const monospace = findAll(card, (n) => n.fontType === 'Monospace').map((n) => n.text);
    expect(monospace).toEqual([
      `az role assignment delete --assignee 11111111-1111-1111-1111-111111111111 --role Contributor --scope /subscriptions/${SUB}/resourceGroups/rg-prod`,
      'az aks update --resource-group rg-prod --name aks-prod --disable-local-accounts',
    ]);
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open cluster posture',
        url: 'https://auditor.example.net/api/dashboard/clusters/00000000-0000-0000-0000-000000000001/rg-prod/aks-prod',
      },
    ]);
  });

  it('has no action when the alert has no link', () => {
    expect(renderAdaptiveCard([localAccountsAlert({ link: undefined })]).actions).toBeUndefined();
  });

  it('shows the caller and IP for admin-credential-retrieved', () => {
    const texts = cardTexts(renderAdaptiveCard([adminCredentialAlert()]));
    expect(texts).toContain('Caller: ');
    expect(texts).toContain(
      'alice@contoso.com (object id 22222222-2222-2222-2222-222222222222) from 203.0.113.7',
    );
  });

  it('puts data only in TextRuns, where Markdown is not interpreted', () => {
    const hostile = '[Reset your password](https://evil.example) **now**';
    const card = renderAdaptiveCard([
      localAccountsAlert({ clusterName: hostile, title: hostile, after: hostile }),
    ]);
    const blocks = findAll(card, (n) => n.type === 'TextBlock').map((n) => n.text);
    for (const text of blocks) expect(text).not.toContain('evil.example');
    expect(cardTexts(card).some((t) => t.includes('evil.example'))).toBe(true);
  });

  it('a digest has a header, one section per alert and a link per cluster', () => {
    const card = renderAdaptiveCard([
      localAccountsAlert(),
      privilegeAlert(),
      adminCredentialAlert(),
    ]);
    expect(cardTexts(card)[0]).toBe('AKS identity digest: 3 alerts on 2 clusters');
    expect(card.body.filter((e) => e.type === 'Container')).toHaveLength(3);
    expect(card.actions?.map((a) => a.title).sort()).toEqual(['Open aks-dev', 'Open aks-prod']);
  });

  it('a huge digest stays within what Teams accepts and says what it left out', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      privilegeAlert({
        dedupeKey: `k${i}`,
        principal: { ...privilegeAlert().principal!, principalId: `p-${i}` },
      }),
    );
    const card = renderAdaptiveCard(many);
    expect(JSON.stringify(teamsMessage(card)).length).toBeLessThan(28_000);
    expect(cardTexts(card).some((t) => /^…and \d+ more alerts not shown here/.test(t))).toBe(true);
  });

  it('is wrapped in a Workflows message with one adaptive attachment', () => {
    const message = teamsMessage(renderAdaptiveCard([localAccountsAlert()]));
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
  });
});

it('renderAlerts gives every form at once', () => {
  const rendered = renderAlerts([localAccountsAlert()]);
  expect(rendered.subject).toBe('[CRITICAL] aks-prod: local accounts re-enabled');
  expect(rendered.text).toContain('az aks update');
  expect(rendered.html).toContain('<!DOCTYPE html>');
  expect(rendered.card.type).toBe('AdaptiveCard');
});
