/**
 * Instance leases on PostgreSQL (several nodes, one database; migration 012).
 * Each instance has at most one live lease: the node that owns it and an
 * epoch that grows with every change of hands. Times are the database
 * server's clock, so the nodes' clocks may disagree without harm.
 *
 * Fencing: a node's writes for an instance confirm, in their own
 * transaction, that it still holds the lease with the epoch it knows
 * (`confirmedInTx`). The lease row is locked `FOR KEY SHARE` meanwhile: a
 * takeover locks it `FOR UPDATE` (it waits for, or skips, that transaction),
 * while the owner's own renewals (plain updates, no key changed) never wait
 * for its writes. A write after a takeover finds the new epoch and is dropped.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Sql, Store, Tx } from './database.js';

/** The database server's clock, in milliseconds. */
export const DB_NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** A condition on an instance id column: the instance's lease is held, live, by the node given as its `?`. */
export function ownedBy(column: string): string {
  return `${column} IN (SELECT instance_id FROM instance_leases WHERE node_id = ? AND expires_at > ${DB_NOW_MS})`;
}

/** `ownedBy` for Kysely queries. */
export function ownedByNode(column: string, nodeId: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} IN (SELECT instance_id FROM instance_leases WHERE node_id = ${nodeId} AND expires_at > ${sql.raw(DB_NOW_MS)})`;
}

/** What a node knows of its leases: its id, and the epoch of each lease it holds. */
export interface Fence {
  readonly nodeId: string;
  epochOf(instanceId: string): number | undefined;
}

export interface HeldLease {
  instance_id: string;
  epoch: number;
}

export interface ClusterNodeRow {
  node_id: string;
  url: string | null;
  started_at: number;
  heartbeat_at: number;
  stopping: boolean;
  alive: boolean;
  instances: number;
}

export interface LeaseMoveRow {
  id: number;
  instance_id: string;
  from_node: string | null;
  to_node: string | null;
  epoch: number;
  reason: string;
  at: number;
}

/**
 * Of `instanceIds`, the epochs of the live leases `nodeId` holds; the rows
 * stay locked (shared) until `tx` ends, so no takeover commits in between.
 */
export async function heldEpochsInTx(tx: Sql, nodeId: string, instanceIds: readonly string[]): Promise<Map<string, number>> {
  const unique = [...new Set(instanceIds)];
  if (unique.length === 0) return new Map();
  const rows = await tx.all<HeldLease>(
    `SELECT instance_id, epoch FROM instance_leases WHERE instance_id = ANY(?::text[]) AND node_id = ? AND expires_at > ${DB_NOW_MS} FOR KEY SHARE`,
    [unique, nodeId],
  );
  return new Map(rows.map((r) => [r.instance_id, r.epoch]));
}

/** Of `instanceIds`, those whose live lease `fence` holds with the epoch it knows now (see `heldEpochsInTx`). */
export async function confirmedInTx(tx: Sql, fence: Fence, instanceIds: readonly string[]): Promise<Set<string>> {
  const held = await heldEpochsInTx(tx, fence.nodeId, instanceIds);
  return new Set([...held].filter(([id, epoch]) => fence.epochOf(id) === epoch).map(([id]) => id));
}

const REGISTER = `INSERT INTO cluster_nodes (node_id, url, incarnation, started_at, heartbeat_at, stopping)
  VALUES (?, ?, ?, ${DB_NOW_MS}, ${DB_NOW_MS}, false)
  ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, incarnation = excluded.incarnation,
    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopping = false
  RETURNING (SELECT heartbeat_at FROM cluster_nodes WHERE node_id = ?) AS previous_heartbeat`;
// Leases a former life of this node still holds get a new epoch: its writes, if it still runs, are fenced off.
const ADOPT = `UPDATE instance_leases SET epoch = epoch + 1 WHERE node_id = ?`;
const BEAT = `UPDATE cluster_nodes SET heartbeat_at = ${DB_NOW_MS} WHERE node_id = ? AND incarnation = ?`;
/**
 * A deleted instance keeps its lease until its lanes are gone (its owner fails
 * the messages that were waiting, instance_not_found); then the lease goes.
 */
const FORGET_DELETED = `DELETE FROM instance_leases l WHERE (l.node_id = ? OR l.node_id IS NULL)
  AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = l.instance_id)
  AND NOT EXISTS (SELECT 1 FROM lanes n WHERE n.instance_id = l.instance_id)`;
const RENEW = `UPDATE instance_leases SET expires_at = ${DB_NOW_MS} + ? WHERE node_id = ? AND expires_at > ${DB_NOW_MS} RETURNING instance_id, epoch`;
const CENSUS = `SELECT (SELECT count(*) FROM cluster_nodes WHERE heartbeat_at > ${DB_NOW_MS} - ? AND NOT stopping) AS nodes,
  (SELECT count(*) FROM instances) AS instances`;
// Instances never leased get a free lease row (a second node adding the same row adds nothing).
const ADD_FREE = `INSERT INTO instance_leases (instance_id, node_id, epoch, expires_at, acquired_at)
  SELECT i.id, NULL, 0, 0, 0 FROM instances i WHERE NOT EXISTS (SELECT 1 FROM instance_leases l WHERE l.instance_id = i.id)
  ON CONFLICT (instance_id) DO NOTHING`;
/**
 * Free leases (released or expired) taken for this node with a new epoch.
 * `FOR UPDATE SKIP LOCKED`: a lease another node is taking, or whose former
 * owner has a write in flight (fencing, above), is left for a later beat.
 */
const ACQUIRE = `WITH free AS (
    SELECT instance_id, node_id AS previous FROM instance_leases
    WHERE node_id IS NULL OR expires_at <= ${DB_NOW_MS}
    ORDER BY expires_at, instance_id LIMIT ? FOR UPDATE SKIP LOCKED),
  taken AS (
    UPDATE instance_leases l SET node_id = ?, epoch = l.epoch + 1, expires_at = ${DB_NOW_MS} + ?, acquired_at = ${DB_NOW_MS}
    FROM free WHERE l.instance_id = free.instance_id
    RETURNING l.instance_id, l.epoch, free.previous),
  logged AS (
    INSERT INTO lease_moves (instance_id, from_node, to_node, epoch, reason, at)
    SELECT instance_id, previous, ?, epoch, CASE WHEN previous IS NULL THEN 'acquired' ELSE 'expired' END, ${DB_NOW_MS} FROM taken)
  SELECT instance_id, epoch FROM taken`;
const RELEASE = `WITH released AS (
    UPDATE instance_leases SET node_id = NULL, expires_at = 0 WHERE node_id = ? AND instance_id = ANY(?::text[]) RETURNING instance_id, epoch)
  INSERT INTO lease_moves (instance_id, from_node, to_node, epoch, reason, at)
  SELECT instance_id, ?, NULL, epoch, ?, ${DB_NOW_MS} FROM released`;
const LEAVE = `DELETE FROM cluster_nodes WHERE node_id = ? AND incarnation = ?`;
const STOPPING = `UPDATE cluster_nodes SET stopping = true WHERE node_id = ? AND incarnation = ?`;
const OWNER = `SELECT l.node_id, n.url FROM instance_leases l LEFT JOIN cluster_nodes n ON n.node_id = l.node_id
  WHERE l.instance_id = ? AND l.expires_at > ${DB_NOW_MS}`;
const NODES = `SELECT n.node_id, n.url, n.started_at, n.heartbeat_at, n.stopping, n.heartbeat_at > ${DB_NOW_MS} - ? AS alive,
    (SELECT count(*) FROM instance_leases l WHERE l.node_id = n.node_id AND l.expires_at > ${DB_NOW_MS}) AS instances
  FROM cluster_nodes n ORDER BY n.node_id`;
const MOVES = `SELECT id, instance_id, from_node, to_node, epoch, reason, at FROM lease_moves ORDER BY id DESC LIMIT ?`;
const PRUNE_MOVES = `DELETE FROM lease_moves WHERE at < ${DB_NOW_MS} - ?`;
const FORGET_DEAD = `DELETE FROM cluster_nodes WHERE heartbeat_at < ${DB_NOW_MS} - ?`;

export class LeaseStatements {
  constructor(private readonly store: Store) {}

  /**
   * Enters this node in the cluster (again). Returns when its id last
   * beat, if it was in the table: a node restarted after a crash, or a
   * second process configured with the same id (whose writes the new epochs
   * fence off).
   */
  register(nodeId: string, url: string | undefined, incarnation: string): Promise<number | undefined> {
    return this.store.writeTx(true, async (tx) => {
      const row = await tx.get<{ previous_heartbeat: number | null }>(REGISTER, [nodeId, url ?? null, incarnation, nodeId]);
      await tx.run(ADOPT, [nodeId]);
      return row?.previous_heartbeat ?? undefined;
    });
  }

  /**
   * The heartbeat: this node's row, and every live lease it holds extended by
   * `leaseMs`. `member` is false when another process took this node's id
   * (it then holds nothing).
   */
  heartbeat(nodeId: string, incarnation: string, leaseMs: number): Promise<{ member: boolean; held: HeldLease[] }> {
    return this.store.writeTx(true, async (tx) => {
      if ((await tx.run(BEAT, [nodeId, incarnation])) === 0) return { member: false, held: [] };
      await tx.run(FORGET_DELETED, [nodeId]);
      return { member: true, held: await tx.all<HeldLease>(RENEW, [leaseMs, nodeId]) };
    });
  }

  /** Live nodes (beat within `leaseMs`, not stopping) and instances, for each node's fair share. */
  async census(leaseMs: number): Promise<{ nodes: number; instances: number }> {
    const row = await this.store.sql.get<{ nodes: number; instances: number }>(CENSUS, [leaseMs]);
    return { nodes: row?.nodes ?? 0, instances: row?.instances ?? 0 };
  }

  /** Takes up to `limit` free leases for this node; returns them with their new epochs. */
  acquire(nodeId: string, leaseMs: number, limit: number): Promise<HeldLease[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.store.writeTx(true, async (tx) => {
      await tx.run(ADD_FREE);
      return tx.all<HeldLease>(ACQUIRE, [limit, nodeId, leaseMs, nodeId]);
    });
  }

  /** Gives leases up (graceful: another node may take them at once). */
  release(nodeId: string, instanceIds: readonly string[], reason: 'released' | 'rebalanced' | 'stopped'): Promise<number> {
    if (instanceIds.length === 0) return Promise.resolve(0);
    return this.store.writeTx(true, (tx) => tx.run(RELEASE, [nodeId, [...instanceIds], nodeId, reason]));
  }

  /** Marks this node as stopping: the others stop counting it in their share. */
  stopping(nodeId: string, incarnation: string): Promise<number> {
    return this.store.writeOne(STOPPING, [nodeId, incarnation]);
  }

  leave(nodeId: string, incarnation: string): Promise<number> {
    return this.store.writeOne(LEAVE, [nodeId, incarnation]);
  }

  /** The node holding an instance's live lease, and where it answers. */
  owner(instanceId: string): Promise<{ node_id: string; url: string | null } | undefined> {
    return this.store.sql.get(OWNER, [instanceId]);
  }

  nodes(leaseMs: number): Promise<ClusterNodeRow[]> {
    return this.store.sql.all<ClusterNodeRow>(NODES, [leaseMs]);
  }

  moves(limit: number): Promise<LeaseMoveRow[]> {
    return this.store.sql.all<LeaseMoveRow>(MOVES, [limit]);
  }

  /** Moves older than `movesKeptMs`, and nodes silent for `deadForMs`, are forgotten. */
  prune(movesKeptMs: number, deadForMs: number): Promise<void> {
    return this.store.writeTx(false, async (tx: Tx) => {
      await tx.run(PRUNE_MOVES, [movesKeptMs]);
      await tx.run(FORGET_DEAD, [deadForMs]);
    });
  }
}
