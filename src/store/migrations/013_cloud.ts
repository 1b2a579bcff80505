import type { Kysely } from 'kysely';

// Meta's Cloud API (`cloud` instances): each instance's phone number, Graph
// endpoint and pace, with its token, app secret and verify token sealed
// (crypto/sealer.ts); the message ids (wamid) Graph answered for each send,
// with the id WhatsApp knows the recipient by; and every status Meta reported,
// kept once per (wamid, status): duplicates are dropped, and a status that
// overtakes the record of its send waits here until the send is recorded.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cloud_accounts')
    .addColumn('instance_id', 'text', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
    .addColumn('phone_number_id', 'text', (c) => c.notNull())
    .addColumn('graph_url', 'text', (c) => c.notNull())
    .addColumn('graph_version', 'text', (c) => c.notNull())
    .addColumn('throughput', 'integer', (c) => c.notNull())
    .addColumn('access_token', 'blob', (c) => c.notNull())
    .addColumn('app_secret', 'blob', (c) => c.notNull())
    .addColumn('verify_token', 'blob', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('cloud_sends')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('wamid', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('wa_id', 'text')
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('cloud_sends_pk', ['instance_id', 'wamid'])
    .execute();
  await db.schema.createIndex('cloud_sends_message').on('cloud_sends').column('message_id').execute();
  await db.schema.createIndex('cloud_sends_sent_at').on('cloud_sends').column('sent_at').execute();
  await db.schema
    .createTable('cloud_statuses')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('wamid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('error_code', 'integer')
    .addColumn('error_reason', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('cloud_statuses_pk', ['instance_id', 'wamid', 'status'])
    .execute();
  await db.schema.createIndex('cloud_statuses_received_at').on('cloud_statuses').column('received_at').execute();
}
