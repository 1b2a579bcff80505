/**
 * GET /metrics in Prometheus' text format. When CONNEXA_METRICS_TOKEN is set
 * the scraper must send it as a Bearer token; otherwise the endpoint is open
 * (bind the gateway or firewall the port accordingly).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Metrics } from '../../metrics/metrics.js';

export interface MetricsRouteDeps {
  metrics: Metrics;
  token: string | undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function metricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  app.get('/metrics', async (request, reply) => {
    if (deps.token !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (m?.[1] === undefined || !sameSecret(m[1], deps.token)) {
        throw new ApiError(401, 'unauthorized', 'GET /metrics needs the metrics token as a Bearer token', undefined,
          { 'WWW-Authenticate': 'Bearer realm="connexa-metrics"' });
      }
    }
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
