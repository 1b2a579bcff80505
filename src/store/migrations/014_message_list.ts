import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * An instance's messages newest first (GET /api/v1/messages), by instance then
 * accept order: an index on PostgreSQL only. On SQLite the list walks the
 * messages backwards in accept order (the table's own key) and stops once a page
 * is full: an index there cost the accept path about a sixth of its throughput
 * (docs/BENCHMARKS.md, "Accept path A/B"), and the accept path is the promise.
 */
export function migration014(dialect: Dialect): { up: (db: Kysely<unknown>) => Promise<void> } {
  return {
    up: async (db) => {
      if (dialect !== 'postgres') return;
      await db.schema.createIndex('messages_instance_seq').on('messages').columns(['instance_id', 'seq']).execute();
    },
  };
}
