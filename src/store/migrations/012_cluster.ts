import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * PostgreSQL only (several nodes share one database; see store/leases.ts):
 * the nodes of the cluster with their heartbeat, one lease row per instance
 * (the node that owns it and the epoch that fences a former owner's writes),
 * and the log of lease moves; the counters of shared rate limits; media
 * files kept in rows get the time they were stored and the node that stored them. Nothing changes on SQLite (one node owns all).
 */
export function migration012(dialect: Dialect): { up: (db: Kysely<unknown>) => Promise<void> } {
  return {
    up: async (db) => {
      if (dialect !== 'postgres') return;
      await sql`CREATE TABLE cluster_nodes (
        node_id text PRIMARY KEY,
        url text,
        incarnation text NOT NULL,
        started_at bigint NOT NULL,
        heartbeat_at bigint NOT NULL,
        stopping boolean NOT NULL DEFAULT false
      )`.execute(db);
      await sql`CREATE TABLE instance_leases (
        -- No foreign key: a deleted instance's lease stays until its waiting messages have failed (see leases.ts).
        instance_id text PRIMARY KEY,
        node_id text,
        epoch bigint NOT NULL,
        expires_at bigint NOT NULL,
        acquired_at bigint NOT NULL
      )`.execute(db);
      await sql`CREATE INDEX instance_leases_node ON instance_leases (node_id, expires_at)`.execute(db);
      await sql`CREATE TABLE lease_moves (
        id bigserial PRIMARY KEY,
        instance_id text NOT NULL,
        from_node text,
        to_node text,
        epoch bigint NOT NULL,
        reason text NOT NULL,
        at bigint NOT NULL
      )`.execute(db);
      await sql`CREATE INDEX lease_moves_at ON lease_moves (at)`.execute(db);
      // Counters every node shares (send rates, failed sign-ins): rate-limiter-flexible's PostgreSQL table.
      await sql`CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`.execute(db);
      // Waiting messages' files are rows here (every node reads them): when each was stored, for the sweep of a crashed accept's.
      await sql`ALTER TABLE media_parts ADD COLUMN stored_at bigint NOT NULL DEFAULT 0, ADD COLUMN node_id text`.execute(db);
    },
  };
}
