/**
 * Opens the database. The embedded default is SQLite in WAL mode with
 * `synchronous = FULL`, so a commit is on disk before we answer 200; group
 * commit (see batch-writer.ts) amortises the fsync over many requests.
 *
 * Kysely serves migrations, administration and reads. The hot paths (accept,
 * claim, complete, receipts) use prepared statements inside `writeTx`, one
 * synchronous SQLite transaction that runs at once: nothing can interleave
 * with it, and writers never queue behind each other's promises. The one rule
 * that keeps this safe: no Kysely transaction (which awaits between its
 * statements) may run once the store is open, except the migrations, which
 * finish before anything else starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { Checkpointer } from './checkpointer.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type SqliteHandle = SQLite.Database;

export interface Store {
  db: Db;
  sqlite: SqliteHandle;
  /**
   * Runs `fn` synchronously in one SQLite transaction, with the connection held.
   * `durable` commits fsync the WAL (the accept path: a 200 promises the message
   * survives power loss). Other commits skip the fsync: they survive a process
   * crash, and the next durable commit carries them to disk; losing one to a
   * power cut only repeats work (a resend under the same provider id).
   */
  writeTx<T>(durable: boolean, fn: () => T): Promise<T>;
  /**
   * Inside `writeTx`: runs `fn` once that transaction has committed, and never
   * if it rolls back (work outside the database that must follow the commit,
   * such as removing a sent message's file).
   */
  afterCommit(fn: () => void): void;
  close(): Promise<void>;
}

/**
 * The database holds session keys and tokens' hashes: its folder is created
 * 0700 and the file 0600 before SQLite opens it (SQLite gives its -wal and
 * -shm files the database file's permissions); a file left readable by
 * others by an older version is narrowed.
 */
function ownerOnly(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch {
      // -wal and -shm exist only while a connection has the database open
    }
  }
}

export function openStore(config: DatabaseConfig): Store {
  if (config.file !== ':memory:') ownerOnly(config.file);
  const sqlite = new SQLite(config.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 64 MiB of page cache: the hot B-tree pages of the queue tables stay in memory.
  sqlite.pragma('cache_size = -65536');
  const checkpointer = config.file === ':memory:' ? undefined : new Checkpointer(config.file);
  if (checkpointer !== undefined) sqlite.pragma('wal_autocheckpoint = 1000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const syncFull = sqlite.prepare('PRAGMA synchronous = FULL');
  const syncNormal = sqlite.prepare('PRAGMA synchronous = NORMAL');
  const inTransaction = sqlite.transaction((fn: () => unknown) => fn());
  /** Work waiting for the running transaction's commit; undefined outside one. */
  let committed: (() => void)[] | undefined;
  let closed = false;
  return {
    db,
    sqlite,
    writeTx: <T>(durable: boolean, fn: () => T): Promise<T> => {
      if (committed !== undefined) return Promise.reject(new Error('writeTx inside a write transaction'));
      const hooks: (() => void)[] = [];
      committed = hooks;
      let result: T;
      try {
        (durable ? syncFull : syncNormal).run();
        result = inTransaction(fn) as T;
      } catch (err) {
        return Promise.reject(err);
      } finally {
        committed = undefined;
      }
      for (const hook of hooks) hook();
      return Promise.resolve(result);
    },
    afterCommit: (fn) => {
      if (committed === undefined) throw new Error('afterCommit outside a write transaction');
      committed.push(fn);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
