import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * PostgreSQL only: the accept commit writes each message's outbox row, marked
 * not yet in a lane, and ingest takes the unmarked rows (see ingest-sql.ts).
 * Nothing changes on SQLite.
 */
export function migration011(dialect: Dialect): { up: (db: Kysely<unknown>) => Promise<void> } {
  return {
    up: async (db) => {
      if (dialect !== 'postgres') return;
      await sql`ALTER TABLE outbox ADD COLUMN laned boolean NOT NULL DEFAULT true`.execute(db);
      await sql`CREATE INDEX outbox_unlaned ON outbox (seq) WHERE NOT laned`.execute(db);
    },
  };
}
