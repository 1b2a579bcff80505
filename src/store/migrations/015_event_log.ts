import type { Kysely } from 'kysely';

/**
 * Every event an instance reports (the webhook envelopes), kept for a while
 * whether or not a webhook subscribes to it: the live event stream
 * (GET /api/v1/events) reads it and resumes from it by `id`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    // The envelope, exactly as a webhook delivers it.
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_log_instance').on('event_log').columns(['instance_id', 'id']).execute();
  await db.schema.createIndex('event_log_created').on('event_log').columns(['created_at']).execute();
}
