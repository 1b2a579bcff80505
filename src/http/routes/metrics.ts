/**
 * GET /metrics in Prometheus' text format. With CONNEXA_METRICS_TOKEN set the
 * scraper sends it as a Bearer token. Without one the endpoint is open only
 * on a gateway that listens on loopback alone; otherwise it answers 403 (it
 * shows instance ids and each tenant's activity).
 */
import type { FastifyInstance } from 'fastify';
import { errorSchema } from '../error-handler.js';
import { ApiError } from '../../domain/errors.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { AuthFailures } from '../auth-failures.js';
import { bearerAuthHook } from '../bearer-auth.js';

export interface MetricsRouteDeps {
  metrics: Metrics;
  token: string | undefined;
  /** Whether the gateway listens on loopback only (then no token is needed). */
  loopbackOnly: boolean;
  tokenFailures: AuthFailures;
}

export function metricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  const onRequest =
    deps.token !== undefined
      ? bearerAuthHook({ token: deps.token, subject: 'metrics', failures: deps.tokenFailures, hint: 'GET /metrics needs the metrics token as a Bearer token' })
      : async (): Promise<void> => {
          if (!deps.loopbackOnly) {
            throw new ApiError(403, 'metrics_token_required', 'Set CONNEXA_METRICS_TOKEN to scrape /metrics on a gateway that listens beyond loopback');
          }
        };
  app.get(
    '/metrics',
    {
      onRequest,
      schema: {
        description: 'Prometheus metrics (text exposition format)',
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, '4xx': errorSchema },
      },
    },
    async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );
}
