/** GET /api/v1/admin/cluster (admin token): the nodes, the instances each holds, the latest lease moves. */
import type { FastifyInstance } from 'fastify';
import type { ClusterView } from '../../cluster/view.js';
import type { AuthFailures } from '../auth-failures.js';
import { bearerAuthHook } from '../bearer-auth.js';
import { errorSchema } from '../error-handler.js';

const nullableString = { type: ['string', 'null'] } as const;

export function clusterRoutes(app: FastifyInstance, deps: { adminToken: string; tokenFailures: AuthFailures; view: () => Promise<ClusterView> }): void {
  const onRequest = bearerAuthHook({
    token: deps.adminToken,
    subject: 'admin',
    failures: deps.tokenFailures,
    hint: 'The admin API needs Authorization: Bearer <CONNEXA_ADMIN_TOKEN>',
  });
  app.get(
    '/api/v1/admin/cluster',
    {
      onRequest,
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              database: { type: 'string', enum: ['sqlite', 'postgres'] },
              node_id: { type: 'string', description: 'The node that answered' },
              lease_ms: { type: ['integer', 'null'] },
              nodes: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    node_id: { type: 'string' },
                    url: nullableString,
                    alive: { type: 'boolean' },
                    stopping: { type: 'boolean' },
                    instances: { type: 'integer', description: 'Instances whose lease this node holds' },
                    started_at: nullableString,
                    last_heartbeat_at: nullableString,
                  },
                },
              },
              moves: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    instance_id: { type: 'string' },
                    from_node: nullableString,
                    to_node: nullableString,
                    epoch: { type: 'integer' },
                    reason: { type: 'string', enum: ['acquired', 'expired', 'released', 'rebalanced', 'stopped'] },
                    at: { type: 'string' },
                  },
                },
              },
            },
          },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    () => deps.view(),
  );
}
