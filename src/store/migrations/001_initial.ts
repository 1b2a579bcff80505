import type { Kysely } from 'kysely';

// Migrations are append-only: never edit one that has shipped; add the next.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('engine', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('instances_user').on('instances').column('user_id').execute();

  await db.schema
    .createTable('messages')
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('media_kind', 'text')
    .addColumn('media_url', 'text')
    .addColumn('media_mime', 'text')
    .addColumn('media_size', 'bigint')
    .addColumn('media_sha256', 'text')
    .addColumn('media_filename', 'text')
    .addColumn('media_voice', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requested_filename', 'text')
    .addColumn('requested_mime', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('provider_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('read_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('media')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('bytes', 'blob', (c) => c.notNull())
    .execute();

  // Pending messages; the row goes when the message is sent or failed for good.
  await db.schema
    .createTable('outbox')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('outbox_lane_seq').on('outbox').columns(['instance_id', 'recipient', 'seq']).execute();

  // How far the dispatcher has taken accepted messages into the outbox. The accept
  // path only appends to messages (the cheapest durable write); ingestion into
  // outbox and lanes happens later, in the same transaction as this cursor.
  await db.schema
    .createTable('dispatch_cursor')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .execute();

  // One lane per (instance, recipient) with pending messages: the unit of ordering,
  // of claiming and of retry backoff (a retrying head holds back its followers).
  await db.schema
    .createTable('lanes')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_at', 'bigint')
    .addPrimaryKeyConstraint('lanes_pk', ['instance_id', 'recipient'])
    .execute();
  await db.schema.createIndex('lanes_due').on('lanes').columns(['locked_by', 'run_at']).execute();

  await db.schema
    .createTable('message_events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('message_events_message').on('message_events').columns(['message_id', 'id']).execute();

  await db.schema
    .createTable('sandbox_inbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('provider_id', 'text', (c) => c.notNull().unique())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('media_mime', 'text')
    .addColumn('media_size', 'bigint')
    .addColumn('media_sha256', 'text')
    .addColumn('media_filename', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('deliver_due', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('read_due', 'bigint')
    .addColumn('read_at', 'bigint')
    .addColumn('resends', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('sandbox_inbox_instance').on('sandbox_inbox').columns(['instance_id', 'id']).execute();
  await db.schema.createIndex('sandbox_inbox_deliver').on('sandbox_inbox').columns(['delivered_at', 'deliver_due']).execute();
  await db.schema.createIndex('sandbox_inbox_read').on('sandbox_inbox').columns(['read_at', 'read_due']).execute();
}
