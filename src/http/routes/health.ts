/** Liveness and readiness. Ready means: database answers, we are not shutting down, and (in a cluster) our leases are current. */
import type { FastifyInstance } from 'fastify';
import { databaseAnswers, type Db } from '../../store/database.js';

export interface Readiness {
  shuttingDown: boolean;
  started: boolean;
  /** In a cluster: whether this node's last lease heartbeat is recent (its leases count). */
  leasesHealthy?: () => boolean;
}

export function healthRoutes(app: FastifyInstance, deps: { db: Db; readiness: Readiness }): void {
  const health = { type: 'object', properties: { status: { type: 'string' }, reason: { type: 'string' } } } as const;
  app.get('/healthz', { schema: { description: 'The process is up', response: { 200: health } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { description: 'Ready for traffic (503 while starting, stopping, or without its database or leases)', response: { 200: health, 503: health } } },
    async (_request, reply) => {
      if (deps.readiness.shuttingDown || !deps.readiness.started) {
        return reply
          .code(503)
          .header('Retry-After', '5')
          .send({ status: 'unavailable', reason: deps.readiness.shuttingDown ? 'shutting_down' : 'starting' });
      }
      try {
        await databaseAnswers(deps.db);
      } catch {
        return reply.code(503).header('Retry-After', '5').send({ status: 'unavailable', reason: 'database' });
      }
      if (deps.readiness.leasesHealthy?.() === false) {
        return reply.code(503).header('Retry-After', '5').send({ status: 'unavailable', reason: 'leases' });
      }
      return { status: 'ready' };
    },
  );
}
