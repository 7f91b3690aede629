/**
 * The dashboard pages served by the local host over real HTTP, in front of a real runtime
 * (Azurite, the sample estate): headers, links carrying the function key, filters, error
 * pages, assets — and escaping of hostile values in every field that can come from Azure.
 */
import type { Alert, ClusterPosture } from '../../src/core/model';
import type { HistoryEntry } from '../../src/core/ports';
import { renderClusterPage } from '../../src/dashboard/pages';
import { Links, revealHidden } from '../../src/dashboard/render';
import { clusterIdOf, CLUSTERS, PROD_SUB, type TestRuntime } from '../helpers/runtime';
import { servePages, type ServedPages } from './servedPages';

let served: ServedPages;
let t: TestRuntime;

/** Every character class an Azure name or detail could use against the page: markup, both quotes, an RTL override. */
const HOSTILE = `<script>alert(1)</script>" onmouseover="alert(2)' x='\u202Eevil<img src=x onerror=alert(3)>`;

beforeAll(async () => {
  served = await servePages();
  ({ t } = served);
});
afterAll(() => served?.close());

const get = (path: string) => served.get(path);

function hrefs(html: string): string[] {
  return [...html.matchAll(/\b(?:href|action)="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
}

const clusterPage = (
  c: { subscriptionId: string; resourceGroup: string; clusterName: string },
  query = '',
) => `/api/dashboard/clusters/${c.subscriptionId}/${c.resourceGroup}/${c.clusterName}${query}`;

/** The page shows the hostile text, escaped and with its bidi override made visible, and nothing of it as markup. */
function expectSafe(html: string): void {
  expect(html).toContain(
    '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;alert(2)&#39; x=&#39;⟨U+202E⟩evil&lt;img',
  );
  expect(html.match(/<script/g)).toHaveLength(1); // only the page's own external script
  expect(html).toMatch(
    /<script src="\/api\/dashboard\/assets\/dashboard\.js\?v=[0-9a-f]{12}" defer><\/script>/,
  );
  expect(html).not.toContain('<img');
  expect(html).not.toMatch(/ onmouseover="/);
  // No tag gained an event handler: with every attribute value blanked, no `on…=` is left in a tag.
  expect(html.replace(/"[^"]*"/g, '""').match(/<[a-z][^>]*\son[a-z]+=/i)).toBeNull();
  expect(html).not.toContain('\u202E');
  expect(html).not.toMatch(/\sstyle="/); // the CSP forbids inline style: none is emitted
}

describe('security headers and assets', () => {
  it('serves every page with a strict CSP, nosniff, no-referrer and no caching', async () => {
    for (const path of [
      '/api/dashboard',
      '/api/dashboard/regressions',
      clusterPage(CLUSTERS.paymentsProd),
      '/api/dashboard?status=nope',
    ]) {
      const reply = await get(path);
      expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = reply.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
      expect(reply.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves the stylesheet, script and icon by name only', async () => {
    const css = await get('/api/dashboard/assets/dashboard.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('x-content-type-options')).toBe('nosniff');
    expect(css.html).toContain('.access-graph');
    expect((await get('/api/dashboard/assets/dashboard.js')).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await get('/api/dashboard/assets/favicon.svg')).headers.get('content-type')).toBe(
      'image/svg+xml',
    );
    expect((await get('/api/dashboard/assets/..%2Fpages.ts')).status).toBe(404);
    expect((await get('/api/dashboard/assets/index.html')).status).toBe(404);
  });

  it('loads nothing from another origin', async () => {
    for (const path of [
      '/api/dashboard',
      clusterPage(CLUSTERS.paymentsProd),
      '/api/dashboard/regressions',
    ]) {
      const { html } = await get(path);
      expect(html).not.toMatch(/(?:src|href|action)="(?:https?:)?\/\//);
    }
  });
});

describe('the estate page', () => {
  it('lists every cluster with status, score, failing checks by severity and last evaluation', async () => {
    const { status, html } = await get('/api/dashboard');
    expect(status).toBe(200);
    for (const c of Object.values(CLUSTERS)) expect(html).toContain(`>${c.clusterName}</bdi></a>`);
    expect(html).toContain('7 of 7 clusters match');
    expect(html).toMatch(/<span class="sev sev-critical">critical 2<\/span>/); // aks-data-dev
  });

  it('filters by status, subscription, severity and name with plain GET values', async () => {
    const pass = await get('/api/dashboard?status=pass&subscriptionId=&severity=&q=');
    expect(pass.html).toContain('1 of 7 clusters match');
    expect(pass.html).toContain('>aks-payments-prod</bdi>');
    expect(pass.html).not.toContain('>aks-dev-shared</bdi>');
    const prod = await get(`/api/dashboard?subscriptionId=${PROD_SUB}&q=PROD`);
    expect(prod.html).toContain('3 of 7 clusters match');
    const critical = await get('/api/dashboard?severity=critical');
    expect(critical.html).not.toContain('>aks-search-prod2</bdi>');
  });

  it('offers sort links on every column, marking the active one for assistive technology', async () => {
    const { html } = await get('/api/dashboard?sort=name&dir=desc');
    expect(html).toContain(
      'aria-sort="descending"><a href="/api/dashboard?sort=name&amp;dir=asc">Cluster',
    );
    const order = [
      ...html.matchAll(/<th scope="row" class="cluster"><a [^>]*><bdi>([^<]+)<\/bdi>/g),
    ].map((m) => m[1]);
    expect(order).toEqual([...order].sort().reverse());
  });

  it('answers a bad filter with a 400 page that names it, and keeps the key in its links', async () => {
    const reply = await get('/api/dashboard?severity=urgent&code=k3y');
    expect(reply.status).toBe(400);
    expect(reply.html).toContain('severity must be one of critical, high, medium, low, info');
    expect(
      hrefs(reply.html).filter((h) => h.startsWith('/api/dashboard?') || h === '/api/dashboard'),
    ).not.toContain('/api/dashboard');
    expect((await get('/api/dashboard?owner=me')).html).toContain('unknown query parameter');
  });
});

describe('the function key', () => {
  it('is carried by every link and form of every page opened with one', async () => {
    for (const path of [
      '/api/dashboard?code=k3y%2B%2F%3D',
      `${clusterPage(CLUSTERS.paymentsProd)}?code=k3y%2B%2F%3D`,
      '/api/dashboard/regressions?code=k3y%2B%2F%3D',
    ]) {
      const { html, status } = await get(path);
      expect(status).toBe(200);
      const pageLinks = hrefs(html).filter(
        (h) => !h.startsWith('#') && !h.startsWith('/api/dashboard/assets/'),
      );
      expect(pageLinks.length).toBeGreaterThan(2);
      for (const link of pageLinks)
        expect(new URL(link, 'http://x').searchParams.get('code')).toBe('k3y+/=');
      for (const form of html.match(/<form[\s\S]*?<\/form>/g) ?? [])
        expect(form).toContain('<input type="hidden" name="code" value="k3y+/=">');
    }
  });

  it('is in no link of a page opened without one', async () => {
    for (const path of [
      '/api/dashboard',
      clusterPage(CLUSTERS.paymentsProd),
      '/api/dashboard/regressions',
    ]) {
      const { html } = await get(path);
      expect(html).not.toContain('code=');
      expect(html).not.toContain('name="code"');
    }
  });
});

describe('the cluster page', () => {
  it('shows findings by severity, the access picture and the score history', async () => {
    const { status, html } = await get(clusterPage(CLUSTERS.checkoutProd));
    expect(status).toBe(200);
    expect(html.indexOf('id="sev-critical"')).toBeLessThan(html.indexOf('id="sev-high"'));
    expect(html).toMatch(/<details class="finding finding-fail" open>/);
    expect(html).toContain('<button type="button" class="copy" data-copy="fix-');
    expect(html).toMatch(/<svg class="access-graph"[^>]*role="img"/);
    expect(html).toMatch(/<g class="node node-cluster">\s*<title>[^<]*aks-checkout-prod<\/title>/);
    expect(html).toMatch(/<svg class="score-chart"[^>]*role="img"/);
    expect(html).toContain('<polyline class="score-line"');
    expect(html).toContain(`href="/api/clusters/${PROD_SUB}/rg-prod/aks-checkout-prod"`);
  });

  it('answers an unknown cluster with a 404 page and a malformed name with a 400 page', async () => {
    const missing = await get(
      clusterPage({ ...CLUSTERS.paymentsProd, clusterName: 'aks-nowhere' }),
    );
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('no posture is stored for cluster');
    const bad = await get(`/api/dashboard/clusters/${PROD_SUB}/rg-prod/%3Cscript%3E`);
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('clusterName must be');
    expect(bad.html).not.toContain('<script>');
  });
});

describe('hostile values from Azure', () => {
  /** A stored posture with the hostile text in every field that comes from Azure. */
  function hostilePosture(
    base: ClusterPosture,
    name: string,
    resourceGroup: string,
  ): ClusterPosture {
    const principal = {
      principalId: HOSTILE,
      principalType: HOSTILE,
      displayName: HOSTILE,
      userPrincipalName: HOSTILE,
      roleName: HOSTILE,
      roleDefinitionId: HOSTILE,
      scope: HOSTILE,
      capabilities: ['admin-credential', HOSTILE] as never,
      eligible: true,
      condition: 'not-evaluated' as const,
      members: {
        count: 2,
        users: [
          {
            id: HOSTILE,
            displayName: HOSTILE,
            userPrincipalName: HOSTILE,
            guest: true,
            enabled: false,
          },
        ],
      },
    };
    return {
      ...base,
      id: clusterIdOf({ subscriptionId: PROD_SUB, resourceGroup, clusterName: name }),
      name,
      resourceGroup,
      findings: base.findings.map((f) => ({
        ...f,
        status: 'fail',
        title: HOSTILE,
        detail: HOSTILE,
        remediation: HOSTILE,
        principals: [principal],
      })),
      privilegedPrincipals: [principal],
    };
  }

  it('are escaped on the estate page (cluster name and resource group)', async () => {
    const base = (await t.runtime.store.getPosture(clusterIdOf(CLUSTERS.paymentsProd)))!;
    await t.runtime.store.recordEvaluation(hostilePosture(base, HOSTILE, HOSTILE));
    expectSafe((await get('/api/dashboard?q=script')).html);
  });

  it('are escaped on the cluster page (principals, roles, scopes, members, details, fixes, history)', async () => {
    const base = (await t.runtime.store.getPosture(clusterIdOf(CLUSTERS.paymentsProd)))!;
    const valid = hostilePosture(base, 'aks-hostile', 'rg-hostile');
    await t.runtime.store.recordEvaluation(valid);
    const reply = await get(
      clusterPage({
        subscriptionId: PROD_SUB,
        resourceGroup: 'rg-hostile',
        clusterName: 'aks-hostile',
      }),
    );
    expect(reply.status).toBe(200);
    expectSafe(reply.html);

    // Names a route cannot carry (the store holds whatever Azure said) rendered directly.
    const history: HistoryEntry[] = [
      {
        clusterId: HOSTILE,
        evaluatedAt: '2026-11-20T00:00:00.000Z',
        status: 'pass',
        score: 100,
        failingCheckIds: [],
        regressions: [],
      },
      {
        clusterId: HOSTILE,
        evaluatedAt: '2026-11-21T00:00:00.000Z',
        status: 'fail',
        score: 40,
        failingCheckIds: [HOSTILE],
        regressions: [
          {
            kind: 'privilege-gained',
            checkId: HOSTILE,
            principalId: HOSTILE,
            before: HOSTILE,
            after: HOSTILE,
            severity: 'high',
          },
        ],
      },
    ];
    const html = renderClusterPage(
      { ...hostilePosture(base, HOSTILE, HOSTILE), subscriptionId: HOSTILE },
      history,
      { links: new Links(HOSTILE), now: new Date() },
    );
    expectSafe(html);
  });

  it('are escaped on the regressions page (titles, before/after, principals, callers, channels, errors)', async () => {
    const alert: Alert = {
      dedupeKey: 'hostile|check',
      clusterId: clusterIdOf(CLUSTERS.paymentsProd),
      clusterName: HOSTILE,
      subscriptionId: PROD_SUB,
      resourceGroup: HOSTILE,
      severity: 'critical',
      kind: 'admin-credential-retrieved',
      checkId: HOSTILE,
      title: HOSTILE,
      before: HOSTILE,
      after: HOSTILE,
      principal: {
        principalId: HOSTILE,
        principalType: HOSTILE,
        roleName: HOSTILE,
        roleDefinitionId: HOSTILE,
        scope: HOSTILE,
        capabilities: [],
        displayName: HOSTILE,
      },
      caller: { name: HOSTILE, objectId: HOSTILE, appId: HOSTILE, ipAddress: HOSTILE },
      remediation: HOSTILE,
      createdAt: new Date().toISOString(),
    };
    await t.runtime.store.enqueueAlerts([alert]);
    await t.runtime.store.updateAlert(alert.clusterId, alert.dedupeKey, {
      state: 'failed',
      attempts: 2,
      lastError: HOSTILE,
      channels: { teams: 'failed', email: 'sent' },
    });
    const { html } = await get('/api/dashboard/regressions');
    expectSafe(html);
    expect(html).toContain('teams <span class="delivery delivery-failed">failed</span>');
  });

  it('bidirectional and control characters are made visible, everything else kept', () => {
    expect(revealHidden('a\u202Eb\u2066c\u200Fd\u0007e\tf\ng')).toBe(
      'a⟨U+202E⟩b⟨U+2066⟩c⟨U+200F⟩d⟨U+0007⟩e\tf\ng',
    );
    expect(revealHidden('Zoë שלום 名前')).toBe('Zoë שלום 名前');
    expect(revealHidden(undefined)).toBe('');
  });
});
