/**
 * Several built gateways (dist/) on one PostgreSQL database, each in a
 * process of its own: a cluster the tests can SIGKILL, SIGSTOP and stop
 * gracefully node by node, and read the shared database of directly.
 */
import pg from 'pg';
import { childGateway, type ChildGateway } from './child-gateway.js';
import { ADMIN_TOKEN, tempDir, waitFor } from './gateway.js';
import { testDatabase, type TestDatabase } from './test-db.js';

export interface ClusterNodeView {
  node_id: string;
  alive: boolean;
  stopping: boolean;
  instances: number;
}

export interface TestCluster {
  database: TestDatabase;
  nodes: ChildGateway[];
  /** Adds a node (not started) named `n<k>`. */
  add(): Promise<ChildGateway>;
  /** The cluster as `node` sees it (GET /api/v1/admin/cluster). */
  view(node: ChildGateway): Promise<{ nodes: ClusterNodeView[]; moves: { reason: string; to_node: string | null }[] }>;
  /** Waits until the live nodes named hold every instance between them, each at least `min`. */
  settled(by: ChildGateway, live: string[], instances: number, min: number, timeoutMs: number): Promise<Map<string, number>>;
  query<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  /** Waits until a node holds the instance's lease; that node and the others. */
  ownerOf(instanceId: string): Promise<{ owner: ChildGateway; others: ChildGateway[] }>;
  /** Waits until every one of the messages is `sent` or later. */
  allSent(messageIds: string[], timeoutMs: number): Promise<void>;
  dispose(): Promise<void>;
}

/** A call with an instance's credentials to one node: GET, or POST of a JSON body. */
export async function callAs(node: ChildGateway, auth: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function testCluster(env: Record<string, string>): Promise<TestCluster> {
  const database = await testDatabase(tempDir('connexa-cluster-'));
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const nodes: ChildGateway[] = [];
  const cluster: TestCluster = {
    database,
    nodes,
    async add() {
      const node = await childGateway({ ...env, CONNEXA_NODE_ID: `n${nodes.length + 1}` }, 'connexa-node-', database);
      nodes.push(node);
      return node;
    },
    async view(node) {
      const res = await fetch(`${node.base}/api/v1/admin/cluster`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (res.status !== 200) throw new Error(`cluster view → ${res.status}`);
      return (await res.json()) as { nodes: ClusterNodeView[]; moves: { reason: string; to_node: string | null }[] };
    },
    async settled(by, live, instances, min, timeoutMs) {
      return waitFor(
        async () => {
          const view = await cluster.view(by).catch(() => undefined);
          if (view === undefined) return undefined;
          const held = new Map(view.nodes.filter((n) => n.alive && live.includes(n.node_id)).map((n) => [n.node_id, n.instances]));
          const total = [...held.values()].reduce((a, b) => a + b, 0);
          return held.size === live.length && total === instances && [...held.values()].every((n) => n >= min) ? held : undefined;
        },
        timeoutMs,
        `instances spread over ${live.join(', ')}`,
      );
    },
    async query(text, params = []) {
      return (await client.query(text, params)).rows;
    },
    async ownerOf(instanceId) {
      const ownerId = await waitFor(
        async () =>
          (await cluster.query<{ node_id: string | null }>(`SELECT node_id FROM instance_leases WHERE instance_id = $1`, [instanceId]))[0]?.node_id ??
          undefined,
        10_000,
        'the instance to be owned',
      );
      const owner = nodes.find((_, i) => `n${i + 1}` === ownerId);
      if (owner === undefined) throw new Error(`no node ${ownerId}`);
      return { owner, others: nodes.filter((n) => n !== owner) };
    },
    async allSent(messageIds, timeoutMs) {
      await waitFor(
        async () => {
          const rows = await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE id = ANY($1) AND status IN ('sent', 'delivered', 'read')`, [
            messageIds,
          ]);
          return Number(rows[0]?.n) === messageIds.length ? true : undefined;
        },
        timeoutMs,
        'every acknowledged message to be sent',
      );
    },
    async dispose() {
      await Promise.all(nodes.map((n) => n.dispose()));
      await client.end();
      await database.drop();
    },
  };
  return cluster;
}
