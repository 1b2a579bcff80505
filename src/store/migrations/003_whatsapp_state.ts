import type { Kysely } from 'kysely';

// Instance connection state, receipts by provider id, and inbound messages.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('instances')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('disconnected'))
    .execute();
  await db.schema.alterTable('instances').addColumn('state_reason', 'text').execute();
  await db.schema.alterTable('instances').addColumn('state_since', 'bigint').execute();
  await db.schema.alterTable('instances').addColumn('phone', 'text').execute();

  // Receipts come back under the WhatsApp id we sent with.
  await db.schema.createIndex('messages_provider_id').on('messages').column('provider_id').execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('from_jid', 'text', (c) => c.notNull())
    .addColumn('phone', 'text')
    .addColumn('push_name', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('media_mime', 'text')
    .addColumn('media_size', 'bigint')
    .addColumn('media_filename', 'text')
    // The WhatsApp message itself (encoded), kept for media so it can be downloaded on request.
    .addColumn('proto', 'blob')
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('inbound_messages_provider', ['instance_id', 'provider_id'])
    .execute();
  await db.schema.createIndex('inbound_messages_instance').on('inbound_messages').columns(['instance_id', 'id']).execute();
}
