import type { Kysely } from 'kysely';

// Per-instance settings (JSON), e.g. WhatsApp pacing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('config', 'text').execute();
}
