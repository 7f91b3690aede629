/**
 * The dashboard's exemptions page over real HTTP (local host, real runtime on Azurite, the
 * sample estate): active, expiring within 14 days, expired and revoked exemptions, each with
 * its principals by name beside their ids and the clusters it covers; the key carried in every
 * link; hostile text escaped. The lists themselves are tested as a pure view model below.
 */
import { CHECKS } from '../../src/core/checks';
import type { Exemption } from '../../src/core/exemptions';
import type { ClusterPosture } from '../../src/core/model';
import type { PostureSummary } from '../../src/core/ports';
import {
  clustersToName,
  exemptionLists,
  namesFromPostures,
} from '../../src/dashboard/exemptionsView';
import { addExemption, revokeExemption } from '../../src/usecases/exemptions';
import { SteppedClock } from '../helpers/clock';
import { clusterIdOf, CLUSTERS, PROD_SUB } from '../helpers/runtime';
import { servePages, type ServedPages } from './servedPages';

const NOW = new Date('2026-11-24T02:00:00.000Z');
const DAY = 24 * 3600 * 1000;
const KEY = 'page-key';
const SRE_GROUP = '00000000-0000-4000-c000-000000000004';
const UNKNOWN_PRINCIPAL = '00000000-0000-4000-b000-0000000000ff';
const HOSTILE = `<script>alert(1)</script>" onmouseover="alert(2)' \u202Eevil`;
const paymentsProd = clusterIdOf(CLUSTERS.paymentsProd);

let served: ServedPages;

beforeAll(async () => {
  const clock = new SteppedClock(NOW);
  served = await servePages({ runtimeOptions: { clock } }, async (t) => {
    const deps = {
      store: t.runtime.exemptionStore,
      clock,
      checkIds: CHECKS.map((c) => c.id),
    };
    const base = {
      reason: 'Break-glass group, reviewed quarterly',
      owner: 'platform@contoso.example',
    };
    await addExemption(
      deps,
      {
        ...base,
        id: 'breakglass-soon',
        checkId: 'privileged-access-via-groups',
        scope: paymentsProd,
        principalIds: [SRE_GROUP, UNKNOWN_PRINCIPAL],
        ticket: 'SEC-1234',
        expiresOn: new Date(NOW.getTime() + 5 * DAY).toISOString(),
      },
      'alice@contoso.example',
    );
    await addExemption(
      deps,
      {
        ...base,
        id: 'prod-defender-later',
        checkId: 'defender-enabled',
        scope: `/subscriptions/${PROD_SUB}`,
        reason: HOSTILE,
        expiresOn: new Date(NOW.getTime() + 90 * DAY).toISOString(),
      },
      'function key',
    );
    await addExemption(
      deps,
      {
        ...base,
        id: 'withdrawn',
        checkId: 'local-accounts-disabled',
        scope: `/subscriptions/${PROD_SUB}/resourceGroups/rg-payments-prod`,
        expiresOn: new Date(NOW.getTime() + 30 * DAY).toISOString(),
      },
      'alice@contoso.example',
    );
    await revokeExemption(deps, 'withdrawn', 'bob@contoso.example', 'fixed instead');
    // Expired: stored as an import of an exported file would leave it (a past expiry cannot be added).
    await t.runtime.exemptionStore.insert(
      {
        ...base,
        id: 'lapsed',
        checkId: 'defender-enabled',
        scope: paymentsProd,
        createdBy: 'alice@contoso.example',
        createdAt: new Date(NOW.getTime() - 40 * DAY).toISOString(),
        expiresOn: new Date(NOW.getTime() - 3 * DAY).toISOString(),
      },
      { action: 'created', by: 'alice@contoso.example', at: NOW.toISOString() },
    );
  });
}, 120_000);
afterAll(() => served?.close());

const get = (path: string) => served.get(path);

/** The HTML of one list (`expiring`, `active`, `ended`). */
function list(html: string, id: string): string {
  const start = html.indexOf(`<section aria-labelledby="h-${id}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

const idsIn = (section: string) => [...section.matchAll(/data-id="([^"]+)"/g)].map((m) => m[1]);

describe('the exemptions page', () => {
  it('is served with the dashboard headers and linked from the navigation of every page', async () => {
    const page = await get('/api/dashboard/exemptions');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.html).toContain(
      '<a href="/api/dashboard/exemptions" aria-current="page">Exemptions</a>',
    );
    for (const path of ['/api/dashboard', '/api/dashboard/regressions'])
      expect((await get(path)).html).toContain(
        '<a href="/api/dashboard/exemptions">Exemptions</a>',
      );
  });

  it('lists expiring, active and ended exemptions apart', async () => {
    const { html } = await get('/api/dashboard/exemptions');
    expect(idsIn(list(html, 'expiring'))).toEqual(['breakglass-soon']);
    expect(idsIn(list(html, 'active'))).toEqual(['prod-defender-later']);
    // Most recently ended first: revoked today, expired three days ago.
    expect(idsIn(list(html, 'ended'))).toEqual(['withdrawn', 'lapsed']);
    expect(html).toContain('Expiring within 14 days (1)');
    expect(list(html, 'expiring')).toContain('in 5 days');
    expect(list(html, 'ended')).toContain(
      'by <bdi>bob@contoso.example</bdi>: <bdi>fixed instead</bdi>',
    );
    expect(list(html, 'ended')).toContain('<span class="state state-expired">expired</span>');
    expect(list(html, 'expiring')).toContain('<bdi>SEC-1234</bdi>');
  });

  it('names each principal beside its id, and says when no posture names it', async () => {
    const expiring = list((await get('/api/dashboard/exemptions')).html, 'expiring');
    expect(expiring).toMatch(
      new RegExp(
        `<bdi class="name">grp-payments-sre</bdi> <span class="ptype">Group</span> <code class="id"><bdi>${SRE_GROUP}</bdi></code>`,
      ),
    );
    expect(expiring).toContain(
      `<span class="name unknown">name unknown</span> <code class="id"><bdi>${UNKNOWN_PRINCIPAL}</bdi></code>`,
    );
    expect(list((await get('/api/dashboard/exemptions')).html, 'active')).toContain(
      'the whole finding',
    );
  });

  it('links the clusters each covers, carrying the key the page was opened with', async () => {
    const { html } = await get(`/api/dashboard/exemptions?code=${KEY}`);
    const active = list(html, 'active');
    // The subscription-wide one covers the three production clusters.
    const covered = [...active.matchAll(/<a href="([^"]+)"><bdi>([^<]+)<\/bdi><\/a>/g)];
    expect(covered.map((m) => m[2]).sort()).toEqual(
      Object.values(CLUSTERS)
        .filter((c) => c.subscriptionId === PROD_SUB)
        .map((c) => c.clusterName)
        .sort(),
    );
    for (const [, href] of covered)
      expect(href).toMatch(new RegExp(`^/api/dashboard/clusters/.*\\?code=${KEY}$`));
    for (const [, href] of html.matchAll(/\bhref="(\/api\/dashboard[^"]*)"/g))
      if (!href.includes('/assets/')) expect(href.replace(/&amp;/g, '&')).toContain(`code=${KEY}`);
  });

  it('escapes a hostile reason and makes its bidi override visible', async () => {
    const { html } = await get('/api/dashboard/exemptions');
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;alert(2)&#39; ⟨U+202E⟩evil',
    );
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toContain('\u202E');
  });

  it('refuses unknown query values with the HTML error page', async () => {
    const reply = await get('/api/dashboard/exemptions?state=all');
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });
});

describe('exemption lists (view model)', () => {
  const summary = (name: string, sub = PROD_SUB): PostureSummary => ({
    id: `/subscriptions/${sub}/resourceGroups/rg-${name}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    name,
    subscriptionId: sub,
    resourceGroup: `rg-${name}`,
    status: 'fail',
    score: 50,
    failingCheckIds: [],
    privilegedPrincipalCount: 0,
    evaluatedAt: NOW.toISOString(),
  });
  const exemption = (
    id: string,
    expiresInDays: number,
    extra: Partial<Exemption> = {},
  ): Exemption => ({
    id,
    checkId: 'privileged-access-via-groups',
    scope: `/subscriptions/${PROD_SUB}`,
    reason: 'r',
    owner: 'o@contoso.example',
    expiresOn: new Date(NOW.getTime() + expiresInDays * DAY).toISOString(),
    ...extra,
  });

  it('puts the 14-day boundary in the expiring list, a minute past it in the active one', () => {
    const lists = exemptionLists(
      [
        exemption('at-boundary', 14),
        exemption('past-boundary', 14 + 1 / 1440),
        exemption('today', 0.5),
      ],
      [],
      new Map(),
      NOW,
    );
    expect(lists.expiring.map((r) => r.exemption.id)).toEqual(['today', 'at-boundary']);
    expect(lists.active.map((r) => r.exemption.id)).toEqual(['past-boundary']);
    expect(lists.expiring[0].daysLeft).toBe(0);
    expect(lists.expiring[1].daysLeft).toBe(14);
  });

  it('ends an exemption at its expiry instant and at revocation, whatever its expiry', () => {
    const lists = exemptionLists(
      [
        exemption('expires-now', 0),
        exemption('revoked', 100, { revokedAt: NOW.toISOString(), revokedBy: 'bob' }),
      ],
      [],
      new Map(),
      NOW,
    );
    expect(lists.ended.map((r) => [r.exemption.id, r.state, r.endedAt])).toEqual([
      ['expires-now', 'expired', NOW.toISOString()],
      ['revoked', 'revoked', NOW.toISOString()],
    ]);
    expect(lists.active).toEqual([]);
    expect(lists.expiring).toEqual([]);
  });

  it('lists the covered clusters by scope kind; a management group covers all, said so', () => {
    const summaries = [
      summary('aks-a'),
      summary('aks-b'),
      summary('aks-c', '00000000-0000-4000-a000-00000000000f'),
    ];
    const [rg, sub, mg] = exemptionLists(
      [
        exemption('rg', 30, { scope: `/subscriptions/${PROD_SUB}/resourceGroups/rg-aks-a` }),
        exemption('sub', 31),
        exemption('mg', 32, {
          scope: '/providers/Microsoft.Management/managementGroups/mg-contoso',
        }),
      ],
      summaries,
      new Map(),
      NOW,
    ).active;
    expect(rg.clusters.map((c) => c.name)).toEqual(['aks-a']);
    expect([rg.scopeKind, rg.scopeLabel]).toEqual(['resource group', 'rg-aks-a']);
    expect(sub.clusters.map((c) => c.name)).toEqual(['aks-a', 'aks-b']);
    expect(sub.scopeKind).toBe('subscription');
    expect(mg.coversAll).toBe(true);
    expect(mg.scopeKind).toBe('management group');
  });

  it('reads the postures of covered clusters only, and at most the bound', () => {
    const summaries = [summary('aks-a'), summary('aks-b'), summary('aks-c')];
    const withPrincipals = exemption('p', 30, {
      scope: summaries[1].id,
      principalIds: [SRE_GROUP],
    });
    expect(clustersToName([exemption('whole', 30), withPrincipals], summaries, 10)).toEqual([
      summaries[1].id,
    ]);
    expect(
      clustersToName([exemption('sub', 30, { principalIds: [SRE_GROUP] })], summaries, 2),
    ).toHaveLength(2);
  });

  it('names principals from grants and findings, a name winning over an unnamed entry', () => {
    const posture = {
      privilegedPrincipals: [
        {
          principalId: SRE_GROUP.toUpperCase(),
          principalType: 'Group',
          roleName: 'x',
          scope: '/',
          capabilities: [],
        },
      ],
      findings: [
        {
          principals: [
            {
              principalId: SRE_GROUP,
              principalType: 'Group',
              displayName: 'grp-payments-sre',
              roleName: 'x',
              scope: '/',
              capabilities: [],
            },
            {
              principalId: 'user-1',
              principalType: 'User',
              displayName: 'Dave Jones',
              userPrincipalName: 'dave@contoso.example',
              roleName: 'x',
              scope: '/',
              capabilities: [],
            },
          ],
        },
      ],
    } as unknown as ClusterPosture;
    const names = namesFromPostures([posture]);
    expect(names.get(SRE_GROUP)).toEqual({ name: 'grp-payments-sre', type: 'Group' });
    expect(names.get('user-1')).toEqual({
      name: 'Dave Jones (dave@contoso.example)',
      type: 'User',
    });
    const [row] = exemptionLists(
      [exemption('p', 30, { principalIds: [SRE_GROUP.toUpperCase(), 'nobody'] })],
      [],
      names,
      NOW,
    ).active;
    expect(row.principals).toEqual([
      { id: SRE_GROUP.toUpperCase(), name: 'grp-payments-sre', type: 'Group' },
      { id: 'nobody' },
    ]);
  });
});
