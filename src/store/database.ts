/**
 * Opens the database. The embedded default is SQLite in WAL mode with
 * `synchronous = FULL`, so a commit is on disk before we answer 200; group
 * commit (see batch-writer.ts) amortises the fsync over many requests.
 *
 * SQLite has one connection, and the dialect (sqlite-dialect.ts) lends it to
 * one holder at a time, in order: a `writeTx` holds it from `BEGIN` to `COMMIT`, across its awaits, so
 * a Kysely query never lands inside somebody else's transaction. The hot
 * paths (accept, claim, complete, receipts) still run prepared statements on
 * `sqlite` inside `writeTx` (synchronously, so nothing reads between them);
 * they are moving to queries on `tx.db`, which PostgreSQL can run too.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { Checkpointer } from './checkpointer.js';
import { SqliteConnection, sqliteDialect } from './sqlite-dialect.js';
import { FifoLock } from '../util/fifo-lock.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type SqliteHandle = SQLite.Database;

/** One write transaction, handed to the function `writeTx` runs. */
export interface Tx {
  /** Queries in this transaction (on the connection it holds). */
  readonly db: Db;
  /** Runs `fn` once this transaction has committed; never if it rolls back. */
  afterCommit(fn: () => void): void;
}

export interface Store {
  db: Db;
  sqlite: SqliteHandle;
  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE` … `COMMIT`) holding
   * the connection: no other transaction and no query through `db` runs on it
   * until it ends, even across `fn`'s awaits. `fn` may be synchronous (the
   * prepared statements of the hot paths) or asynchronous (queries on
   * `tx.db`); it must not wait for anything but its own statements, and
   * never calls `writeTx` (that transaction would wait for this one to end).
   * `durable` commits fsync the WAL (the accept path: a 200 promises the
   * message survives power loss). Other commits skip the fsync: they survive a
   * process crash, and the next durable commit carries them to disk; losing
   * one to a power cut only repeats work (a resend under the same provider id).
   */
  writeTx<T>(durable: boolean, fn: (tx: Tx) => T | Promise<T>): Promise<T>;
  /**
   * Inside `writeTx`: runs `fn` once that transaction has committed, and never
   * if it rolls back (work outside the database that must follow the commit,
   * such as removing a sent message's file). `Tx.afterCommit` where a `tx` is at hand.
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

/** Resolves when the database answers a trivial query (readiness). */
export async function databaseAnswers(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
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
  const connection = new SqliteConnection(sqlite);
  const lock = new FifoLock();
  const db = new Kysely<Database>({ dialect: sqliteDialect(sqlite, connection, lock) });
  /** Queries of the write transaction that holds the lock. */
  const held = new Kysely<Database>({ dialect: sqliteDialect(sqlite, connection, undefined) });
  const syncFull = sqlite.prepare('PRAGMA synchronous = FULL');
  const syncNormal = sqlite.prepare('PRAGMA synchronous = NORMAL');
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  const rollback = sqlite.prepare('ROLLBACK');
  /** Work waiting for the running transaction's commit; undefined outside one. */
  let committed: (() => void)[] | undefined;
  let closed = false;

  /** Runs `fn` in a transaction; the caller holds the lock, which is released at the end. */
  const inTransaction = async <T>(durable: boolean, fn: (tx: Tx) => T | Promise<T>): Promise<T> => {
    try {
      const hooks: (() => void)[] = [];
      (durable ? syncFull : syncNormal).run();
      begin.run();
      committed = hooks;
      let result: T;
      try {
        const returned = fn({ db: held, afterCommit: (hook) => hooks.push(hook) });
        result = returned instanceof Promise ? await returned : returned;
        commit.run();
      } catch (err) {
        if (sqlite.inTransaction) rollback.run();
        throw err;
      } finally {
        committed = undefined;
      }
      for (const hook of hooks) hook();
      return result;
    } finally {
      lock.release();
    }
  };

  return {
    db,
    sqlite,
    // One holder of the connection at a time, in order; a free connection is taken at once, so a
    // synchronous body runs before writeTx returns, as it did when it was a plain SQLite transaction.
    writeTx: <T>(durable: boolean, fn: (tx: Tx) => T | Promise<T>): Promise<T> =>
      lock.tryAcquire() ? inTransaction(durable, fn) : lock.acquire().then(() => inTransaction(durable, fn)),
    afterCommit: (fn) => {
      if (committed === undefined) throw new Error('afterCommit outside a write transaction');
      committed.push(fn);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await checkpointer?.stop();
      await held.destroy();
      await db.destroy();
    },
  };
}
