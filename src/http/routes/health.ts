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
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
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
  });
}
