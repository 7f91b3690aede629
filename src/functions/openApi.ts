import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import document from './openapi.json';
import { json } from './http';
import { defineFunction } from './registry';

/** `GET /api/openapi.json` (anonymous): the OpenAPI 3.1 document of this API (docs/api.md). */
export async function openApi(_request: HttpRequest): Promise<HttpResponseInit> {
  return json(200, document);
}

export const openApiFunction = defineFunction({
  trigger: 'http',
  name: 'openApi',
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'openapi.json',
  handler: openApi,
});
