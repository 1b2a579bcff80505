import type { Kysely } from 'kysely';

// Group messages keep their group and the member who wrote; reactions, edits and
// deletions are recorded once each (by their own WhatsApp id), so a repeat from
// WhatsApp is not reported twice.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('inbound_messages').addColumn('group_jid', 'text').execute();
  await db.schema.alterTable('inbound_messages').addColumn('participant', 'text').execute();
  await db.schema
    .createTable('inbound_changes')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('inbound_changes_pk', ['instance_id', 'provider_id'])
    .execute();
}
