import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * PostgreSQL only: each message row carries the id of the transaction that
 * wrote it, so ingest can take rows in an order no later commit lands behind
 * (see ingest-sql.ts). Nothing changes on SQLite.
 */
export function migration011(dialect: Dialect): { up: (db: Kysely<unknown>) => Promise<void> } {
  return {
    up: async (db) => {
      if (dialect !== 'postgres') return;
      await sql`ALTER TABLE messages ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id()`.execute(db);
      await sql`CREATE INDEX messages_tx_seq ON messages (tx, seq)`.execute(db);
      await sql`ALTER TABLE dispatch_cursor ADD COLUMN tx xid8 NOT NULL DEFAULT '0'`.execute(db);
    },
  };
}
