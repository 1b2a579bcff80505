/** GET /api/v1/admin/cluster: the nodes sharing the database, the instances each holds, and the latest lease moves. */
import type { LeaseStatements } from '../store/leases.js';

export interface ClusterView {
  database: 'sqlite' | 'postgres';
  node_id: string;
  lease_ms: number | null;
  nodes: {
    node_id: string;
    url: string | null;
    alive: boolean;
    stopping: boolean;
    instances: number;
    started_at: string | null;
    last_heartbeat_at: string | null;
  }[];
  moves: { instance_id: string; from_node: string | null; to_node: string | null; epoch: number; reason: string; at: string }[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export async function clusterView(leases: LeaseStatements, nodeId: string, leaseMs: number, moves = 100): Promise<ClusterView> {
  const [nodes, recent] = await Promise.all([leases.nodes(leaseMs), leases.moves(moves)]);
  return {
    database: 'postgres',
    node_id: nodeId,
    lease_ms: leaseMs,
    nodes: nodes.map((n) => ({
      node_id: n.node_id,
      url: n.url,
      alive: n.alive,
      stopping: n.stopping,
      instances: n.instances,
      started_at: iso(n.started_at),
      last_heartbeat_at: iso(n.heartbeat_at),
    })),
    moves: recent.map((m) => ({ instance_id: m.instance_id, from_node: m.from_node, to_node: m.to_node, epoch: m.epoch, reason: m.reason, at: iso(m.at) })),
  };
}

/** One node owns everything (SQLite). */
export function singleNodeView(nodeId: string, instances: number): ClusterView {
  return {
    database: 'sqlite',
    node_id: nodeId,
    lease_ms: null,
    nodes: [{ node_id: nodeId, url: null, alive: true, stopping: false, instances, started_at: null, last_heartbeat_at: null }],
    moves: [],
  };
}
