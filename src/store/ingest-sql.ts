/**
 * How the dispatcher's ingest finds messages it has not taken yet, per
 * database. A cursor that only moves past sequence numbers is safe on SQLite,
 * where one writer commits at a time, so sequence numbers commit in order.
 * On PostgreSQL they do not: a transaction that took seq 10 may commit after
 * one that took seq 11, and a cursor moved to 11 would skip 10 for ever. There
 * each message row carries the id of the transaction that wrote it (`tx`,
 * migration 011), and ingest takes only rows of transactions older than every
 * transaction still running (`pg_snapshot_xmin`), in (tx, seq) order: no
 * later commit can land behind the cursor.
 */
import { DISPATCH_COLUMNS } from './schema.js';
import type { Dialect, SqlValue } from './database.js';

export interface IngestCursor {
  seq: number;
  tx: string | null;
}

export interface IngestSql {
  cursor: string;
  /** Rows not taken yet, oldest first, with `seq`, `created_at`, `tx`. */
  newMessages: string;
  /** The parameters of `newMessages`. */
  after(cursor: IngestCursor | undefined, limit: number): SqlValue[];
  moveCursor: string;
  moveTo(last: IngestCursor): SqlValue[];
  /** A condition on `messages m`: not taken into the outbox yet. */
  notIngested: string;
}

const COLUMNS = DISPATCH_COLUMNS.join(', ');

const SQLITE: IngestSql = {
  cursor: `SELECT seq, NULL AS tx FROM dispatch_cursor WHERE name = 'outbox'`,
  newMessages: `SELECT seq, created_at, NULL AS tx, ${COLUMNS} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`,
  after: (cursor, limit) => [cursor?.seq ?? 0, limit],
  moveCursor: `INSERT INTO dispatch_cursor (name, seq) VALUES ('outbox', ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
  moveTo: (last) => [last.seq],
  notIngested: `m.seq > COALESCE((SELECT seq FROM dispatch_cursor WHERE name = 'outbox'), 0)`,
};

const POSTGRES: IngestSql = {
  // Locked: ingests on several nodes take turns.
  cursor: `SELECT seq, tx::text AS tx FROM dispatch_cursor WHERE name = 'outbox' FOR UPDATE`,
  newMessages: `SELECT seq, created_at, tx::text AS tx, ${COLUMNS} FROM messages
    WHERE (tx, seq) > (?::xid8, ?) AND tx < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY tx, seq LIMIT ?`,
  after: (cursor, limit) => [cursor?.tx ?? '0', cursor?.seq ?? 0, limit],
  moveCursor: `INSERT INTO dispatch_cursor (name, seq, tx) VALUES ('outbox', ?, ?::xid8)
    ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, tx = excluded.tx`,
  moveTo: (last) => [last.seq, last.tx],
  notIngested: `NOT EXISTS (SELECT 1 FROM dispatch_cursor c WHERE c.name = 'outbox' AND (c.tx, c.seq) >= (m.tx, m.seq))`,
};

export function ingestSql(dialect: Dialect): IngestSql {
  return dialect === 'postgres' ? POSTGRES : SQLITE;
}
