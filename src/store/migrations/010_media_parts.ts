import type { Kysely } from 'kysely';

// Large inline media are stored in parts of about a megabyte, each written in a
// short transaction of its own before the message's commit, so that storing a
// big file never holds the one writer (and the event loop) for long.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('media_parts')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_parts_pk', ['message_id', 'seq'])
    .execute();
}
