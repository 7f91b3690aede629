/**
 * HTML rendering of the dashboard: Eta templates (`views/`) with escaping on for every
 * interpolation, the links of a page (carrying the function key the page was opened with), and
 * the response headers every page and asset gets (strict Content-Security-Policy: no inline
 * script or style, nothing fetched from elsewhere).
 *
 * Every value that can come from Azure (cluster, resource group, principal and role names,
 * details) reaches the page only through an escaped interpolation; bidirectional and other
 * control characters in it are shown as visible `⟨U+202E⟩` markers, so a name cannot reorder
 * the text around it or pose as another.
 */
import { Eta } from 'eta';
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { findPackageRoot } from '../config';
import { dashboardClusterPath } from '../core/alerts';

const DASHBOARD_DIR = join(findPackageRoot(__dirname), 'src', 'dashboard');

export const DASHBOARD_PATH = '/api/dashboard';

/**
 * Bidirectional formatting characters (LRM/RLM/ALM, embeddings, overrides, isolates) and other
 * control characters except tab and newline.
 */
const HIDDEN_CHARACTERS =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Makes control and bidirectional formatting characters visible (`⟨U+202E⟩`). */
export function revealHidden(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return text.replace(
    HIDDEN_CHARACTERS,
    (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`,
  );
}

const eta = new Eta({
  views: join(DASHBOARD_DIR, 'views'),
  autoEscape: true,
  autoFilter: true,
  filterFunction: revealHidden,
  cache: true,
});

/** The files under `assets/` the dashboard serves, read once. */
const ASSET_TYPES: Readonly<Record<string, string>> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

export interface Asset {
  body: string;
  contentType: string;
  /** Short content hash: asset URLs carry it so a new version is never served from a stale cache. */
  version: string;
}

const assets = new Map<string, Asset>();

export function asset(name: string): Asset | undefined {
  const contentType = ASSET_TYPES[name];
  if (!contentType) return undefined;
  let loaded = assets.get(name);
  if (!loaded) {
    const body = readFileSync(join(DASHBOARD_DIR, 'assets', name), 'utf8');
    loaded = {
      body,
      contentType,
      version: createHash('sha256').update(body).digest('hex').slice(0, 12),
    };
    assets.set(name, loaded);
  }
  return loaded;
}

export function assetHref(name: string): string {
  const found = asset(name);
  if (!found) throw new Error(`no dashboard asset ${name}`);
  return `${DASHBOARD_PATH}/assets/${name}?v=${found.version}`;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every dashboard response (pages, errors and assets). */
export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    // Page URLs may carry the function key (`?code=`): never send them to another site.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

export type LinkParams = Record<string, string | number | undefined>;

/**
 * The links of one page. When the page was opened with a function key (`?code=`), every link
 * and form carries it, so navigation keeps working; without one, no link has a key.
 */
export class Links {
  constructor(readonly code: string | undefined) {}

  /** `path` with the given query values (empty and undefined ones left out) and the key. */
  href(path: string, params: LinkParams = {}): string {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== '') query.set(name, String(value));
    }
    if (this.code) query.set('code', this.code);
    const text = query.toString();
    return text ? `${path}?${text}` : path;
  }

  estate(params: LinkParams = {}): string {
    return this.href(DASHBOARD_PATH, params);
  }

  regressions(params: LinkParams = {}): string {
    return this.href(`${DASHBOARD_PATH}/regressions`, params);
  }

  exemptions(params: LinkParams = {}): string {
    return this.href(`${DASHBOARD_PATH}/exemptions`, params);
  }

  /** The cluster's page (the same path as the link in an alert). */
  cluster(segments: { subscriptionId: string; resourceGroup: string; name: string }): string {
    return this.href(dashboardClusterPath(segments));
  }

  /** The cluster's JSON document in the HTTP API. */
  clusterJson(segments: { subscriptionId: string; resourceGroup: string; name: string }): string {
    const path = [segments.subscriptionId, segments.resourceGroup, segments.name]
      .map((s) => encodeURIComponent(s))
      .join('/');
    return this.href(`/api/clusters/${path}`);
  }
}

/** The dashboard's navigation, in order. */
export const NAVIGATION = [
  { page: 'estate', label: 'Estate' },
  { page: 'regressions', label: 'Regressions' },
  { page: 'exemptions', label: 'Exemptions' },
] as const;
export type PageName = (typeof NAVIGATION)[number]['page'] | 'cluster' | 'error';

export interface PageFrame {
  title: string;
  page: PageName;
  links: Links;
  now: Date;
}

/** `2026-11-26 14:05 UTC`; an unreadable time is shown as given. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return 'never';
  const time = Date.parse(iso);
  return Number.isNaN(time)
    ? iso
    : `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How long ago, in the largest whole unit (`5 min ago`, `3 h ago`, `2 days ago`). */
export function formatAge(iso: string | undefined, now: Date): string {
  const time = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(time)) return '';
  const minutes = Math.floor((now.getTime() - time) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return `${Math.floor(minutes / (24 * 60))} days ago`;
}

/** Renders `views/<view>.eta` inside the layout. */
export function renderPage(view: string, frame: PageFrame, model: object): string {
  return eta.render(`./${view}`, {
    ...model,
    frame,
    navigation: NAVIGATION.map((n) => ({ ...n, href: frame.links[n.page]() })),
    time: (iso: string | undefined) => formatTime(iso),
    age: (iso: string | undefined) => formatAge(iso, frame.now),
    assets: {
      css: assetHref('dashboard.css'),
      js: assetHref('dashboard.js'),
      icon: assetHref('favicon.svg'),
    },
  });
}
