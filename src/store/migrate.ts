/**
 * Versioned, append-only migrations run at start, each in a transaction.
 * A database migrated by a newer Connexa (a migration we do not know) is
 * refused rather than run against an older schema understanding.
 */
import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Store } from './database.js';
import { PostgresSchemaPlugin } from './postgres/schema-plugin.js';
import * as m001 from './migrations/001_initial.js';
import * as m002 from './migrations/002_whatsapp_sessions.js';
import * as m003 from './migrations/003_whatsapp_state.js';
import * as m004 from './migrations/004_instance_config.js';
import * as m005 from './migrations/005_whatsapp_sent.js';
import * as m006 from './migrations/006_webhooks.js';
import * as m007 from './migrations/007_idempotency.js';
import * as m008 from './migrations/008_whatsapp_restriction.js';
import * as m009 from './migrations/009_inbound_groups_changes.js';
import * as m010 from './migrations/010_media_parts.js';
import { migration011 } from './migrations/011_postgres_outbox.js';
import { migration012 } from './migrations/012_cluster.js';
import * as m013 from './migrations/013_cloud.js';
import { migration014 } from './migrations/014_message_list.js';
import * as m015 from './migrations/015_event_log.js';
import * as m016 from './migrations/016_event_streams.js';

const migrations = (store: Store): Record<string, Migration> => ({
  '001_initial': m001,
  '002_whatsapp_sessions': m002,
  '003_whatsapp_state': m003,
  '004_instance_config': m004,
  '005_whatsapp_sent': m005,
  '006_webhooks': m006,
  '007_idempotency': m007,
  '008_whatsapp_restriction': m008,
  '009_inbound_groups_changes': m009,
  '010_media_parts': m010,
  '011_postgres_outbox': migration011(store.dialect),
  '012_cluster': migration012(store.dialect),
  '013_cloud': m013,
  '014_message_list': migration014(store.dialect),
  '015_event_log': m015,
  '016_event_streams': m016,
});

export type MigrateOutcome = { ok: true; applied: string[] } | { ok: false; reason: string };

export async function migrate(store: Store): Promise<MigrateOutcome> {
  const migrator = new Migrator({
    db: store.dialect === 'postgres' ? store.db.withPlugin(new PostgresSchemaPlugin()) : store.db,
    provider: { getMigrations: async () => migrations(store) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    return { ok: false, reason };
  }
  return { ok: true, applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
