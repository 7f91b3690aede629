/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core; `.ci/run`
 * installs it when missing): the local host in front of a real runtime with the sample estate
 * and a regression (samples/make-regression.js), pages followed by their links, the filters
 * used, the access picture and history chart checked, no console error, no request leaving
 * loopback, axe-core finding no serious or critical violation, screenshots saved for the README.
 *
 * One browser for the file. The clock is fixed so the screenshots are the same on every run.
 */
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHECKS } from '../../src/core/checks';
import { startLocalHost, type LocalHost } from '../../src/host/localHost';
import { addExemption, revokeExemption } from '../../src/usecases/exemptions';
import { SteppedClock } from '../helpers/clock';
import { CLUSTERS, REPO_ROOT, startTestRuntime, type TestRuntime } from '../helpers/runtime';

// These names exist in the browser, where page.evaluate runs the callbacks below; the test
// program itself is type-checked against Node's library, which has no DOM.

declare const window: any;
declare const document: any;
declare function getComputedStyle(element: any): any;
type Document = any;
type HTMLLinkElement = any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1): a test run must
// not change tracked files (PNG bytes differ from run to run). Otherwise they go to a temp dir.
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(REPO_ROOT, 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'aia-screenshots-'));
const KEY = 'local-test-key';
/** dave, made Contributor on rg-payments-prod by samples/make-regression.js. */
const DAVE = '00000000-0000-4000-b000-000000000004';

let t: TestRuntime;
/** Requires the key (as Azure does with function keys); `open` does not (for the alert link). */
let keyed: LocalHost;
let open: LocalHost;
let browser: Browser;
let context: BrowserContext;
const leftLoopback: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  const clock = new SteppedClock(new Date('2026-11-24T02:00:00.000Z'));
  t = await startTestRuntime({ runtimeOptions: { clock } });
  await t.runtime.auditNow({ notify: false });
  clock.advance(24 * 3600 * 1000);
  // The walk-through's regression: local accounts re-enabled and a new Contributor on aks-payments-prod.
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'samples', 'make-regression.js'), t.snapshotDir],
    { stdio: 'ignore' },
  );
  await t.runtime.auditNow({ notify: true });
  clock.advance(5 * 60 * 1000);
  // Accepted risk for the exemptions page (after the audits: the postures above are unchanged).
  const exemptionDeps = {
    store: t.runtime.exemptionStore,
    clock,
    checkIds: CHECKS.map((c) => c.id),
  };
  const breakGlass = {
    checkId: 'admin-credential-access',
    scope: `/subscriptions/${CLUSTERS.paymentsProd.subscriptionId}/resourceGroups/rg-payments-prod`,
    principalIds: [DAVE],
    reason: 'Break-glass account while the on-call rota moves to PIM',
    owner: 'platform@contoso.example',
    ticket: 'SEC-1234',
  };
  await addExemption(
    exemptionDeps,
    { ...breakGlass, id: 'breakglass-dave', expiresOn: '2026-12-05T00:00:00Z' },
    'alice@contoso.example',
  );
  await addExemption(
    exemptionDeps,
    { ...breakGlass, id: 'breakglass-old', expiresOn: '2027-03-31T00:00:00Z' },
    'alice@contoso.example',
  );
  await revokeExemption(exemptionDeps, 'breakglass-old', 'bob@contoso.example', 'replaced');
  keyed = await startLocalHost({
    runtime: t.runtime,
    port: 0,
    log: () => undefined,
    localKey: KEY,
  });
  open = await startLocalHost({ runtime: t.runtime, port: 0, log: () => undefined });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue();
    leftLoopback.push(url.toString());
    return route.abort();
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await keyed?.close();
  await open?.close();
  await t?.close();
});

afterEach(() => {
  expect(consoleErrors).toEqual([]);
  expect(leftLoopback).toEqual([]);
});

async function newPage(width = 1280): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (!leftLoopback.includes(request.url()))
      consoleErrors.push(`request failed: ${request.url()}`);
  });
  return page;
}

const estateUrl = (query = '') => `${keyed.url}/api/dashboard?code=${KEY}${query}`;

/**
 * axe-core: no serious or critical violation (WCAG 2 A/AA rules, contrast included). The page's
 * own CSP rightly refuses the injected script, so axe runs on the same URL in a second context
 * that bypasses CSP (the strict context above proves the page works under it).
 */
async function expectAccessible(strict: Page): Promise<void> {
  const axeContext = await browser.newContext({
    bypassCSP: true,
    viewport: strict.viewportSize() ?? undefined,
  });
  const page = await axeContext.newPage();
  await page.goto(strict.url());
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{
            violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  await axeContext.close();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

async function screenshots(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 800 });
  // Nothing but the scrolling regions may be wider than a 360 px screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(overflow).toBeLessThanOrEqual(360);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-360.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

const clusterNames = (page: Page) =>
  page.locator('table.estate tbody th.cluster > a bdi').allTextContents();

describe('the dashboard in a browser', () => {
  it('shows the estate, filters it with the form and sorts it with the column links (the key carried throughout)', async () => {
    const page = await newPage();
    await page.goto(estateUrl());
    expect(await page.locator('h1').textContent()).toBe('Estate');
    expect(await clusterNames(page)).toHaveLength(7);
    expect(
      await page
        .locator('link[rel=stylesheet]')
        .evaluate((l) => (l as HTMLLinkElement).sheet !== null),
    ).toBe(true);
    await expectAccessible(page);
    await screenshots(page, 'estate');

    // After the regression every sample cluster fails: the status filter keeps them all, `pass` none.
    await page.selectOption('#f-status', 'fail');
    await Promise.all([page.waitForURL(/status=fail/), page.click('button[type=submit]')]);
    expect(await clusterNames(page)).toContain('aks-payments-prod');
    expect(
      new Set(
        await page.locator('table.estate tbody td[data-label=Status] .status').allTextContents(),
      ),
    ).toEqual(new Set(['fail']));
    expect(new URL(page.url()).searchParams.get('code')).toBe(KEY);

    await page.click('text=Clear filters');
    await page.fill('#f-q', 'prod');
    await page.selectOption('#f-sev', 'medium');
    await Promise.all([page.waitForURL(/q=prod/), page.press('#f-q', 'Enter')]);
    const prod = await clusterNames(page);
    expect(prod.length).toBeGreaterThan(0);
    for (const name of prod) expect(name).toContain('prod');

    await page.click('text=Clear filters');
    await Promise.all([page.waitForURL(/sort=name/), page.click('th >> text=Cluster')]);
    const names = await clusterNames(page);
    expect(names).toEqual([...names].sort());
    await Promise.all([page.waitForURL(/dir=desc/), page.click('th >> text=Cluster')]);
    expect(await clusterNames(page)).toEqual([...names].reverse());
    await page.close();
  });

  it('opens a cluster from the estate: findings, access picture, history chart with the regression marked, copy button', async () => {
    const page = await newPage();
    await page.goto(estateUrl('&q=payments'));
    await Promise.all([
      page.waitForURL(/\/api\/dashboard\/clusters\//),
      page.click('a >> text=aks-payments-prod'),
    ]);
    expect(new URL(page.url()).searchParams.get('code')).toBe(KEY);
    expect(await page.locator('h1 bdi').textContent()).toBe('aks-payments-prod');

    // The regression: local accounts now fail, and the new Contributor is in the picture.
    expect(
      await page.locator('details.finding-fail summary code.check').allTextContents(),
    ).toContain('local-accounts-disabled');
    const graph = page.locator('svg.access-graph');
    await graph.waitFor();
    expect(await graph.boundingBox()).toMatchObject({ width: expect.any(Number) });
    expect(await graph.locator('.node-principal').count()).toBeGreaterThanOrEqual(3);
    expect(await graph.locator('.node-cluster').count()).toBe(1);
    expect(await graph.locator('path.edge').count()).toBeGreaterThanOrEqual(3);
    expect(await graph.locator('.node-principal title').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('00000000-0000-4000-b000-000000000004')]),
    );
    const chart = page.locator('svg.score-chart');
    expect(await chart.locator('.point, .regression-mark').count()).toBe(2);
    expect(await chart.locator('.regression-mark').count()).toBe(1);
    expect(await chart.locator('.regression-mark title').textContent()).toContain(
      'local-accounts-disabled',
    );

    // Progressive enhancement: the script shows the copy buttons and reports the copy.
    const copy = page.locator('details[open] button.copy').first();
    expect(await copy.isVisible()).toBe(true);
    await copy.click();
    await page.waitForFunction(
      () => (document.querySelector('details[open] .copy-status')?.textContent ?? '') !== '',
    );

    await expectAccessible(page);
    await screenshots(page, 'cluster');

    // The links of the page keep the key: the JSON document opens (the keyed host would refuse it otherwise).
    const json = await page.locator('a >> text=This posture as JSON').getAttribute('href');
    const reply = await page.request.get(`${keyed.url}${json}`);
    expect(reply.status()).toBe(200);
    await page.close();
  });

  it('lists the regression with its delivery state and links to the cluster', async () => {
    const page = await newPage();
    await page.goto(`${keyed.url}/api/dashboard/regressions?code=${KEY}`);
    const items = page.locator('li.regression');
    expect(await items.count()).toBeGreaterThan(0);
    expect(await page.locator('li.regression h2').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('aks-payments-prod')]),
    );
    expect(await page.locator('li.regression .delivery').first().textContent()).toMatch(
      /sent|failed|pending|skipped/,
    );
    await expectAccessible(page);
    await screenshots(page, 'regressions');
    await page.selectOption('#f-days', '30');
    await Promise.all([page.waitForURL(/days=30/), page.click('button[type=submit]')]);
    await Promise.all([
      page.waitForURL(/aks-payments-prod/),
      page.locator('li.regression dd a').first().click(),
    ]);
    expect(await page.locator('h1 bdi').textContent()).toMatch(/^aks-/);
    await page.close();
  });

  it('reaches the exemptions page from the navigation: expiring and revoked apart, names beside ids, clusters linked', async () => {
    const page = await newPage();
    await page.goto(estateUrl());
    await Promise.all([
      page.waitForURL(/\/api\/dashboard\/exemptions/),
      page.click('nav >> text=Exemptions'),
    ]);
    expect(new URL(page.url()).searchParams.get('code')).toBe(KEY);
    expect(await page.locator('h1').textContent()).toBe('Exemptions');
    expect(await page.locator('nav a[aria-current=page]').textContent()).toBe('Exemptions');
    expect(await page.locator('#expiring li.exemption').getAttribute('data-id')).toBe(
      'breakglass-dave',
    );
    expect(await page.locator('#active li.exemption').count()).toBe(0);
    expect(await page.locator('#ended li.exemption').getAttribute('data-id')).toBe(
      'breakglass-old',
    );
    const dave = page.locator('#expiring li.principal');
    expect(await dave.locator('.name').textContent()).toBe('Dave Jones (dave@contoso.example)');
    expect(await dave.locator('code.id').textContent()).toBe(DAVE);
    expect(await page.locator('#ended .exemption').textContent()).toContain('bob@contoso.example');
    await expectAccessible(page);
    await screenshots(page, 'exemptions');
    await Promise.all([
      page.waitForURL(/\/api\/dashboard\/clusters\//),
      page.locator('#expiring ul.covered a').first().click(),
    ]);
    expect(new URL(page.url()).searchParams.get('code')).toBe(KEY);
    expect(await page.locator('h1 bdi').textContent()).toBe('aks-payments-prod');
    await page.close();
  });

  it('opens the cluster page from the link in an alert, which carries no key', async () => {
    const alerts = await t.runtime.store.listAlerts({});
    const alert = alerts.find((a) => a.alert.clusterName === 'aks-payments-prod' && a.alert.link);
    expect(alert).toBeDefined();
    const link = new URL(alert!.alert.link!);
    expect(link.searchParams.has('code')).toBe(false);
    expect(link.pathname).toBe(
      `/api/dashboard/clusters/${CLUSTERS.paymentsProd.subscriptionId}/rg-payments-prod/aks-payments-prod`,
    );
    const page = await newPage();
    await page.goto(`${open.url}${link.pathname}`);
    expect(await page.locator('h1 bdi').textContent()).toBe('aks-payments-prod');
    // Opened without a key, no link of the page has one.
    expect(await page.locator('a[href*="code="]').count()).toBe(0);
    await page.close();
  });

  it('is keyboard navigable: skip link first, then the navigation, focus visible', async () => {
    const page = await newPage();
    await page.goto(estateUrl());
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-q');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement).outlineStyle,
    );
    expect(outline).not.toBe('none');
    await page.close();
  });
});
