/** The database, migrated, and the media spool, swept of files no message waits for. */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openStore, type Store } from '../store/database.js';
import { MediaSpool } from '../store/media-spool.js';
import { migrate } from '../store/migrate.js';

export interface Storage {
  store: Store;
  spool: MediaSpool;
}

export async function openStorage(config: Config, logger: Logger): Promise<Storage> {
  const store = openStore(config.database);
  const migrated = await migrate(store);
  if (!migrated.ok) {
    await store.close();
    throw new Error(`Database migration failed: ${migrated.reason}`);
  }
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
  const spool = MediaSpool.open(store, config.database, config.nodeId, config.dataDir);
  // Files whose message was sent meanwhile, or never committed (a crash in between).
  const staleFiles = await spool.sweep();
  if (staleFiles > 0) logger.info({ files: staleFiles }, 'removed media files of messages no longer waiting');
  return { store, spool };
}
