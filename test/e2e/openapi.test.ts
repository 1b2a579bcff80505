/**
 * The API reference of the real server: `GET /openapi.json` is valid
 * OpenAPI 3.1, lists every route the server has with its responses (a route
 * without a response schema fails here), the send routes carry the contract's
 * examples, security follows the route (Basic, Bearer, none); `GET /docs`
 * renders it under a strict Content-Security-Policy.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let g: TestGateway;
interface Operation {
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
  requestBody?: { content?: Record<string, { example?: unknown }> };
}
let doc: { openapi: string; paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  g = await startTestGateway();
  const res = await fetch(`${g.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(() => g.stop());

/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

describe('the API reference', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route of the server, each with its responses', () => {
    const routes = g.gateway.app.routeTable;
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !r.documented).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    for (const r of routes) {
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url}`).toBeDefined();
      expect(Object.keys(op?.responses ?? {}).length, `${r.method} ${r.url}`).toBeGreaterThan(0);
    }
  });

  it('names the security of each route and carries the contract examples', () => {
    expect(doc.paths['/api/v1/message/text']?.['post']?.security).toEqual([{ basic: [] }]);
    expect(doc.paths['/api/v1/admin/users']?.['post']?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/cloud/{instance_id}/webhook']?.['post']?.security).toEqual([]);
    const example = doc.paths['/api/v1/message/text']?.['post']?.requestBody?.content?.['application/json']?.example;
    expect(example).toEqual({ phone: '554499999999', data: { text: 'Hello from Connexa!' } });
  });

  it('renders at /docs under a strict Content-Security-Policy', async () => {
    const res = await fetch(`${g.url}/docs`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("'unsafe-inline' 'unsafe-eval'");
    const html = await res.text();
    expect(html).toContain('swagger');
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)[^<]+<\/script>/);
  });
});
