/**
 * How the dispatcher's ingest finds accepted messages it has not taken yet,
 * per database.
 *
 * SQLite: the accept path appends to `messages` only, and ingest copies new
 * rows into the outbox behind a cursor on `seq`. Safe there because one
 * writer commits at a time, so sequence numbers commit in order.
 *
 * PostgreSQL: sequence numbers do not commit in order (a transaction that
 * took seq 10 may commit after one that took seq 11; a cursor moved to 11
 * would skip 10 for ever). There the accept commit writes each message's
 * outbox row too, marked not yet in a lane (`laned = false`, migration 011),
 * and ingest takes the unmarked rows, oldest first: a row that commits late
 * is simply found by a later ingest. Ingests on several nodes skip each
 * other's rows (SKIP LOCKED).
 */
import { DISPATCH_COLUMNS, type DispatchRow } from './schema.js';
import type { Dialect, Sql } from './database.js';

export type NewRow = DispatchRow & { seq: number; created_at: number };

export interface Ingest {
  /** Rows not taken yet, oldest first, at most `limit`. */
  newMessages(tx: Sql, limit: number): Promise<NewRow[]>;
  /** The rows (oldest first, at least one) are taken: in the outbox from now on, never found again. */
  taken(tx: Sql, rows: readonly NewRow[]): Promise<void>;
  /** A condition on `messages m`: accepted, not taken into the outbox yet. */
  readonly notIngested: string;
}

const COLUMNS = DISPATCH_COLUMNS.map((c) => `m.${c}`).join(', ');

const SQLITE: Ingest = {
  newMessages: async (tx, limit) => {
    const cursor = (await tx.get<{ seq: number }>(`SELECT seq FROM dispatch_cursor WHERE name = 'outbox'`))?.seq ?? 0;
    return tx.all<NewRow>(`SELECT m.seq, m.created_at, ${COLUMNS} FROM messages m WHERE m.seq > ? ORDER BY m.seq LIMIT ?`, [cursor, limit]);
  },
  taken: async (tx, rows) => {
    for (const row of rows) {
      await tx.run(`INSERT INTO outbox (message_id, instance_id, recipient, seq, attempts) VALUES (?, ?, ?, ?, 0)`, [
        row.id,
        row.instance_id,
        row.recipient,
        row.seq,
      ]);
    }
    const last = rows[rows.length - 1]?.seq ?? 0;
    await tx.run(`INSERT INTO dispatch_cursor (name, seq) VALUES ('outbox', ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`, [last]);
  },
  notIngested: `m.seq > COALESCE((SELECT seq FROM dispatch_cursor WHERE name = 'outbox'), 0)`,
};

const POSTGRES: Ingest = {
  newMessages: (tx, limit) =>
    tx.all<NewRow>(
      `SELECT m.seq, m.created_at, ${COLUMNS} FROM outbox o JOIN messages m ON m.seq = o.seq
     WHERE NOT o.laned ORDER BY o.seq LIMIT ? FOR UPDATE OF o SKIP LOCKED`,
      [limit],
    ),
  // One statement for the batch (a round trip each would cost more than the batch's work).
  taken: async (tx, rows) => {
    await tx.run(`UPDATE outbox SET laned = true WHERE message_id = ANY(?::text[])`, [rows.map((r) => r.id)]);
  },
  // Every accepted message has its outbox row from its commit on.
  notIngested: 'FALSE',
};

export function ingestFor(dialect: Dialect): Ingest {
  return dialect === 'postgres' ? POSTGRES : SQLITE;
}
