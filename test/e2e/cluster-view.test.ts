/**
 * GET /api/v1/admin/cluster on one node: that node, alive, holding every
 * instance (SQLite: one node owns all; PostgreSQL: through its leases), and
 * only for the admin token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { onPostgres } from '../helpers/test-db.js';

let g: TestGateway;
beforeAll(async () => {
  g = await startTestGateway({ CONNEXA_NODE_ID: 'solo' });
});
afterAll(() => g.stop());

interface View {
  database: string;
  node_id: string;
  nodes: { node_id: string; alive: boolean; instances: number }[];
  moves: { instance_id: string; to_node: string | null; reason: string }[];
}

const view = async (token = ADMIN_TOKEN) => {
  const res = await fetch(`${g.url}/api/v1/admin/cluster`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as View };
};

describe('the cluster view of a single node', () => {
  it('shows the node holding every instance, to the admin only', async () => {
    const [a, b] = [await g.tenant(), await g.tenant()];
    const seen = await waitFor(
      async () => {
        const v = await view();
        return v.body.nodes[0]?.instances === 2 ? v : undefined;
      },
      10_000,
      'both instances held',
    );
    expect(seen.status).toBe(200);
    expect(seen.body.database).toBe(onPostgres ? 'postgres' : 'sqlite');
    expect(seen.body.node_id).toBe('solo');
    expect(seen.body.nodes).toEqual([expect.objectContaining({ node_id: 'solo', alive: true, instances: 2 })]);
    if (onPostgres) {
      expect(seen.body.moves.map((m) => m.instance_id).sort()).toEqual([a.instanceId, b.instanceId].sort());
      expect(seen.body.moves.every((m) => m.to_node === 'solo' && m.reason === 'acquired')).toBe(true);
    }
    expect((await view('wrong-token-0123456789abcdef')).status).toBe(401);
  });
});
