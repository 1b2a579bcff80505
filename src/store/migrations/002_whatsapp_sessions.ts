import type { Kysely } from 'kysely';

// WhatsApp Web sessions (Baileys auth state), sealed at rest (src/crypto/sealer.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('wa_creds')
    .addColumn('instance_id', 'text', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
    .addColumn('sealed', 'blob', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('wa_keys')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('sealed', 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('wa_keys_pk', ['instance_id', 'type', 'id'])
    .execute();
}
