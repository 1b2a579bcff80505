import type { Kysely } from 'kysely';

// WhatsApp's restriction of a number from starting new chats: until when, and
// the people the number already has a chat with (they may still be written to).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('restricted_until', 'bigint').execute();
  await db.schema
    .createTable('wa_contacts')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('wa_contacts_pk', ['instance_id', 'phone'])
    .execute();
}
