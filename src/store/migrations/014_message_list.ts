import type { Kysely } from 'kysely';

// An instance's messages newest first (GET /api/v1/messages): by instance, then
// by accept order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('messages_instance_seq').on('messages').columns(['instance_id', 'seq']).execute();
}
