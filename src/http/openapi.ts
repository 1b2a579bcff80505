/**
 * The API reference: `GET /openapi.json` (OpenAPI 3.1) generated from the
 * very route schemas that validate requests (@fastify/swagger), and `GET /docs`
 * rendering it (@fastify/swagger-ui, served from the package, with a strict
 * Content-Security-Policy). Each route's security scheme follows from where it
 * lives: the admin and metrics APIs take a Bearer token, Meta's webhook and the
 * health checks none, everything else the instance's HTTP Basic credentials.
 * Every route is recorded with whether it documents its responses, so a test
 * can fail on one that does not.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';

export interface RouteRecord {
  method: string;
  url: string;
  /** Whether the route declares its responses (and so appears documented). */
  documented: boolean;
}

/** The contract document's examples, as request bodies of the send routes. */
const CONTRACT_EXAMPLES: Record<string, unknown> = {
  text: { phone: '554499999999', data: { text: 'Hello from Connexa!' } },
  image: { phone: '554499999999', data: { text: 'Hello from Connexa!', base64: 'url_base64_data' } },
  video: { phone: '554499999999', data: { text: 'A short clip', url: 'https://example.com/clip.mp4' } },
  audio: { phone: '554499999999', data: { base64: 'data:audio/ogg;base64,T2dnUw...' } },
  document: { phone: '554499999999', data: { text: 'The report', filename: 'report.pdf', url: 'https://example.com/report.pdf' } },
};

function securityOf(url: string): Record<string, string[]>[] {
  if (url.startsWith('/api/v1/admin/') || url === '/metrics') return [{ bearer: [] }];
  if (url === '/api/v1/events') return [{ basic: [] }, { bearer: [] }];
  if (url.startsWith('/api/v1/cloud/') || url === '/healthz' || url === '/readyz' || url === '/openapi.json' || url.startsWith('/docs')) return [];
  return [{ basic: [] }];
}

/** Registers the document and its page; resolves the route table as routes are added. */
export function registerOpenApi(app: FastifyInstance, version: string): RouteRecord[] {
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.method === 'HEAD' || (Array.isArray(route.method) && route.method.every((m) => m === 'HEAD'))) return;
    if (route.schema?.hide === true || route.url.startsWith('/docs')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url, documented: route.schema?.response !== undefined });
  });
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Connexa API',
        version,
        description:
          'Send WhatsApp messages through one small HTTP API. Sends answer 200 {"message_id"} only once the message is stored; statuses, webhooks and the live event stream tell you what happened.',
      },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic', description: 'user_id as the username, instance_token as the password' },
          bearer: { type: 'http', scheme: 'bearer', description: 'CONNEXA_ADMIN_TOKEN (admin API) or CONNEXA_METRICS_TOKEN (metrics)' },
        },
      },
    },
    transform: ({ schema, url }) => {
      const type = /^\/api\/v1\/message\/(text|image|video|audio|document)$/.exec(url)?.[1];
      const body = type !== undefined && schema?.body !== undefined ? { ...(schema.body as object), examples: [CONTRACT_EXAMPLES[type]] } : schema?.body;
      return { schema: { ...schema, ...(body !== undefined ? { body } : {}), security: securityOf(url) }, url };
    },
  });
  void app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return routes;
}
