/**
 * The on-call dashboard (`GET /api/dashboard` and the pages it links): server-rendered HTML
 * from the same posture documents as the JSON API. In Azure the pages sit behind App Service
 * Authentication, or take a function key (`?code=`) which every link of the page then carries
 * (docs/contracts.md). The stylesheet, script and icon are anonymous: they hold no data.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  clusterPage,
  errorPage,
  estatePage,
  exemptionsPage,
  regressionsPage,
  type PageRequest,
} from '../dashboard/pages';
import { asset, securityHeaders } from '../dashboard/render';
import { getRuntime } from '../runtime';
import type { QueryValues } from '../usecases/queries';
import { classifyError, queryOf, segmentsOf } from './http';
import { defineFunction } from './registry';

const HTML = 'text/html; charset=utf-8';

const TITLES: Record<number, string> = {
  400: 'That request could not be read',
  404: 'Not found',
  500: 'Something went wrong',
  503: 'A dependency is unavailable',
};

/** Renders a page; a failure becomes an HTML error page with the status the JSON API would answer. */
async function page(
  request: HttpRequest,
  context: InvocationContext,
  render: (page: PageRequest) => Promise<string>,
): Promise<HttpResponseInit> {
  let query: QueryValues = {};
  let now = new Date();
  try {
    query = queryOf(request);
    const runtime = await getRuntime();
    now = runtime.clock.now();
    return {
      status: 200,
      body: await render({ query, now }),
      headers: { ...securityHeaders(HTML), 'cache-control': 'no-store' },
    };
  } catch (error) {
    const answer = classifyError(context, error);
    // A key the page was opened with is kept only when it is the one value of `code`.
    const safeQuery = typeof query.code === 'string' ? { code: query.code } : {};
    const body = errorPage(
      { status: answer.status, title: TITLES[answer.status] ?? 'Error', message: answer.message },
      { query: safeQuery, now },
    );
    return {
      status: answer.status,
      body,
      headers: { ...securityHeaders(HTML), 'cache-control': 'no-store' },
    };
  }
}

export const dashboardFunction = defineFunction({
  trigger: 'http',
  name: 'dashboard',
  methods: ['GET'],
  authLevel: 'function',
  route: 'dashboard',
  handler: (request, context) =>
    page(request, context, async (p) => estatePage((await getRuntime()).store, p)),
});

export const dashboardClusterFunction = defineFunction({
  trigger: 'http',
  name: 'dashboardCluster',
  methods: ['GET'],
  authLevel: 'function',
  route: 'dashboard/clusters/{subscriptionId}/{resourceGroup}/{clusterName}',
  handler: (request, context) =>
    page(request, context, async (p) =>
      clusterPage((await getRuntime()).store, segmentsOf(request), p),
    ),
});

export const dashboardRegressionsFunction = defineFunction({
  trigger: 'http',
  name: 'dashboardRegressions',
  methods: ['GET'],
  authLevel: 'function',
  route: 'dashboard/regressions',
  handler: (request, context) =>
    page(request, context, async (p) => regressionsPage((await getRuntime()).store, p)),
});

export const dashboardExemptionsFunction = defineFunction({
  trigger: 'http',
  name: 'dashboardExemptions',
  methods: ['GET'],
  authLevel: 'function',
  route: 'dashboard/exemptions',
  handler: (request, context) =>
    page(request, context, async (p) => {
      const runtime = await getRuntime();
      return exemptionsPage({ postures: runtime.store, exemptions: runtime.exemptionStore }, p);
    }),
});

/** `GET /api/dashboard/assets/{file}`: the stylesheet, script and icon (cached: their URLs carry a content hash). */
export async function dashboardAssetHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const found = asset(request.params.file ?? '');
  if (!found) {
    return {
      status: 404,
      body: 'no such asset',
      headers: { ...securityHeaders('text/plain; charset=utf-8'), 'cache-control': 'no-store' },
    };
  }
  return {
    status: 200,
    body: found.body,
    headers: { ...securityHeaders(found.contentType), 'cache-control': 'public, max-age=86400' },
  };
}

export const dashboardAssetFunction = defineFunction({
  trigger: 'http',
  name: 'dashboardAsset',
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'dashboard/assets/{file}',
  handler: dashboardAssetHandler,
});

export const DASHBOARD_FUNCTIONS = [
  dashboardFunction,
  dashboardClusterFunction,
  dashboardRegressionsFunction,
  dashboardExemptionsFunction,
  dashboardAssetFunction,
];
