import type { Kysely } from 'kysely';

/**
 * Who streams events: one row per instance id whose events a stream asked for
 * (or `*`, every instance: the admin's stream), with when it was last open.
 * Events are written to the event log only for these (see store/event-log.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_streams')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .execute();
}
