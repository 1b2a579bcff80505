import type { Kysely } from 'kysely';

// Sent WhatsApp messages as protos, so a recipient's retry request can be answered (Baileys getMessage).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('wa_sent')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('provider_id', 'text', (c) => c.notNull())
    // Only the chat it was sent to may ask for it again.
    .addColumn('jid', 'text', (c) => c.notNull())
    .addColumn('proto', 'blob', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('wa_sent_pk', ['instance_id', 'provider_id'])
    .execute();
  await db.schema.createIndex('wa_sent_created').on('wa_sent').column('created_at').execute();
}
